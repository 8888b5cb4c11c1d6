import { accessModel, describePath } from "./policy-pack/lib/access-model";
import { stackResources } from "./policy-pack/test/helpers/run-policy";
const v = require("/tmp/dev-view.json");
for (const which of ["analyzer", "stack"]) {
  const res = stackResources(v[which].map((r: any) => ({ type: r.type, name: r.name, urn: r.urn, props: r.properties, parent: r.parent, dependencies: r.dependencies, propertyDependencies: r.propertyDependencies })));
  const m = accessModel(res);
  console.log("==", which);
  const t = Date.now();
  for (const e of m.allEntries()) for (const c of e.callers) console.log(describePath(c, e));
  console.log(Date.now() - t, "ms");
}

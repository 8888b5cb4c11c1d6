// Handler bundling (components/bundle.ts).
import * as assert from "assert";
import { builtinModules } from "module";
import { bundleHandler, handlerEntry, handlerNames } from "../components/bundle";

describe("handler bundles", () => {
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

  for (const name of handlerNames()) {
    it(`${name} needs nothing at run time but Node built-ins and the runtime's @aws-sdk clients`, () => {
      const text = bundleHandler(handlerEntry(name));
      const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      const foreign = required.filter((m) => !builtins.has(m) && !m.startsWith("@aws-sdk/"));
      assert.deepStrictEqual(foreign, [], `${name} would fail to load in Lambda`);
      assert.match(text, /handler/, "the bundle exports the handler");
    });
  }
});

/**
 * resolveReference and settingsForStage look most resources up through indexes, so large stacks
 * stay linear. These property tests check the indexes against the definitions they shortcut, on
 * seeded random stacks: references by property dependency, by id or name, unknown values,
 * missing ids, shared stage names and REST APIs known only by id.
 */
import * as assert from "node:assert";
import { PolicyResource } from "@pulumi/policy";
import { covers, settingsForStage } from "../lib/method-settings";
import { rawProps, Reference, resolveReference, TYPES } from "../lib/stack-refs";
import { hasUnknown } from "../lib/values";
import { UNKNOWN } from "./helpers/run-policy";
import { seeded } from "../../test/helpers/random";

const CASES = 300;

type Random = () => number;
const pick = <T>(random: Random, list: T[]): T => list[Math.floor(random() * list.length)];

function resource(type: string, name: string, props: Record<string, unknown>): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:dev::p::${type}::${name}`,
    props,
    propertyDependencies: {},
  } as unknown as PolicyResource;
}

/** resolveReference's definition: by dependency, else by a matching value, else unknown/none. */
function definition(
  from: PolicyResource,
  prop: string,
  candidates: PolicyResource[],
  matchProps: string[],
): Reference {
  const deps = (from.propertyDependencies as Record<string, unknown>)[prop];
  const byDep = Array.isArray(deps) ? candidates.filter((c) => deps.includes(c)) : [];
  if (byDep.length > 0) return { kind: "found", resources: byDep };
  const value = rawProps(from.props)[prop];
  if (value === undefined || value === null) return { kind: "none" };
  if (typeof value !== "string" || hasUnknown(value)) return { kind: "unknown" };
  const byValue = candidates.filter((c) => matchProps.some((m) => rawProps(c.props)[m] === value));
  if (byValue.length > 0) return { kind: "found", resources: byValue };
  const open = candidates.some((c) =>
    matchProps.some((m) => rawProps(c.props)[m] === undefined || hasUnknown(rawProps(c.props)[m])),
  );
  return { kind: open ? "unknown" : "none" };
}

describe("lookup indexes agree with the definitions they shortcut", () => {
  it(`resolveReference (${CASES} random candidate lists of 0 to 60)`, () => {
    const random = seeded(0x1dec5);
    for (let c = 0; c < CASES; c++) {
      const ids = ["a", "b", "c", "d", UNKNOWN, undefined];
      const candidates = Array.from({ length: Math.floor(random() * 60) }, (_, i) =>
        resource(TYPES.restApi, `api${i}`, { id: pick(random, ids), name: pick(random, ids) }),
      );
      const from = resource(TYPES.restStage, "s", { restApi: pick(random, [...ids, null, 7]) });
      (from.propertyDependencies as Record<string, unknown>).restApi = candidates.filter(
        () => random() < 0.05,
      );
      for (const matchProps of [["id"], ["name", "id"]]) {
        const expected = definition(from, "restApi", candidates, matchProps);
        assert.deepStrictEqual(
          resolveReference(from, "restApi", candidates, matchProps),
          expected,
          `case ${c}`,
        );
      }
    }
  });

  it(`settingsForStage (${CASES} random stacks of up to 40 stages and settings)`, () => {
    const random = seeded(0x57a6e);
    for (let c = 0; c < CASES; c++) {
      const apis = Array.from({ length: 1 + Math.floor(random() * 20) }, (_, i) =>
        resource(TYPES.restApi, `api${i}`, {
          id: pick(random, [`r${i}`, `r${i}`, UNKNOWN, undefined]),
        }),
      );
      const apiInput = (r: PolicyResource) => {
        const api = pick(random, apis);
        (r.propertyDependencies as Record<string, unknown>).restApi = random() < 0.6 ? [api] : [];
        return pick(random, [
          rawProps(api.props).id,
          `r${Math.floor(random() * 25)}`,
          UNKNOWN,
          undefined,
        ]);
      };
      const names = ["v1", "v1", "prod", UNKNOWN];
      const stages = Array.from({ length: 1 + Math.floor(random() * 40) }, (_, i) => {
        const stage = resource(TYPES.restStage, `stage${i}`, {
          stageName: pick(random, names),
          id: pick(random, [undefined, undefined, "v1", `ags-${i}`]),
        });
        rawProps(stage.props).restApi = apiInput(stage);
        return stage;
      });
      const settings = Array.from({ length: Math.floor(random() * 40) }, (_, i) => {
        const s = resource(TYPES.methodSettings, `settings${i}`, {
          stageName: pick(random, names),
          methodPath: pick(random, ["*/*", "*/*", "~1x/GET"]),
        });
        rawProps(s.props).restApi = apiInput(s);
        if (random() < 0.2)
          (s.propertyDependencies as Record<string, unknown>).stageName = [pick(random, stages)];
        return s;
      });
      for (const stage of stages) {
        const all = settings.filter((s) => rawProps(s.props).methodPath === "*/*");
        const verdicts = all.map((s) => covers(s, stage, apis));
        const expected = {
          covering: all.filter((_, i) => verdicts[i] === "yes"),
          undecided: verdicts.includes("unknown"),
        };
        assert.deepStrictEqual(
          settingsForStage(stage, settings, apis),
          expected,
          `case ${c}, ${stage.name}`,
        );
      }
    }
  });
});

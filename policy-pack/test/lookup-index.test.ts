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
import { stackResources, StackResourceInput, UNKNOWN, urnOf } from "./helpers/run-policy";
import { seeded } from "./helpers/random";

const CASES = 300;

type Random = () => number;
const pick = <T>(random: Random, list: T[]): T => list[Math.floor(random() * list.length)];

/** The stack a policy would see: SDK-proxied props, dependencies resolved from URNs. */
function stack(inputs: StackResourceInput[]): PolicyResource[] {
  return stackResources(inputs) as unknown as PolicyResource[];
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

/**
 * REST APIs (some ids unknown or missing), stages, and method settings for "*\/*" or another
 * path, whose `restApi` names an API by dependency, by its id, by an id no API has, or not
 * knowably; stage names shared across APIs; some settings tied to a stage by dependency.
 */
function randomStages(random: Random): StackResourceInput[] {
  const apis: StackResourceInput[] = Array.from(
    { length: 1 + Math.floor(random() * 20) },
    (_, i) => ({
      type: TYPES.restApi,
      name: `api${i}`,
      props: { id: pick(random, [`r${i}`, `r${i}`, UNKNOWN, undefined]) },
    }),
  );
  const withApi = (r: StackResourceInput): StackResourceInput => {
    const api = pick(random, apis);
    const restApi = pick(random, [
      api.props.id,
      `r${Math.floor(random() * 25)}`,
      UNKNOWN,
      undefined,
    ]);
    const deps = random() < 0.6 ? [urnOf(api.type, api.name!)] : [];
    return { ...r, props: { ...r.props, restApi }, propertyDependencies: { restApi: deps } };
  };
  const names = ["v1", "v1", "prod", UNKNOWN];
  const stages = Array.from({ length: 1 + Math.floor(random() * 40) }, (_, i) =>
    withApi({
      type: TYPES.restStage,
      name: `stage${i}`,
      props: {
        stageName: pick(random, names),
        id: pick(random, [undefined, undefined, "v1", `ags-${i}`]),
      },
    }),
  );
  const settings = Array.from({ length: Math.floor(random() * 40) }, (_, i) => {
    const s = withApi({
      type: TYPES.methodSettings,
      name: `settings${i}`,
      props: {
        stageName: pick(random, names),
        methodPath: pick(random, ["*/*", "*/*", "~1x/GET"]),
      },
    });
    if (random() < 0.2) {
      const stage = pick(random, stages);
      s.propertyDependencies!.stageName = [urnOf(stage.type, stage.name!)];
    }
    return s;
  });
  return [...apis, ...stages, ...settings];
}

describe("lookup indexes agree with the definitions they shortcut", () => {
  it(`resolveReference (${CASES} random candidate lists of 0 to 60)`, () => {
    const random = seeded(0x1dec5);
    for (let c = 0; c < CASES; c++) {
      const ids = ["a", "b", "c", "d", UNKNOWN, undefined];
      const apis: StackResourceInput[] = Array.from(
        { length: Math.floor(random() * 60) },
        (_, i) => ({
          type: TYPES.restApi,
          name: `api${i}`,
          props: { id: pick(random, ids), name: pick(random, ids) },
        }),
      );
      const deps = apis.filter(() => random() < 0.05).map((a) => urnOf(a.type, a.name!));
      const candidates = stack([
        ...apis,
        {
          type: TYPES.restStage,
          name: "s",
          props: { restApi: pick(random, [...ids, null, 7]) },
          propertyDependencies: { restApi: deps },
        },
      ]);
      const from = candidates.pop()!;
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
      const inputs = randomStages(random);
      const resources = stack(inputs);
      const ofKind = (type: string) => resources.filter((r) => r.type === type);
      const [apis, stages] = [ofKind(TYPES.restApi), ofKind(TYPES.restStage)];
      const settings = ofKind(TYPES.methodSettings);
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

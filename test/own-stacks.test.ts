/**
 * The pack against each of our own stacks (every Pulumi.<stack>.yaml), as the engine hands them over (the program under the mock
 * engine, tools/preview-offline's engine view), through the harness that calls each policy as
 * the analyzer server does:
 * - each stack passes with zero mandatory violations (docs/policy-verdicts.md lists the
 *   advisories; test/generated.test.ts keeps it equal to what the pack says);
 * - a FIRST preview, where nothing exists yet, is simulated: every input that comes from another
 *   resource's output is unknown. No policy may turn those unknowns into a violation (a guess)
 *   or fall back on the SDK's "can't run during preview" advisory;
 * - stronger, one value at a time: making any single input property of any resource unknown
 *   never produces a violation the known stack does not have.
 */
import * as assert from "assert";
import { TYPES } from "../policy-pack/lib/stack-refs";
import { StackResourceInput, UNKNOWN } from "../policy-pack/test/helpers/run-policy";
import { analyzedResources, packVerdicts as verdicts, Verdict } from "../tools/verdicts";
import { runStack, stackConfig, stackNames } from "./helpers/harness";

const key = (v: Verdict) => `${v.policy} ${v.resource} ${v.message}`;

/** Our stack as Analyze (inputs) and AnalyzeStack see it. */
async function ownStack(stack: string): Promise<StackResourceInput[]> {
  return analyzedResources(await runStack(stack), stackConfig(stack));
}

/** Custom resources of the stack, by URN (their outputs are unknown until they exist). */
function customUrns(resources: StackResourceInput[]): Set<string> {
  return new Set(
    resources
      .filter((r) => !r.type.startsWith("pulumi:") && r.type.includes("/"))
      .map((r) => r.urn!),
  );
}

/**
 * The stack as a first preview sees it: every input whose value came from another resource's
 * output (a property dependency on a custom resource) is unknown.
 */
function firstPreview(resources: StackResourceInput[]): StackResourceInput[] {
  const custom = customUrns(resources);
  return resources.map((r) => {
    const props = { ...r.props };
    for (const [prop, urns] of Object.entries(r.propertyDependencies ?? {})) {
      if (prop in props && urns.some((u) => custom.has(u))) props[prop] = UNKNOWN;
    }
    return { ...r, props };
  });
}

/** The paths of every nested value (object keys and array items) below the top level. */
function nestedPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : value !== null && typeof value === "object"
      ? Object.entries(value)
      : [];
  for (const [k, v] of children) {
    const at = [...prefix, k];
    out.push(at, ...nestedPaths(v, at));
  }
  return out;
}

/** A deep copy of `props` with the value at `at` (a nested path) replaced by the unknown. */
function withUnknownAt(
  props: Record<string, unknown>,
  at: (string | number)[],
): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(props)) as Record<string, unknown>;
  let node = copy as Record<string | number, unknown>;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[at[at.length - 1]] = UNKNOWN;
  return copy;
}

for (const stack of stackNames()) {
  describe(`the pack on our ${stack} stack`, function () {
    this.timeout(120_000);
    let resources: StackResourceInput[];
    let baseline: Verdict[];

    before(async () => {
      resources = await ownStack(stack);
      baseline = await verdicts(resources);
    });

    it("has the resources the pack checks (so the checks below are not vacuous)", () => {
      const types = new Set(resources.map((r) => r.type));
      for (const t of [
        TYPES.restApi,
        TYPES.restMethod,
        TYPES.restApiPolicy,
        TYPES.httpRoute,
        TYPES.httpAuthorizer,
        TYPES.graphQLApi,
        TYPES.usagePlan,
        TYPES.apiKey,
        TYPES.lambdaPermission,
        TYPES.vpcEndpoint,
      ]) {
        assert.ok(types.has(t), `${stack} has no ${t}`);
      }
    });

    it("has no mandatory violation", () => {
      assert.deepStrictEqual(
        baseline.filter((v) => v.level === "mandatory"),
        [],
      );
    });

    it("stays silent on a first preview, where every input taken from another resource is unknown", async () => {
      const preview = firstPreview(resources);
      const changed = preview.filter((r, i) => r.props !== resources[i].props).length;
      const unknowns = JSON.stringify(preview).split(UNKNOWN).length - 1;
      assert.ok(unknowns > 50, `only ${unknowns} unknown inputs in ${changed} resources`);
      const known = new Set(baseline.map(key));
      const guessed = (await verdicts(preview)).filter((v) => !known.has(key(v)));
      assert.deepStrictEqual(guessed, []);
    });

    it("never reports a new violation when any one input property becomes unknown", async () => {
      const known = new Set(baseline.map(key));
      const checked = new Set<string>(Object.values(TYPES));
      const guessed: (Verdict & { unknown: string })[] = [];
      let variants = 0;
      for (let i = 0; i < resources.length; i++) {
        const r = resources[i];
        if (!checked.has(r.type) && !r.type.startsWith("aws:iam/")) continue;
        for (const prop of Object.keys(r.props)) {
          const variant = resources.slice();
          variant[i] = { ...r, props: { ...r.props, [prop]: UNKNOWN } };
          variants++;
          for (const v of await verdicts(variant, variant[i])) {
            if (!known.has(key(v))) guessed.push({ ...v, unknown: `${r.name}.${prop}` });
          }
        }
      }
      assert.ok(variants > 100, `only ${variants} variants`);
      assert.deepStrictEqual(guessed, []);
    });

    it("never reports a new violation when any one nested input value becomes unknown", async () => {
      const known = new Set(baseline.map(key));
      const checked = new Set<string>(Object.values(TYPES));
      const guessed: (Verdict & { unknown: string })[] = [];
      let variants = 0;
      for (let i = 0; i < resources.length; i++) {
        const r = resources[i];
        if (!checked.has(r.type) && !r.type.startsWith("aws:iam/")) continue;
        for (const [prop, value] of Object.entries(r.props)) {
          for (const at of nestedPaths(value, [prop])) {
            const variant = resources.slice();
            variant[i] = { ...r, props: withUnknownAt(r.props, at) };
            variants++;
            for (const v of await verdicts(variant, variant[i])) {
              if (!known.has(key(v))) guessed.push({ ...v, unknown: `${r.name}.${at.join(".")}` });
            }
          }
        }
      }
      assert.ok(variants > 50, `only ${variants} variants`);
      assert.deepStrictEqual(guessed, []);
    });
  });
}

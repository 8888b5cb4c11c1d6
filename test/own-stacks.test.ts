/**
 * The pack against each of our own stacks (every Pulumi.<stack>.yaml), as the engine hands them over (the program under the mock
 * engine, tools/preview-offline's engine view), through the harness that calls each policy as
 * the analyzer server does:
 * - both stacks pass with zero mandatory violations, and the advisories are exactly the ones
 *   documented in docs/policy-verdicts.md (so a new advisory is a decision, not an accident);
 * - a FIRST preview, where nothing exists yet, is simulated: every input that comes from another
 *   resource's output is unknown. No policy may turn those unknowns into a violation (a guess)
 *   or fall back on the SDK's "can't run during preview" advisory;
 * - stronger, one value at a time: making any single input property of any resource unknown
 *   never produces a violation the known stack does not have.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../policy-pack/policies";
import { TYPES } from "../policy-pack/lib/stack-refs";
import {
  PolicyRun,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
} from "../policy-pack/test/helpers/run-policy";
import { engineView } from "../tools/preview-offline";
import { runStack, stackConfig, stackNames } from "./helpers/harness";

const SIG = "4dabf18193072939515e22adb298388d";
const SIG_SECRET = "1b47061264138c4ac30d75fd1eb44270";

/** Where the expected verdicts on our stacks are documented (a table per stack). */
const VERDICTS_DOC = path.resolve(__dirname, "../docs/policy-verdicts.md");

const resourcePolicies = allPolicies.filter(
  (p): p is ResourceValidationPolicy => "validateResource" in p && p.validateResource !== undefined,
);
const stackPolicies = allPolicies.filter(
  (p): p is StackValidationPolicy =>
    typeof (p as StackValidationPolicy).validateStack === "function",
);

/** One verdict: policy, level, the resource's logical name, and the message. */
interface Verdict {
  policy: string;
  level: string;
  resource: string;
  message: string;
}

const key = (v: Verdict) => `${v.policy} ${v.resource} ${v.message}`;

/** Secrets reach a policy unwrapped (the SDK's deserialization does it). */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj[SIG] === SIG_SECRET) return unwrapSecrets(obj.value);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** Our stack as Analyze (inputs) and AnalyzeStack see it. */
async function ownStack(stack: string): Promise<StackResourceInput[]> {
  const run = await runStack(stack);
  const view = engineView(run, stackConfig(stack));
  return view.analyzer.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: unwrapSecrets(r.properties) as Record<string, unknown>,
    parent: r.parent ?? undefined,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
  }));
}

function level(policy: Policy): string {
  return policy.enforcementLevel ?? "advisory";
}

function collect(policy: Policy, run: PolicyRun, resource: string, out: Verdict[]): void {
  assert.deepStrictEqual(run.previewErrors, [], `${policy.name} on ${resource}`);
  for (const v of run.violations) {
    const name = v.urn ? String(v.urn.split("::").pop()) : resource;
    out.push({ policy: policy.name, level: level(policy), resource: name, message: v.message });
  }
}

/** Every verdict of the pack on the resources (resource policies only on `only`, if given). */
async function verdicts(
  resources: StackResourceInput[],
  only?: StackResourceInput,
): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const r of only ? [only] : resources) {
    for (const p of resourcePolicies) collect(p, await runResourcePolicy(p, r), r.name!, out);
  }
  for (const p of stackPolicies) collect(p, await runStackPolicy(p, resources), "(stack)", out);
  return out;
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

/** The documented verdicts of a stack: the rows of its table in docs/policy-verdicts.md. */
function documented(stack: string): Verdict[] {
  const text = fs.readFileSync(VERDICTS_DOC, "utf8");
  const section = text.split(/^## /m).find((s) => s.startsWith(`\`${stack}\``));
  assert.ok(section, `docs/policy-verdicts.md has no section for ${stack}`);
  return section
    .split("\n")
    .filter((l) => /^\| `sec1-/.test(l))
    .map((l) => {
      const [policy, lvl, resource] = l
        .split("|")
        .slice(1, 4)
        .map((c) => c.trim().replace(/^`|`$/g, ""));
      return { policy, level: lvl, resource, message: "" };
    });
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

    it("has exactly the advisories documented in docs/policy-verdicts.md", () => {
      const seen = baseline.map((v) => `${v.policy} ${v.level} ${v.resource}`).sort();
      const doc = documented(stack)
        .map((v) => `${v.policy} ${v.level} ${v.resource}`)
        .sort();
      assert.deepStrictEqual(seen, doc);
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

/**
 * What the SEC1 pack says about a stack of this program, computed in-process (each policy called
 * the way the analyzer server calls it) and written to docs/policy-verdicts.md: one table per
 * stack file, each row with the reason it stays, kept from the doc when the row already exists.
 */
import * as fs from "fs";
import * as path from "path";
import { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../policy-pack/policies";
import { formatMarkdown } from "../policy-pack/scripts/markdown";
import {
  PolicyRun,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
} from "../policy-pack/test/helpers/run-policy";
import { ProgramRun } from "./mock-engine";
import { engineView } from "./preview-offline";

/** The checked-in document. */
export const VERDICTS_DOC = path.join(__dirname, "..", "docs", "policy-verdicts.md");

/** What a new row says until someone writes why the verdict stays (the drift test refuses it). */
export const NO_REASON = "TODO: say why this stays, or fix the stack";

const SIG = "4dabf18193072939515e22adb298388d";
const SIG_SECRET = "1b47061264138c4ac30d75fd1eb44270";

const resourcePolicies = allPolicies.filter(
  (p): p is ResourceValidationPolicy => "validateResource" in p && p.validateResource !== undefined,
);
const stackPolicies = allPolicies.filter(
  (p): p is StackValidationPolicy =>
    typeof (p as StackValidationPolicy).validateStack === "function",
);

/** One verdict: policy, level, the resource's logical name, and the message. */
export interface Verdict {
  policy: string;
  level: string;
  resource: string;
  message: string;
}

/** Secrets reach a policy unwrapped (the SDK's deserialization does it). */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj[SIG] === SIG_SECRET) return unwrapSecrets(obj.value);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/**
 * A program run as Analyze sees it (inputs), or, with `view` "stack", as AnalyzeStack does (each
 * resource's outputs: the ARNs a role or a role mapping is found by).
 */
export function analyzedResources(
  run: ProgramRun,
  config: Record<string, string>,
  view: "analyzer" | "stack" = "analyzer",
): StackResourceInput[] {
  return engineView(run, config)[view].map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: unwrapSecrets(r.properties) as Record<string, unknown>,
    parent: r.parent ?? undefined,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
  }));
}

function collect(policy: Policy, run: PolicyRun, resource: string, out: Verdict[]): void {
  if (run.previewErrors.length > 0)
    throw new Error(`${policy.name} on ${resource}: ${run.previewErrors.join("; ")}`);
  for (const v of run.violations) {
    const name = v.urn ? String(v.urn.split("::").pop()) : resource;
    const level = policy.enforcementLevel ?? "advisory";
    out.push({ policy: policy.name, level, resource: name, message: v.message });
  }
}

/** Every verdict of the pack on the resources (resource policies only on `only`, if given). */
export async function packVerdicts(
  resources: StackResourceInput[],
  only?: StackResourceInput,
  stackResources: StackResourceInput[] = resources,
): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const r of only ? [only] : resources) {
    for (const p of resourcePolicies) collect(p, await runResourcePolicy(p, r), r.name!, out);
  }
  for (const p of stackPolicies)
    collect(p, await runStackPolicy(p, stackResources), "(stack)", out);
  return out;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();

/** The reasons of the rows of a document, by `policy resource`. */
function reasonsOf(doc: string): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const line of doc.split("\n")) {
    const cells = line.match(/^\| `(sec1-[^`]+)` +\| \w+ +\| `([^`]+)` +\| (.*) \|$/);
    if (cells) reasons.set(`${cells[1]} ${cells[2]}`, cells[3].trim());
  }
  return reasons;
}

/**
 * The document for these verdicts: the introduction of `current` (everything before the first
 * stack section), then one section per stack, rows sorted, reasons kept from `current`.
 */
export async function renderVerdictsDoc(
  current: string,
  verdicts: Record<string, Verdict[]>,
): Promise<string> {
  const intro = current.split(/^## `/m)[0].trimEnd();
  const reasons = reasonsOf(current);
  const sections = Object.keys(verdicts)
    .sort()
    .map((stack) => {
      const rows = [
        ...new Map(verdicts[stack].map((v) => [`${v.policy} ${v.resource}`, v])).values(),
      ].sort((a, b) => `${a.policy} ${a.resource}`.localeCompare(`${b.policy} ${b.resource}`));
      if (rows.length === 0) return `## \`${stack}\`\n\nNo violations, mandatory or advisory.\n`;
      const table = rows.map(
        (v) =>
          `| \`${v.policy}\` | ${v.level} | \`${v.resource}\` | ${cell(reasons.get(`${v.policy} ${v.resource}`) ?? NO_REASON)} |`,
      );
      return `## \`${stack}\`\n\n| Policy | Level | Resource | Why it stays |\n| --- | --- | --- | --- |\n${table.join("\n")}\n`;
    });
  const text = `${intro}\n\n${sections.join("\n")}`;
  return formatMarkdown(VERDICTS_DOC, text);
}

/** The verdicts document as it is on disk. */
export function currentVerdictsDoc(): string {
  return fs.readFileSync(VERDICTS_DOC, "utf8");
}

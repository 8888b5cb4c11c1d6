/**
 * The one exemption mechanism: `withExemptions(policies)` wraps every policy's validateResource
 * and validateStack, and the reportViolation it hands them, so that a finding an exemption
 * accepts is still reported, at advisory, with `exempted: …` as its first line (the contract the
 * tools read). Policies themselves know nothing about exemptions.
 *
 * What each phase can see (the analyzer protocol, see docs/exemptions.md):
 * - Analyze (resource policies) gets ONE resource: the org's exemptions and that resource's
 *   `sec1:accept:<policy>` tags apply;
 * - AnalyzeStack (stack policies) gets every resource: declaration resources
 *   (`sec1:policy:Exemption`) apply as well. A resource policy on types without tags is run
 *   there (asStackPolicy), so that declarations apply to every finding on such a resource.
 */
import {
  Policies,
  Policy,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidation,
  StackValidationArgs,
} from "@pulumi/policy";
import { ConfigProperty } from "./policy-config";
import { asStackPolicy } from "./resource-as-stack";
import { mayApply } from "./typed-validation";
import {
  DECLARATIONS_POLICY,
  Declaration,
  EXEMPTION_TYPE,
  Exemption,
  Governance,
  Malformed,
  OrgExemption,
  Parsed,
  TAG_PREFIX,
  coversUrn,
  exemptedLine,
  readDeclaration,
  readGovernance,
  readOrgExemptions,
  refusal,
  tagExemption,
  tagsOf,
  today,
  urnParts,
} from "./exemptions";

/** The settings every policy gets from the wrapper (the org's rules for that policy). */
export const EXEMPTION_SETTINGS: Record<string, ConfigProperty> = {
  exemptions: {
    type: "array",
    items: {
      type: "object",
      properties: {
        resource: {
          type: "string",
          description: "A URN (`*` wildcards) or project/stack/name globs.",
        },
        reason: { type: "string", minLength: 10 },
        until: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
        ticket: { type: "string" },
      },
      required: ["resource", "reason"],
    },
    default: [],
    description:
      "Findings of this policy the org accepts: each entry names a resource (a URN, or project/stack/name globs) with a reason, and optionally until (YYYY-MM-DD) and a ticket.",
  },
  inCodeExemptions: {
    type: "string",
    enum: ["allowed", "forbidden"],
    default: "allowed",
    description:
      "Whether exemptions declared in a stack's program (sec1:accept tags, sec1:policy:Exemption resources) count for this policy.",
  },
  exemptionMaxDays: {
    type: "integer",
    minimum: 0,
    default: 0,
    description:
      "0: no limit; N: an in-code exemption counts only with an until date at most N days from today.",
  },
};

/**
 * Older per-policy keys that silence findings. They still work as before; the findings they
 * silence are now reported as exempted (found by running the policy again without them).
 */
export const LEGACY_EXEMPTION_KEYS = [
  "exemptResources",
  "exemptRouteKeys",
  "publicResources",
  "publicFields",
  "allowedPools",
];

/** Types whose resources are operations a team may publish by design. */
const OPERATION_TYPES = new Set([
  "aws:apigatewayv2/route:Route",
  "aws:apigateway/method:Method",
  "aws:lambda/functionUrl:FunctionUrl",
  "aws:appsync/graphQLApi:GraphQLApi",
]);
/** Of those, the types with tags (a resource policy can read a tag exemption there). */
const TAGGABLE_OPERATIONS = new Set(["aws:appsync/graphQLApi:GraphQLApi"]);

/**
 * Declaration resources that a stack policy matched with one of its findings during the current
 * AnalyzeStack call. The server runs stack policies one after another in the pack's order, and
 * the declarations policy comes last, so it reads this to tell "matches no finding".
 */
const considered = new Set<string>();

type Report = (info: Record<string, unknown>) => void;

/** One run of one policy: what it may use to find exemptions, filled in lazily. */
interface Run {
  policy: Policy;
  config: Record<string, unknown>;
  /** The server's reportViolation, string form. */
  raw: ReportViolation;
  /** The same, object form (level and policy name of our choosing). */
  report: Report;
  /** Resource policy: the analyzed resource's tags. Stack policy: each resource's. */
  tagsOf(urn: string): Record<string, unknown>;
  /** Declarations of this policy by target URN (stack policies only). */
  declarations(): Map<string, Declaration[]>;
  findings: Set<string>;
  /** Problems already reported in this run (one diagnostic each). */
  said: Set<string>;
  day?: string;
  rules?: { governance: Governance; org: OrgExemption[]; problems: Malformed[] };
}

function rulesOf(run: Run): NonNullable<Run["rules"]> {
  if (!run.rules) {
    const { rules, problems } = readGovernance(run.policy.name, run.config);
    const org = readOrgExemptions(run.policy.name, run.config.exemptions);
    run.rules = { governance: rules, org: org.entries, problems: [...problems, ...org.problems] };
  }
  return run.rules;
}

function fullMessage(policy: Policy, message: string): string {
  return message ? `${policy.description}\n${message}` : policy.description;
}

function nameOfUrn(urn: string): string {
  return urnParts(urn)?.name ?? urn;
}

/** A problem with a declaration or an org entry: advisory, once per run. */
function sayProblem(run: Run, what: string, urn: string | undefined): void {
  if (run.said.has(what)) return;
  run.said.add(what);
  run.report({ name: DECLARATIONS_POLICY, message: what, enforcementLevel: "advisory", urn });
}

/** The first exemption that counts for the policy's finding on `urn`; problems are reported. */
function exemptionFor(run: Run, urn: string): Exemption | undefined {
  const { governance, org, problems } = rulesOf(run);
  run.day ??= today();
  for (const p of problems) sayProblem(run, `${p.source} ${p.problem}`, undefined);
  const candidates: { parsed: Parsed; at: string }[] = org
    .filter((e) => coversUrn(e.resource, urn))
    .map((exemption) => ({ parsed: { exemption, source: exemption.source }, at: urn }));
  const tag = tagExemption(run.policy.name, run.tagsOf(urn));
  if (tag) candidates.push({ parsed: tag, at: urn });
  for (const d of run.declarations().get(urn) ?? []) {
    considered.add(d.urn);
    candidates.push({ parsed: d.parsed, at: d.urn });
  }
  let accepted: Exemption | undefined;
  for (const { parsed, at } of candidates) {
    const why =
      "problem" in parsed ? parsed.problem : refusal(parsed.exemption, governance, run.day);
    if (why === undefined && "exemption" in parsed) accepted ??= parsed.exemption;
    else if (why !== undefined) {
      const what = `${parsed.source} does not exempt the finding of ${run.policy.name} on '${nameOfUrn(urn)}': ${why}`;
      sayProblem(run, what, at);
    }
  }
  return accepted;
}

/** How a team accepts a finding of this policy on an operation, added to its message. */
function howToDeclare(run: Run, urn: string, stackPolicy: boolean): string {
  const p = run.policy.name;
  const org = `have the org list '${nameOfUrn(urn)}' in the exemptions of ${p}`;
  const inCode = stackPolicy
    ? `declare it in the program (acceptFinding("${p}", <resource>, { reason }), a ${EXEMPTION_TYPE} resource), or `
    : TAGGABLE_OPERATIONS.has(urnParts(urn)?.type ?? "")
      ? `tag it ${TAG_PREFIX}${p} = <reason>, or `
      : "";
  return `If this operation is public by design: ${inCode}${org}; see docs/exemptions.md.`;
}

/** The policy's message, on operations with a line saying how to declare them. */
function withHint(run: Run, message: string, target: string, stackPolicy: boolean): string {
  const type = urnParts(target)?.type ?? "";
  return OPERATION_TYPES.has(type)
    ? `${message}\n${howToDeclare(run, target, stackPolicy)}`
    : message;
}

/** An exempted finding: advisory, the `exempted:` line, then what the server would have said. */
function reportExempted(run: Run, line: string, said: string, urn: string | undefined): void {
  const message = `${line}\n${fullMessage(run.policy, said)}`;
  run.report({ message, enforcementLevel: "advisory", urn });
}

/** The reportViolation a wrapped policy gets. */
function exemptingReport(run: Run, ownUrn: string | undefined, stackPolicy: boolean) {
  const report: ReportViolation = (message: string, urn?: string) => {
    const target = urn ?? ownUrn;
    // Only a string finding on a resource can be exempted; anything else goes on as it came.
    if (typeof message !== "string" || typeof target !== "string") {
      run.raw(message, urn);
      return;
    }
    run.findings.add(target);
    const said = withHint(run, message, target, stackPolicy);
    const exemption = exemptionFor(run, target);
    // The contract: an exempted finding is advisory, `exempted: …` first, then what it said.
    if (exemption) reportExempted(run, exemptedLine(exemption), said, urn);
    // The string form, so the server words it exactly as it would without the wrapper.
    else run.raw(said, urn);
  };
  return report;
}

function legacyKeysIn(config: Record<string, unknown>): string[] {
  return LEGACY_EXEMPTION_KEYS.filter((k) => Array.isArray(config[k]) && config[k].length > 0);
}

/**
 * Runs the validation again without the older exemption keys, and reports what they silenced
 * as exempted, on resources where the real run found nothing. Errors of this run are ignored:
 * the real run already reported what the server should know.
 */
async function reportLegacyExemptions<A extends { getConfig: <T extends object>() => T }>(
  run: Run,
  args: A,
  validate: (args: A, report: ReportViolation) => Promise<void> | void,
  ownUrn: string | undefined,
): Promise<void> {
  const keys = legacyKeysIn(run.config);
  if (keys.length === 0) return;
  const without: Record<string, unknown> = { ...run.config };
  for (const k of keys) without[k] = [];
  const silenced: { message: string; urn?: string }[] = [];
  const shadow = { ...args, getConfig: <T extends object>() => structuredClone(without) as T };
  try {
    await validate(shadow, (message, urn) => silenced.push({ message, urn }));
  } catch {
    // not applicable or unknown without those keys: nothing more to say
  }
  const reason = `listed in ${keys.join(", ")} of the org's policy config for ${run.policy.name}`;
  for (const { message, urn } of silenced) {
    const target = urn ?? ownUrn;
    if (target === undefined || run.findings.has(target)) continue;
    const line = exemptedLine({ source: "", inCode: false, reason });
    reportExempted(run, line, withHint(run, message, target, ownUrn === undefined), urn);
  }
}

/** A tag that names this policy on a resource without any finding of it: advisory. */
function reportUnmatchedTag(run: Run, urn: string, tags: Record<string, unknown>): void {
  if (run.findings.has(urn)) return;
  const tag = tagExemption(run.policy.name, tags);
  if (!tag) return;
  const what =
    "problem" in tag
      ? `${tag.source} on '${nameOfUrn(urn)}' is malformed: ${tag.problem}`
      : `${tag.source} on '${nameOfUrn(urn)}' matches no finding: ${run.policy.name} reports nothing on it; remove the tag`;
  sayProblem(run, what, urn);
}

function serverReport(report: ReportViolation): Report {
  // The SDK's reportViolation also takes an object (name, message, urn, enforcementLevel), as
  // its server.js reads it; its type declares only the string form.
  return (info) => (report as unknown as Report)(info);
}

function readConfigOf(args: { getConfig: <T extends object>() => T }): Record<string, unknown> {
  try {
    const value: unknown = args.getConfig<Record<string, unknown>>();
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function newRun(
  policy: Policy,
  args: { getConfig: <T extends object>() => T },
  report: ReportViolation,
  tagsAt: (urn: string) => Record<string, unknown>,
  declarations: () => Map<string, Declaration[]>,
): Run {
  return {
    policy,
    config: readConfigOf(args),
    raw: report,
    report: serverReport(report),
    tagsOf: tagsAt,
    declarations,
    findings: new Set(),
    said: new Set(),
  };
}

/** Runs `then` after `result`, synchronously when the validation was (most are). */
function after(result: Promise<void> | void, then: () => Promise<void> | void) {
  return result && typeof result.then === "function" ? result.then(then) : then();
}

const NO_DECLARATIONS = () => new Map<string, Declaration[]>();

function wrapResource(policy: Policy, validate: ResourceValidation): ResourceValidation {
  const wrapped: ResourceValidation = (args: ResourceValidationArgs, report) => {
    // Not its type: the validation only reports that (most calls of a multi-type policy).
    if (!mayApply(validate, args.type)) return validate(args, report);
    let tags: Record<string, unknown> | undefined;
    const tagsAt = (urn: string) => (urn === args.urn ? (tags ??= tagsOf(args.props)) : {});
    const run = newRun(policy, args, report, tagsAt, NO_DECLARATIONS);
    const unmatched = () => reportUnmatchedTag(run, args.urn, tagsAt(args.urn));
    return after(validate(args, exemptingReport(run, args.urn, false)), () =>
      legacyKeysIn(run.config).length > 0
        ? reportLegacyExemptions(run, args, validate, args.urn).then(unmatched)
        : unmatched(),
    );
  };
  return keepTypeTag(validate, wrapped);
}

/** Declarations of `policy` in a stack, by target URN. */
function declarationsIn(resources: PolicyResource[], policy: string): Map<string, Declaration[]> {
  const byTarget = new Map<string, Declaration[]>();
  for (const r of resources) {
    if (r.type !== EXEMPTION_TYPE) continue;
    const d = readDeclaration(r);
    if (d.policy !== policy || typeof d.target !== "string") continue;
    byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
  }
  return byTarget;
}

function wrapStack(policy: Policy, validate: StackValidation): StackValidation {
  const wrapped: StackValidation = (args: StackValidationArgs, report) => {
    let byUrn: Map<string, PolicyResource> | undefined;
    let declarations: Map<string, Declaration[]> | undefined;
    const resourceAt = (urn: string) =>
      (byUrn ??= new Map(args.resources.map((r) => [r.urn, r]))).get(urn);
    const run = newRun(
      policy,
      args,
      report,
      (urn) => tagsOf(resourceAt(urn)?.props),
      () => (declarations ??= declarationsIn(args.resources, policy.name)),
    );
    const unmatched = () => {
      const key = `${TAG_PREFIX}${policy.name}`;
      for (const r of args.resources) {
        const tags = tagsOf(r.props);
        if (key in tags) reportUnmatchedTag(run, r.urn, tags);
      }
    };
    return after(validate(args, exemptingReport(run, undefined, true)), () =>
      legacyKeysIn(run.config).length > 0
        ? reportLegacyExemptions(run, args, validate, undefined).then(unmatched)
        : unmatched(),
    );
  };
  return keepTypeTag(validate, wrapped);
}

/** Keeps the `__pulumiType` tag the server reads to skip a validation cheaply, and the types. */
function keepTypeTag<T extends object>(original: T, wrapped: T): T {
  const { __pulumiType: type, __sec1Types: types } = original as Record<string, unknown>;
  if (type !== undefined) (wrapped as { __pulumiType?: unknown }).__pulumiType = type;
  // The types a validateEachType checks: the declarations check reads them.
  if (types !== undefined) (wrapped as { __sec1Types?: unknown }).__sec1Types = types;
  return wrapped;
}

/**
 * One policy, exemption-aware: its settings gain EXEMPTION_SETTINGS. A resource policy on types
 * without tags runs as a stack policy (lib/resource-as-stack.ts), where declarations are visible.
 */
export function withExemption(original: Policy): Policy {
  const policy = asStackPolicy(original);
  const properties = { ...(policy.configSchema?.properties ?? {}), ...EXEMPTION_SETTINGS };
  const configSchema = { ...(policy.configSchema ?? {}), properties };
  const p = policy as Policy & {
    validateResource?: ResourceValidation | ResourceValidation[];
    validateStack?: StackValidation;
  };
  const wrapped: Record<string, unknown> = { ...policy, configSchema };
  if (p.validateResource) {
    wrapped.validateResource = Array.isArray(p.validateResource)
      ? p.validateResource.map((v) => wrapResource(policy, v))
      : wrapResource(policy, p.validateResource);
  }
  if (p.validateStack) wrapped.validateStack = wrapStack(policy, p.validateStack);
  return wrapped as unknown as Policy;
}

/** Marks a declaration as read by the declarations policy, and forgets the current call. */
export function takeConsidered(): Set<string> {
  const taken = new Set(considered);
  considered.clear();
  return taken;
}

/** Every policy wrapped, then the declarations policy (last: it reads what the others matched). */
export function withExemptions(policies: Policies, declarations: (all: Policies) => Policy) {
  const wrapped = policies.map(withExemption);
  return [...wrapped, declarations(wrapped)];
}

/**
 * IAM policy documents: parse (JSON string or object; anything malformed or unknown is "cannot
 * tell", never a throw), normalise statements, and evaluate a request against them the way IAM
 * does for one policy: an applicable Deny wins, else an applicable Allow, else implicit deny.
 *
 * The evaluator is three-valued: a condition operator we do not evaluate makes a statement
 * "maybe", and a decision that hinges on a "maybe" is "Unknown", so a policy never turns a guess
 * into a verdict. Cross-checked in tests against @cloud-copilot/iam-simulate (AGPL, tests only).
 */
import { hasUnknown } from "./values";
import {
  accountOfArn,
  arnLike,
  hasWildcard,
  parseArn,
  parseExecuteApiArn,
  roleArnOfSession,
  wildcardMatch,
} from "./arn";

/** Who a statement's Principal (or NotPrincipal) names. */
export interface Principals {
  /** `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers. */
  wildcard: boolean;
  aws: string[];
  service: string[];
  federated: string[];
  canonicalUser: string[];
}

/** One condition test: `{ "<operator>": { "<key>": values } }`. */
export interface ConditionClause {
  /** The operator as written, e.g. "ForAnyValue:StringNotEqualsIfExists". */
  operator: string;
  /** The operator without set prefix or IfExists suffix, e.g. "StringNotEquals". */
  base: string;
  setOperator?: "ForAnyValue" | "ForAllValues";
  ifExists: boolean;
  /** The condition key, lower-cased (keys are case-insensitive). */
  key: string;
  values: string[];
  /** False when we do not evaluate this operator: the clause is then "maybe". */
  supported: boolean;
}

/** A normalised statement: every list is an array, keys are optional only when absent. */
export interface Statement {
  /** Position in the document (0-based). */
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
  principal?: Principals;
  notPrincipal?: Principals;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditions: ConditionClause[];
}

/** A parsed policy document. */
export interface PolicyDocument {
  version?: string;
  statements: Statement[];
}

/** The outcome of parsing a policy value. */
export type ParsedPolicy =
  | { status: "ok"; document: PolicyDocument }
  /** No policy at all: undefined, null or an empty string. */
  | { status: "absent" }
  /** Not known during preview (the engine's unknown sentinel, anywhere in the value). */
  | { status: "unknown" }
  /** Not a policy document we can read: cannot tell what it means. */
  | { status: "malformed"; reason: string };

const SUPPORTED_OPERATORS = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Bool",
  "Null",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "IpAddress",
  "NotIpAddress",
]);

const NEGATED_OPERATORS = new Set([
  "StringNotEquals",
  "StringNotEqualsIgnoreCase",
  "StringNotLike",
  "ArnNotEquals",
  "ArnNotLike",
  "NumericNotEquals",
  "NotIpAddress",
]);

class Malformed extends Error {}

function fail(reason: string): never {
  throw new Malformed(reason);
}

function stringList(value: unknown, what: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(`${what} is an empty list`);
  return list.map((v) => {
    if (typeof v !== "string" || v === "") fail(`${what} holds a value that is not a string`);
    return v;
  });
}

function conditionValues(value: unknown, what: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === "string") return v;
    if (typeof v === "boolean" || typeof v === "number") return String(v);
    return fail(`${what} holds a value that is not a string, number or boolean`);
  });
}

function principals(value: unknown, what: string): Principals {
  const p: Principals = { wildcard: false, aws: [], service: [], federated: [], canonicalUser: [] };
  if (value === "*") return { ...p, wildcard: true };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(`${what} must be "*" or an object`);
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const list = stringList(v, `${what}.${k}`);
    switch (k) {
      case "AWS":
        if (list.includes("*")) p.wildcard = true;
        p.aws.push(...list.filter((x) => x !== "*"));
        break;
      case "Service":
        p.service.push(...list);
        break;
      case "Federated":
        p.federated.push(...list);
        break;
      case "CanonicalUser":
        p.canonicalUser.push(...list);
        break;
      default:
        fail(`${what} has an unknown key ${k}`);
    }
  }
  return p;
}

function conditions(value: unknown, what: string): ConditionClause[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(`${what} must be an object`);
  }
  const clauses: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value as Record<string, unknown>)) {
    if (block === null || typeof block !== "object" || Array.isArray(block)) {
      fail(`${what}.${operator} must be an object`);
    }
    let base = operator;
    let setOperator: ConditionClause["setOperator"];
    const colon = operator.indexOf(":");
    if (colon >= 0) {
      const prefix = operator.slice(0, colon);
      if (prefix !== "ForAnyValue" && prefix !== "ForAllValues") {
        fail(`${what} has an unknown operator prefix ${prefix}`);
      }
      setOperator = prefix;
      base = operator.slice(colon + 1);
    }
    const ifExists = base.endsWith("IfExists") && base !== "IfExists";
    if (ifExists) base = base.slice(0, -"IfExists".length);
    for (const [key, v] of Object.entries(block as Record<string, unknown>)) {
      clauses.push({
        operator,
        base,
        setOperator,
        ifExists,
        key: key.toLowerCase(),
        values: conditionValues(v, `${what}.${operator}.${key}`),
        supported: SUPPORTED_OPERATORS.has(base) && !(ifExists && base === "Null"),
      });
    }
  }
  return clauses;
}

function statement(value: unknown, index: number): Statement {
  const what = `Statement[${index}]`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(`${what} must be an object`);
  }
  const s = value as Record<string, unknown>;
  if (s.Effect !== "Allow" && s.Effect !== "Deny") fail(`${what}.Effect must be Allow or Deny`);
  const has = (k: string) => s[k] !== undefined;
  if (has("Action") === has("NotAction")) fail(`${what} needs exactly one of Action, NotAction`);
  if (has("Resource") && has("NotResource")) fail(`${what} has both Resource and NotResource`);
  if (!has("Resource") && !has("NotResource")) fail(`${what} needs Resource or NotResource`);
  if (has("Principal") && has("NotPrincipal")) fail(`${what} has Principal and NotPrincipal`);
  const out: Statement = { index, effect: s.Effect, conditions: conditions(s.Condition, what) };
  if (typeof s.Sid === "string") out.sid = s.Sid;
  if (has("Principal")) out.principal = principals(s.Principal, `${what}.Principal`);
  if (has("NotPrincipal")) out.notPrincipal = principals(s.NotPrincipal, `${what}.NotPrincipal`);
  if (has("Action")) out.action = stringList(s.Action, `${what}.Action`);
  if (has("NotAction")) out.notAction = stringList(s.NotAction, `${what}.NotAction`);
  if (has("Resource")) out.resource = stringList(s.Resource, `${what}.Resource`);
  if (has("NotResource")) out.notResource = stringList(s.NotResource, `${what}.NotResource`);
  return out;
}

/**
 * Parses a policy document given as a JSON string or an object. Never throws: unknown values
 * (preview) give "unknown", anything that is not a well-formed document gives "malformed".
 */
export function parsePolicyDocument(value: unknown): ParsedPolicy {
  if (value === undefined || value === null || value === "") return { status: "absent" };
  try {
    if (hasUnknown(value)) return { status: "unknown" };
    let doc: unknown = value;
    if (typeof value === "string") {
      try {
        doc = JSON.parse(value);
      } catch {
        return { status: "malformed", reason: "the policy is not valid JSON" };
      }
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      fail("the policy must be a JSON object");
    }
    const d = doc as Record<string, unknown>;
    if (d.Statement === undefined) fail("the policy has no Statement");
    const list = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
    const document: PolicyDocument = { statements: list.map((s, i) => statement(s, i)) };
    if (typeof d.Version === "string") document.version = d.Version;
    return { status: "ok", document };
  } catch (e) {
    if (e instanceof Malformed) return { status: "malformed", reason: e.message };
    return { status: "malformed", reason: "the policy could not be read" };
  }
}

/**
 * Parses a role's trust policy (`assumeRolePolicy`). Trust statements name no resource (the role
 * is it), so each statement without `Resource`/`NotResource` is read as `Resource: "*"`; anything
 * else is parsed as {@link parsePolicyDocument} parses it.
 */
export function parseTrustPolicy(value: unknown): ParsedPolicy {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch {
      return parsePolicyDocument(value); // reports it unreadable
    }
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return parsePolicyDocument(value);
  }
  const record = doc as Record<string, unknown>;
  if (record.Statement === undefined) return parsePolicyDocument(value);
  const list = Array.isArray(record.Statement) ? record.Statement : [record.Statement];
  const Statement = list.map((s) => {
    const st = s !== null && typeof s === "object" ? (s as Record<string, unknown>) : undefined;
    return st && st.Resource === undefined && st.NotResource === undefined
      ? { ...st, Resource: "*" }
      : s;
  });
  return parsePolicyDocument({ ...record, Statement });
}

/** Who makes a request. */
export interface RequestPrincipal {
  /** The caller's ARN (user, role, or an STS assumed-role session). */
  arn?: string;
  /** The caller's account; derived from `arn` when absent. */
  account?: string;
  /** A service principal such as "apigateway.amazonaws.com". */
  service?: string;
  /** An unsigned request. */
  anonymous?: boolean;
}

/** A request to evaluate. */
export interface RequestContext {
  principal: RequestPrincipal;
  /** e.g. "execute-api:Invoke". */
  action: string;
  /** The resource ARN, e.g. "arn:aws:execute-api:us-east-1:123456789012:a1b2c3/prod/GET/items". */
  resource: string;
  /**
   * Condition keys of the request (names case-insensitive), e.g. aws:SourceVpce, aws:SourceVpc.
   * aws:PrincipalArn and aws:PrincipalAccount are filled from `principal` when absent.
   */
  context?: Record<string, string | number | boolean | string[] | undefined>;
}

/** The decision of one policy for one request. */
export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny" | "Unknown";

/** How a statement relates to a request: applies, does not, or cannot tell. */
export type Applies = boolean | undefined;

/** Options of evaluation, for analyses that ask "what is the worst case?". */
export interface EvaluateOptions {
  /**
   * Decides a condition clause instead of evaluating it (return undefined to evaluate it).
   * Used to assume the caller satisfies every Allow condition and dodges every Deny condition
   * except those on the keys under test.
   */
  assume?: (clause: ConditionClause, statement: Statement) => boolean | undefined;
}

function principalMatches(p: Principals, principal: RequestPrincipal): boolean {
  if (p.wildcard) return true;
  if (principal.anonymous) return false;
  if (principal.service && p.service.includes(principal.service)) return true;
  const arn = principal.arn;
  const account = principal.account ?? (arn ? accountOfArn(arn) : undefined);
  const role = arn ? roleArnOfSession(arn) : undefined;
  return p.aws.some((entry) => {
    if (/^\d{12}$/.test(entry)) return entry === account;
    const e = parseArn(entry);
    if (e && e.service === "iam" && e.resource === "root") return e.account === account;
    return entry === arn || entry === role;
  });
}

function ipv4ToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((n) => n > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function ipMatch(cidr: string, ip: string): boolean | undefined {
  const [base, bitsText] = cidr.split("/");
  const b = ipv4ToNumber(base);
  const v = ipv4ToNumber(ip);
  if (b === undefined || v === undefined) return undefined; // IPv6 or junk: cannot tell
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (b & mask) === (v & mask);
}

/** The positive form of a base operator on one policy value and one context value. */
function matchOne(base: string, policyValue: string, ctx: string): boolean | undefined {
  switch (base) {
    case "StringEquals":
    case "StringNotEquals":
      return policyValue === ctx;
    case "StringEqualsIgnoreCase":
    case "StringNotEqualsIgnoreCase":
      return policyValue.toLowerCase() === ctx.toLowerCase();
    case "StringLike":
    case "StringNotLike":
      return wildcardMatch(policyValue, ctx);
    case "ArnEquals":
    case "ArnLike":
    case "ArnNotEquals":
    case "ArnNotLike":
      return arnLike(policyValue, ctx);
    case "Bool":
      return policyValue.toLowerCase() === ctx.toLowerCase();
    case "IpAddress":
    case "NotIpAddress":
      return ipMatch(policyValue, ctx);
    default: {
      const a = Number(ctx);
      const b = Number(policyValue);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
      if (base === "NumericEquals" || base === "NumericNotEquals") return a === b;
      if (base === "NumericLessThan") return a < b;
      if (base === "NumericLessThanEquals") return a <= b;
      if (base === "NumericGreaterThan") return a > b;
      if (base === "NumericGreaterThanEquals") return a >= b;
      return undefined;
    }
  }
}

/** Three-valued OR over a list. */
function anyOf<T>(items: T[], f: (x: T) => boolean | undefined): boolean | undefined {
  let maybe = false;
  for (const x of items) {
    const r = f(x);
    if (r === true) return true;
    if (r === undefined) maybe = true;
  }
  return maybe ? undefined : false;
}

/** Three-valued AND over a list. */
function allOf<T>(items: T[], f: (x: T) => boolean | undefined): boolean | undefined {
  let maybe = false;
  for (const x of items) {
    const r = f(x);
    if (r === false) return false;
    if (r === undefined) maybe = true;
  }
  return maybe ? undefined : true;
}

const not = (v: boolean | undefined) => (v === undefined ? undefined : !v);

function contextValues(request: RequestContext, key: string): string[] | undefined {
  let found: unknown;
  for (const [k, v] of Object.entries(request.context ?? {})) {
    if (k.toLowerCase() === key) found = v;
  }
  if (found === undefined) {
    const arn = request.principal.arn;
    if (key === "aws:principalarn" && arn) found = roleArnOfSession(arn);
    if (key === "aws:principalaccount")
      found = request.principal.account ?? accountOfArn(arn ?? "");
  }
  if (found === undefined || found === null) return undefined;
  return (Array.isArray(found) ? found : [found]).map(String);
}

/** Evaluates one condition clause against a request. */
export function evaluateCondition(clause: ConditionClause, request: RequestContext): Applies {
  if (!clause.supported) return undefined;
  const ctx = contextValues(request, clause.key);
  if (clause.base === "Null") {
    // {"Null": {"k": "true"}}: true when the key is absent.
    return anyOf(clause.values, (v) =>
      v.toLowerCase() === "true"
        ? ctx === undefined
        : v.toLowerCase() === "false"
          ? ctx !== undefined
          : undefined,
    );
  }
  const negated = NEGATED_OPERATORS.has(clause.base);
  if (ctx === undefined || ctx.length === 0) {
    if (clause.ifExists) return true;
    if (clause.setOperator === "ForAllValues") return true;
    if (clause.setOperator === "ForAnyValue") return false;
    return negated;
  }
  // The positive operator: does one context value match any policy value?
  const hit = (c: string) => anyOf(clause.values, (p) => matchOne(clause.base, p, c));
  if (clause.setOperator === "ForAllValues") {
    return allOf(ctx, (c) => (negated ? not(hit(c)) : hit(c)));
  }
  if (clause.setOperator === "ForAnyValue") {
    return anyOf(ctx, (c) => (negated ? not(hit(c)) : hit(c)));
  }
  return negated ? not(anyOf(ctx, hit)) : anyOf(ctx, hit);
}

/**
 * Expands API Gateway's `execute-api:/<stage>/<METHOD>/<path>` shorthand (resource policies of
 * REST APIs) against the API the request goes to.
 */
export function expandExecuteApiShorthand(pattern: string, requestResource: string): string {
  if (!pattern.startsWith("execute-api:/")) return pattern;
  const target = parseExecuteApiArn(requestResource);
  if (!target) return pattern;
  const prefix = `arn:${target.partition}:execute-api:${target.region}:${target.account}:${target.apiId}`;
  return `${prefix}/${pattern.slice("execute-api:/".length)}`;
}

function resourceMatches(patterns: string[], resource: string): boolean {
  return patterns.some((p) => wildcardMatch(expandExecuteApiShorthand(p, resource), resource));
}

function actionMatches(patterns: string[], action: string): boolean {
  return patterns.some((p) => wildcardMatch(p, action, true));
}

/** Whether a statement applies to a request (true / false / cannot tell). */
export function statementApplies(
  s: Statement,
  request: RequestContext,
  options: EvaluateOptions = {},
): Applies {
  if (s.principal && !principalMatches(s.principal, request.principal)) return false;
  if (s.notPrincipal && principalMatches(s.notPrincipal, request.principal)) return false;
  if (s.action && !actionMatches(s.action, request.action)) return false;
  if (s.notAction && actionMatches(s.notAction, request.action)) return false;
  if (s.resource && !resourceMatches(s.resource, request.resource)) return false;
  if (s.notResource && resourceMatches(s.notResource, request.resource)) return false;
  return allOf(s.conditions, (c) => options.assume?.(c, s) ?? evaluateCondition(c, request));
}

/**
 * The decision of one policy document for a request: an applicable Deny → ExplicitDeny, else an
 * applicable Allow → Allow, else ImplicitDeny; "Unknown" when a statement that could change the
 * outcome cannot be decided.
 */
export function evaluatePolicy(
  doc: PolicyDocument,
  request: RequestContext,
  options: EvaluateOptions = {},
): Decision {
  let maybeDeny = false;
  let allow = false;
  let maybeAllow = false;
  for (const s of doc.statements) {
    const applies = statementApplies(s, request, options);
    if (s.effect === "Deny") {
      if (applies === true) return "ExplicitDeny";
      if (applies === undefined) maybeDeny = true;
    } else if (applies === true) allow = true;
    else if (applies === undefined) maybeAllow = true;
  }
  if (maybeDeny) return allow || maybeAllow ? "Unknown" : "ImplicitDeny";
  if (allow) return "Allow";
  return maybeAllow ? "Unknown" : "ImplicitDeny";
}

// ---------------------------------------------------------------------------------------------
// Analyses for the SEC1 policies.

/** The execute-api action that calls an API. */
export const INVOKE = "execute-api:Invoke";

/** True when the statement's Action / NotAction reaches `execute-api:Invoke`. */
export function reachesInvoke(s: Statement): boolean {
  if (s.action) return actionMatches(s.action, INVOKE);
  return s.notAction !== undefined && !actionMatches(s.notAction, INVOKE);
}

/** The condition keys that pin a request to a VPC endpoint or VPC. */
export const VPC_KEYS = ["aws:sourcevpce", "aws:sourcevpc"];

/** The outcome of {@link findUnrestrictedInvoke}. */
export interface UnrestrictedInvoke {
  /** "open": a caller outside the allowed VPC endpoints/VPCs gets in; "unknown": cannot tell. */
  verdict: "open" | "restricted" | "unknown";
  /** The Allow statements that let such a caller in. */
  statements: Statement[];
}

const PROBE_API = "arn:aws:execute-api:us-east-1:000000000000:sec1probe0";
const PROBE_PRINCIPAL = "arn:aws:iam::000000000000:role/sec1-probe";
const PROBE_VPCE = "vpce-0sec1probe0000000";
const PROBE_VPC = "vpc-0sec1probe0000000";

/** Realistic request resources (api/stage/METHOD/path) built from what the policy names. */
function probeResources(doc: PolicyDocument): string[] {
  const prefixes = new Set<string>([PROBE_API]);
  const stages = new Set<string>(["sec1probe"]);
  const methods = new Set<string>(["GET", "POST"]);
  const paths = new Set<string>(["sec1probe"]);
  for (const s of doc.statements) {
    for (const pattern of [...(s.resource ?? []), ...(s.notResource ?? [])]) {
      let rest: string | undefined;
      if (pattern.startsWith("execute-api:/")) rest = pattern.slice("execute-api:/".length);
      else {
        const arn = parseArn(pattern);
        if (!arn || !wildcardMatch(arn.service, "execute-api", true)) continue;
        const slash = arn.resource.indexOf("/");
        const apiId = slash < 0 ? arn.resource : arn.resource.slice(0, slash);
        const concrete = (x: string) => x.replace(/[*?]/g, "x");
        prefixes.add(
          `arn:${concrete(arn.partition)}:execute-api:${concrete(arn.region)}:${concrete(arn.account)}:${concrete(apiId)}`,
        );
        rest = slash < 0 ? undefined : arn.resource.slice(slash + 1);
      }
      const [stage, method, ...path] = (rest ?? "").split("/");
      if (stage && !hasWildcard(stage)) stages.add(stage);
      if (method && !hasWildcard(method)) methods.add(method);
      if (path.length > 0) paths.add(path.join("/").replace(/[*?]/g, "x"));
    }
  }
  const out: string[] = [];
  for (const prefix of prefixes) {
    for (const stage of stages) {
      for (const method of methods) {
        for (const path of paths) out.push(`${prefix}/${stage}/${method}/${path}`);
        if (out.length > 2_000) return out;
      }
    }
  }
  return out;
}

/**
 * Does the resource policy let a caller from outside the allowed VPC endpoints and VPCs invoke
 * the API? Answers by evaluation, not by reading the text: a request from an unlisted VPC
 * endpoint and VPC, by a principal no statement names, to every stage/method/path the policy
 * mentions, with every other condition assumed to go the caller's way (Allow conditions met,
 * Deny conditions dodged). So an Allow for `*` limited by aws:SourceVpce/aws:SourceVpc, or a
 * Deny with StringNotEquals on them that covers the Allows, is "restricted"; anything else that
 * lets the probe in is "open".
 */
export function findUnrestrictedInvoke(
  doc: PolicyDocument,
  options: {
    /**
     * Also probe a request that comes through no VPC endpoint (no aws:SourceVpce/aws:SourceVpc
     * keys at all), as a public (EDGE/REGIONAL) API receives from the internet; then an Allow
     * limited only by `...IfExists` on those keys lets it in. A PRIVATE API is reached only
     * through interface endpoints, so its requests always carry the keys.
     */
    fromOutsideAnyVpc?: boolean;
  } = {},
): UnrestrictedInvoke {
  const assume = (clause: ConditionClause, s: Statement) =>
    VPC_KEYS.includes(clause.key) ? undefined : s.effect === "Allow";
  const contexts: RequestContext["context"][] = [
    { "aws:SourceVpce": PROBE_VPCE, "aws:SourceVpc": PROBE_VPC },
  ];
  if (options.fromOutsideAnyVpc) contexts.push({});
  const requests = probeResources(doc).flatMap((resource) =>
    contexts.map((context) => ({
      principal: { arn: PROBE_PRINCIPAL },
      action: INVOKE,
      resource,
      context,
    })),
  );
  return openStatements(doc, requests, { assume });
}

/** The Allow statements that let one of the requests in ("unknown" when a decision hinges). */
function openStatements(
  doc: PolicyDocument,
  requests: RequestContext[],
  options: EvaluateOptions,
): UnrestrictedInvoke {
  const open = new Map<number, Statement>();
  let maybe = false;
  for (const request of requests) {
    const decision = evaluatePolicy(doc, request, options);
    if (decision === "Unknown") maybe = true;
    if (decision !== "Allow") continue;
    for (const s of doc.statements) {
      if (s.effect === "Allow" && statementApplies(s, request, options) === true) {
        open.set(s.index, s);
      }
    }
  }
  if (open.size > 0) return { verdict: "open", statements: [...open.values()] };
  return { verdict: maybe ? "unknown" : "restricted", statements: [] };
}

/**
 * The condition keys that pin a caller to an account, an organization, named principals or a
 * network, so a principal of some other account does not match them: aws:SourceVpce and
 * aws:SourceVpc (a public API's internet callers carry neither), aws:PrincipalOrgID and
 * aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn, aws:userid, and aws:SourceIp
 * or aws:VpcSourceIp limited to ranges of /8 or narrower (/32 for IPv6). Keys a caller controls
 * for itself (aws:PrincipalTag, aws:RequestTag, aws:username) restrict no one.
 */
const ACCOUNT_PINNING_KEYS = [
  ...VPC_KEYS,
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:userid",
];
const IP_KEYS = ["aws:sourceip", "aws:vpcsourceip"];

const OUTSIDER: RequestPrincipal = { arn: "arn:aws:iam::000000000000:role/sec1-outsider" };
const OUTSIDER_CONTEXT: RequestContext["context"] = {
  "aws:PrincipalOrgID": "o-sec1outsider",
  "aws:PrincipalOrgPaths": "o-sec1outsider/r-sec1/ou-sec1/",
  "aws:userid": "AROASEC1OUTSIDER:session",
};

/** True when every range of an IP condition is narrow (a /8 or smaller IPv4, /32 or smaller IPv6). */
function narrowRanges(values: string[]): boolean {
  return values.every((v) => {
    const [base, bits] = v.split("/");
    const prefix = bits === undefined ? (base.includes(":") ? 128 : 32) : Number(bits);
    return Number.isInteger(prefix) && prefix >= (base.includes(":") ? 32 : 8);
  });
}

/** How an outsider's request meets a condition: evaluated on pinning keys, else its way. */
function outsiderAssumption(clause: ConditionClause, s: Statement): boolean | undefined {
  if (
    IP_KEYS.includes(clause.key) &&
    (clause.base === "IpAddress" || clause.base === "NotIpAddress")
  ) {
    const inside = !narrowRanges(clause.values); // a wide range holds every caller
    return clause.base === "IpAddress" ? inside : !inside;
  }
  return ACCOUNT_PINNING_KEYS.includes(clause.key) ? undefined : s.effect === "Allow";
}

/**
 * Does a REST API's resource policy let a principal of any AWS account invoke it? With AWS_IAM
 * methods, a cross-account caller needs an Allow in the resource policy and one in its own
 * identity policy (API Gateway, "How API Gateway resource policies affect authorization
 * workflow"); the second is in the caller's hands, so an Allow for `*` that nothing pins opens
 * the API to every SigV4-signed principal. Evaluated with a request from another account, its
 * organization and a public address, through no VPC endpoint; every condition on other keys is
 * assumed to go the caller's way.
 */
export function findAnyAccountInvoke(doc: PolicyDocument): UnrestrictedInvoke {
  const requests = probeResources(doc).map((resource) => ({
    principal: OUTSIDER,
    action: INVOKE,
    resource,
    context: OUTSIDER_CONTEXT,
  }));
  return openStatements(doc, requests, { assume: outsiderAssumption });
}

/** How narrowly a grant names what may be invoked, broadest first. */
export type InvokeScope = "any" | "api" | "stage" | "method" | "path";

/** The order of {@link InvokeScope}s, broadest first. */
export const INVOKE_SCOPES: InvokeScope[] = ["any", "api", "stage", "method", "path"];

/** What a grant of each scope lets its caller invoke, for messages. */
export const SCOPE_WORDS: Record<InvokeScope, string> = {
  any: "every API",
  api: "the whole API",
  stage: "a whole stage",
  method: "every path of a method",
  path: "a method and path",
};

/** The scope of what follows `<apiId>/` in an execute-api resource. */
function scopeOfRest(rest: string | undefined): InvokeScope {
  if (rest === undefined || rest === "" || rest === "*") return "api";
  const [stage, method, ...path] = rest.split("/");
  if (!stage || hasWildcard(stage)) return "api";
  if (!method || hasWildcard(method)) return "stage";
  const p = path.join("/");
  if (p === "" || p === "*") return "method";
  return "path";
}

/**
 * The scope of one Resource pattern for execute-api, or undefined when it cannot name an
 * execute-api resource at all (e.g. an S3 ARN). "any" is `*`, a wildcard service, or a
 * wildcard/missing API id (account-wide); `execute-api:/...` is relative to the API it is
 * attached to.
 */
export function scopeOfResource(pattern: string): InvokeScope | undefined {
  if (pattern === "*") return "any";
  if (pattern.startsWith("execute-api:/"))
    return scopeOfRest(pattern.slice("execute-api:/".length));
  const arn = parseArn(pattern);
  if (!arn)
    return hasWildcard(pattern) && wildcardMatch(pattern, "arn:aws:execute-api:x:x:x/x")
      ? "any"
      : undefined;
  if (!wildcardMatch(arn.service, "execute-api", true)) return undefined;
  if (hasWildcard(arn.service)) return "any";
  const slash = arn.resource.indexOf("/");
  const apiId = slash < 0 ? arn.resource : arn.resource.slice(0, slash);
  if (apiId === "" || hasWildcard(apiId)) return "any";
  return scopeOfRest(slash < 0 ? undefined : arn.resource.slice(slash + 1));
}

/** An Allow that reaches execute-api:Invoke, and how narrow it is. */
export interface InvokeGrant {
  statement: Statement;
  /** The broadest scope among its resources ("any" for NotResource). */
  scope: InvokeScope;
  /** The resource pattern that gives that scope ("NotResource" for NotResource grants). */
  broadest: string;
  /** The grant uses NotAction (it reaches Invoke because Invoke is not excluded). */
  viaNotAction: boolean;
  /** The grant uses NotResource. */
  viaNotResource: boolean;
}

/** Every Allow statement that reaches execute-api:Invoke, with its scope. */
export function invokeGrants(doc: PolicyDocument): InvokeGrant[] {
  const grants: InvokeGrant[] = [];
  for (const s of doc.statements) {
    if (s.effect !== "Allow" || !reachesInvoke(s)) continue;
    const viaNotAction = s.notAction !== undefined;
    if (s.notResource) {
      grants.push({
        statement: s,
        scope: "any",
        broadest: "NotResource",
        viaNotAction,
        viaNotResource: true,
      });
      continue;
    }
    let scope: InvokeScope | undefined;
    let broadest = "";
    for (const r of s.resource ?? []) {
      const sc = scopeOfResource(r);
      if (sc === undefined) continue;
      if (scope === undefined || INVOKE_SCOPES.indexOf(sc) < INVOKE_SCOPES.indexOf(scope)) {
        scope = sc;
        broadest = r;
      }
    }
    if (scope !== undefined) {
      grants.push({ statement: s, scope, broadest, viaNotAction, viaNotResource: false });
    }
  }
  return grants;
}

/** A short label for a statement in messages: its Sid, or its position. */
export function statementLabel(s: Statement): string {
  return s.sid ? `statement '${s.sid}'` : `statement ${s.index + 1}`;
}

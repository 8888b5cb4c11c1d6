/**
 * Reading resources the way the analyzer hands them over, for the A, K and X policies.
 *
 * The policy SDK wraps `props` in a proxy that throws on any unknown value; the server turns that
 * into a "can't run during preview" advisory. We unwrap it and treat unknowns ourselves, so a
 * policy decides per property and stays silent only where it really cannot know.
 */
import { PolicyResource } from "@pulumi/policy";
import { asRecord, hasUnknown } from "./values";

/** Type tokens of the resources these policies follow across the stack. */
export const TYPES = {
  restApi: "aws:apigateway/restApi:RestApi",
  restStage: "aws:apigateway/stage:Stage",
  restMethod: "aws:apigateway/method:Method",
  restAuthorizer: "aws:apigateway/authorizer:Authorizer",
  methodSettings: "aws:apigateway/methodSettings:MethodSettings",
  usagePlan: "aws:apigateway/usagePlan:UsagePlan",
  usagePlanKey: "aws:apigateway/usagePlanKey:UsagePlanKey",
  apiKey: "aws:apigateway/apiKey:ApiKey",
  restDomainName: "aws:apigateway/domainName:DomainName",
  httpApi: "aws:apigatewayv2/api:Api",
  httpRoute: "aws:apigatewayv2/route:Route",
  httpAuthorizer: "aws:apigatewayv2/authorizer:Authorizer",
  httpStage: "aws:apigatewayv2/stage:Stage",
  httpDomainName: "aws:apigatewayv2/domainName:DomainName",
  graphQLApi: "aws:appsync/graphQLApi:GraphQLApi",
  appsyncApiKey: "aws:appsync/apiKey:ApiKey",
  identityPool: "aws:cognito/identityPool:IdentityPool",
  functionUrl: "aws:lambda/functionUrl:FunctionUrl",
  webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
  restApiPolicy: "aws:apigateway/restApiPolicy:RestApiPolicy",
  restIntegration: "aws:apigateway/integration:Integration",
  httpIntegration: "aws:apigatewayv2/integration:Integration",
  appsyncDataSource: "aws:appsync/dataSource:DataSource",
  vpcEndpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  lambdaFunction: "aws:lambda/function:Function",
  lambdaPermission: "aws:lambda/permission:Permission",
} as const;

/**
 * The plain property bag behind the SDK's unknown-checking proxy (or the bag itself in direct
 * calls). Never throws; anything that is not an object reads as an empty bag.
 */
export function rawProps(props: unknown): Record<string, unknown> {
  if (props === null || typeof props !== "object") return {};
  const cached = rawPropsCache.get(props);
  if (cached) return cached;
  let result: Record<string, unknown> | undefined;
  try {
    result = asRecord((props as Record<string, unknown>)["__getSpecialProxyTarget"]);
  } catch {
    // not a proxy, or a hostile getter: fall through to the value itself
  }
  result ??= asRecord(props) ?? {};
  rawPropsCache.set(props, result);
  return result;
}

/**
 * Stack policies look at the same resources many times (every stage against every settings
 * resource); unwrapping a proxy is the costly part, so it is done once per props object.
 */
const rawPropsCache = new WeakMap<object, Record<string, unknown>>();

/** The stack name in a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`), or undefined. */
export function stackOfUrn(urn: unknown): string | undefined {
  if (typeof urn !== "string" || !urn.startsWith("urn:pulumi:")) return undefined;
  const head = urn.split("::")[0];
  return head.slice("urn:pulumi:".length) || undefined;
}

const globs = new Map<string, RegExp>();

/**
 * True when `text` matches a pattern in which `*` stands for any run of characters
 * (case-insensitive). Patterns come from policy config and are few: compiled once each.
 */
export function matchesGlob(text: string, pattern: string): boolean {
  let re = globs.get(pattern);
  if (!re) {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    re = new RegExp(`^${escaped}$`, "i");
    if (globs.size >= 1_000) globs.clear();
    globs.set(pattern, re);
  }
  return re.test(text);
}

/** True when `name` matches one of the patterns (`*` wildcards, case-insensitive). */
export function matchesAnyGlob(name: string, patterns: string[]): boolean {
  return patterns.some((p) => matchesGlob(name, p));
}

const byTypeCache = new WeakMap<object, Map<string, PolicyResource[]>>();

/**
 * Resources of one type token in a stack, tolerant of a malformed list. The stack is grouped by
 * type once (stack policies ask for the same types many times, per resource they look at).
 */
export function ofType(resources: unknown, type: string): PolicyResource[] {
  if (!Array.isArray(resources)) return [];
  let byType = byTypeCache.get(resources);
  if (!byType) {
    byType = new Map();
    for (const r of resources) {
      if (asRecord(r) === undefined) continue;
      const t = (r as PolicyResource).type;
      if (typeof t !== "string") continue;
      addTo(byType, t, r as PolicyResource);
    }
    byTypeCache.set(resources, byType);
  }
  return byType.get(type) ?? [];
}

/** What a reference from one resource to others resolved to. */
export type Reference =
  { kind: "found"; resources: PolicyResource[] } | { kind: "unknown" } | { kind: "none" };

/**
 * Which of `candidates` the property `prop` of `from` refers to. First by property dependencies
 * (set whenever the value came from another resource's output, so this works in preview), then
 * by comparing a known string with each candidate's `matchProps` (default: its id). When the
 * value, or a candidate's id, is unknown and nothing matched, the answer is "unknown".
 */
export function resolveReference(
  from: PolicyResource,
  prop: string,
  candidates: PolicyResource[],
  matchProps: string[] = ["id"],
  matches: (value: string, candidate: PolicyResource) => boolean = NO_MATCH,
): Reference {
  const index = candidates.length >= INDEX_FROM ? candidateIndex(candidates) : undefined;
  const deps = asRecord(from.propertyDependencies)?.[prop];
  if (Array.isArray(deps)) {
    const found = index
      ? inPositionOrder(index.position, deps)
      : candidates.filter((c) => deps.includes(c));
    if (found.length > 0) return { kind: "found", resources: found };
  }
  const value = rawProps(from.props)[prop];
  if (value === undefined || value === null) return { kind: "none" };
  if (hasUnknown(value) || typeof value !== "string") return { kind: "unknown" };
  if (index && matches === NO_MATCH) {
    const byValue = valuesOf(index, matchProps);
    const found = byValue.values.get(value);
    if (found) return { kind: "found", resources: [...found] };
    return byValue.someUnknown ? { kind: "unknown" } : { kind: "none" };
  }
  const found = candidates.filter((c) => {
    const props = rawProps(c.props);
    return matchProps.some((m) => props[m] === value) || matches(value, c);
  });
  if (found.length > 0) return { kind: "found", resources: found };
  // A candidate whose id is not known yet may still be the one this value names.
  const someUnknown = candidates.some((c) => {
    const props = rawProps(c.props);
    return matchProps.some((m) => props[m] === undefined || hasUnknown(props[m]));
  });
  return someUnknown ? { kind: "unknown" } : { kind: "none" };
}

/** The default `matches` of resolveReference: nothing beyond the `matchProps` values. */
const NO_MATCH = (): boolean => false;

/**
 * From this many candidates on, resolveReference looks them up through an index built once per
 * candidate list (lists come from ofType, one per stack and type), not by scanning the list for
 * each resource: a stack with thousands of stages, routes or keys stays linear.
 */
const INDEX_FROM = 16;

interface CandidateIndex {
  candidates: PolicyResource[];
  position: Map<PolicyResource, number>;
  /** Per matchProps list: candidates by each string value, and whether one value is missing. */
  byProps: Map<string, { values: Map<string, PolicyResource[]>; someUnknown: boolean }>;
}

const candidateIndexes = new WeakMap<PolicyResource[], CandidateIndex | null>();

/** The list's index, or undefined when it holds a resource twice (scanning keeps duplicates). */
function candidateIndex(candidates: PolicyResource[]): CandidateIndex | undefined {
  const cached = candidateIndexes.get(candidates);
  if (cached !== undefined) return cached ?? undefined;
  const position = new Map<PolicyResource, number>();
  candidates.forEach((c, i) => position.set(c, i));
  const index =
    position.size === candidates.length ? { candidates, position, byProps: new Map() } : null;
  candidateIndexes.set(candidates, index);
  return index ?? undefined;
}

/** The items that have a position, once each, in the order of their positions. */
export function inPositionOrder<T>(position: Map<T, number>, items: Iterable<unknown>): T[] {
  const hits = new Set([...items].filter((item) => position.has(item as T)) as T[]);
  return [...hits].sort((a, b) => position.get(a)! - position.get(b)!);
}

/** Appends `value` to the list under `key`, starting the list if there is none. */
export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Candidates by the string value of any of `matchProps`, in list order. */
function valuesOf(index: CandidateIndex, matchProps: string[]) {
  const key = matchProps.join("\u0000");
  let entry = index.byProps.get(key);
  if (entry) return entry;
  entry = { values: new Map<string, PolicyResource[]>(), someUnknown: false };
  for (const c of index.candidates) {
    const props = rawProps(c.props);
    const seen = new Set<string>();
    for (const m of matchProps) {
      const v = props[m];
      if (v === undefined || hasUnknown(v)) entry.someUnknown = true;
      if (typeof v !== "string" || seen.has(v)) continue;
      seen.add(v);
      addTo(entry.values, v, c);
    }
  }
  index.byProps.set(key, entry);
  return entry;
}

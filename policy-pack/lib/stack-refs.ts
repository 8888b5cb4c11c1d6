/**
 * Reading resources the way the analyzer hands them over, for the A, K and X policies.
 *
 * The policy SDK wraps `props` in a proxy that throws on any unknown value; the server turns that
 * into a "can't run during preview" advisory. We unwrap it and treat unknowns ourselves, so a
 * policy decides per property and stays silent only where it really cannot know.
 */
import { PolicyResource } from "@pulumi/policy";
import { asRecord, containsUnknown, UNKNOWN_SENTINEL } from "./values";

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
} as const;

/** Every sentinel the engine uses for a value unknown during preview (one per value kind). */
const SENTINELS = new Set([
  UNKNOWN_SENTINEL, // string
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** True for any of the engine's unknown sentinels, or a string with an interpolated unknown. */
export function isUnknownValue(value: unknown): boolean {
  return typeof value === "string" && (SENTINELS.has(value) || value.includes(UNKNOWN_SENTINEL));
}

/** True when the value or anything nested in it is unknown, whatever its kind. */
export function hasUnknown(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (isUnknownValue(value) || containsUnknown(value)) return true;
  if (Array.isArray(value)) return value.some((v) => hasUnknown(v, depth + 1));
  const record = asRecord(value);
  return record !== undefined && Object.values(record).some((v) => hasUnknown(v, depth + 1));
}

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

/** A known string (not unknown), trimmed of nothing; undefined otherwise. */
export function knownString(value: unknown): string | undefined {
  return typeof value === "string" && !isUnknownValue(value) ? value : undefined;
}

/** A list of known non-empty strings, undefined if the list (or any element) is unknown. */
export function knownStrings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (isUnknownValue(value)) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.some((v) => isUnknownValue(v))) return undefined;
  return list.filter((v): v is string => typeof v === "string" && v.trim() !== "");
}

/** The stack name in a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`), or undefined. */
export function stackOfUrn(urn: unknown): string | undefined {
  if (typeof urn !== "string" || !urn.startsWith("urn:pulumi:")) return undefined;
  const head = urn.split("::")[0];
  return head.slice("urn:pulumi:".length) || undefined;
}

/** True when `text` matches a pattern in which `*` stands for any run of characters. */
export function matchesGlob(text: string, pattern: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, "i").test(text);
}

/** Resources of one type token in a stack, tolerant of a malformed list. */
export function ofType(resources: unknown, type: string): PolicyResource[] {
  if (!Array.isArray(resources)) return [];
  return resources.filter(
    (r): r is PolicyResource => asRecord(r) !== undefined && (r as PolicyResource).type === type,
  );
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
  matches: (value: string, candidate: PolicyResource) => boolean = () => false,
): Reference {
  const deps = asRecord(from.propertyDependencies)?.[prop];
  if (Array.isArray(deps)) {
    const found = candidates.filter((c) => deps.includes(c));
    if (found.length > 0) return { kind: "found", resources: found };
  }
  const value = rawProps(from.props)[prop];
  if (value === undefined || value === null) return { kind: "none" };
  if (hasUnknown(value) || typeof value !== "string") return { kind: "unknown" };
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

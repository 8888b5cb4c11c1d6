/**
 * Endpoint facts shared by the E and I policies: a REST API's endpoint types (string in
 * @pulumi/aws 7, array in older stacks, EDGE when unset), whether an API counts as internal, and
 * the resource policies that belong to a REST API across the stack.
 */
import { PolicyResource } from "@pulumi/policy";
import { matchesGlob, ofType, rawProps, resolveReference, TYPES } from "./stack-refs";
import { asRecord, hasUnknown } from "./values";

/**
 * The endpoint types of a REST API's inputs, upper-cased: EDGE when `endpointConfiguration` (or
 * its `types`) is unset, as API Gateway does; undefined when unknown or malformed.
 */
export function endpointTypes(props: Record<string, unknown>): string[] | undefined {
  const config = props.endpointConfiguration;
  if (config === undefined || config === null) return ["EDGE"];
  if (hasUnknown(config)) return undefined;
  const record = asRecord(config);
  if (!record) return undefined;
  const types = record.types;
  if (types === undefined || types === null) return ["EDGE"];
  const list = Array.isArray(types) ? types : [types];
  if (list.length === 0) return ["EDGE"];
  if (!list.every((t) => typeof t === "string")) return undefined;
  return (list as string[]).map((t) => t.toUpperCase());
}

/** True / false / undefined (unknown) for "this resource is a PRIVATE REST API". */
export function isPrivateRestApi(resource: PolicyResource): boolean | undefined {
  const types = endpointTypes(rawProps(resource.props));
  return types === undefined ? undefined : types.includes("PRIVATE");
}

/** Which APIs count as internal (policy config shared by several E policies). */
export interface InternalRule {
  /**
   * Tag key that marks an API as internal.
   * @default "api-visibility"
   */
  internalTagKey: string;
  /**
   * Value of that tag that means internal (case-insensitive).
   * @default "internal"
   */
  internalTagValue: string;
  /**
   * Glob (`*` wildcards, case-insensitive) on the API's name that marks it internal; "" = none.
   * @default ""
   */
  internalNamePattern: string;
}

/** The config schema properties of {@link InternalRule}. */
export const INTERNAL_RULE_SCHEMA = {
  internalTagKey: {
    type: "string" as const,
    default: "api-visibility",
    description: "Tag key that marks an API as internal.",
  },
  internalTagValue: {
    type: "string" as const,
    default: "internal",
    description: "Value of that tag (case-insensitive) that marks an API as internal.",
  },
  internalNamePattern: {
    type: "string" as const,
    default: "",
    description: "Glob on the API name (`*` wildcards) that marks it internal; empty: none.",
  },
};

/**
 * Whether an API is internal by the rule: its tag, or its name (the `name` input, else the
 * logical name). True when we know, false when we know it is not, undefined when the tags or
 * name are unknown and nothing else said yes.
 */
export function isInternal(
  props: Record<string, unknown>,
  logicalName: string,
  rule: InternalRule,
): boolean | undefined {
  let unknown = false;
  const tags = props.tags;
  if (rule.internalTagKey !== "" && tags !== undefined && tags !== null) {
    if (hasUnknown(tags) && !asRecord(tags)) unknown = true;
    else {
      const value = asRecord(tags)?.[rule.internalTagKey];
      if (typeof value === "string" && hasUnknown(value)) unknown = true;
      else if (
        typeof value === "string" &&
        value.toLowerCase() === rule.internalTagValue.toLowerCase()
      ) {
        return true;
      }
    }
  }
  if (rule.internalNamePattern !== "") {
    const name = props.name === undefined ? logicalName : props.name;
    if (typeof name !== "string" || hasUnknown(name)) unknown = true;
    else if (matchesGlob(name, rule.internalNamePattern)) return true;
  }
  return unknown ? undefined : false;
}

/** A resource policy document of a REST API, and where it lives. */
export interface RestApiPolicyDocument {
  /** The REST API the policy belongs to. */
  api: PolicyResource;
  /** The resource carrying the document: the API itself (inline) or a RestApiPolicy. */
  holder: PolicyResource;
  /** The raw document (string or object, maybe unknown). */
  document: unknown;
}

/** A RestApiPolicy for a REST API that is not in the stack. */
export interface OutsideApiPolicy {
  holder: PolicyResource;
  /** The API's id, as the program wrote it. */
  restApiId: string;
  document: unknown;
}

/**
 * The id a RestApiPolicy names when its API is outside the stack: `restApiId` is a known string
 * that came from no REST API of the stack (its property dependencies, which an input taken from
 * a resource's output always has, name none: a literal, config, or a stack reference) and is no
 * known id of a REST API in the stack.
 */
function outsideApiId(holder: PolicyResource, apis: PolicyResource[]): string | undefined {
  const id = rawProps(holder.props).restApiId;
  if (typeof id !== "string" || id === "" || hasUnknown(id)) return undefined;
  const deps = asRecord(holder.propertyDependencies)?.restApiId;
  if (Array.isArray(deps) && deps.some((d) => apis.includes(d as PolicyResource))) return undefined;
  return apis.some((a) => rawProps(a.props).id === id) ? undefined : id;
}

/**
 * The resource policies of each REST API in the stack: inline `policy` and every RestApiPolicy
 * whose `restApiId` refers to it (by property dependency or id). Also returns, per API, whether
 * some RestApiPolicy might belong to it but we cannot tell (unknown ids in preview), and the
 * RestApiPolicies of APIs outside the stack.
 */
export function restApiPolicies(resources: PolicyResource[]): {
  documents: RestApiPolicyDocument[];
  maybe: Set<PolicyResource>;
  outside: OutsideApiPolicy[];
} {
  const apis = ofType(resources, TYPES.restApi);
  const documents: RestApiPolicyDocument[] = [];
  const maybe = new Set<PolicyResource>();
  const outside: OutsideApiPolicy[] = [];
  for (const api of apis) {
    const inline = rawProps(api.props).policy;
    if (inline !== undefined && inline !== null && inline !== "") {
      documents.push({ api, holder: api, document: inline });
    }
  }
  for (const holder of ofType(resources, TYPES.restApiPolicy)) {
    const document = rawProps(holder.props).policy;
    const restApiId = outsideApiId(holder, apis);
    if (restApiId !== undefined) {
      outside.push({ holder, restApiId, document });
      continue;
    }
    const ref = resolveReference(holder, "restApiId", apis);
    if (ref.kind === "found") {
      for (const api of ref.resources) documents.push({ api, holder, document });
    } else if (ref.kind === "unknown") {
      for (const api of apis) maybe.add(api);
    }
  }
  return { documents, maybe, outside };
}

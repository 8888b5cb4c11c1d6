/**
 * The vocabulary of the access model (callers, hops, entry points, the model's interface) and
 * the small helpers every entry-point builder uses. Its own module so that the builders
 * (access-model.ts, access-rest.ts) import it and not each other.
 */
import { PolicyResource } from "@pulumi/policy";
import { RoleStatements } from "./role-reach";
import { Ref, StackIndex } from "./stack-index";

/** Who calls: the kinds of principal the model knows. */
export type CallerKind =
  "anyone" | "api-key" | "signed-in" | "lambda-authorizer" | "iam" | "guest" | "identity-pool-user";

/** A principal that may call an entry point. */
export interface Caller {
  kind: CallerKind;
  /** e.g. "anyone on the internet", "signed-in users of user pool identity-user-pool". */
  label: string;
}

/** One step of what an entry point reaches: a function, a table, a data source, a route. */
export interface Hop {
  label: string;
  /** The resource this step is (absent for things outside the stack). */
  resource?: PolicyResource;
  /** The actions a role allows on this step's resource (tables, buckets), short names. */
  actions?: string[];
  next: Hop[];
}

/** The kinds of entry point. */
export type EntryKind =
  | "rest-method"
  | "openapi-operation"
  | "http-route"
  | "websocket-route"
  | "appsync-field"
  | "function-url";

/** An operation someone may call, who may, and what it reaches. */
export interface EntryPoint {
  kind: EntryKind;
  /** The resource a diagnostic about this entry point is reported on. */
  resource: PolicyResource;
  /** The API it belongs to, when known. */
  api?: PolicyResource;
  /** Upper-case HTTP method of REST and HTTP entries (for the CORS-preflight exemption). */
  method?: string;
  /** "GET /orders", "$connect", "Mutation.createPost", "function URL of orders". */
  operation: string;
  /** How callers authenticate, as the API names it: NONE, AWS_IAM, JWT, @aws_api_key, ... */
  auth: string;
  callers: Caller[];
  reaches: Hop[];
}

export const ANYONE: Caller = { kind: "anyone", label: "anyone on the internet" };
export const API_KEY_HOLDERS: Caller = { kind: "api-key", label: "API-key holders" };

/** The model of one stack. Every part is built on first use. */
export interface AccessModel {
  index: StackIndex;
  /** Entry points of one kind. */
  entries(kind: EntryKind): EntryPoint[];
  /** Every entry point. */
  allEntries(): EntryPoint[];
  /** Each role's identity-policy statements. */
  roles(): Map<PolicyResource, RoleStatements>;
  /** What a function reaches (its role's tables, buckets, functions, private routes). */
  functionHop(fn: PolicyResource): Hop;
  /** What an AppSync data source reaches (its function, or its service role's tables). */
  dataSourceHop(ds: PolicyResource): Hop;
  /** The IAM-authorized REST methods and HTTP routes a role's identity policies may invoke. */
  iamEntries(role: PolicyResource): EntryPoint[];
  /** The federated identity providers (SAML, OIDC, social) of a user pool. */
  federatedProviders(pool: PolicyResource): PolicyResource[];
  /** The functions of the stack a property of a resource names (dependency, or ARN in the text). */
  functionsIn(from: PolicyResource, prop: string, text?: unknown): Ref;
  /**
   * The hops of the functions a property names, those outside the stack included ([] when it
   * names none, an unknown hop when it is not known yet).
   */
  functionHopsIn(from: PolicyResource, prop: string, text?: unknown): Hop[];
  /**
   * A caller for a user pool or OIDC issuer URL, labelled with the pool's name when the stack
   * holds it (`pools`: user pools a property dependency already names).
   */
  issuerCaller(issuer: unknown, detail?: string, pools?: PolicyResource[]): Caller;
}

/** The resources a property of `r` came from (its property dependencies). */
export function depsOf(r: PolicyResource | undefined, prop: string): PolicyResource[] {
  const deps = (r?.propertyDependencies as Record<string, unknown> | undefined)?.[prop];
  return Array.isArray(deps) ? (deps as PolicyResource[]) : [];
}

/** A hop for a reference that is not known yet (preview): the path stops there, says so. */
export function unknownHop(what: string): Hop {
  return { label: `${what} (not known yet)`, next: [] };
}

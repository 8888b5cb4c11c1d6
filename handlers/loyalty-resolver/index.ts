/**
 * AppSync Lambda resolver for `Query.myLoyalty` and `Query.loyalty`: reads a customer's loyalty
 * from the private REST API, signing the call with SigV4 as this function's role (the invoker
 * role, allowed only `GET /loyalty/{customerId}` on one stage).
 *
 * Authorization happens twice: AppSync's field directives decide who may call the field, and
 * this resolver applies the caller rule every API shares (handlers/shared/caller-rule.ts): the
 * kind of token the stack takes (a user pool's access tokens, never its ID tokens) and the
 * field's scopes, then a user reads only their own loyalty (their `sub`) unless the token names
 * an admin: issued by the stack's issuer (exact match) with an admin group in the configured
 * groups claim (`cognito:groups` with a Cognito user pool, `oidcGroupsClaim` with an external
 * OIDC issuer; none set: no admins). IAM (SigV4) callers are
 * refused: no IAM principal is a named caller of customer data in this API, and AppSync has no
 * resource policy to narrow `@aws_iam` to one (any role of the account with `appsync:GraphQL`
 * would qualify).
 *
 * Every log line carries a correlation id (the GraphQL request's well-formed `x-correlation-id`
 * header, else the Lambda request id), and the call to the REST API forwards it, so the loyalty
 * service's log lines for the same request carry it too.
 *
 * Environment: LOYALTY_API_URL (`https://<apiId>.execute-api.<region>.amazonaws.com/<stage>`,
 * resolved to the VPC endpoint by its private DNS), LOYALTY_API_KEY_PARAMETER (the SSM
 * SecureString holding the usage plan's key, read once per execution environment: the key is
 * never in the function's configuration, which `lambda:GetFunctionConfiguration` shows),
 * AWS_REGION, CALLER_RULE (the caller rule as JSON; missing or malformed: every request is
 * refused as a fault of the service), LOYALTY_TIMEOUT_MS (default 3000), and the function's credentials AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { AppSyncResolverEvent, Context } from "aws-lambda";
import {
  CallerRule,
  callerRuleProblems,
  claimsOf,
  isAdmin,
  refusalOf,
} from "../shared/caller-rule";
import { correlationIdOf } from "../shared/http";
import { CUSTOMER_ID, CUSTOMER_ID_RULE } from "../shared/ids";
import { createLogger } from "../shared/logger";

/** What the API returns to AppSync for a `Loyalty`. */
export interface Loyalty {
  customerId: string;
  points: number;
  tier: "BRONZE" | "SILVER" | "GOLD";
  remainingPoints: number | null;
}

/** An error AppSync shows the caller: a fixed message and type, never internals. */
export class ResolverError extends Error {
  constructor(
    message: string,
    public readonly errorType: "Forbidden" | "BadRequest" | "ServiceUnavailable",
  ) {
    super(message);
    // The Lambda runtime reports `name` as the errorType AppSync puts in the GraphQL error.
    this.name = errorType;
  }
}

export const FORBIDDEN = "Forbidden";
export const UNAVAILABLE = "Loyalty service unavailable";

/** Signs a request; the default signs for `execute-api` with the function's credentials. */
export type Signer = (request: HttpRequest) => Promise<HttpRequest>;
/** The narrow logger the resolver needs. */
export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Everything the resolver depends on, injectable for tests. */
export interface ResolverDeps {
  apiUrl: string;
  /** The usage plan's key (read once and cached by the entry point). */
  apiKey: () => Promise<string>;
  /** The caller rule; an Error when the configuration holds none (every request is refused). */
  rule: CallerRule | Error;
  timeoutMs: number;
  sign: Signer;
  fetch: typeof fetch;
  log: Log;
}

/** A SigV4 signer for API Gateway (`execute-api`) with credentials from the environment. */
export function envSigner(region: string, env: NodeJS.ProcessEnv = process.env): Signer {
  const signer = new SignatureV4({
    service: "execute-api",
    region,
    sha256: Sha256,
    // Lambda puts the execution role's temporary credentials in the environment.
    credentials: async () => {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey)
        throw new Error("no AWS credentials in the environment");
      return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
    },
  });
  return (request) => signer.sign(request) as Promise<HttpRequest>;
}

const TIERS = new Set(["BRONZE", "SILVER", "GOLD"]);

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Which customer the caller asks for, if they may: their own (`sub`), anyone's for admins (see
 * the module's comment). IAM callers (no `sub`), tokens of the wrong kind and tokens without
 * the field's scopes are refused. Throws {@link ResolverError} otherwise. Returns null for `myLoyalty` when the
 * caller's `sub` is not a possible loyalty customer id (e.g. an OIDC subject such as
 * `auth0|42`): no account can exist for it, so there is nothing to ask the service.
 *
 * The event comes from AppSync, but it is read defensively: a field of an unexpected shape is a
 * refusal, never a TypeError whose message would reach the caller.
 */
export function customerFor(
  event: Pick<AppSyncResolverEvent<Record<string, unknown>>, "arguments" | "identity" | "info">,
  rule: CallerRule,
): string | null {
  const ev: Obj = isObject(event) ? (event as unknown as Obj) : {};
  const identity: Obj = isObject(ev.identity) ? ev.identity : {};
  const fieldName = isObject(ev.info) ? ev.info.fieldName : undefined;
  const sub = typeof identity.sub === "string" && identity.sub !== "" ? identity.sub : undefined;
  const claims = claimsOf(identity);
  // A user, with a token of the kind and scopes the rule asks for this field.
  const user = sub !== undefined && refusalOf(rule, `Query.${String(fieldName)}`, claims) === "";
  if (fieldName === "myLoyalty") {
    if (!user || sub === undefined) throw new ResolverError(FORBIDDEN, "Forbidden");
    return CUSTOMER_ID.test(sub) ? sub : null;
  }
  if (fieldName !== "loyalty") throw new ResolverError("Unknown field", "BadRequest");
  const customerId = isObject(ev.arguments) ? ev.arguments.customerId : undefined;
  if (typeof customerId !== "string" || !CUSTOMER_ID.test(customerId))
    throw new ResolverError(`customerId must be ${CUSTOMER_ID_RULE}`, "BadRequest");
  if (!user) throw new ResolverError(FORBIDDEN, "Forbidden");
  if (sub === customerId) return customerId;
  if (isAdmin(rule, claims)) return customerId;
  throw new ResolverError(FORBIDDEN, "Forbidden");
}

/**
 * The correlation id of a GraphQL request: its well-formed `x-correlation-id` header (AppSync
 * passes the request headers to the resolver), else the Lambda request id.
 */
export function correlationIdOfEvent(event: unknown, awsRequestId: string | undefined): string {
  const request = isObject(event) && isObject(event.request) ? event.request : {};
  const headers = isObject(request.headers) ? (request.headers as Record<string, string>) : {};
  return correlationIdOf(headers, awsRequestId ?? "unknown");
}

/** Maps the REST API's JSON to `Loyalty`; anything else is a fault of the service. */
export function toLoyalty(customerId: string, body: unknown): Loyalty {
  const b = (body ?? {}) as Record<string, unknown>;
  const points = b.points;
  const tier = typeof b.tier === "string" ? b.tier.toUpperCase() : undefined;
  if (typeof points !== "number" || !Number.isInteger(points) || !tier || !TIERS.has(tier))
    throw new Error("unexpected loyalty response shape");
  const remaining = b.remainingPoints;
  return {
    customerId,
    points,
    tier: tier as Loyalty["tier"],
    remainingPoints:
      typeof remaining === "number" && Number.isInteger(remaining) ? remaining : null,
  };
}

/** Builds the resolver around its dependencies. */
export function createResolver(deps: ResolverDeps) {
  return async (
    event: AppSyncResolverEvent<Record<string, unknown>>,
    context?: Pick<Context, "awsRequestId">,
  ): Promise<Loyalty | null> => {
    const ids = requestIds(event, context);
    const customerId = authorizedCustomer(event, deps, ids);
    if (customerId === null) {
      deps.log.warn("caller's sub cannot hold a loyalty account", ids);
      return null;
    }
    const { base, request } = await loyaltyRequest(deps, ids, customerId);
    const started = Date.now();
    const { status, body } = await callService(deps, ids, base, request, started);
    const durationMs = Date.now() - started;
    deps.log.info("loyalty service answered", { ...ids, status, durationMs });
    return answer(deps, ids, customerId, status, body);
  };
}

/** What every log line of one request carries (a type alias: the log takes a record). */
type RequestIds = {
  fieldName: string | undefined;
  requestId: string | undefined;
  correlationId: string;
};

/** The field, Lambda request id and correlation id of a request, for its log lines. */
function requestIds(
  event: AppSyncResolverEvent<Record<string, unknown>>,
  context?: Pick<Context, "awsRequestId">,
): RequestIds {
  const info: unknown = isObject(event) ? event.info : undefined;
  const field = isObject(info) ? info.fieldName : undefined;
  const fieldName = typeof field === "string" ? field.slice(0, 64) : undefined;
  const requestId = typeof context?.awsRequestId === "string" ? context.awsRequestId : undefined;
  const correlationId = correlationIdOfEvent(event, requestId);
  return { fieldName, requestId, correlationId };
}

/** The customer the caller may read (null: no account possible); a refusal is logged and thrown. */
function authorizedCustomer(
  event: AppSyncResolverEvent<Record<string, unknown>>,
  deps: ResolverDeps,
  ids: RequestIds,
): string | null {
  if (deps.rule instanceof Error) {
    deps.log.error("CALLER_RULE is not a caller rule", { ...ids, error: deps.rule.message });
    throw new ResolverError(UNAVAILABLE, "ServiceUnavailable");
  }
  try {
    return customerFor(event, deps.rule);
  } catch (err) {
    const refusal = err instanceof ResolverError ? err : new ResolverError(FORBIDDEN, "Forbidden");
    deps.log.warn("loyalty request refused", { ...ids, reason: refusal.errorType });
    throw refusal;
  }
}

/** The unsigned GET of the customer's loyalty, with the usage plan key and correlation id. */
async function loyaltyRequest(
  deps: ResolverDeps,
  ids: RequestIds,
  customerId: string,
): Promise<{ base: URL; request: HttpRequest }> {
  let base: URL;
  try {
    base = new URL(deps.apiUrl);
  } catch {
    deps.log.error("LOYALTY_API_URL is not a URL", ids);
    throw new ResolverError(UNAVAILABLE, "ServiceUnavailable");
  }
  let apiKey: string;
  try {
    apiKey = await deps.apiKey();
  } catch (err) {
    deps.log.error("cannot read the usage plan key", { ...ids, error: (err as Error).name });
    throw new ResolverError(UNAVAILABLE, "ServiceUnavailable");
  }
  const request = new HttpRequest({
    method: "GET",
    protocol: base.protocol,
    hostname: base.hostname,
    port: base.port ? Number(base.port) : undefined,
    path: `${base.pathname.replace(/\/+$/, "")}/loyalty/${encodeURIComponent(customerId)}`,
    headers: {
      host: base.host,
      accept: "application/json",
      // The private API's usage plan meters callers by key. It is a quota, not identity: the
      // caller is authenticated by the SigV4 signature and authorized by its IAM policy.
      "x-api-key": apiKey,
      // The loyalty service logs with the caller's correlation id (signed like every header).
      "x-correlation-id": ids.correlationId,
    },
  });
  return { base, request };
}

/** Signs and sends the request within the timeout; a failed or timed-out call is logged. */
async function callService(
  deps: ResolverDeps,
  ids: RequestIds,
  base: URL,
  request: HttpRequest,
  started: number,
): Promise<{ status: number; body: unknown }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deps.timeoutMs);
  try {
    const signed = await deps.sign(request);
    const headers = { ...signed.headers };
    // fetch derives Host from the URL; the signed value is the same.
    delete headers.host;
    const response = await deps.fetch(`${base.origin}${signed.path}`, {
      method: signed.method,
      headers,
      signal: controller.signal,
    });
    const status = response.status;
    const body: unknown = status === 200 ? await response.json() : undefined;
    if (status !== 200) await response.body?.cancel();
    return { status, body };
  } catch (err) {
    const timedOut = controller.signal.aborted;
    deps.log.error("loyalty service call failed", {
      ...ids,
      timedOut,
      durationMs: Date.now() - started,
      error: (err as Error).name,
    });
    throw new ResolverError(UNAVAILABLE, "ServiceUnavailable");
  } finally {
    clearTimeout(timer);
  }
}

/** The service's answer as the field's value: 404 is null, a refusal Forbidden, else a fault. */
function answer(
  deps: ResolverDeps,
  ids: RequestIds,
  customerId: string,
  status: number,
  body: unknown,
): Loyalty | null {
  if (status === 404) return null;
  if (status === 401 || status === 403) throw new ResolverError(FORBIDDEN, "Forbidden");
  if (status !== 200) throw new ResolverError(UNAVAILABLE, "ServiceUnavailable");
  try {
    return toLoyalty(customerId, body);
  } catch {
    deps.log.error("loyalty service sent an unexpected body", ids);
    throw new ResolverError(UNAVAILABLE, "ServiceUnavailable");
  }
}

// One JSON line per entry with level, timestamp and service, like the other handlers; the
// function's log level (AWS_LAMBDA_LOG_LEVEL) filters them.
const logger = createLogger({ service: "loyalty-resolver" });

/**
 * Reads a SecureString once per execution environment (decrypted by SSM with its KMS key) and
 * keeps it; a failed read is not kept, so the next invocation tries again.
 */
export function cachedParameter(
  name: string,
  ssm: Pick<SSMClient, "send"> = new SSMClient({}),
): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () => {
    value ??= (async () => {
      if (!name) throw new Error("LOYALTY_API_KEY_PARAMETER is not set");
      const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      const v = out.Parameter?.Value;
      if (!v) throw new Error(`parameter ${name} has no value`);
      return v;
    })().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}

/** The caller rule from CALLER_RULE (JSON), or the Error that says why there is none. */
export function callerRuleFrom(env: NodeJS.ProcessEnv): CallerRule | Error {
  let rule: unknown;
  try {
    rule = JSON.parse(env.CALLER_RULE ?? "");
  } catch {
    return new Error("CALLER_RULE: expected the caller rule as JSON");
  }
  const problems = callerRuleProblems(rule);
  return problems.length > 0
    ? new Error(`CALLER_RULE: ${problems.join("; ")}`)
    : (rule as CallerRule);
}

/** The deployed resolver: configured from the environment once per execution environment. */
export const handler = createResolver({
  apiUrl: process.env.LOYALTY_API_URL ?? "",
  apiKey: cachedParameter(process.env.LOYALTY_API_KEY_PARAMETER ?? ""),
  rule: callerRuleFrom(process.env),
  timeoutMs: Number(process.env.LOYALTY_TIMEOUT_MS) || 3000,
  sign: envSigner(process.env.AWS_REGION ?? "us-east-1"),
  fetch: (input, init) => fetch(input, init),
  log: logger,
});

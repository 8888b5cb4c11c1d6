/**
 * The authorizer's decision, as a pure function of the request, the settings and a verifier.
 * Every denial answers exactly `{ isAuthorized: false }`: the caller learns nothing about why;
 * the reason goes to the structured log.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerResult,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwksNotAvailableInCacheError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from "aws-jwt-verify/error";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import { correlationIdOf, requestIdOf } from "../shared/http";
import { hasJwtShape } from "../shared/jwt";
import type { AuthorizerSettings } from "./settings";
import type { TokenVerifier } from "./verifier";
import { scopesOf as claimScopes } from "../shared/caller-rule";

/** The claims handed to the integration as `$context.authorizer.<key>` (strings only). */
export interface AuthorizerContext {
  sub: string;
  iss: string;
  scope: string;
  clientId?: string;
  username?: string;
  [key: string]: string | undefined;
}

export type AuthorizerResult =
  APIGatewaySimpleAuthorizerResult | APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

/** A structured log sink: one entry per denial (and per configuration fault). */
export type Log = (
  level: "warn" | "error",
  message: string,
  fields: Record<string, unknown>,
) => void;

export interface AuthorizerDeps {
  /** The checks to make; undefined when the environment was invalid (then everyone is denied). */
  settings: AuthorizerSettings | undefined;
  verifier: TokenVerifier | undefined;
  log: Log;
}

/** Why a request was denied: stable names for logs, metrics and tests. */
export type DenialReason =
  | "misconfigured"
  | "missing_token"
  | "malformed_authorization_header"
  | "malformed_token"
  | "issuer_not_allowed"
  | "audience_not_allowed"
  | "token_use_not_allowed"
  | "expired"
  | "not_yet_valid"
  | "invalid_signature"
  | "algorithm_not_allowed"
  | "unknown_key"
  | "missing_scope"
  | "route_not_allowed"
  | "verification_failed";

/** A fresh denial each time: a shared object could be mutated by a caller. */
const deny = (): APIGatewaySimpleAuthorizerResult => ({ isAuthorized: false });

const BEARER_PREFIX = /^bearer +/i;

/**
 * The bearer token of a request, from the `authorization` header (payload 2.0 lowercases header
 * names), or the reason there is none.
 */
export function bearerToken(
  event: Pick<APIGatewayRequestAuthorizerEventV2, "headers">,
): { token: string } | { reason: DenialReason } {
  const headers = event.headers ?? {};
  let value = headers.authorization;
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === "authorization");
    value = key === undefined ? undefined : headers[key];
  }
  if (value === undefined || value.trim() === "") return { reason: "missing_token" };
  const prefix = BEARER_PREFIX.exec(value);
  const token = prefix ? value.slice(prefix[0].length).trimEnd() : "";
  return hasJwtShape(token) ? { token } : { reason: "malformed_authorization_header" };
}

/**
 * The scopes a verified token carries: `scope` (space-separated) or `scp` (Okta, Entra ID), read
 * as the GraphQL resolvers read them (the caller rule every API shares).
 */
export function scopesOf(payload: JwtPayload): Set<string> {
  return new Set(claimScopes(payload as Record<string, unknown>));
}

/**
 * The scope rule: every `requiredScopes` entry, and (when route scopes are configured) at least
 * one of the route's scopes; a route the map does not name is denied.
 */
export function scopeProblem(
  settings: Pick<AuthorizerSettings, "requiredScopes" | "routeScopes">,
  routeKey: string | undefined,
  granted: Set<string>,
): { reason: DenialReason; detail: string } | undefined {
  const missing = settings.requiredScopes.filter((s) => !granted.has(s));
  if (missing.length > 0)
    return { reason: "missing_scope", detail: `missing ${missing.join(" ")}` };
  if (settings.routeScopes === undefined) return undefined;
  const routeScopes = routeKey === undefined ? undefined : settings.routeScopes[routeKey];
  if (routeScopes === undefined) {
    return { reason: "route_not_allowed", detail: `no scopes configured for '${routeKey}'` };
  }
  if (routeScopes.length > 0 && !routeScopes.some((s) => granted.has(s))) {
    return { reason: "missing_scope", detail: `needs one of ${routeScopes.join(" ")}` };
  }
  return undefined;
}

/** Maps a verification error to a denial reason (by class: bundling minifies class names). */
export function reasonOf(err: unknown): DenialReason {
  if (err instanceof JwtParseError) return "malformed_token";
  if (err instanceof JwtInvalidIssuerError) return "issuer_not_allowed";
  // What a multi-issuer verifier raises for a token whose `iss` it was not configured with (the
  // verifiers' own settings are checked when they are created, before any request).
  if (err instanceof ParameterValidationError) return "issuer_not_allowed";
  if (err instanceof JwtInvalidAudienceError) return "audience_not_allowed";
  if (err instanceof CognitoJwtInvalidClientIdError) return "audience_not_allowed";
  if (err instanceof CognitoJwtInvalidTokenUseError) return "token_use_not_allowed";
  if (err instanceof JwtExpiredError) return "expired";
  if (err instanceof JwtNotBeforeError) return "not_yet_valid";
  if (err instanceof JwtInvalidSignatureError) return "invalid_signature";
  if (err instanceof JwtInvalidSignatureAlgorithmError) return "algorithm_not_allowed";
  if (
    err instanceof KidNotFoundInJwksError ||
    err instanceof JwtWithoutValidKidError ||
    err instanceof WaitPeriodNotYetEndedJwkError ||
    err instanceof JwksNotAvailableInCacheError ||
    err instanceof FetchError
  ) {
    return "unknown_key";
  }
  return "verification_failed";
}

function contextOf(payload: JwtPayload, granted: Set<string>): AuthorizerContext {
  const context: AuthorizerContext = {
    sub: String(payload.sub ?? ""),
    iss: String(payload.iss ?? ""),
    scope: [...granted].join(" "),
  };
  const clientId = payload.client_id ?? payload.azp ?? payload.cid;
  if (typeof clientId === "string") context.clientId = clientId;
  const username = payload.username ?? payload["cognito:username"];
  if (typeof username === "string") context.username = username;
  return context;
}

/**
 * Decides one request. Never throws and never says why it denies: every failure becomes
 * `{ isAuthorized: false }` and one structured log entry with the reason.
 */
export async function authorize(
  event: APIGatewayRequestAuthorizerEventV2,
  deps: AuthorizerDeps,
): Promise<AuthorizerResult> {
  try {
    if (!deps.settings || !deps.verifier) return denied(event, deps, "misconfigured");
    const found = bearerToken(event ?? {});
    if ("reason" in found) return denied(event, deps, found.reason);

    let payload: JwtPayload;
    try {
      payload = await deps.verifier.verify(found.token);
    } catch (err) {
      return denied(event, deps, reasonOf(err), err instanceof Error ? err.message : undefined);
    }

    const granted = scopesOf(payload);
    const problem = scopeProblem(deps.settings, event.routeKey, granted);
    if (problem) return denied(event, deps, problem.reason, problem.detail);
    return { isAuthorized: true, context: contextOf(payload, granted) };
  } catch (err) {
    return denied(
      event,
      deps,
      "verification_failed",
      err instanceof Error ? err.message : undefined,
    );
  }
}

/** Logs why (never to the caller) and answers the bare denial. */
function denied(
  event: APIGatewayRequestAuthorizerEventV2 | undefined,
  deps: AuthorizerDeps,
  reason: DenialReason,
  detail?: string,
): APIGatewaySimpleAuthorizerResult {
  try {
    // The same correlation id the integration will log (the caller's well-formed
    // x-correlation-id, else the API Gateway request id), so a denial can be traced.
    const requestId = requestIdOf(event?.requestContext);
    deps.log("warn", "request denied", {
      reason,
      ...(detail ? { detail } : {}),
      routeKey: event?.routeKey,
      correlationId: correlationIdOf(event?.headers, requestId),
      requestId,
      sourceIp: event?.requestContext?.http?.sourceIp,
    });
  } catch {
    // A failing log sink must not turn a denial into a thrown error.
  }
  return deny();
}

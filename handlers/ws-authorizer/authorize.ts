/**
 * The WebSocket `$connect` authorizer's decision, as a pure function of the request, the
 * settings and a verifier. The token verification (aws-jwt-verify: signature, issuer, client,
 * `token_use: access`, expiry) and the scope rule are the HTTP authorizer's (handlers/authorizer);
 * what differs is where the token is and what API Gateway wants back.
 *
 * A browser cannot set `Authorization` on a WebSocket, so the client offers two subprotocols,
 * `Sec-WebSocket-Protocol: <app protocol>, <access token>`; the `$connect` integration echoes the
 * app protocol (never the token). A token in the query string is refused: the URL of a request
 * is what proxies, browser history and request logs keep.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { DenialReason as HttpDenialReason, Log } from "../authorizer/authorize";
import { reasonOf, scopeProblem, scopesOf } from "../authorizer/authorize";
import type { AuthorizerSettings } from "../authorizer/settings";
import type { TokenVerifier } from "../authorizer/verifier";
import { requestIdOf } from "../shared/http";
import { looksLikeJwt, offeredProtocols, queryCarriesToken } from "../shared/websocket";

/** The HTTP authorizer's settings plus the app subprotocol the client must offer. */
export interface WsAuthorizerSettings extends AuthorizerSettings {
  /** The subprotocol the `$connect` integration echoes (e.g. `sec1.v1`). */
  subprotocol: string;
}

export interface WsAuthorizerDeps {
  /** Undefined when the environment was invalid (then everyone is denied). */
  settings: WsAuthorizerSettings | undefined;
  verifier: TokenVerifier | undefined;
  log: Log;
}

/** Why a connection was denied: the HTTP authorizer's reasons and the WebSocket ones. */
export type DenialReason =
  HttpDenialReason | "token_in_query_string" | "missing_subprotocol" | "ambiguous_token";

/** What the integration reads as `requestContext.authorizer.<key>`. */
export interface WsAuthorizerContext {
  sub: string;
  clientId: string;
  scope: string;
  [key: string]: string;
}

/** A policy for exactly this `$connect` (the methodArn), allowing or denying it. */
function policy(
  effect: "Allow" | "Deny",
  principalId: string,
  methodArn: string,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: methodArn }],
    },
  };
}

/**
 * The token among the offered subprotocols, or why there is none: the app protocol must be
 * offered, with exactly one JWT-shaped entry beside it.
 */
export function protocolToken(
  event: Pick<APIGatewayRequestAuthorizerEvent, "headers" | "queryStringParameters">,
  subprotocol: string,
): { token: string } | { reason: DenialReason } {
  if (queryCarriesToken(event.queryStringParameters)) return { reason: "token_in_query_string" };
  const offered = offeredProtocols(event.headers);
  if (!offered.includes(subprotocol)) return { reason: "missing_subprotocol" };
  const tokens = offered.filter((p) => p !== subprotocol);
  if (tokens.length === 0) return { reason: "missing_token" };
  if (tokens.length > 1) return { reason: "ambiguous_token" };
  return looksLikeJwt(tokens[0]) ? { token: tokens[0] } : { reason: "malformed_token" };
}

function contextOf(payload: JwtPayload, granted: Set<string>): WsAuthorizerContext {
  const clientId = payload.client_id ?? payload.azp ?? payload.cid;
  return {
    sub: String(payload.sub ?? ""),
    clientId: typeof clientId === "string" ? clientId : "",
    scope: [...granted].join(" "),
  };
}

/**
 * Decides one `$connect`. Never throws and never says why it denies: a denial is a Deny policy
 * (API Gateway answers 403) and one structured log entry with the reason, never the token.
 */
export async function authorizeConnect(
  event: APIGatewayRequestAuthorizerEvent,
  deps: WsAuthorizerDeps,
): Promise<APIGatewayAuthorizerResult> {
  const methodArn = typeof event?.methodArn === "string" ? event.methodArn : "";
  const deny = (reason: DenialReason, detail?: string) => {
    logDenial(event, deps, reason, detail);
    return policy("Deny", "anonymous", methodArn);
  };
  try {
    if (!deps.settings || !deps.verifier) return deny("misconfigured");
    const found = protocolToken(event, deps.settings.subprotocol);
    if ("reason" in found) return deny(found.reason);
    let payload: JwtPayload;
    try {
      payload = await deps.verifier.verify(found.token);
    } catch (err) {
      return deny(reasonOf(err), err instanceof Error ? err.message : undefined);
    }
    const granted = scopesOf(payload);
    const problem = scopeProblem(deps.settings, undefined, granted);
    if (problem) return deny(problem.reason, problem.detail);
    const context = contextOf(payload, granted);
    if (context.sub === "") return deny("verification_failed", "token has no sub");
    const allow = policy("Allow", context.sub, methodArn);
    allow.context = context;
    return allow;
  } catch (err) {
    return deny("verification_failed", err instanceof Error ? err.message : undefined);
  }
}

function logDenial(
  event: APIGatewayRequestAuthorizerEvent | undefined,
  deps: WsAuthorizerDeps,
  reason: DenialReason,
  detail?: string,
): void {
  try {
    deps.log("warn", "connection denied", {
      reason,
      ...(detail ? { detail } : {}),
      requestId: requestIdOf(event?.requestContext),
      sourceIp: event?.requestContext?.identity?.sourceIp,
    });
  } catch {
    // A failing log sink must not turn a denial into a thrown error.
  }
}

/**
 * WebSocket `$connect` Lambda authorizer (REQUEST, identity source
 * `route.request.header.Sec-WebSocket-Protocol`). Configured only through its environment: the
 * HTTP authorizer's variables (`JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_REQUIRED_SCOPES`, `JWKS_URI`,
 * see ../authorizer/settings.ts) and `WS_SUBPROTOCOL`, the app subprotocol the client offers
 * beside its token. Settings and verifier live at module scope, so a warm container verifies
 * without any network call.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { AuthorizerConfigError, parseAuthorizerEnv } from "../authorizer/settings";
import { createTokenVerifier } from "../authorizer/verifier";
import { createLogger } from "../shared/logger";
import { authorizeConnect, WsAuthorizerDeps, WsAuthorizerSettings } from "./authorize";

const logger = createLogger({ service: "websocket-authorizer" });

/** RFC 6455 subprotocol names are HTTP tokens; ours are short. */
const SUBPROTOCOL = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

/** Reads the environment; throws {@link AuthorizerConfigError} naming every bad variable. */
export function parseWsAuthorizerEnv(
  env: Record<string, string | undefined>,
): WsAuthorizerSettings {
  const problems: string[] = [];
  let base: ReturnType<typeof parseAuthorizerEnv> | undefined;
  try {
    base = parseAuthorizerEnv({ ...env, JWT_ROUTE_SCOPES: undefined });
  } catch (err) {
    if (err instanceof AuthorizerConfigError) problems.push(...err.problems);
    else throw err;
  }
  const subprotocol = (env.WS_SUBPROTOCOL ?? "").trim();
  if (!SUBPROTOCOL.test(subprotocol))
    problems.push("WS_SUBPROTOCOL is required (the app subprotocol, e.g. sec1.v1)");
  if (problems.length > 0 || !base) throw new AuthorizerConfigError(problems);
  return { ...base, subprotocol };
}

let deps: WsAuthorizerDeps | undefined;

function moduleDeps(): WsAuthorizerDeps {
  if (deps) return deps;
  const log: WsAuthorizerDeps["log"] = (level, message, fields) => logger[level](message, fields);
  try {
    const settings = parseWsAuthorizerEnv(process.env);
    deps = { settings, verifier: createTokenVerifier(settings), log };
  } catch (err) {
    // A misconfigured authorizer denies everyone, loudly, rather than failing open.
    log("error", "authorizer misconfigured; denying every connection", {
      error: err instanceof Error ? err.message : String(err),
    });
    deps = { settings: undefined, verifier: undefined, log };
  }
  return deps;
}

/** The Lambda entry point. */
export async function handler(
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> {
  return authorizeConnect(event, moduleDeps());
}

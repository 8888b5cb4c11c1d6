/**
 * HTTP API Lambda authorizer (REQUEST, payload format 2.0, simple responses) for identity
 * providers API Gateway's built-in JWT authorizer cannot serve: several issuers, per-route
 * scope rules, claims the built-in one does not check. Configured only through its environment
 * (see ./settings.ts). The settings and the verifiers (with their JWKS and key caches) live at
 * module scope, so a warm container verifies a token without any network call.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { createLogger } from "../shared/logger";
import { authorize, AuthorizerDeps, AuthorizerResult } from "./authorize";
import { AuthorizerSettings, parseAuthorizerEnv } from "./settings";
import { createTokenVerifier, TokenVerifier } from "./verifier";

// JSON lines like the other handlers (level, timestamp, service, correlationId); the function's
// log level (AWS_LAMBDA_LOG_LEVEL) filters them.
const logger = createLogger({ service: "http-api-authorizer" });

let deps: AuthorizerDeps | undefined;

/** The module-scope dependencies, built on the first invocation of a container. */
function moduleDeps(): AuthorizerDeps {
  if (deps) return deps;
  const log: AuthorizerDeps["log"] = (level, message, fields) => logger[level](message, fields);
  let settings: AuthorizerSettings | undefined;
  let verifier: TokenVerifier | undefined;
  try {
    settings = parseAuthorizerEnv(process.env);
    verifier = createTokenVerifier(settings);
  } catch (err) {
    // A misconfigured authorizer denies everyone, loudly, rather than failing open or throwing.
    log("error", "authorizer misconfigured; denying every request", {
      error: err instanceof Error ? err.message : String(err),
    });
    settings = undefined;
    verifier = undefined;
  }
  deps = { settings, verifier, log };
  return deps;
}

/** The Lambda entry point. Never throws: any fault is a denial. */
export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<AuthorizerResult> {
  try {
    return await authorize(event, moduleDeps());
  } catch {
    return { isAuthorized: false };
  }
}

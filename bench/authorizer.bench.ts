/**
 * The Lambda authorizer's decisions per second with a warm JWKS cache, against aws-jwt-verify
 * called directly on the same tokens in the same run. What the authorizer adds on top of the
 * library (header parsing, issuer routing, scope rules, the context) should cost little: the
 * target is at least 0.9x the library's own throughput.
 *
 * Both sides verify real RS256 tokens (keys generated here, JWKS primed in the cache, no network),
 * in short interleaved rounds (alternating which goes first) so a noisy neighbour on the shared
 * CPU hits both alike; the median round of each side is reported.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { JwtVerifier } from "aws-jwt-verify";
import { Benchmark, pairedHigherIsBetter } from "./figure";
import { interleaved, noNetwork, round, signedTokens } from "./tokens";
import { authorize, AuthorizerDeps } from "../handlers/authorizer/authorize";
import { parseAuthorizerEnv } from "../handlers/authorizer/settings";
import { createTokenVerifier } from "../handlers/authorizer/verifier";

const ISSUER = "https://login.example-airline.com/oauth2/default";
const AUDIENCE = "api://bookings";
const ROUTE = "GET /bookings";
/** Distinct tokens, so neither side benefits from verifying one string over and over. */
const TOKENS = 64;
/** Decisions per timed round, and rounds per side: short rounds, interleaved, follow load swings. */
const PER_ROUND = 1000;
const ROUNDS = 41;

const tokens = () =>
  signedTokens(TOKENS, (i, t) => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: `customer-${i}`,
    client_id: "spa",
    scope: "airline/bookings.read airline/bookings.write",
    iat: t,
    nbf: t,
    exp: t + 3600,
  }));

function event(token: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    type: "REQUEST",
    routeKey: ROUTE,
    headers: { authorization: `Bearer ${token}` },
    requestContext: { requestId: "bench", http: { sourceIp: "203.0.113.1" } },
  } as unknown as APIGatewayRequestAuthorizerEventV2;
}

const timed = <T>(inputs: T[], op: (input: T) => Promise<unknown>) => round(inputs, op, PER_ROUND);

const benchmark: Benchmark = {
  name: "authorizer",
  async run() {
    const { jwk, list } = tokens();

    // Ours, built the way the handler builds its module-scope dependencies.
    const settings = parseAuthorizerEnv({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_ROUTE_SCOPES: JSON.stringify({ [ROUTE]: ["airline/bookings.read"] }),
    });
    const verifier = createTokenVerifier(settings, { jwksCache: noNetwork });
    verifier.cacheJwks(ISSUER, { keys: [jwk] });
    const denials: unknown[] = [];
    const deps: AuthorizerDeps = { settings, verifier, log: (_l, _m, f) => denials.push(f) };
    const events = list.map(event);

    // The library alone, same issuer, audience and keys.
    const direct = JwtVerifier.create({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
    });
    direct.cacheJwks({ keys: [jwk] });

    // Warm-up, and proof that every measured decision is an allow (a denial is cheaper).
    for (const e of events) {
      const result = await authorize(e, deps);
      if (!result.isAuthorized)
        throw new Error(`benchmark token denied: ${JSON.stringify(denials)}`);
    }
    for (const t of list) await direct.verify(t);

    const { ours, baseline } = await interleaved(
      ROUNDS,
      () => timed(events, (e) => authorize(e, deps)),
      () => timed(list, (t) => direct.verify(t)),
    );
    if (denials.length > 0) throw new Error(`benchmark tokens denied: ${denials.length}`);
    return [
      pairedHigherIsBetter(
        "authorizer decisions/s (warm JWKS) vs aws-jwt-verify verify()",
        ours,
        baseline,
        0.9,
        "ops/s",
      ),
    ];
  },
};

export default benchmark;

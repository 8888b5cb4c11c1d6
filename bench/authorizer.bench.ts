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
import { noNetwork, raceDecisions, signedTokens } from "./tokens";
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

    const { ours, baseline } = await raceDecisions({
      events,
      decide: (e: APIGatewayRequestAuthorizerEventV2) => authorize(e, deps),
      allowed: (r) => (r as { isAuthorized?: boolean }).isAuthorized === true,
      tokens: list,
      verify: (t) => direct.verify(t),
      denials,
      rounds: ROUNDS,
      perRound: PER_ROUND,
    });
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

/**
 * The WebSocket `$connect` authorizer's decisions per second with a warm JWKS cache, against
 * aws-jwt-verify called directly on the same tokens in the same run. What it adds on top of the
 * library (reading the token from Sec-WebSocket-Protocol, the query-string check, the scope rule,
 * the policy) should cost little: the target is at least 0.9x the library's own throughput.
 *
 * Cognito-shaped access tokens (the Cognito verifier: token_use and client_id checked), real RS256
 * signatures, the JWKS primed in both caches, no network; short interleaved rounds, alternating
 * which side goes first, the median round of each side reported (as bench/authorizer.bench.ts).
 */
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { Benchmark, pairedHigherIsBetter } from "./figure";
import { noNetwork, raceDecisions, signedTokens } from "./tokens";
import { createTokenVerifier } from "../handlers/authorizer/verifier";
import { authorizeConnect, WsAuthorizerDeps } from "../handlers/ws-authorizer/authorize";
import { parseWsAuthorizerEnv } from "../handlers/ws-authorizer/index";

const POOL = "eu-west-1_Bench0001";
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const CLIENT = "benchwebclient0000000000";
const SCOPE = "airline/bookings.read";
const PROTOCOL = "sec1.bookings.v1";
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:bench01/live/$connect";
/** Distinct tokens, so neither side benefits from verifying one string over and over. */
const TOKENS = 64;
/** Decisions per timed round, and rounds per side. */
const PER_ROUND = 1000;
const ROUNDS = 41;

const tokens = () =>
  signedTokens(TOKENS, (i, t) => ({
    iss: ISSUER,
    sub: `customer-${i}`,
    token_use: "access",
    client_id: CLIENT,
    scope: `openid ${SCOPE}`,
    iat: t,
    exp: t + 3600,
  }));

function event(token: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn: METHOD_ARN,
    headers: { "Sec-WebSocket-Protocol": `${PROTOCOL}, ${token}` },
    queryStringParameters: null,
    requestContext: { requestId: "bench", identity: { sourceIp: "203.0.113.1" } },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

const benchmark: Benchmark = {
  name: "ws-authorizer",
  async run() {
    const { jwk, list } = tokens();
    // Ours, built the way the handler builds its module-scope dependencies.
    const settings = parseWsAuthorizerEnv({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: CLIENT,
      JWT_REQUIRED_SCOPES: SCOPE,
      WS_SUBPROTOCOL: PROTOCOL,
    });
    const verifier = createTokenVerifier(settings, { jwksCache: noNetwork });
    verifier.cacheJwks(ISSUER, { keys: [jwk] });
    const denials: unknown[] = [];
    const deps: WsAuthorizerDeps = { settings, verifier, log: (_l, _m, f) => denials.push(f) };
    const events = list.map(event);
    const decide = (e: APIGatewayRequestAuthorizerEvent) => authorizeConnect(e, deps);

    // The library alone: same pool, client, token use and keys.
    const direct = CognitoJwtVerifier.create({
      userPoolId: POOL,
      tokenUse: "access",
      clientId: CLIENT,
    });
    direct.cacheJwks({ keys: [jwk] });

    const { ours, baseline } = await raceDecisions({
      events,
      decide,
      allowed: (r) =>
        (r as { policyDocument: { Statement: { Effect: string }[] } }).policyDocument.Statement[0]
          .Effect === "Allow",
      tokens: list,
      verify: (t) => direct.verify(t),
      denials,
      rounds: ROUNDS,
      perRound: PER_ROUND,
    });
    return [
      pairedHigherIsBetter(
        "WebSocket $connect authorizer decisions/s (warm JWKS) vs aws-jwt-verify verify()",
        ours,
        baseline,
        0.9,
        "ops/s",
      ),
    ];
  },
};

export default benchmark;

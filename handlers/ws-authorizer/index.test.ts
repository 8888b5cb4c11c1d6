import * as assert from "assert";
import { generateKeyPairSync, sign as rsaSign } from "crypto";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { FetchError } from "aws-jwt-verify/error";
import { Jwk, SimpleJwksCache } from "aws-jwt-verify/jwk";
import { AuthorizerConfigError } from "../authorizer/settings";
import { createTokenVerifier } from "../authorizer/verifier";
import { authorizeConnect, DenialReason, protocolToken, WsAuthorizerDeps } from "./authorize";
import { parseWsAuthorizerEnv } from "./index";

// Real RS256 tokens of a Cognito-shaped issuer, the JWKS primed in the verifier's cache and a
// fetcher that fails fast: no test reaches the network.
const POOL = "eu-west-1_AbCdEf123";
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const CLIENT = "4k9v0webclient000000000000";
const PROTOCOL = "sec1.bookings.v1";
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/live/$connect";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" } as Jwk;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

function token(overrides: Record<string, unknown> = {}): string {
  const t = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER,
    sub: "a1111111-user-a",
    token_use: "access",
    client_id: CLIENT,
    scope: "openid airline/bookings.read",
    iat: t - 10,
    exp: t + 600,
    ...overrides,
  };
  const input = `${b64({ alg: "RS256", typ: "JWT", kid: "k1" })}.${b64(claims)}`;
  return `${input}.${rsaSign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

function deps(): WsAuthorizerDeps & { denials: Record<string, unknown>[] } {
  const settings = parseWsAuthorizerEnv({
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: CLIENT,
    JWT_REQUIRED_SCOPES: "airline/bookings.read",
    WS_SUBPROTOCOL: PROTOCOL,
  });
  const jwksCache = new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string) => {
        throw new FetchError(uri, "offline");
      },
    },
  });
  const verifier = createTokenVerifier(settings, { jwksCache });
  verifier.cacheJwks(ISSUER, { keys: [jwk] });
  const denials: Record<string, unknown>[] = [];
  return { settings, verifier, log: (_l, _m, f) => denials.push(f), denials };
}

function event(
  protocols: string | undefined,
  query?: Record<string, string>,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn: METHOD_ARN,
    headers: protocols === undefined ? {} : { "Sec-WebSocket-Protocol": protocols },
    queryStringParameters: query ?? null,
    requestContext: { requestId: "r-1", identity: { sourceIp: "203.0.113.9" } },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

async function decide(e: APIGatewayRequestAuthorizerEvent) {
  const d = deps();
  const result = await authorizeConnect(e, d);
  const statement = result.policyDocument.Statement[0] as { Effect: string; Resource: string };
  return { result, effect: statement.Effect, resource: statement.Resource, denials: d.denials };
}

async function assertDenied(e: APIGatewayRequestAuthorizerEvent, reason: DenialReason) {
  const { effect, resource, denials, result } = await decide(e);
  assert.strictEqual(effect, "Deny");
  assert.strictEqual(resource, METHOD_ARN);
  assert.strictEqual(result.context, undefined);
  assert.deepStrictEqual(
    denials.map((d) => d.reason),
    [reason],
  );
  assert.ok(!JSON.stringify(denials).includes("eyJ"), "a denial never logs the token");
}

describe("ws-authorizer: $connect decisions on real tokens", () => {
  it("allows an access token of the client with the scope, for this $connect only", async () => {
    const { effect, resource, result } = await decide(event(`${PROTOCOL}, ${token()}`));
    assert.strictEqual(effect, "Allow");
    assert.strictEqual(resource, METHOD_ARN);
    assert.strictEqual(result.principalId, "a1111111-user-a");
    assert.deepStrictEqual(result.context, {
      sub: "a1111111-user-a",
      clientId: CLIENT,
      scope: "openid airline/bookings.read",
    });
  });

  it("takes the token in either position beside the app subprotocol", async () => {
    assert.strictEqual((await decide(event(`${token()},${PROTOCOL}`))).effect, "Allow");
  });

  it("denies an ID token", () =>
    assertDenied(
      event(`${PROTOCOL}, ${token({ token_use: "id", aud: CLIENT, client_id: undefined })}`),
      "token_use_not_allowed",
    ));

  it("denies an expired token", () =>
    assertDenied(event(`${PROTOCOL}, ${token({ exp: 1_700_000_000 })}`), "expired"));

  it("denies another client's token", () =>
    assertDenied(
      event(`${PROTOCOL}, ${token({ client_id: "other-client" })}`),
      "audience_not_allowed",
    ));

  it("denies a token without the required scope", () =>
    assertDenied(
      event(`${PROTOCOL}, ${token({ scope: "airline/loyalty.read" })}`),
      "missing_scope",
    ));

  it("denies a token of another user pool", () =>
    assertDenied(
      event(
        `${PROTOCOL}, ${token({ iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" })}`,
      ),
      "issuer_not_allowed",
    ));

  it("denies a forged signature", async () => {
    const [h, p] = token().split(".");
    const forged = `${h}.${p}.${Buffer.from("x".repeat(256)).toString("base64url")}`;
    await assertDenied(event(`${PROTOCOL}, ${forged}`), "invalid_signature");
  });

  it("denies no token, no app subprotocol, two tokens and a non-JWT", async () => {
    await assertDenied(event(PROTOCOL), "missing_token");
    await assertDenied(event(undefined), "missing_subprotocol");
    await assertDenied(event(token()), "missing_subprotocol");
    await assertDenied(event(`${PROTOCOL}, ${token()}, ${token()}`), "ambiguous_token");
    await assertDenied(event(`${PROTOCOL}, not-a-token`), "malformed_token");
  });

  it("refuses a token in the query string, even beside a valid header", async () => {
    await assertDenied(
      event(`${PROTOCOL}, ${token()}`, { token: token() }),
      "token_in_query_string",
    );
    await assertDenied(event(PROTOCOL, { access_token: "x" }), "token_in_query_string");
    await assertDenied(event(PROTOCOL, { t: token() }), "token_in_query_string");
    const beside = protocolToken(event(`${PROTOCOL}, ${token()}`, { lang: "en" }), PROTOCOL);
    assert.ok("token" in beside, "other query parameters are fine");
  });

  it("denies everyone when misconfigured, and names every bad variable", async () => {
    const d = { settings: undefined, verifier: undefined, log: () => undefined };
    const result = await authorizeConnect(event(`${PROTOCOL}, ${token()}`), d);
    assert.strictEqual(result.policyDocument.Statement[0].Effect, "Deny");
    assert.throws(
      () => parseWsAuthorizerEnv({ JWT_AUDIENCE: CLIENT, WS_SUBPROTOCOL: "two words" }),
      (err: unknown) =>
        err instanceof AuthorizerConfigError &&
        err.problems.some((p) => p.startsWith("JWT_ISSUER")) &&
        err.problems.some((p) => p.startsWith("WS_SUBPROTOCOL")),
    );
  });

  it("never throws on malformed events", async () => {
    for (const bad of [
      undefined,
      null,
      {},
      { headers: 5 },
      { headers: { "sec-websocket-protocol": 7 } },
    ]) {
      const result = await authorizeConnect(bad as never, deps());
      assert.strictEqual(result.policyDocument.Statement[0].Effect, "Deny");
    }
  });
});

import * as assert from "assert";
import { createHmac, generateKeyPairSync, KeyObject, sign as rsaSign } from "crypto";
import * as path from "path";
import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { FetchError } from "aws-jwt-verify/error";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { Jwk } from "aws-jwt-verify/jwk";
import { seeded } from "../../test/helpers/random";
import { captureStdout, malformedEvents } from "../shared/testing";
import { authorize, AuthorizerDeps, AuthorizerResult, DenialReason } from "./authorize";
import { AuthorizerConfigError, parseAuthorizerEnv } from "./settings";
import { createTokenVerifier } from "./verifier";

// Real keys and real RS256 signatures (node:crypto); the JWKS is fed to the verifiers' cache and
// the cache's fetcher fails fast, so no test can reach the network.
const ISSUER = "https://login.example-airline.com/oauth2/default";
const OTHER_ISSUER = "https://partner-idp.example.com";
const AUDIENCE = "api://bookings";
const POOL_ID = "eu-west-1_AbCdEf123";
const COGNITO_ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL_ID}`;
const WEB_CLIENT_ID = "4k9v0webclient000000000000";
const ROUTE_SCOPES = {
  "GET /bookings": ["airline/bookings.read"],
  "GET /bookings/{bookingId}": ["airline/bookings.read"],
  "POST /bookings": ["airline/bookings.write"],
};

function keyPair(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } as Jwk;
  return { privateKey, publicKey, jwk, kid };
}
const main = keyPair("main-2026");
const other = keyPair("partner-1");
const rotated = keyPair("rotated-not-yet-published");

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

function signJwt(
  payload: Record<string, unknown>,
  opts: { key?: KeyObject; header?: Record<string, unknown> } = {},
): string {
  const header = opts.header ?? { alg: "RS256", typ: "JWT", kid: main.kid };
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = rsaSign("sha256", Buffer.from(input), opts.key ?? main.privateKey);
  return `${input}.${signature.toString("base64url")}`;
}

/** A valid access token of the generic OIDC issuer; `overrides` change one claim each. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "00u1customer",
    scope: "airline/bookings.read airline/bookings.write",
    client_id: "spa-client",
    iat: t - 10,
    nbf: t - 10,
    exp: t + 600,
    ...overrides,
  };
}

/** A valid Cognito access token (no `aud`; `client_id` and `token_use` instead). */
function cognitoClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    iss: COGNITO_ISSUER,
    sub: "3f1c9d2e-cognito-user",
    token_use: "access",
    client_id: WEB_CLIENT_ID,
    scope: "openid airline/bookings.read",
    username: "3f1c9d2e-cognito-user",
    auth_time: t - 20,
    jti: "b2c1",
    origin_jti: "a1b2",
    iat: t - 10,
    exp: t + 600,
    ...overrides,
  };
}

function event(
  authorization: string | undefined,
  routeKey = "GET /bookings",
): APIGatewayRequestAuthorizerEventV2 {
  const [method, rawPath] = routeKey.split(" ");
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: `arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/${method}${rawPath}`,
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey,
    rawPath,
    rawQueryString: "",
    cookies: [],
    headers: authorization === undefined ? { host: "api" } : { host: "api", authorization },
    queryStringParameters: {},
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.9",
        userAgent: "t",
      },
      requestId: "req-1",
      routeKey,
      stage: "$default",
      time: "",
      timeEpoch: 0,
    },
    pathParameters: {},
    stageVariables: {},
  } as unknown as APIGatewayRequestAuthorizerEventV2;
}

interface Harness {
  deps: AuthorizerDeps;
  logs: { level: string; message: string; fields: Record<string, unknown> }[];
  fetches: string[];
}

/** Deps as the handler builds them, from an environment, with the keys cached and no network. */
function harness(env: Record<string, string> = {}): Harness {
  const settings = parseAuthorizerEnv({
    JWT_ISSUER: `${ISSUER},${OTHER_ISSUER},${COGNITO_ISSUER}`,
    JWT_AUDIENCE: `${AUDIENCE},${WEB_CLIENT_ID}`,
    JWT_ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES),
    ...env,
  });
  const fetches: string[] = [];
  const jwksCache = new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string) => {
        fetches.push(uri);
        // What aws-jwt-verify's own fetcher raises when a download fails.
        throw new FetchError(uri, "network disabled in tests");
      },
    },
  });
  const verifier = createTokenVerifier(settings, { jwksCache });
  for (const issuer of settings.issuers.map((i) => i.issuer)) {
    verifier.cacheJwks(issuer, { keys: [issuer === OTHER_ISSUER ? other.jwk : main.jwk] });
  }
  const logs: Harness["logs"] = [];
  return {
    deps: {
      settings,
      verifier,
      log: (level, message, fields) => logs.push({ level, message, fields }),
    },
    logs,
    fetches,
  };
}

async function decide(
  h: Harness,
  authorization: string | undefined,
  routeKey?: string,
): Promise<AuthorizerResult> {
  return authorize(event(authorization, routeKey), h.deps);
}

/** A denial must be exactly `{ isAuthorized: false }`, with its reason only in the log. */
function assertDenied(h: Harness, result: AuthorizerResult, reason: DenialReason) {
  assert.deepStrictEqual(result, { isAuthorized: false });
  assert.strictEqual(h.logs.length, 1, "one structured log entry per denial");
  assert.strictEqual(h.logs[0].fields.reason, reason);
}

describe("handlers/authorizer", () => {
  describe("allows", () => {
    it("allows a valid token and passes its claims as context", async () => {
      const h = harness();
      const result = await decide(h, `Bearer ${signJwt(claims())}`);
      assert.deepStrictEqual(result, {
        isAuthorized: true,
        context: {
          sub: "00u1customer",
          iss: ISSUER,
          scope: "airline/bookings.read airline/bookings.write",
          clientId: "spa-client",
        },
      });
      assert.deepStrictEqual(h.logs, []);
    });

    it("allows a token of a second configured issuer, verified with that issuer's keys", async () => {
      const h = harness();
      const token = signJwt(claims({ iss: OTHER_ISSUER }), {
        key: other.privateKey,
        header: { alg: "RS256", kid: other.kid },
      });
      const result = await decide(h, `Bearer ${token}`);
      assert.strictEqual(result.isAuthorized, true);
    });

    it("allows a Cognito access token whose client_id is an audience", async () => {
      const h = harness();
      const result = await decide(h, `Bearer ${signJwt(cognitoClaims())}`);
      assert.strictEqual(result.isAuthorized, true);
      assert.ok("context" in result);
      assert.strictEqual(result.context.clientId, WEB_CLIENT_ID);
      assert.strictEqual(result.context.username, "3f1c9d2e-cognito-user");
    });

    it("accepts the scheme in any case (bearer, BEARER)", async () => {
      const h = harness();
      const result = await decide(h, `bearer ${signJwt(claims())}`);
      assert.strictEqual(result.isAuthorized, true);
    });

    it("reads scopes from an scp array (Okta, Entra ID)", async () => {
      const h = harness();
      const token = signJwt(claims({ scope: undefined, scp: ["airline/bookings.write"] }));
      const result = await decide(h, `Bearer ${token}`, "POST /bookings");
      assert.strictEqual(result.isAuthorized, true);
    });
  });

  describe("denies", () => {
    it("denies alg none with an empty signature (unsigned token)", async () => {
      const h = harness();
      const payload = b64url(claims());
      const header = b64url({ alg: "none", typ: "JWT", kid: main.kid });
      assertDenied(h, await decide(h, `Bearer ${header}.${payload}.`), "malformed_token");
    });

    it("denies alg none with any signature", async () => {
      const h = harness();
      const [, payload, signature] = signJwt(claims()).split(".");
      const header = b64url({ alg: "none", typ: "JWT", kid: main.kid });
      assertDenied(
        h,
        await decide(h, `Bearer ${header}.${payload}.${signature}`),
        "algorithm_not_allowed",
      );
    });

    it("denies HS256 signed with the issuer's public key (algorithm confusion)", async () => {
      const h = harness();
      const header = b64url({ alg: "HS256", typ: "JWT", kid: main.kid });
      const input = `${header}.${b64url(claims())}`;
      const pem = main.publicKey.export({ format: "pem", type: "spki" });
      const mac = createHmac("sha256", pem).update(input).digest("base64url");
      assertDenied(h, await decide(h, `Bearer ${input}.${mac}`), "algorithm_not_allowed");
    });

    it("denies a token of an issuer that is not configured", async () => {
      const h = harness();
      const token = signJwt(claims({ iss: "https://evil.example.com" }));
      assertDenied(h, await decide(h, `Bearer ${token}`), "issuer_not_allowed");
    });

    it("denies a token signed by another issuer's key under a trusted iss", async () => {
      const h = harness();
      const token = signJwt(claims(), {
        key: other.privateKey,
        header: { alg: "RS256", kid: main.kid },
      });
      assertDenied(h, await decide(h, `Bearer ${token}`), "invalid_signature");
    });

    it("denies a token for another audience", async () => {
      const h = harness();
      const token = signJwt(claims({ aud: "api://payments" }));
      assertDenied(h, await decide(h, `Bearer ${token}`), "audience_not_allowed");
    });

    it("denies a Cognito access token of another app client", async () => {
      const h = harness();
      const token = signJwt(cognitoClaims({ client_id: "someoneelsesclient00000000" }));
      assertDenied(h, await decide(h, `Bearer ${token}`), "audience_not_allowed");
    });

    it("denies a Cognito ID token (APIs take access tokens)", async () => {
      const h = harness();
      const token = signJwt(
        cognitoClaims({ token_use: "id", aud: WEB_CLIENT_ID, client_id: undefined }),
      );
      assertDenied(h, await decide(h, `Bearer ${token}`), "token_use_not_allowed");
    });

    it("denies an expired token", async () => {
      const h = harness();
      const token = signJwt(claims({ iat: now() - 3600, exp: now() - 60 }));
      assertDenied(h, await decide(h, `Bearer ${token}`), "expired");
    });

    it("denies a token that is not yet valid (nbf in the future)", async () => {
      const h = harness();
      const token = signJwt(claims({ nbf: now() + 600 }));
      assertDenied(h, await decide(h, `Bearer ${token}`), "not_yet_valid");
    });

    it("denies a token whose payload was tampered with after signing", async () => {
      const h = harness();
      const [header, , signature] = signJwt(claims({ scope: "airline/bookings.read" })).split(".");
      const forged = b64url(claims({ scope: "airline/bookings.write", sub: "00u1admin" }));
      assertDenied(
        h,
        await decide(h, `Bearer ${header}.${forged}.${signature}`),
        "invalid_signature",
      );
    });

    it("denies an unknown kid after one JWKS refresh attempt, without reaching the network", async () => {
      const h = harness();
      const token = signJwt(claims(), {
        key: rotated.privateKey,
        header: { alg: "RS256", kid: rotated.kid },
      });
      const started = Date.now();
      assertDenied(h, await decide(h, `Bearer ${token}`), "unknown_key");
      assert.deepStrictEqual(h.fetches, [`${ISSUER}/.well-known/jwks.json`]);
      assert.ok(Date.now() - started < 1000, "the failing fetcher answers at once");
    });

    it("denies a token without the route's scope (read-only token on POST /bookings)", async () => {
      const h = harness();
      const token = signJwt(claims({ scope: "airline/bookings.read" }));
      assertDenied(h, await decide(h, `Bearer ${token}`, "POST /bookings"), "missing_scope");
    });

    it("denies a token without any scope", async () => {
      const h = harness();
      const token = signJwt(claims({ scope: undefined }));
      assertDenied(h, await decide(h, `Bearer ${token}`), "missing_scope");
    });

    it("denies a route that JWT_ROUTE_SCOPES does not name", async () => {
      const h = harness();
      const token = signJwt(claims());
      assertDenied(
        h,
        await decide(h, `Bearer ${token}`, "DELETE /bookings/{bookingId}"),
        "route_not_allowed",
      );
    });

    it("denies a token missing one of JWT_REQUIRED_SCOPES (all are required)", async () => {
      const h = harness({ JWT_REQUIRED_SCOPES: "airline/bookings.read airline/loyalty.read" });
      const token = signJwt(claims());
      assertDenied(h, await decide(h, `Bearer ${token}`), "missing_scope");
    });

    it("denies a malformed Authorization header (not Bearer)", async () => {
      const h = harness();
      assertDenied(h, await decide(h, "Basic dXNlcjpwYXNz"), "malformed_authorization_header");
    });

    it("denies a bearer value that is not a JWT", async () => {
      const h = harness();
      assertDenied(h, await decide(h, "Bearer not-a-jwt"), "malformed_authorization_header");
    });

    it("denies a JWT whose parts are not base64url JSON", async () => {
      const h = harness();
      assertDenied(h, await decide(h, "Bearer abc.def.ghi"), "malformed_token");
    });

    it("denies an empty Authorization header", async () => {
      const h = harness();
      assertDenied(h, await decide(h, "   "), "missing_token");
    });

    it("logs a denial with the caller's correlation id, else the request id", async () => {
      const h = harness();
      const ev = event("Bearer not-a-jwt");
      ev.headers = { ...ev.headers, "x-correlation-id": "corr-77" };
      await authorize(ev, h.deps);
      assert.strictEqual(h.logs[0].fields.correlationId, "corr-77");
      assert.strictEqual(h.logs[0].fields.requestId, "req-1");
      const h2 = harness();
      await decide(h2, "Bearer not-a-jwt");
      assert.strictEqual(h2.logs[0].fields.correlationId, "req-1");
    });

    it("denies a request without an Authorization header", async () => {
      const h = harness();
      assertDenied(h, await decide(h, undefined), "missing_token");
    });

    it("denies everyone when the environment is invalid", async () => {
      const h = harness();
      h.deps = { ...h.deps, settings: undefined, verifier: undefined };
      assertDenied(h, await decide(h, `Bearer ${signJwt(claims())}`), "misconfigured");
    });
  });

  describe("issuer routing", () => {
    const cases: [string, Record<string, string>][] = [
      ["one OIDC issuer", { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE }],
      ["two OIDC issuers", { JWT_ISSUER: `${ISSUER},${OTHER_ISSUER}`, JWT_AUDIENCE: AUDIENCE }],
      [
        "OIDC and Cognito issuers",
        { JWT_ISSUER: `${ISSUER},${COGNITO_ISSUER}`, JWT_AUDIENCE: AUDIENCE },
      ],
    ];
    for (const [what, env] of cases) {
      it(`with ${what}: allows a token of the first issuer`, async () => {
        const h = harness({ ...env, JWT_ROUTE_SCOPES: "" });
        const result = await decide(h, `Bearer ${signJwt(claims())}`);
        assert.strictEqual(result.isAuthorized, true);
      });

      it(`with ${what}: denies a token of an issuer not configured`, async () => {
        const h = harness({ ...env, JWT_ROUTE_SCOPES: "" });
        const token = signJwt(claims({ iss: "https://evil.example.com" }));
        assertDenied(h, await decide(h, `Bearer ${token}`), "issuer_not_allowed");
      });

      it(`with ${what}: denies a token without iss`, async () => {
        const h = harness({ ...env, JWT_ROUTE_SCOPES: "" });
        const token = signJwt(claims({ iss: undefined }));
        assertDenied(h, await decide(h, `Bearer ${token}`), "issuer_not_allowed");
      });
    }

    it("with only a Cognito pool: allows its access token, denies another pool's", async () => {
      const h = harness({
        JWT_ISSUER: COGNITO_ISSUER,
        JWT_AUDIENCE: WEB_CLIENT_ID,
        JWT_ROUTE_SCOPES: "",
      });
      assert.strictEqual(
        (await decide(h, `Bearer ${signJwt(cognitoClaims())}`)).isAuthorized,
        true,
      );
      const foreign = signJwt(
        cognitoClaims({ iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other0001" }),
      );
      assertDenied(h, await decide(h, `Bearer ${foreign}`), "issuer_not_allowed");
    });
  });

  describe("never throws", () => {
    it("denies when the verifier throws something that is not an Error", async () => {
      const h = harness();
      h.deps.verifier = {
        verify: () => {
          throw "boom";
        },
      };
      assertDenied(h, await decide(h, `Bearer ${signJwt(claims())}`), "verification_failed");
    });

    it("denies when the log sink itself throws", async () => {
      const h = harness();
      h.deps.log = () => {
        throw new Error("log sink down");
      };
      const result = await decide(h, "Bearer not-a-jwt");
      assert.deepStrictEqual(result, { isAuthorized: false });
    });

    it("denies 300 malformed events and mangled tokens, each exactly { isAuthorized: false }, never throwing", async () => {
      const h = harness();
      const valid = signJwt(claims());
      const rand = seeded(11);
      // Mangled tokens: one character changed, parts dropped or repeated, huge, odd schemes.
      const tokens: string[] = [];
      for (let i = 0; i < 60; i++) {
        const at = Math.floor(rand() * valid.length);
        const c = "A-_.=/+ \u0000é"[Math.floor(rand() * 12)];
        tokens.push(`Bearer ${valid.slice(0, at)}${c}${valid.slice(at + 1)}`);
      }
      const [head, body, sig] = valid.split(".");
      tokens.push(
        `Bearer ${head}.${body}`,
        `Bearer ${head}.${body}.${sig}.${sig}`,
        `Bearer ${head}..${sig}`,
        `Bearer .${body}.${sig}`,
        `Bearer ${valid} ${valid}`,
        `Bearer ${"a".repeat(100_000)}.${body}.${sig}`,
        `Token ${valid}`,
        `${valid}`,
        "Bearer",
        "Bearer ",
      );
      const base = event(`Bearer ${valid}`) as unknown as Record<string, unknown>;
      const events = [
        ...tokens.map((t) => event(t)),
        ...malformedEvents(
          base,
          ["headers", "headers.authorization", "routeKey", "requestContext", "requestContext.http"],
          [],
          300 - tokens.length,
        ),
      ];
      assert.strictEqual(events.length, 300);
      let allowed = 0;
      for (const ev of events) {
        h.logs.length = 0;
        const result = await authorize(ev as APIGatewayRequestAuthorizerEventV2, h.deps);
        if (result.isAuthorized) {
          // Only an event that still carries the untouched valid token on a known route.
          allowed++;
          const e = ev as { headers?: { authorization?: unknown }; routeKey?: unknown };
          assert.strictEqual(e.headers?.authorization, `Bearer ${valid}`);
          assert.ok(typeof e.routeKey === "string" && e.routeKey in ROUTE_SCOPES);
          continue;
        }
        assert.deepStrictEqual(result, { isAuthorized: false }, JSON.stringify(ev)?.slice(0, 200));
        assert.strictEqual(h.logs.length, 1, "one log entry per denial");
      }
      // Half the generated events change only the body, which an authorizer never reads.
      assert.ok(300 - allowed >= 120, `only ${300 - allowed} of 300 denied`);
    });

    it("denies an event without headers or request context", async () => {
      const h = harness();
      const result = await authorize({} as APIGatewayRequestAuthorizerEventV2, h.deps);
      assertDenied(h, result, "missing_token");
    });

    it("the bundled-entry handler denies (not throws) when its environment is invalid", async () => {
      const saved = { ...process.env };
      delete process.env.JWT_ISSUER;
      delete process.env.JWT_AUDIENCE;
      const entry = path.join(__dirname, "index.ts");
      delete require.cache[require.resolve(entry)];
      try {
        const { handler } = (await import(entry)) as typeof import("./index");
        const { result, lines } = await captureStdout(() =>
          handler(event(`Bearer ${signJwt(claims())}`)),
        );
        assert.deepStrictEqual(result, { isAuthorized: false });
        // Loudly: the fault as an ERROR line naming the variables, then the denial.
        const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.deepStrictEqual(
          entries.map((e) => [e.level, e.service, e.message]),
          [
            ["ERROR", "http-api-authorizer", "authorizer misconfigured; denying every request"],
            ["WARN", "http-api-authorizer", "request denied"],
          ],
        );
        assert.match(String(entries[0].error), /JWT_ISSUER is required/);
        assert.strictEqual(entries[1].reason, "misconfigured");
        assert.strictEqual(entries[1].correlationId, "req-1");
      } finally {
        process.env = saved;
        delete require.cache[require.resolve(entry)];
      }
    });
  });

  describe("settings", () => {
    it("reports every bad variable at once", () => {
      assert.throws(
        () =>
          parseAuthorizerEnv({
            JWT_ISSUER: "http://insecure.example.com",
            JWKS_URI: "https://a.example.com/keys,https://b.example.com/keys",
            JWT_ROUTE_SCOPES: '{"GET /bookings": "airline/bookings.read"}',
          }),
        (err: unknown) => {
          assert.ok(err instanceof AuthorizerConfigError);
          const text = err.problems.join("\n");
          assert.match(text, /JWT_ISSUER: expected an https:\/\/ URL/);
          assert.match(text, /JWT_AUDIENCE is required/);
          assert.match(text, /JWKS_URI: expected one URL per issuer \(1\), found 2/);
          assert.match(text, /JWT_ROUTE_SCOPES\['GET \/bookings'\]/);
          return true;
        },
      );
    });

    it("defaults each issuer's JWKS URI to <issuer>/.well-known/jwks.json and spots Cognito pools", () => {
      const s = parseAuthorizerEnv({
        JWT_ISSUER: `${ISSUER}/,${COGNITO_ISSUER}`,
        JWT_AUDIENCE: "a",
      });
      assert.deepStrictEqual(s.issuers, [
        { issuer: `${ISSUER}/`, jwksUri: `${ISSUER}/.well-known/jwks.json` },
        {
          issuer: COGNITO_ISSUER,
          jwksUri: `${COGNITO_ISSUER}/.well-known/jwks.json`,
          cognitoUserPoolId: POOL_ID,
        },
      ]);
      assert.strictEqual(s.routeScopes, undefined);
    });

    it("uses JWKS_URI for an issuer whose keys live elsewhere (Okta /v1/keys)", () => {
      const s = parseAuthorizerEnv({
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWKS_URI: `${ISSUER}/v1/keys`,
      });
      assert.strictEqual(s.issuers[0].jwksUri, `${ISSUER}/v1/keys`);
    });
  });
});

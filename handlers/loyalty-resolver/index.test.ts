import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AppSyncResolverEvent } from "aws-lambda";
import { handle as handleLoyalty } from "../loyalty";
import { CUSTOMER_ID } from "../shared/ids";
import { createLogger } from "../shared/logger";
import { captureStdout, malformedEvents } from "../shared/testing";
import type { CallerRule } from "../shared/caller-rule";
import {
  cachedParameter,
  callerRuleFrom,
  createResolver,
  customerFor,
  envSigner,
  FORBIDDEN,
  handler,
  Log,
  ResolverDeps,
  ResolverError,
  UNAVAILABLE,
} from "./index";

const REGION = "eu-west-1";
const CREDS = {
  AWS_ACCESS_KEY_ID: "ASIATESTACCESSKEY000",
  AWS_SECRET_ACCESS_KEY: "testSecretAccessKey/abcdefghijklmnopqrstuv",
  AWS_SESSION_TOKEN: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN",
};
const API_KEY = "usage-plan-key-0123456789abcdefghij";
const USER = "5b2e2c4a-7c1d-4b8e-9e43-3f0d6c1a2b77";
const POOL = `https://cognito-idp.${REGION}.amazonaws.com/${REGION}_Abc`;
/** What the program configures with a Cognito user pool (app/airline callerRuleFor). */
const COGNITO_ADMINS: CallerRule = {
  issuer: POOL,
  groupsClaim: "cognito:groups",
  adminGroups: ["admin"],
  tokenUse: "access",
  operationScopes: { "Query.booking": ["airline/bookings.read"] },
};
/** An external issuer's rule: no token kind, admins from `claim` (empty: none). */
const oidcRule = (claim: string, groups = ["admin"]): CallerRule => ({
  issuer: "https://login.example.com",
  groupsClaim: claim,
  adminGroups: groups,
  tokenUse: "",
  operationScopes: {},
});

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A stand-in for the private REST API: records each request and answers as told. */
async function startServer(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json =
  (status: number, body: unknown) => (_: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

const silent: Log & { lines: string[]; entries: Record<string, unknown>[] } = {
  lines: [],
  entries: [],
  info(m, extra) {
    this.lines.push(m);
    this.entries.push({ level: "info", message: m, ...extra });
  },
  warn(m, extra) {
    this.lines.push(m);
    this.entries.push({ level: "warn", message: m, ...extra });
  },
  error(m, extra) {
    this.lines.push(m);
    this.entries.push({ level: "error", message: m, ...extra });
  },
};

function deps(url: string, overrides: Partial<ResolverDeps> = {}): ResolverDeps {
  return {
    apiUrl: url,
    apiKey: async () => API_KEY,
    rule: COGNITO_ADMINS,
    timeoutMs: 3000,
    sign: envSigner(REGION, { ...CREDS }),
    fetch: (input, init) => fetch(input, init),
    log: silent,
    ...overrides,
  };
}

/** A `loyalty(customerId)` or `myLoyalty` event from a Cognito user (happy path: own id). */
function event(
  overrides: {
    fieldName?: string;
    customerId?: unknown;
    identity?: AppSyncResolverEvent<Record<string, unknown>>["identity"];
  } = {},
): AppSyncResolverEvent<Record<string, unknown>> {
  const fieldName = overrides.fieldName ?? "loyalty";
  return {
    arguments: fieldName === "loyalty" ? { customerId: overrides.customerId ?? USER } : {},
    identity:
      "identity" in overrides
        ? overrides.identity
        : {
            sub: USER,
            issuer: POOL,
            username: "alice",
            claims: { sub: USER, iss: POOL, token_use: "access" },
            sourceIp: ["203.0.113.9"],
            defaultAuthStrategy: "ALLOW",
            groups: null,
          },
    source: null,
    request: { headers: {}, domainName: null },
    info: {
      fieldName,
      parentTypeName: "Query",
      selectionSetList: [],
      selectionSetGraphQL: "",
      variables: {},
    },
    prev: null,
    stash: {},
  } as AppSyncResolverEvent<Record<string, unknown>>;
}

/** Re-signs what the server received with the same library and secret at the request's date. */
async function expectedAuthorization(seen: Seen, host: string): Promise<string> {
  const amzDate = String(seen.headers["x-amz-date"]);
  const date = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"),
  );
  const signedHeaders = /SignedHeaders=([^,]+)/
    .exec(String(seen.headers.authorization))![1]
    .split(";");
  const headers: Record<string, string> = {};
  for (const h of signedHeaders) headers[h] = String(seen.headers[h]);
  const [hostname, port] = host.split(":");
  const signer = new SignatureV4({
    service: "execute-api",
    region: REGION,
    sha256: Sha256,
    credentials: {
      accessKeyId: CREDS.AWS_ACCESS_KEY_ID,
      secretAccessKey: CREDS.AWS_SECRET_ACCESS_KEY,
      sessionToken: CREDS.AWS_SESSION_TOKEN,
    },
  });
  const resigned = (await signer.sign(
    new HttpRequest({
      method: seen.method,
      protocol: "http:",
      hostname,
      port: Number(port),
      path: seen.url,
      headers,
    }),
    { signingDate: date },
  )) as HttpRequest;
  return resigned.headers.authorization;
}

describe("loyalty resolver", () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  beforeEach(() => {
    silent.lines = [];
    silent.entries = [];
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("sends a SigV4-signed GET with the usage-plan key to the API's host, stage and path", async () => {
    server = await startServer(json(200, { customerId: USER, points: 1200, tier: "silver" }));
    const resolve = createResolver(deps(server.url));
    const result = await resolve(event());

    assert.deepStrictEqual(result, {
      customerId: USER,
      points: 1200,
      tier: "SILVER",
      remainingPoints: null,
    });
    assert.strictEqual(server.seen.length, 1);
    const seen = server.seen[0];
    const host = new URL(server.url).host;
    assert.strictEqual(seen.method, "GET");
    assert.strictEqual(seen.url, `/v1/loyalty/${USER}`);
    assert.strictEqual(seen.headers.host, host);
    assert.strictEqual(seen.headers["x-api-key"], API_KEY);
    assert.strictEqual(seen.headers["x-amz-security-token"], CREDS.AWS_SESSION_TOKEN);
    assert.match(String(seen.headers["x-amz-date"]), /^\d{8}T\d{6}Z$/);
    const today = String(seen.headers["x-amz-date"]).slice(0, 8);
    const auth = String(seen.headers.authorization);
    assert.match(
      auth,
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${CREDS.AWS_ACCESS_KEY_ID}/${today}/${REGION}/execute-api/aws4_request, SignedHeaders=[^,]*\\bhost\\b[^,]*, Signature=[0-9a-f]{64}$`,
      ),
    );
    for (const h of ["host", "x-amz-date", "x-amz-security-token", "x-api-key"])
      assert.ok(auth.includes(h), `${h} is signed`);
    assert.strictEqual(auth, await expectedAuthorization(seen, host), "signature verifies");
  });

  it("sends no X-Amz-Security-Token when the credentials have no session token", async () => {
    server = await startServer(json(200, { points: 5, tier: "BRONZE", remainingPoints: 995 }));
    const { AWS_SESSION_TOKEN: _omit, ...longTerm } = CREDS;
    const resolve = createResolver(deps(server.url, { sign: envSigner(REGION, longTerm) }));
    const result = await resolve(event());
    assert.strictEqual(result?.remainingPoints, 995);
    assert.strictEqual(server.seen[0].headers["x-amz-security-token"], undefined);
    assert.match(String(server.seen[0].headers.authorization), /^AWS4-HMAC-SHA256 Credential=/);
  });

  it("maps what the loyalty service really answers, remainingPoints included (the contract between the two)", async () => {
    // The loyalty handler itself answers the GET, with a stub table: no hand-written body.
    const rest = await handleLoyalty(
      {
        httpMethod: "GET",
        resource: "/loyalty/{customerId}",
        path: `/loyalty/${USER}`,
        pathParameters: { customerId: USER },
        headers: {},
        requestContext: {
          requestId: "rest-1",
          identity: { userArn: "arn:aws:sts::123456789012:assumed-role/invoker/resolver" },
        },
      } as never,
      {
        db: { send: async () => ({ Item: { customerId: USER, points: 62_000 } }) },
        tableName: "loyalty",
        keyTableName: "loyalty-idempotency",
        leaseMs: 10_000,
        logger: createLogger({}, { write: () => undefined }),
      },
    );
    assert.strictEqual(rest.statusCode, 200);
    server = await startServer((_, res) => {
      res.writeHead(rest.statusCode, { "content-type": "application/json" });
      res.end(rest.body);
    });
    const resolve = createResolver(deps(server.url));
    assert.deepStrictEqual(await resolve(event()), {
      customerId: USER,
      points: 62_000,
      tier: "SILVER",
      remainingPoints: 38_000,
    });
  });

  it("asks for the caller's own sub for myLoyalty, whatever the arguments", async () => {
    server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    const resolve = createResolver(deps(server.url));
    await resolve(event({ fieldName: "myLoyalty" }));
    assert.strictEqual(server.seen[0].url, `/v1/loyalty/${USER}`);
  });

  it("maps a 403 from the API to the GraphQL error Forbidden", async () => {
    server = await startServer(
      json(403, { message: "User: arn:aws:sts::123456789012:assumed-role/x is not authorized" }),
    );
    const resolve = createResolver(deps(server.url));
    await assert.rejects(resolve(event()), (err: ResolverError) => {
      assert.strictEqual(err.message, FORBIDDEN);
      assert.strictEqual(err.errorType, "Forbidden");
      assert.ok(!/arn:|assumed-role/.test(err.message));
      return true;
    });
  });

  it("maps a 404 to null (no loyalty account)", async () => {
    server = await startServer(json(404, { message: "not found" }));
    const resolve = createResolver(deps(server.url));
    assert.strictEqual(await resolve(event()), null);
  });

  it("maps a 5xx to 'Loyalty service unavailable' without the API's internals", async () => {
    server = await startServer(
      json(502, { message: "Internal server error: table loyalty-prod throttled at 10.20.3.4" }),
    );
    const resolve = createResolver(deps(server.url));
    await assert.rejects(resolve(event()), (err: ResolverError) => {
      assert.strictEqual(err.message, UNAVAILABLE);
      assert.strictEqual(err.errorType, "ServiceUnavailable");
      return true;
    });
  });

  it("maps a timeout to 'Loyalty service unavailable' and stops waiting", async () => {
    server = await startServer(() => {
      /* never answers */
    });
    const resolve = createResolver(deps(server.url, { timeoutMs: 150 }));
    const started = Date.now();
    await assert.rejects(resolve(event()), (err: ResolverError) => {
      assert.strictEqual(err.message, UNAVAILABLE);
      assert.ok(!/abort|timeout|127\.0\.0\.1/i.test(err.message));
      return true;
    });
    assert.ok(Date.now() - started < 2000, "gave up near the timeout");
  });

  it("maps a malformed 200 body to 'Loyalty service unavailable'", async () => {
    server = await startServer((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>proxy error</html>");
    });
    const resolve = createResolver(deps(server.url));
    await assert.rejects(resolve(event()), { message: UNAVAILABLE });
  });

  it("refuses another customer's loyalty to a user outside the admin group, without calling the API", async () => {
    server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    const resolve = createResolver(deps(server.url));
    await assert.rejects(resolve(event({ customerId: "someone-else" })), { message: FORBIDDEN });
    assert.strictEqual(server.seen.length, 0);
  });

  it("forwards the caller's correlation id to the API, signed, and logs it on every line", async () => {
    server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    const resolve = createResolver(deps(server.url));
    const ev = event();
    ev.request.headers["x-correlation-id"] = "corr-graphql-1";
    await resolve(ev, { awsRequestId: "aws-req-1" });
    const seen = server.seen[0];
    assert.strictEqual(seen.headers["x-correlation-id"], "corr-graphql-1");
    assert.match(String(seen.headers.authorization), /SignedHeaders=[^,]*x-correlation-id/);
    assert.strictEqual(
      seen.headers.authorization,
      await expectedAuthorization(seen, new URL(server.url).host),
    );
    assert.ok(silent.entries.length > 0);
    for (const entry of silent.entries) {
      assert.strictEqual(entry.correlationId, "corr-graphql-1");
      assert.strictEqual(entry.requestId, "aws-req-1");
    }
  });

  it("uses the Lambda request id as correlation id when the header is missing or malformed", async () => {
    server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    const resolve = createResolver(deps(server.url));
    const ev = event();
    ev.request.headers["x-correlation-id"] = "evil\ninjected";
    await resolve(ev, { awsRequestId: "aws-req-2" });
    assert.strictEqual(server.seen[0].headers["x-correlation-id"], "aws-req-2");
    assert.ok(silent.entries.every((e) => e.correlationId === "aws-req-2"));
  });

  it("refuses a customerId the loyalty service would reject (65 characters) as a bad request, without calling the API", async () => {
    server = await startServer(json(400, { error: "invalid_request" }));
    const resolve = createResolver(deps(server.url));
    const tooLong = "c".repeat(65);
    await assert.rejects(
      resolve(event({ customerId: tooLong, identity: null })),
      (err: ResolverError) => err.errorType === "BadRequest" && /customerId/.test(err.message),
    );
    assert.strictEqual(server.seen.length, 0);
  });

  it("answers myLoyalty with null, without calling the API, for a sub that cannot be a customer id", async () => {
    server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    const resolve = createResolver(deps(server.url, { rule: oidcRule("") }));
    const identity = { sub: "auth0|42", issuer: "https://login.example.com", claims: {} };
    assert.strictEqual(await resolve(event({ fieldName: "myLoyalty", identity })), null);
    assert.strictEqual(server.seen.length, 0);
  });

  it("answers 300 malformed events with a result or a ResolverError, never a TypeError, and sends only valid ids", async () => {
    const paths = [
      "arguments",
      "arguments.customerId",
      "identity",
      "identity.sub",
      "identity.claims",
      "identity.claims.groups",
      "identity.groups",
      "identity.userArn",
      "info",
      "info.fieldName",
      "request",
      "request.headers",
      "request.headers.x-correlation-id",
    ];
    const admin = event({
      customerId: "c-42",
      identity: { sub: USER, issuer: "https://idp", claims: { sub: USER }, groups: ["admin"] },
    });
    const events = [
      ...malformedEvents(event() as never, paths, [], 100, 31),
      ...malformedEvents(event({ fieldName: "myLoyalty" }) as never, paths, [], 100, 32),
      ...malformedEvents(admin as never, paths, [], 100, 33),
    ];
    const urls: string[] = [];
    const resolve = createResolver(
      deps("https://abc123.execute-api.eu-west-1.amazonaws.com/v1", {
        fetch: async (input) => {
          urls.push(String(input));
          return new Response(JSON.stringify({ points: 7, tier: "gold" }), { status: 200 });
        },
      }),
    );
    const outcomes = new Map<string, number>();
    for (const ev of events) {
      let outcome: string;
      try {
        const result = await resolve(ev as AppSyncResolverEvent<Record<string, unknown>>);
        outcome = result === null ? "null" : "ok";
      } catch (err) {
        assert.ok(
          err instanceof ResolverError,
          `${String(err)} for ${JSON.stringify(ev)?.slice(0, 300)}`,
        );
        assert.ok(
          [FORBIDDEN, UNAVAILABLE, "Unknown field"].includes(err.message) ||
            /^customerId must be /.test(err.message),
          err.message,
        );
        outcome = err.errorType;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    assert.strictEqual(events.length, 300);
    // The fuzz exercised refusals as well as calls.
    for (const kind of ["ok", "BadRequest", "Forbidden"]) {
      assert.ok((outcomes.get(kind) ?? 0) > 10, `${kind}: ${JSON.stringify([...outcomes])}`);
    }
    for (const url of urls) {
      const id = /\/v1\/loyalty\/([^/?]+)$/.exec(url)?.[1];
      assert.ok(id !== undefined && CUSTOMER_ID.test(decodeURIComponent(id)), url);
    }
  });

  it("the Lambda entry point logs JSON lines with its service and correlation id (and, without CALLER_RULE in its environment, refuses)", async () => {
    const ev = event({ customerId: "someone-else" });
    ev.request.headers["x-correlation-id"] = "corr-entry-1";
    const { lines } = await captureStdout(() =>
      assert.rejects(handler(ev, { awsRequestId: "aws-entry-1" }), { message: UNAVAILABLE }),
    );
    assert.strictEqual(lines.length, 1, lines.join("\n"));
    const entry = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.strictEqual(entry.level, "ERROR");
    assert.strictEqual(entry.service, "loyalty-resolver");
    assert.strictEqual(entry.correlationId, "corr-entry-1");
    assert.strictEqual(entry.requestId, "aws-entry-1");
    assert.match(String(entry.error), /CALLER_RULE/);
  });

  it("refuses an unsafe customerId as a bad request naming the field", async () => {
    server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    const resolve = createResolver(deps(server.url));
    await assert.rejects(resolve(event({ customerId: "../../admin" })), (err: ResolverError) => {
      assert.strictEqual(err.errorType, "BadRequest");
      assert.match(err.message, /customerId/);
      return true;
    });
    assert.strictEqual(server.seen.length, 0);
  });
});

describe("loyalty resolver authorization (customerFor)", () => {
  const cognito = (groups: string[] | null, extra: Record<string, unknown> = {}) => ({
    sub: USER,
    issuer: POOL,
    username: "alice",
    claims: {
      sub: USER,
      iss: POOL,
      token_use: "access",
      ...(groups ? { "cognito:groups": groups } : {}),
      ...extra,
    },
    sourceIp: [],
    defaultAuthStrategy: "ALLOW",
    groups,
  });
  const oidc = (claims: Record<string, unknown>, iss = "https://login.example.com") => ({
    sub: USER,
    issuer: iss,
    claims: { sub: USER, iss, ...claims },
  });

  it("lets a user read their own loyalty", () => {
    assert.strictEqual(customerFor(event(), COGNITO_ADMINS), USER);
  });

  it("lets a Cognito admin (cognito:groups) read any customer's loyalty", () => {
    assert.strictEqual(
      customerFor(event({ customerId: "c-42", identity: cognito(["admin"]) }), COGNITO_ADMINS),
      "c-42",
    );
  });

  it("refuses an external IdP's `groups: admin` claim when config names no groups claim", () => {
    const identity = oidc({ groups: ["admin"], "cognito:groups": ["admin"] });
    const noAdmins = oidcRule("");
    assert.throws(() => customerFor(event({ customerId: "c-42", identity }), noAdmins), {
      message: FORBIDDEN,
    });
  });

  it("lets an OIDC admin through the configured claim and values only", () => {
    const rule = oidcRule("roles", ["loyalty-admin", "ops"]);
    const ok = oidc({ roles: "viewer ops" });
    assert.strictEqual(customerFor(event({ customerId: "c-42", identity: ok }), rule), "c-42");
    for (const claims of [{ roles: ["admin"] }, { groups: ["ops"] }, { roles: 7 }]) {
      assert.throws(
        () => customerFor(event({ customerId: "c-42", identity: oidc(claims) }), rule),
        { message: FORBIDDEN },
        JSON.stringify(claims),
      );
    }
  });

  it("ignores AppSync's identity.groups unless the configured claim carries the group", () => {
    const identity = { ...cognito(null), groups: ["admin"] };
    assert.throws(() => customerFor(event({ customerId: "c-42", identity }), COGNITO_ADMINS), {
      message: FORBIDDEN,
    });
  });

  it("refuses a user in another group", () => {
    assert.throws(
      () =>
        customerFor(event({ customerId: "c-42", identity: cognito(["agents"]) }), COGNITO_ADMINS),
      { message: FORBIDDEN },
    );
  });

  for (const [who, userArn, accountId] of [
    ["a role of this account", "arn:aws:sts::123456789012:assumed-role/svc/s", "123456789012"],
    ["a role of another account", "arn:aws:sts::999999999999:assumed-role/x/s", "999999999999"],
    ["an IAM user", "arn:aws:iam::123456789012:user/ci", "123456789012"],
  ] as const) {
    it(`refuses an IAM caller (${who}): no IAM principal is a caller of customer data`, () => {
      const identity = {
        accountId,
        userArn,
        username: "AROA:s",
        sourceIp: [],
        cognitoIdentityPoolId: null,
        cognitoIdentityId: null,
        cognitoIdentityAuthType: null,
        cognitoIdentityAuthProvider: null,
      } as unknown as AppSyncResolverEvent<Record<string, unknown>>["identity"];
      for (const customerId of ["c-42", USER])
        assert.throws(() => customerFor(event({ customerId, identity }), COGNITO_ADMINS), {
          message: FORBIDDEN,
        });
    });
  }

  it("refuses a user pool's ID token (token_use id, no scopes), an admin's too", () => {
    for (const fieldName of ["myLoyalty", "loyalty"])
      for (const identity of [
        cognito(null, { token_use: "id" }),
        cognito(["admin"], { token_use: "id" }),
      ])
        assert.throws(
          () => customerFor(event({ fieldName, customerId: "c-42", identity }), COGNITO_ADMINS),
          { message: FORBIDDEN },
          fieldName,
        );
  });

  it("with an external issuer that is a user pool, cognito:groups names no admin unless config names that claim", () => {
    const pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other";
    const identity = oidc({ "cognito:groups": ["admin"] }, pool);
    const rule = { ...oidcRule(""), issuer: pool };
    assert.throws(() => customerFor(event({ customerId: "c-42", identity }), rule), {
      message: FORBIDDEN,
    });
    const named = { ...rule, groupsClaim: "cognito:groups" };
    assert.strictEqual(customerFor(event({ customerId: "c-42", identity }), named), "c-42");
  });

  it("counts the groups claim only from the rule's issuer, by exact match", () => {
    const rule = oidcRule("groups");
    for (const iss of ["https://login.example.com/", "https://login.example.com.evil", "https://x"])
      assert.throws(
        () =>
          customerFor(
            event({ customerId: "c-42", identity: oidc({ groups: ["admin"] }, iss) }),
            rule,
          ),
        { message: FORBIDDEN },
        iss,
      );
    const ok = oidc({ groups: ["admin"] });
    assert.strictEqual(customerFor(event({ customerId: "c-42", identity: ok }), rule), "c-42");
  });

  it("refuses myLoyalty without a user identity", () => {
    assert.throws(
      () => customerFor(event({ fieldName: "myLoyalty", identity: null }), COGNITO_ADMINS),
      {
        message: FORBIDDEN,
      },
    );
  });
});

describe("loyalty resolver usage-plan key (cachedParameter)", () => {
  /** A stand-in SSM client: counts reads and answers from `values` (or fails). */
  function ssm(values: (string | Error)[]) {
    const calls: Record<string, unknown>[] = [];
    return {
      calls,
      send: async (command: { input: Record<string, unknown> }) => {
        calls.push(command.input);
        const v = values[Math.min(calls.length - 1, values.length - 1)];
        if (v instanceof Error) throw v;
        return { Parameter: { Value: v } };
      },
    };
  }

  it("reads the SecureString once, decrypted, and serves every later call from memory", async () => {
    const client = ssm([API_KEY]);
    const key = cachedParameter("/sec1/dev/loyalty-api/appsync-loyalty-resolver", client as never);
    assert.deepStrictEqual(await Promise.all([key(), key(), key()]), [API_KEY, API_KEY, API_KEY]);
    assert.strictEqual(await key(), API_KEY);
    assert.deepStrictEqual(client.calls, [
      { Name: "/sec1/dev/loyalty-api/appsync-loyalty-resolver", WithDecryption: true },
    ]);
  });

  it("does not keep a failed read: the next invocation reads again", async () => {
    const client = ssm([new Error("throttled"), API_KEY]);
    const key = cachedParameter("/p", client as never);
    await assert.rejects(key(), /throttled/);
    assert.strictEqual(await key(), API_KEY);
    assert.strictEqual(client.calls.length, 2);
  });

  it("answers 'Loyalty service unavailable' without calling the API when the key cannot be read", async () => {
    const server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    try {
      const resolve = createResolver(
        deps(server.url, { apiKey: () => Promise.reject(new Error("AccessDenied")) }),
      );
      await assert.rejects(resolve(event()), { message: UNAVAILABLE });
      assert.strictEqual(server.seen.length, 0);
    } finally {
      await server.close();
    }
  });
});

describe("loyalty resolver caller rule from the environment (callerRuleFrom)", () => {
  it("reads the rule the program sets as JSON", () => {
    assert.deepStrictEqual(
      callerRuleFrom({ CALLER_RULE: JSON.stringify(COGNITO_ADMINS) }),
      COGNITO_ADMINS,
    );
  });

  it("refuses every request, without calling the API, when the rule is missing or malformed", async () => {
    const server = await startServer(json(200, { points: 1, tier: "GOLD" }));
    try {
      for (const env of [{}, { CALLER_RULE: "{" }, { CALLER_RULE: '{"issuer":1}' }]) {
        const rule = callerRuleFrom(env);
        assert.ok(rule instanceof Error, JSON.stringify(env));
        const resolve = createResolver(deps(server.url, { rule }));
        await assert.rejects(resolve(event()), { message: UNAVAILABLE });
      }
      assert.strictEqual(server.seen.length, 0);
    } finally {
      await server.close();
    }
  });
});

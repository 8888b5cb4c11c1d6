// HttpApi: JWT and Lambda authorizers, routes with scopes, CORS, throttles and logs, wired with
// the airline's routes from the app contract.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { API_SCOPES, BOOKINGS_API, BOOKINGS_ROUTE_KEYS } from "../app/airline/contract";
import { parsePlatformConfig, PlatformConfig } from "../config";
import {
  HttpApi,
  HttpApiArgs,
  permissionPathOf,
  routeKeyOf,
  validateHttpApiArgs,
} from "../components/http-api";
import { Identity } from "../components/identity";
import { parseAuthorizerEnv } from "../handlers/authorizer/settings";
import { registeredBeforeFailure } from "../tools/mock-engine";
import { one, ofType, ProgramRun, PROD_OIDC, runComponents, stackConfig } from "./helpers/harness";

const API = "aws:apigatewayv2/api:Api";
const AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer";
const ROUTE = "aws:apigatewayv2/route:Route";
const INTEGRATION = "aws:apigatewayv2/integration:Integration";
const STAGE = "aws:apigatewayv2/stage:Stage";
const PERMISSION = "aws:lambda/permission:Permission";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const LAMBDA = "aws:lambda/function:Function";

/** The bookings function, as another component would pass it (fake ARNs). */
const BOOKINGS = {
  functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:bookings-fn",
  invokeArn:
    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:bookings-fn/invocations",
  functionName: "bookings-fn",
};

/** The validated config of a checked-in stack, with overrides (as `pulumi config set` would). */
function config(stack: string, overrides: Record<string, unknown> = {}): PlatformConfig {
  return parsePlatformConfig(stackConfig(stack, overrides));
}

/** Identity + HttpApi wired the way index.ts wires them, from a stack's config. */
function build(c: PlatformConfig, overrides: Partial<HttpApiArgs> = {}): Promise<ProgramRun> {
  return runComponents(() => {
    const identity = new Identity("identity", {
      identityProvider: c.identityProvider,
      apiScopes: API_SCOPES,
      cognitoDomainPrefix: c.cognitoDomainPrefix,
      cognitoCallbackUrls: c.cognitoCallbackUrls,
      cognitoLogoutUrls: c.cognitoLogoutUrls,
      cognitoMfa: c.cognitoMfa,
      oidcIssuer: c.oidcIssuer,
      oidcAudiences: c.oidcAudiences,
      oidcJwksUri: c.oidcJwksUri,
      protect: c.protectResources,
      tags: c.tags,
    });
    const api = new HttpApi("bookings", {
      routes: BOOKINGS_API.routes,
      allowWildcardOrigin: c.posture === "development",
      corsAllowHeaders: BOOKINGS_API.corsAllowHeaders,
      corsExposeHeaders: BOOKINGS_API.corsExposeHeaders,
      authorizerMode: c.authorizerMode,
      issuerUrl: identity.issuerUrl,
      audiences: identity.audiences,
      scopes: identity.scopes,
      jwksUri: identity.jwksUri,
      handlers: { bookings: BOOKINGS },
      corsAllowOrigins: c.corsAllowOrigins,
      rateLimit: c.httpApiRateLimit,
      burstLimit: c.httpApiBurstLimit,
      routeThrottles: c.httpApiRouteThrottles,
      logRetentionDays: c.logRetentionDays,
      tags: c.tags,
      ...overrides,
    });
    return {
      issuerUrl: identity.issuerUrl,
      audiences: identity.audiences,
      url: api.url,
      executionArn: api.executionArn,
    };
  });
}

/** Plain args for the pure validator; one change per case. */
function plainArgs(overrides: Partial<HttpApiArgs> = {}): HttpApiArgs {
  return {
    routes: BOOKINGS_API.routes,
    authorizerMode: "jwt",
    issuerUrl: "https://login.example-airline.com/oauth2/default",
    audiences: ["api://bookings"],
    scopes: { "bookings.read": "r", "bookings.write": "w", "loyalty.read": "l" },
    handlers: { bookings: BOOKINGS },
    corsAllowOrigins: ["https://app.example-airline.com"],
    rateLimit: 200,
    burstLimit: 400,
    routeThrottles: { "POST /bookings": { rateLimit: 50, burstLimit: 100 } },
    logRetentionDays: 365,
    ...overrides,
  };
}

describe("components/http-api", () => {
  it("names route keys the way API Gateway and the app contract do", () => {
    assert.deepStrictEqual(BOOKINGS_API.routes.map(routeKeyOf), [...BOOKINGS_ROUTE_KEYS]);
  });

  describe("JWT mode with Cognito (dev)", () => {
    let run: ProgramRun;
    before(async () => {
      run = await build(config("dev"));
    });

    it("gives every route JWT authorization by the API's authorizer and the route's scopes", () => {
      const authorizer = one(run, AUTHORIZER);
      const routes = ofType(run, ROUTE);
      assert.strictEqual(routes.length, BOOKINGS_API.routes.length);
      for (const spec of BOOKINGS_API.routes) {
        const route = routes.find((r) => r.inputs.routeKey === routeKeyOf(spec));
        assert.ok(route, `route ${routeKeyOf(spec)}`);
        assert.strictEqual(route.inputs.authorizationType, "JWT");
        assert.strictEqual(route.inputs.authorizerId, authorizer.id);
        assert.deepStrictEqual(
          route.inputs.authorizationScopes,
          spec.scopes.map((s) => `airline/${s}`),
        );
      }
      const post = routes.find((r) => r.inputs.routeKey === "POST /bookings");
      assert.deepStrictEqual(post?.inputs.authorizationScopes, ["airline/bookings.write"]);
    });

    it("trusts the user pool as issuer and its app clients as audiences", () => {
      const authorizer = one(run, AUTHORIZER).inputs;
      const poolId = one(run, "aws:cognito/userPool:UserPool").id;
      assert.strictEqual(authorizer.authorizerType, "JWT");
      assert.deepStrictEqual(authorizer.identitySources, ["$request.header.Authorization"]);
      const jwt = authorizer.jwtConfiguration as { issuer: string; audiences: string[] };
      assert.strictEqual(jwt.issuer, `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`);
      const clientIds = ofType(run, "aws:cognito/userPoolClient:UserPoolClient").map((c) => c.id);
      assert.deepStrictEqual([...jwt.audiences].sort(), [...clientIds].sort());
    });

    it("integrates the bookings function with Lambda proxy payload 2.0", () => {
      const integration = one(run, INTEGRATION).inputs;
      assert.strictEqual(integration.integrationType, "AWS_PROXY");
      assert.strictEqual(integration.payloadFormatVersion, "2.0");
      assert.strictEqual(integration.integrationUri, BOOKINGS.invokeArn);
      const id = one(run, INTEGRATION).id;
      for (const route of ofType(run, ROUTE))
        assert.strictEqual(route.inputs.target, `integrations/${id}`);
    });

    it("lets API Gateway invoke the function only for this API's routes, method and path", () => {
      const executionArn = run.outputs.executionArn as string;
      const permissions = ofType(run, PERMISSION);
      // One grant per route of the app contract, any stage, its method, its path with each
      // {parameter} a single-segment wildcard.
      const expected = BOOKINGS_API.routes.map(
        (r) => `${executionArn}/*/${r.method}${r.path.replace(/\{\w+\}/g, "*")}`,
      );
      assert.deepStrictEqual(permissions.map((p) => p.inputs.sourceArn).sort(), expected.sort());
      assert.ok(expected.includes(`${executionArn}/*/GET/bookings/*`));
      for (const p of permissions) {
        assert.strictEqual(p.inputs.principal, "apigateway.amazonaws.com");
        assert.strictEqual(p.inputs.action, "lambda:InvokeFunction");
        assert.strictEqual(p.inputs.function, BOOKINGS.functionName);
      }
    });

    it("answers CORS for the configured origins only, without credentials", () => {
      const cors = one(run, API).inputs.corsConfiguration as Record<string, unknown>;
      assert.deepStrictEqual(cors.allowOrigins, config("dev").corsAllowOrigins);
      assert.strictEqual(cors.allowCredentials, false);
      assert.deepStrictEqual(cors.allowHeaders, [
        "authorization",
        "content-type",
        "idempotency-key",
        "x-correlation-id",
      ]);
      assert.deepStrictEqual(cors.exposeHeaders, ["x-correlation-id"]);
    });

    it("lets a browser send every request header the bookings handler reads (else its preflight fails)", () => {
      const cors = one(run, API).inputs.corsConfiguration as { allowHeaders: string[] };
      // Header names the handler looks up: `header(headers, "<name>")` in the handler and the
      // shared helpers it uses (correlation id), read from the source, not from the component.
      const read = new Set<string>();
      for (const file of ["handlers/bookings/index.ts", "handlers/shared/http.ts"]) {
        const source = fs.readFileSync(path.join(__dirname, "..", file), "utf8");
        for (const m of source.matchAll(/\bheader\([^,()]+,\s*"([^"]+)"\)/g))
          read.add(m[1].toLowerCase());
      }
      assert.deepStrictEqual([...read].sort(), ["idempotency-key", "x-correlation-id"]);
      for (const name of read) assert.ok(cors.allowHeaders.includes(name), name);
    });

    it("throttles the $default stage and POST /bookings with the dev config's limits", () => {
      const stage = one(run, STAGE).inputs;
      assert.strictEqual(stage.name, "$default");
      assert.strictEqual(stage.autoDeploy, true);
      assert.deepStrictEqual(stage.defaultRouteSettings, {
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
        detailedMetricsEnabled: true,
      });
      assert.deepStrictEqual(stage.routeSettings, [
        {
          routeKey: "POST /bookings",
          throttlingRateLimit: 10,
          throttlingBurstLimit: 20,
          detailedMetricsEnabled: true,
        },
      ]);
    });

    it("creates the stage after the routes its routeSettings name", () => {
      const stage = one(run, STAGE);
      assert.strictEqual(ofType(run, ROUTE).length, BOOKINGS_API.routes.length);
      for (const route of ofType(run, ROUTE))
        assert.ok(stage.dependencies.includes(route.urn), route.name);
    });

    it("writes JSON access logs to a log group with the configured retention", () => {
      const stage = one(run, STAGE).inputs;
      const group = one(run, LOG_GROUP, "-access-logs");
      const settings = stage.accessLogSettings as { destinationArn: string; format: string };
      assert.strictEqual(settings.destinationArn, group.arn);
      const format = JSON.parse(settings.format) as Record<string, string>;
      assert.strictEqual(format.requestId, "$context.requestId");
      assert.strictEqual(format.status, "$context.status");
      assert.strictEqual(format.authorizerError, "$context.authorizer.error");
      assert.strictEqual(group.inputs.retentionInDays, 14);
    });

    it("parents every child to the component and tags the taggable ones", () => {
      const component = one(run, "sec1:api:HttpApi");
      const children = run.resources.filter((r) => r.name.startsWith("bookings-"));
      for (const r of children) assert.strictEqual(r.parent, component.urn, r.name);
      for (const type of [API, STAGE, LOG_GROUP]) {
        assert.deepStrictEqual(one(run, type, "").inputs.tags, config("dev").tags, type);
      }
    });
  });

  describe("JWT mode with an external OIDC issuer (prod)", () => {
    let run: ProgramRun;
    before(async () => {
      run = await build(config("prod", PROD_OIDC));
    });

    it("trusts the configured issuer and audiences, with the bare scope names", () => {
      const jwt = one(run, AUTHORIZER).inputs.jwtConfiguration as Record<string, unknown>;
      assert.strictEqual(jwt.issuer, "https://login.example-airline.com/oauth2/default");
      assert.deepStrictEqual(jwt.audiences, ["api://bookings"]);
      const get = ofType(run, ROUTE).find((r) => r.inputs.routeKey === "GET /bookings");
      assert.deepStrictEqual(get?.inputs.authorizationScopes, ["bookings.read"]);
    });

    it("throttles with the prod config's limits", () => {
      const stage = one(run, STAGE).inputs;
      assert.deepStrictEqual(stage.defaultRouteSettings, {
        throttlingRateLimit: 200,
        throttlingBurstLimit: 400,
        detailedMetricsEnabled: true,
      });
      const routeSettings = stage.routeSettings as Record<string, unknown>[];
      assert.deepStrictEqual(
        routeSettings.map((s) => [s.routeKey, s.throttlingRateLimit, s.throttlingBurstLimit]),
        [["POST /bookings", 50, 100]],
      );
      assert.strictEqual(one(run, LOG_GROUP, "-access-logs").inputs.retentionInDays, 365);
    });

    it("refuses a '*' CORS origin in prod before creating anything", async () => {
      let failure: unknown;
      await assert.rejects(
        build(config("prod"), { corsAllowOrigins: ["*"] }).catch((e: unknown) => {
          failure = e;
          throw e;
        }),
        /corsAllowOrigins must not contain '\*' unless allowWildcardOrigin is true/,
      );
      // The identity tier (external OIDC in prod) registers nothing of its own; the API none.
      const registered = registeredBeforeFailure(failure) ?? [];
      assert.deepStrictEqual(
        registered.filter((r) => r.name.startsWith("bookings-")).map((r) => r.name),
        [],
      );
      assert.ok(
        registered.some((r) => r.type === "sec1:api:HttpApi"),
        "the failure is recorded",
      );
    });
  });

  describe("Lambda authorizer mode", () => {
    let run: ProgramRun;
    before(async () => {
      run = await build(config("dev", { authorizerMode: "lambda" }));
    });

    it("wires a REQUEST authorizer (payload 2.0, simple responses, cached per token and route)", () => {
      const authorizer = one(run, AUTHORIZER).inputs;
      const fn = one(run, LAMBDA, "bookings-authorizer-function");
      assert.strictEqual(authorizer.authorizerType, "REQUEST");
      assert.strictEqual(authorizer.authorizerPayloadFormatVersion, "2.0");
      assert.strictEqual(authorizer.enableSimpleResponses, true);
      assert.deepStrictEqual(authorizer.identitySources, [
        "$request.header.Authorization",
        "$context.routeKey",
      ]);
      assert.strictEqual(authorizer.authorizerResultTtlInSeconds, 300);
      assert.strictEqual(authorizer.authorizerUri, fn.wireOutputs.invokeArn);
    });

    it("lets API Gateway invoke the authorizer only as this authorizer", () => {
      const executionArn = run.outputs.executionArn as string;
      const authorizerId = one(run, AUTHORIZER).id;
      const permission = one(run, PERMISSION, "bookings-authorizer-invoke").inputs;
      assert.strictEqual(permission.sourceArn, `${executionArn}/authorizers/${authorizerId}`);
      assert.strictEqual(permission.principal, "apigateway.amazonaws.com");
      assert.strictEqual(
        permission.function,
        one(run, LAMBDA, "bookings-authorizer-function").wireOutputs.name,
      );
    });

    it("gives every route CUSTOM authorization by the Lambda authorizer", () => {
      const authorizerId = one(run, AUTHORIZER).id;
      assert.strictEqual(ofType(run, ROUTE).length, BOOKINGS_API.routes.length);
      for (const route of ofType(run, ROUTE)) {
        assert.strictEqual(route.inputs.authorizationType, "CUSTOM");
        assert.strictEqual(route.inputs.authorizerId, authorizerId);
      }
    });

    it("configures the authorizer with the issuer, audiences and each route's scopes it accepts", () => {
      const fn = one(run, LAMBDA, "bookings-authorizer-function").inputs;
      const env = (fn.environment as { variables: Record<string, string> }).variables;
      const settings = parseAuthorizerEnv(env);
      const poolId = one(run, "aws:cognito/userPool:UserPool").id;
      assert.deepStrictEqual(settings.issuers, [
        {
          issuer: `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`,
          jwksUri: `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}/.well-known/jwks.json`,
          cognitoUserPoolId: poolId,
        },
      ]);
      assert.deepStrictEqual(settings.audiences, run.outputs.audiences);
      // Each route of the app contract with its scopes, as the identity tier names them.
      assert.deepStrictEqual(
        settings.routeScopes,
        Object.fromEntries(
          BOOKINGS_API.routes.map((r) => [
            routeKeyOf(r),
            r.scopes.map((s) => `${API_SCOPES.resourceServer}/${s}`),
          ]),
        ),
      );
      assert.deepStrictEqual(settings.routeScopes["POST /bookings"], ["airline/bookings.write"]);
    });

    it("caps the authorizer function with the configured reserved concurrency", async () => {
      const capped = await build(config("dev", { authorizerMode: "lambda" }), {
        authorizerReservedConcurrency: 25,
      });
      const fn = one(capped, LAMBDA, "bookings-authorizer-function").inputs;
      assert.strictEqual(fn.reservedConcurrentExecutions, 25);
    });

    it("gives the authorizer function a log group with the configured retention", () => {
      const group = one(run, LOG_GROUP, "bookings-authorizer-logs");
      assert.strictEqual(group.inputs.retentionInDays, 14);
    });
  });

  describe("validateHttpApiArgs", () => {
    it("accepts the happy-path args", () => {
      assert.deepStrictEqual(validateHttpApiArgs(plainArgs()), []);
    });

    it("allows '*' only when told to, and never with credentials", () => {
      assert.deepStrictEqual(
        validateHttpApiArgs(plainArgs({ allowWildcardOrigin: true, corsAllowOrigins: ["*"] })),
        [],
      );
    });

    it("refuses a route without scopes, a scope the API does not know and a duplicate route", () => {
      const [get, ...rest] = BOOKINGS_API.routes;
      const problems = validateHttpApiArgs(
        plainArgs({
          routes: [{ ...get, scopes: [] }, { ...get, scopes: ["bookings.delete"] }, ...rest],
        }),
      );
      assert.deepStrictEqual(problems, [
        "routes[0].scopes: expected at least one scope (GET /bookings)",
        "routes[1]: duplicate route 'GET /bookings'",
        "routes[1].scopes: 'bookings.delete' is not one of scopes (bookings.read, bookings.write, loyalty.read)",
      ]);
    });

    it("reports every problem at once, naming each field", () => {
      const problems = validateHttpApiArgs(
        plainArgs({
          corsAllowOrigins: ["*"],
          corsAllowCredentials: true,
          routeThrottles: { "DELETE /bookings": { rateLimit: 1, burstLimit: 1 } },
          handlers: {} as HttpApiArgs["handlers"],
          issuerUrl: "http://login.example.com",
          audiences: [],
        }),
      );
      assert.deepStrictEqual(
        problems.map((p) => p.split(" ")[0]),
        [
          "corsAllowOrigins",
          "corsAllowCredentials",
          "routeThrottles['DELETE",
          "handlers.bookings",
          "issuerUrl",
          "audiences",
        ],
      );
    });
  });

  it("refuses, before the API exists, a name whose Lambda authorizer would be autonamed past 64 characters", () => {
    const name = "b".repeat(42);
    assert.deepStrictEqual(validateHttpApiArgs(plainArgs(), name), []);
    const problems = validateHttpApiArgs(plainArgs({ authorizerMode: "lambda" }), name);
    assert.deepStrictEqual(
      problems.map((p) => p.split("'")[1]),
      [`${name}-authorizer-function`, `${name}-authorizer-role`],
    );
    assert.deepStrictEqual(
      validateHttpApiArgs(plainArgs({ authorizerMode: "lambda" }), "bookings-api"),
      [],
    );
  });

  it("scopes a path parameter as * in the permission's sourceArn", () => {
    assert.strictEqual(
      permissionPathOf({ method: "GET", path: "/bookings/{bookingId}" }),
      "/*/GET/bookings/*",
    );
  });
});

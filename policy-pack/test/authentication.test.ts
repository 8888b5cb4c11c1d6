import * as assert from "assert";
import * as aws from "@pulumi/aws";
import {
  appsyncAuthProviders,
  authorizerResultTtl,
  httpApiQuickCreate,
  httpRouteAuthorization,
  jwtAuthorizerConfig,
  lambdaFunctionUrlAuth,
  openApiBodySecurity,
  restAuthorizerConfig,
  restMethodAuthorization,
} from "../policies/authentication";
import { TYPES } from "../lib/stack-refs";
import {
  assertOne,
  assertSilent,
  messagesOf,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";

describe("type tokens the stack policies follow", () => {
  it("match the @pulumi/aws classes", () => {
    const pairs: [string, { isInstance(o: unknown): boolean }][] = [
      [TYPES.restApi, aws.apigateway.RestApi],
      [TYPES.restStage, aws.apigateway.Stage],
      [TYPES.restMethod, aws.apigateway.Method],
      [TYPES.restAuthorizer, aws.apigateway.Authorizer],
      [TYPES.methodSettings, aws.apigateway.MethodSettings],
      [TYPES.usagePlan, aws.apigateway.UsagePlan],
      [TYPES.usagePlanKey, aws.apigateway.UsagePlanKey],
      [TYPES.apiKey, aws.apigateway.ApiKey],
      [TYPES.restDomainName, aws.apigateway.DomainName],
      [TYPES.httpApi, aws.apigatewayv2.Api],
      [TYPES.httpRoute, aws.apigatewayv2.Route],
      [TYPES.httpAuthorizer, aws.apigatewayv2.Authorizer],
      [TYPES.httpStage, aws.apigatewayv2.Stage],
      [TYPES.httpDomainName, aws.apigatewayv2.DomainName],
      [TYPES.graphQLApi, aws.appsync.GraphQLApi],
      [TYPES.appsyncApiKey, aws.appsync.ApiKey],
      [TYPES.identityPool, aws.cognito.IdentityPool],
      [TYPES.functionUrl, aws.lambda.FunctionUrl],
      [TYPES.webAclAssociation, aws.wafv2.WebAclAssociation],
    ];
    for (const [token, cls] of pairs) {
      assert.ok(cls.isInstance({ __pulumiType: token }), token);
    }
  });
});

describe("sec1-a-rest-method-authorization", () => {
  const method = (props: Record<string, unknown> = {}, name = "get-items") => ({
    type: TYPES.restMethod,
    name,
    props: {
      restApi: "a1b2c3d4e5",
      resourceId: "r1",
      httpMethod: "GET",
      authorization: "AWS_IAM",
      ...props,
    },
  });

  it("accepts an AWS_IAM method", async () => {
    assertSilent(await runStackPolicy(restMethodAuthorization, [method()]));
  });
  it("accepts a CUSTOM method with an authorizer", async () => {
    assertSilent(
      await runStackPolicy(restMethodAuthorization, [
        method({ authorization: "CUSTOM", authorizerId: "auth1" }),
      ]),
    );
  });
  it("reports a method with authorization NONE", async () => {
    assertOne(
      await runStackPolicy(restMethodAuthorization, [method({ authorization: "NONE" })]),
      /API Gateway Method 'get-items' \(GET\) must authenticate callers \(anyone on the internet → GET .*\(NONE\)\); set authorization to AWS_IAM/,
    );
  });
  it("keeps the part of a path the stack knows when its parent is outside the stack", async () => {
    const resource = {
      type: "aws:apigateway/resource:Resource",
      name: "send",
      props: { id: "res1", restApi: "a1b2c3d4e5", parentId: "elsewhere", pathPart: "send" },
    };
    const open = method({ authorization: "NONE", resourceId: "res1" });
    assertOne(
      await runStackPolicy(restMethodAuthorization, [resource, open]),
      /anyone on the internet → GET …\/send \(NONE\)/,
    );
  });
  it("reports that apiKeyRequired alone is not authentication", async () => {
    assertOne(
      await runStackPolicy(restMethodAuthorization, [
        method({ authorization: "NONE", apiKeyRequired: true }),
      ]),
      /apiKeyRequired alone is not authentication/,
    );
  });
  it("reports a COGNITO_USER_POOLS method without an authorizerId", async () => {
    assertOne(
      await runStackPolicy(restMethodAuthorization, [
        method({ authorization: "COGNITO_USER_POOLS" }),
      ]),
      /must name the authorizer .* set authorizerId/,
    );
  });
  it("exempts OPTIONS (CORS preflight)", async () => {
    assertSilent(
      await runStackPolicy(restMethodAuthorization, [
        method({ httpMethod: "OPTIONS", authorization: "NONE" }),
      ]),
    );
  });
  it("stays silent when authorization or the authorizer id is unknown", async () => {
    assertSilent(
      await runStackPolicy(restMethodAuthorization, [method({ authorization: UNKNOWN })]),
    );
    assertSilent(
      await runStackPolicy(restMethodAuthorization, [
        method({ authorization: "CUSTOM", authorizerId: UNKNOWN }),
      ]),
    );
  });
  it("exempts methods named in exemptResources", async () => {
    const open = method({ authorization: "NONE" }, "health-get");
    assert.strictEqual(messagesOf(await runStackPolicy(restMethodAuthorization, [open])).length, 1);
    assertSilent(
      await runStackPolicy(restMethodAuthorization, [open], { exemptResources: ["health-*"] }),
    );
  });
  it("checks OPTIONS too when the config removes the exemption", async () => {
    const preflight = method({ httpMethod: "OPTIONS", authorization: "NONE" });
    assertOne(
      await runStackPolicy(restMethodAuthorization, [preflight], { exemptHttpMethods: [] }),
      /OPTIONS/,
    );
  });
});

describe("sec1-a-rest-authorizer-config", () => {
  const authorizer = (props: Record<string, unknown> = {}) => ({
    type: TYPES.restAuthorizer,
    name: "jwt-authorizer",
    props: {
      restApi: "a1b2c3d4e5",
      type: "REQUEST",
      authorizerUri:
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:auth/invocations",
      identitySource: "method.request.header.Authorization",
      ...props,
    },
  });

  it("accepts a complete REQUEST authorizer", async () => {
    assertSilent(await runResourcePolicy(restAuthorizerConfig, authorizer()));
  });
  it("reports a REQUEST authorizer without identity source", async () => {
    assertOne(
      await runResourcePolicy(restAuthorizerConfig, authorizer({ identitySource: undefined })),
      /must read the caller's credential; set identitySource/,
    );
  });
  it("reports a TOKEN authorizer without a Lambda URI (TOKEN is the default type)", async () => {
    assertOne(
      await runResourcePolicy(
        restAuthorizerConfig,
        authorizer({ type: undefined, authorizerUri: undefined }),
      ),
      /must invoke a Lambda function; set authorizerUri/,
    );
  });
  it("reports a Cognito authorizer without provider ARNs, accepts one with them", async () => {
    const cognito = {
      type: "COGNITO_USER_POOLS",
      authorizerUri: undefined,
      identitySource: undefined,
    };
    assertOne(
      await runResourcePolicy(restAuthorizerConfig, authorizer(cognito)),
      /set providerArns/,
    );
    assertSilent(
      await runResourcePolicy(
        restAuthorizerConfig,
        authorizer({
          ...cognito,
          providerArns: ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"],
        }),
      ),
    );
  });
  it("stays silent when the URI and identity source are unknown", async () => {
    assertSilent(
      await runResourcePolicy(
        restAuthorizerConfig,
        authorizer({ authorizerUri: UNKNOWN, identitySource: UNKNOWN }),
      ),
    );
  });
});

describe("sec1-a-authorizer-result-ttl", () => {
  const rest = (ttl: unknown) => ({
    type: TYPES.restAuthorizer,
    name: "auth",
    props: {
      restApi: "a",
      type: "TOKEN",
      authorizerUri: "arn:x",
      authorizerResultTtlInSeconds: ttl,
    },
  });
  const http = (ttl: unknown) => ({
    type: TYPES.httpAuthorizer,
    name: "auth-v2",
    props: {
      apiId: "a",
      authorizerType: "REQUEST",
      authorizerUri: "arn:x",
      authorizerResultTtlInSeconds: ttl,
    },
  });

  it("accepts a TTL within bounds", async () => {
    assertSilent(await runResourcePolicy(authorizerResultTtl, rest(60)));
    assertSilent(await runResourcePolicy(authorizerResultTtl, http(0)));
  });
  it("reports a TTL above the bound on REST and HTTP authorizers", async () => {
    assertOne(await runResourcePolicy(authorizerResultTtl, rest(3600)), /0-300 seconds.*now 3600/);
    assertOne(
      await runResourcePolicy(authorizerResultTtl, http(900)),
      /API Gateway v2 Authorizer 'auth-v2'/,
    );
  });
  it("stays silent when the TTL is unknown", async () => {
    assertSilent(await runResourcePolicy(authorizerResultTtl, rest(UNKNOWN)));
  });
  it("follows the configured bounds (the AWS default of 300 s fails a 60 s bound)", async () => {
    assertSilent(await runResourcePolicy(authorizerResultTtl, rest(undefined)));
    assertOne(
      await runResourcePolicy(authorizerResultTtl, rest(undefined), { maxResultTtlSeconds: 60 }),
      /now 300/,
    );
  });
  it("is advisory", () => assert.strictEqual(authorizerResultTtl.enforcementLevel, "advisory"));
});

describe("sec1-a-http-route-authorization", () => {
  const api = (protocolType: string, id = "httpapi01"): StackResourceInput => ({
    type: TYPES.httpApi,
    name: `api-${protocolType.toLowerCase()}`,
    props: { id, protocolType, name: "api" },
  });
  const authorizer = (apiName: string, apiUrn: string): StackResourceInput => ({
    type: TYPES.httpAuthorizer,
    name: `${apiName}-jwt`,
    props: { id: `${apiName}-auth`, apiId: UNKNOWN, authorizerType: "JWT" },
    propertyDependencies: { apiId: [apiUrn] },
  });
  const route = (
    props: Record<string, unknown>,
    deps: Record<string, string[]> = {},
  ): StackResourceInput => ({
    type: TYPES.httpRoute,
    name: "route",
    props: { apiId: UNKNOWN, routeKey: "GET /items", ...props },
    propertyDependencies: deps,
  });
  const httpUrn = urnOf(TYPES.httpApi, "api-http");
  const wsUrn = urnOf(TYPES.httpApi, "api-websocket");
  const stack = (...routes: StackResourceInput[]) => [
    api("HTTP"),
    api("WEBSOCKET", "wsapi01"),
    authorizer("api-http", httpUrn),
    authorizer("other", wsUrn),
    ...routes,
  ];
  const onHttp = { apiId: [httpUrn] };

  it("accepts a JWT route with an authorizer of its own API", async () => {
    const r = route(
      { authorizationType: "JWT", authorizerId: UNKNOWN },
      {
        ...onHttp,
        authorizerId: [urnOf(TYPES.httpAuthorizer, "api-http-jwt")],
      },
    );
    assertSilent(await runStackPolicy(httpRouteAuthorization, stack(r)));
  });
  it("reports a route without authorizationType (missing means NONE)", async () => {
    assertOne(
      await runStackPolicy(httpRouteAuthorization, stack(route({}, onHttp))),
      /HTTP API Route 'route' \(GET \/items\) must authenticate callers/,
    );
  });
  it("reports a JWT route whose authorizer belongs to another API", async () => {
    const r = route(
      { authorizationType: "JWT", authorizerId: UNKNOWN },
      {
        ...onHttp,
        authorizerId: [urnOf(TYPES.httpAuthorizer, "other-jwt")],
      },
    );
    assertOne(
      await runStackPolicy(httpRouteAuthorization, stack(r)),
      /must use an authorizer of its own API/,
    );
  });
  it("reports a CUSTOM route without authorizerId", async () => {
    assertOne(
      await runStackPolicy(
        httpRouteAuthorization,
        stack(route({ authorizationType: "CUSTOM" }, onHttp)),
      ),
      /must name its CUSTOM authorizer/,
    );
  });
  it("requires auth on the WebSocket $connect route only", async () => {
    const ws = { apiId: [wsUrn] };
    const connect = route({ routeKey: "$connect" }, ws);
    const message = route({ routeKey: "sendmessage" }, ws);
    assertOne(
      await runStackPolicy(httpRouteAuthorization, stack(connect, message)),
      /WebSocket Route .*\$connect/,
    );
    const signed = route({ routeKey: "$connect", authorizationType: "AWS_IAM" }, ws);
    assertSilent(await runStackPolicy(httpRouteAuthorization, stack(signed, message)));
  });
  it("stays silent when the authorization type is unknown, or $default's API is unknown", async () => {
    assertSilent(
      await runStackPolicy(
        httpRouteAuthorization,
        stack(route({ authorizationType: UNKNOWN }, onHttp)),
      ),
    );
    assertSilent(
      await runStackPolicy(httpRouteAuthorization, stack(route({ routeKey: "$default" }))),
    );
  });
  it("judges routes of an HTTP API outside the stack as HTTP routes, by key or payload format", async () => {
    const outside = { apiId: "ext1234" };
    const integration = (payloadFormatVersion: unknown): StackResourceInput => ({
      type: TYPES.httpIntegration,
      name: "ext-integration",
      props: {
        id: "int1",
        apiId: "ext1234",
        integrationType: "AWS_PROXY",
        integrationUri: "arn:aws:lambda:us-east-1:123456789012:function:orders",
        payloadFormatVersion,
      },
    });
    const keyed = route({ ...outside, routeKey: "POST /orders" });
    assertOne(
      await runStackPolicy(httpRouteAuthorization, [keyed]),
      /HTTP API Route 'route' \(POST \/orders\) must authenticate callers \(anyone on the internet → POST \/orders \(NONE\)\)/,
    );
    const byDefault = route({ ...outside, routeKey: "$default", target: "integrations/int1" });
    assertOne(
      await runStackPolicy(httpRouteAuthorization, [byDefault, integration("2.0")]),
      /HTTP API Route 'route' \(\$default\) must authenticate callers \(anyone on the internet → \$default \(NONE\) → function orders\)/,
    );
    // Payload format 1.0 is WebSocket's too: nothing tells which API $default is on.
    assertSilent(await runStackPolicy(httpRouteAuthorization, [byDefault, integration("1.0")]));
    assertSilent(await runStackPolicy(httpRouteAuthorization, [byDefault, integration(UNKNOWN)]));
  });
  it("exempts OPTIONS routes and configured route keys", async () => {
    assertSilent(
      await runStackPolicy(
        httpRouteAuthorization,
        stack(route({ routeKey: "OPTIONS /items" }, onHttp)),
      ),
    );
    const health = route({ routeKey: "GET /health" }, onHttp);
    assert.strictEqual(
      messagesOf(await runStackPolicy(httpRouteAuthorization, stack(health))).length,
      1,
    );
    assertSilent(
      await runStackPolicy(httpRouteAuthorization, stack(health), {
        exemptRouteKeys: ["GET /health"],
      }),
    );
  });
  it("matches APIs by id when there are no property dependencies", async () => {
    assertOne(
      await runStackPolicy(
        httpRouteAuthorization,
        stack(route({ apiId: "httpapi01", authorizationType: "NONE" })),
      ),
      /HTTP API Route/,
    );
  });
});

describe("sec1-a-jwt-authorizer-config", () => {
  const jwt = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: TYPES.httpAuthorizer,
    name: "jwt",
    props: {
      apiId: "httpapi01",
      authorizerType: "JWT",
      identitySources: ["$request.header.Authorization"],
      jwtConfiguration: config,
      ...extra,
    },
  });
  const good = {
    issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
    audiences: ["client1"],
  };

  it("accepts an https issuer with audiences", async () => {
    assertSilent(await runResourcePolicy(jwtAuthorizerConfig, jwt(good)));
  });
  it("reports an http issuer and empty audiences", async () => {
    const run = await runResourcePolicy(
      jwtAuthorizerConfig,
      jwt({ issuer: "http://idp.example.com", audiences: [] }),
    );
    assert.deepStrictEqual(
      messagesOf(run).map((m) => /set (\S+)/.exec(m)?.[1]),
      ["jwtConfiguration.issuer", "jwtConfiguration.audiences"],
    );
  });
  it("reports a REQUEST authorizer without identity sources", async () => {
    const run = await runResourcePolicy(
      jwtAuthorizerConfig,
      jwt({}, { authorizerType: "REQUEST", authorizerUri: "arn:x", identitySources: [] }),
    );
    assertOne(run, /set identitySources/);
  });
  it("stays silent when issuer and audiences are unknown", async () => {
    assertSilent(
      await runResourcePolicy(jwtAuthorizerConfig, jwt({ issuer: UNKNOWN, audiences: UNKNOWN })),
    );
    assertSilent(
      await runResourcePolicy(jwtAuthorizerConfig, jwt(good, { jwtConfiguration: UNKNOWN })),
    );
  });
});

describe("sec1-a-appsync-auth-providers", () => {
  const cognito = { userPoolId: "eu-west-1_abc", awsRegion: "eu-west-1", defaultAction: "ALLOW" };
  const graphql = (props: Record<string, unknown> = {}) => ({
    type: TYPES.graphQLApi,
    name: "graphql",
    props: { authenticationType: "AMAZON_COGNITO_USER_POOLS", userPoolConfig: cognito, ...props },
  });

  it("accepts Cognito default with IAM and API_KEY next to it", async () => {
    const extra = [{ authenticationType: "AWS_IAM" }];
    assertSilent(
      await runResourcePolicy(
        appsyncAuthProviders,
        graphql({ additionalAuthenticationProviders: extra }),
      ),
    );
  });
  it("reports API_KEY as the default provider", async () => {
    assertOne(
      await runResourcePolicy(appsyncAuthProviders, graphql({ authenticationType: "API_KEY" })),
      /must not use an API key as its default authentication/,
    );
  });
  it("reports API_KEY as the only public provider next to IAM", async () => {
    const run = await runResourcePolicy(
      appsyncAuthProviders,
      graphql({
        authenticationType: "AWS_IAM",
        additionalAuthenticationProviders: [{ authenticationType: "API_KEY" }],
      }),
      { allowedAuthenticationTypes: ["AWS_IAM", "API_KEY"] },
    );
    assertOne(run, /only provider for public callers/);
  });
  it("reports incomplete provider configs (OIDC issuer, client id, Lambda URI, user pool region)", async () => {
    const run = await runResourcePolicy(
      appsyncAuthProviders,
      graphql({
        userPoolConfig: { userPoolId: "eu-west-1_abc", defaultAction: "ALLOW" },
        additionalAuthenticationProviders: [
          { authenticationType: "OPENID_CONNECT", openidConnectConfig: { issuer: "http://idp" } },
          { authenticationType: "AWS_LAMBDA", lambdaAuthorizerConfig: {} },
        ],
      }),
    );
    const set = messagesOf(run).map((m) => /set (\S+)/.exec(m)?.[1]);
    assert.deepStrictEqual(set, [
      "userPoolConfig.awsRegion",
      "additionalAuthenticationProviders[0].openidConnectConfig.issuer",
      "additionalAuthenticationProviders[0].openidConnectConfig.clientId",
      "additionalAuthenticationProviders[1].lambdaAuthorizerConfig.authorizerUri",
    ]);
  });
  it("stays silent when the providers are unknown", async () => {
    assertSilent(
      await runResourcePolicy(
        appsyncAuthProviders,
        graphql({
          authenticationType: UNKNOWN,
          additionalAuthenticationProviders: UNKNOWN,
        }),
      ),
    );
    assertSilent(
      await runResourcePolicy(appsyncAuthProviders, graphql({ userPoolConfig: UNKNOWN })),
    );
  });
  it("follows the allow-list in config", async () => {
    const lambda = graphql({
      authenticationType: "AWS_LAMBDA",
      lambdaAuthorizerConfig: { authorizerUri: "arn:x" },
    });
    assertSilent(await runResourcePolicy(appsyncAuthProviders, lambda));
    assertOne(
      await runResourcePolicy(appsyncAuthProviders, lambda, {
        allowedAuthenticationTypes: ["AWS_IAM"],
      }),
      /must use an allowed authentication type; set authenticationType to one of AWS_IAM \(not AWS_LAMBDA\)/,
    );
  });
});

describe("sec1-a-lambda-function-url-auth", () => {
  const url = (authorizationType: unknown) => ({
    type: TYPES.functionUrl,
    name: "fn-url",
    props: { functionName: "fn", authorizationType },
  });
  it("accepts AWS_IAM", async () => {
    assertSilent(await runStackPolicy(lambdaFunctionUrlAuth, [url("AWS_IAM")]));
  });
  it("reports NONE", async () => {
    assertOne(
      await runStackPolicy(lambdaFunctionUrlAuth, [url("NONE")]),
      /set authorizationType to AWS_IAM/,
    );
  });
  it("stays silent when unknown", async () => {
    assertSilent(await runStackPolicy(lambdaFunctionUrlAuth, [url(UNKNOWN)]));
  });
  it("exempts configured URLs", async () => {
    assertSilent(
      await runStackPolicy(lambdaFunctionUrlAuth, [url("NONE")], { exemptResources: ["fn-*"] }),
    );
  });
});

describe("sec1-a-openapi-body-security", () => {
  const schemes = {
    sigv4: {
      type: "apiKey",
      name: "Authorization",
      in: "header",
      "x-amazon-apigateway-authtype": "awsSigv4",
    },
    apiKey: { type: "apiKey", name: "x-api-key", in: "header" },
    jwt: {
      type: "oauth2",
      "x-amazon-apigateway-authorizer": {
        type: "jwt",
        jwtConfiguration: { issuer: "https://idp", audience: ["a"] },
      },
    },
  };
  const doc = (paths: Record<string, unknown>, root: Record<string, unknown> = {}) =>
    JSON.stringify({
      openapi: "3.0.1",
      info: { title: "t", version: "1" },
      components: { securitySchemes: schemes },
      paths,
      ...root,
    });
  const restApi = (body: unknown, name = "imported") => ({
    type: TYPES.restApi,
    name,
    props: { name: "api", body },
  });

  it("accepts a body whose operations all require sigv4 or an authorizer", async () => {
    const body = doc({
      "/items": {
        get: { security: [{ sigv4: [] }] },
        post: { security: [{ jwt: [] }] },
        options: {},
      },
    });
    assertSilent(await runStackPolicy(openApiBodySecurity, [restApi(body)]));
  });
  it("accepts root security inherited by operations", async () => {
    assertSilent(
      await runStackPolicy(openApiBodySecurity, [
        restApi(doc({ "/x": { get: {} } }, { security: [{ sigv4: [] }] })),
      ]),
    );
  });
  it("reports operations with no security, an empty requirement or only an API key", async () => {
    const body = doc({
      "/open": { get: {} },
      "/anonymous": { get: { security: [{ sigv4: [] }, {}] } },
      "/keyed": { get: { security: [{ apiKey: [] }] } },
      "/ok": { get: { security: [{ sigv4: [] }] } },
    });
    assertOne(
      await runStackPolicy(openApiBodySecurity, [restApi(body)]),
      /RestApi 'imported' must authenticate every operation of its OpenAPI body \(3 open: anyone on the internet → GET \/open \(NONE\); anyone on the internet → GET \/anonymous \(NONE\); anyone on the internet → GET \/keyed \(NONE\)\)/,
    );
  });
  it("checks HTTP API bodies too", async () => {
    const api = {
      type: TYPES.httpApi,
      name: "http",
      props: { protocolType: "HTTP", body: doc({ "/x": { get: {} } }) },
    };
    assertOne(await runStackPolicy(openApiBodySecurity, [api]), /API Gateway v2 Api 'http'/);
  });
  it("reads YAML bodies as API Gateway does", async () => {
    const yaml =
      "openapi: 3.0.1\npaths:\n  /open:\n    get: {}\n  /ok:\n    get:\n      x-amazon-apigateway-auth:\n        type: AWS_IAM\n";
    assertOne(
      await runStackPolicy(openApiBodySecurity, [restApi(yaml)]),
      /\(1 open: anyone on the internet → GET \/open \(NONE\)\)/,
    );
  });
  it("stays silent on unknown, non-JSON or undecidable bodies", async () => {
    assertSilent(await runStackPolicy(openApiBodySecurity, [restApi(UNKNOWN)]));
    assertSilent(
      await runStackPolicy(openApiBodySecurity, [restApi("openapi: 3.0.1\npaths: {}\n")]),
    );
    assertSilent(
      await runStackPolicy(openApiBodySecurity, [
        restApi(doc({ "/x": { get: { security: [{ undefinedScheme: [] }] } } })),
      ]),
    );
    assertSilent(
      await runStackPolicy(openApiBodySecurity, [
        restApi(doc({ "/x": { get: { security: UNKNOWN } } })),
      ]),
    );
  });
  it("names, per operation, the function its integration URI names (not every function of the body)", async () => {
    const FN = "aws:lambda/function:Function";
    const uri = (fn: string) =>
      `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${fn}/invocations`;
    const integration = (fn: string) => ({
      "x-amazon-apigateway-integration": { type: "aws_proxy", httpMethod: "POST", uri: uri(fn) },
    });
    const body = doc({
      "/orders": { get: integration("orders-3f2a1b9") },
      "/audit": { get: integration("audit") },
      "/legacy": { get: integration("legacy-billing") },
    });
    const api = {
      ...restApi(body),
      propertyDependencies: { body: [urnOf(FN, "orders"), urnOf(FN, "audit-fn")] },
    };
    // "orders" is auto-named (orders-<7 hex>); "audit" has its name; legacy-billing is elsewhere.
    const orders = { type: FN, name: "orders", props: {} };
    const audit = { type: FN, name: "audit-fn", props: { name: "audit" } };
    const run = await runStackPolicy(openApiBodySecurity, [api, orders, audit]);
    assertOne(
      run,
      /anyone on the internet → GET \/orders \(NONE\) → function orders; anyone on the internet → GET \/audit \(NONE\) → function audit-fn; anyone on the internet → GET \/legacy \(NONE\) → function legacy-billing\)/,
    );
    assert.doesNotMatch(messagesOf(run)[0], /not known yet/);
  });
  it("exempts configured APIs and methods", async () => {
    const body = restApi(doc({ "/x": { get: {} } }));
    assertSilent(
      await runStackPolicy(openApiBodySecurity, [body], { exemptResources: ["imported"] }),
    );
    assertSilent(await runStackPolicy(openApiBodySecurity, [body], { exemptHttpMethods: ["GET"] }));
  });
});

describe("sec1-a-http-api-quick-create", () => {
  const api = (props: Record<string, unknown> = {}) => ({
    type: TYPES.httpApi,
    name: "quick",
    props: { protocolType: "HTTP", name: "q", ...props },
  });
  it("accepts an HTTP API with separate routes", async () => {
    assertSilent(await runResourcePolicy(httpApiQuickCreate, api()));
  });
  it("reports routeKey/target on the API", async () => {
    assertOne(
      await runResourcePolicy(
        httpApiQuickCreate,
        api({ target: UNKNOWN, routeKey: "ANY /{proxy+}" }),
      ),
      /must not be quick-created .* set routeKey and target to undefined/,
    );
  });
  it("stays silent when the protocol is unknown", async () => {
    assertSilent(
      await runResourcePolicy(httpApiQuickCreate, api({ protocolType: UNKNOWN, target: "arn:x" })),
    );
  });
  it("exempts configured APIs", async () => {
    assertSilent(
      await runResourcePolicy(httpApiQuickCreate, api({ target: "arn:x" }), {
        exemptResources: ["quick"],
      }),
    );
  });
});

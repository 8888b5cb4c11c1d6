import * as assert from "assert";
import {
  appsyncCognitoClientRegex,
  jwtRouteMachineClient,
  jwtRouteScopes,
} from "../policies/token-scopes";
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

describe("sec1-a-jwt-route-scopes", () => {
  const route = (props: Record<string, unknown>) => ({
    type: TYPES.httpRoute,
    name: "get-bookings",
    props: {
      apiId: "h1",
      routeKey: "GET /bookings",
      authorizationType: "JWT",
      authorizerId: "a1",
      authorizationScopes: ["airline/bookings.read"],
      ...props,
    },
  });

  it("is advisory by default (every signed-in user of the app's own clients may call by design) and configurable to mandatory", async () => {
    assert.strictEqual(jwtRouteScopes.enforcementLevel, "advisory");
    const run = await runResourcePolicy(jwtRouteScopes, route({ authorizationScopes: [] }), {
      enforcementLevel: "mandatory",
    });
    assert.strictEqual(messagesOf(run).length, 1);
  });

  it("accepts a JWT route that requires scopes", async () => {
    assertSilent(await runResourcePolicy(jwtRouteScopes, route({})));
  });

  it("reports a JWT route without authorizationScopes, or with an empty list", async () => {
    assertOne(
      await runResourcePolicy(jwtRouteScopes, route({ authorizationScopes: undefined })),
      /API Gateway v2 Route 'get-bookings' \(GET \/bookings\) must require OAuth scopes.*set authorizationScopes/,
    );
    assertOne(
      await runResourcePolicy(jwtRouteScopes, route({ authorizationScopes: [] })),
      /scopes/,
    );
  });

  it("leaves routes of other authorization types to the route policy", async () => {
    for (const authorizationType of ["AWS_IAM", "CUSTOM", "NONE"]) {
      assertSilent(
        await runResourcePolicy(
          jwtRouteScopes,
          route({ authorizationType, authorizationScopes: [] }),
        ),
      );
    }
  });

  it("stays silent while the scopes, the type or the route key are unknown", async () => {
    for (const change of [
      { authorizationScopes: UNKNOWN },
      { authorizationScopes: [UNKNOWN] },
      { authorizationType: UNKNOWN, authorizationScopes: [] },
      { routeKey: UNKNOWN, authorizationScopes: [] },
    ]) {
      assertSilent(await runResourcePolicy(jwtRouteScopes, route(change)));
    }
  });

  it("exempts configured route keys and resources", async () => {
    const open = route({ authorizationScopes: [] });
    assertSilent(
      await runResourcePolicy(jwtRouteScopes, open, { exemptRouteKeys: ["GET /book*"] }),
    );
    assertSilent(await runResourcePolicy(jwtRouteScopes, open, { exemptResources: ["get-*"] }));
    assert.strictEqual(
      messagesOf(await runResourcePolicy(jwtRouteScopes, open, { exemptRouteKeys: ["POST /*"] }))
        .length,
      1,
    );
  });
});

describe("sec1-a-appsync-cognito-client-regex", () => {
  const api = (props: Record<string, unknown>) => ({
    type: TYPES.graphQLApi,
    name: "graphql",
    props: {
      authenticationType: "AMAZON_COGNITO_USER_POOLS",
      userPoolConfig: {
        userPoolId: "eu-west-1_abc",
        awsRegion: "eu-west-1",
        defaultAction: "ALLOW",
        appIdClientRegex: "^(web123|mobile456)$",
      },
      ...props,
    },
  });
  const noRegex = { userPoolId: "eu-west-1_abc", awsRegion: "eu-west-1", defaultAction: "ALLOW" };

  it("accepts Cognito providers that name their app clients", async () => {
    assertSilent(await runResourcePolicy(appsyncCognitoClientRegex, api({})));
  });

  it("reports a default Cognito provider without appIdClientRegex, or with one that matches all", async () => {
    assertOne(
      await runResourcePolicy(appsyncCognitoClientRegex, api({ userPoolConfig: noRegex })),
      /AppSync GraphQLApi 'graphql' must accept tokens only from its own app clients; set userPoolConfig.appIdClientRegex/,
    );
    assertOne(
      await runResourcePolicy(
        appsyncCognitoClientRegex,
        api({ userPoolConfig: { ...noRegex, appIdClientRegex: ".*" } }),
      ),
      /\(not '\.\*'\)/,
    );
  });

  it("reports an additional Cognito provider without appIdClientRegex", async () => {
    const run = await runResourcePolicy(
      appsyncCognitoClientRegex,
      api({
        authenticationType: "AWS_IAM",
        userPoolConfig: undefined,
        additionalAuthenticationProviders: [
          { authenticationType: "AWS_IAM" },
          { authenticationType: "AMAZON_COGNITO_USER_POOLS", userPoolConfig: noRegex },
        ],
      }),
    );
    assertOne(run, /additionalAuthenticationProviders\[1\]\.userPoolConfig\.appIdClientRegex/);
  });

  it("stays silent while the provider or its regex is unknown", async () => {
    for (const change of [
      { userPoolConfig: UNKNOWN },
      { userPoolConfig: { ...noRegex, appIdClientRegex: UNKNOWN } },
      { authenticationType: UNKNOWN, userPoolConfig: noRegex },
      { additionalAuthenticationProviders: UNKNOWN, userPoolConfig: noRegex },
    ]) {
      assertSilent(await runResourcePolicy(appsyncCognitoClientRegex, api(change)));
    }
  });

  it("exempts configured APIs", async () => {
    const open = api({ userPoolConfig: noRegex });
    assertSilent(
      await runResourcePolicy(appsyncCognitoClientRegex, open, { exemptResources: ["graph*"] }),
    );
    assertOne(
      await runResourcePolicy(appsyncCognitoClientRegex, open, { exemptResources: ["other"] }),
      /appIdClientRegex/,
    );
  });
});

describe("sec1-a-jwt-route-machine-client", () => {
  const CLIENT = "aws:cognito/userPoolClient:UserPoolClient";
  const POOL = "aws:cognito/userPool:UserPool";
  const FN = "aws:lambda/function:Function";
  /** A route without scopes behind an authorizer whose audience lists a web and a partner client. */
  function stack(
    change: {
      partnerFlows?: unknown;
      audiences?: unknown;
      scopes?: unknown;
      byDependency?: boolean;
    } = {},
  ): StackResourceInput[] {
    const web = { type: CLIENT, name: "web-client", props: { id: "web123", userPoolId: "pool-1" } };
    const partner = {
      type: CLIENT,
      name: "partner-client",
      props: {
        id: "partner456",
        userPoolId: "pool-1",
        allowedOauthFlows: "partnerFlows" in change ? change.partnerFlows : ["client_credentials"],
        allowedOauthFlowsUserPoolClient: true,
      },
    };
    const authorizer = {
      type: TYPES.httpAuthorizer,
      name: "jwt",
      props: {
        id: "auth1",
        apiId: "h1",
        authorizerType: "JWT",
        jwtConfiguration: {
          issuer: "https://cognito-idp.eu-west-1.amazonaws.com/pool-1",
          audiences: "audiences" in change ? change.audiences : ["web123", "partner456"],
        },
      },
      propertyDependencies: change.byDependency
        ? { jwtConfiguration: [urnOf(CLIENT, "web-client"), urnOf(CLIENT, "partner-client")] }
        : undefined,
    };
    const route = {
      type: TYPES.httpRoute,
      name: "get-orders",
      props: {
        apiId: "h1",
        routeKey: "GET /orders",
        authorizationType: "JWT",
        authorizerId: "auth1",
        target: "integrations/i1",
        ...("scopes" in change ? { authorizationScopes: change.scopes } : {}),
      },
    };
    const integration = {
      type: TYPES.httpIntegration,
      name: "orders-integration",
      props: {
        id: "i1",
        apiId: "h1",
        integrationType: "AWS_PROXY",
        integrationUri: "arn:aws:lambda:eu-west-1:123456789012:function:orders",
      },
    };
    const fn = {
      type: FN,
      name: "orders",
      props: { name: "orders", arn: "arn:aws:lambda:eu-west-1:123456789012:function:orders" },
    };
    const api = { type: TYPES.httpApi, name: "api", props: { id: "h1", protocolType: "HTTP" } };
    const pool = { type: POOL, name: "users", props: { id: "pool-1" } };
    return [api, pool, web, partner, authorizer, route, integration, fn];
  }

  it("is mandatory, and names the machine client's path to the function", async () => {
    assert.strictEqual(jwtRouteMachineClient.enforcementLevel, "mandatory");
    const run = await runStackPolicy(jwtRouteMachineClient, stack());
    assertOne(
      run,
      /Route 'get-orders' \(GET \/orders\) must require OAuth scopes: its authorizer also admits a machine client \(machine client partner-client \(client_credentials\) → GET \/orders \(JWT\) → function orders\)/,
    );
    assert.strictEqual(run.violations[0].urn, urnOf(TYPES.httpRoute, "get-orders"));
  });

  it("finds the machine client through the authorizer's property dependencies too", async () => {
    const byDep = stack({ byDependency: true, audiences: [UNKNOWN] });
    assertOne(await runStackPolicy(jwtRouteMachineClient, byDep), /machine client partner-client/);
  });

  it("is silent when the route requires scopes", async () => {
    assertSilent(await runStackPolicy(jwtRouteMachineClient, stack({ scopes: ["orders/read"] })));
  });

  it("is silent when every client of the audience is a user-facing client", async () => {
    assertSilent(await runStackPolicy(jwtRouteMachineClient, stack({ partnerFlows: ["code"] })));
    assertSilent(await runStackPolicy(jwtRouteMachineClient, stack({ audiences: ["web123"] })));
  });

  it("says nothing from values not known yet", async () => {
    assertSilent(await runStackPolicy(jwtRouteMachineClient, stack({ audiences: UNKNOWN })));
    assertSilent(await runStackPolicy(jwtRouteMachineClient, stack({ partnerFlows: UNKNOWN })));
    assertSilent(await runStackPolicy(jwtRouteMachineClient, stack({ scopes: UNKNOWN })));
  });

  it("honours exemptRouteKeys", async () => {
    const run = await runStackPolicy(jwtRouteMachineClient, stack(), {
      exemptRouteKeys: ["GET /orders"],
    });
    assertSilent(run);
  });
});

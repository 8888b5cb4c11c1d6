import * as assert from "assert";
import { appsyncCognitoClientRegex, jwtRouteScopes } from "../policies/token-scopes";
import { TYPES } from "../lib/stack-refs";
import {
  assertOne,
  assertSilent,
  messagesOf,
  runResourcePolicy,
  UNKNOWN,
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

  it("is mandatory: a route without scopes takes any token of the audience", () => {
    assert.strictEqual(jwtRouteScopes.enforcementLevel, "mandatory");
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

/**
 * Integration: the pack started exactly as the CLI starts it (`run-policy-pack <engine> <packDir>`
 * with cwd = packDir; the SDK registers ts-node with type checking) and driven over the analyzer
 * gRPC protocol in the CLI's order, through tools/analyzer-client.ts: GetAnalyzerInfo, Configure,
 * ConfigureStack, Analyze, AnalyzeStack. Policy config sent through Configure must change verdicts.
 */
import * as assert from "assert";
import { Policy } from "@pulumi/policy";
import { AnalyzeResult, PackClient, startPack } from "../tools/analyzer-client";
import { allPolicies } from "../policy-pack/policies";
import { TYPES } from "../policy-pack/lib/stack-refs";
import { of, PACK_DIR, PROJECT, resource } from "./helpers/analyzer-resources";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The first lines of advisory diagnostics that say `exempted: …` (what an exemption key leaves
 * of a finding: still listed); any other diagnostic is listed whole, so the test fails on it.
 */
function exempted(diagnostics: AnalyzeResult["diagnostics"]): string[] {
  return diagnostics.map((d) => {
    const first = d.message.split("\n")[0];
    return d.level === "advisory" && first.startsWith("exempted: ") ? first : JSON.stringify(d);
  });
}

/** Diagnostics of practices A, K and X (the others belong to E and I). */
function ownPractices(result: AnalyzeResult) {
  return result.diagnostics.filter((d) => /^sec1-[akx]-/.test(d.policy));
}

const openMethod = resource(TYPES.restMethod, "items-get", {
  restApi: "a1b2c3d4e5",
  resourceId: "r1",
  httpMethod: "GET",
  authorization: "NONE",
  apiKeyRequired: true,
});

describe("policy pack over the analyzer protocol (run-policy-pack, like the CLI)", function () {
  this.timeout(240_000);
  let pack: PackClient;

  before(async () => {
    pack = await startPack(PACK_DIR, { stack: "prod", project: PROJECT, timeoutMs: 200_000 });
  });
  after(async () => {
    await pack?.stop();
  });

  it("describes every policy with its level, severity, config schema and metadata", async () => {
    const info = await pack.info();
    assert.strictEqual(info.name, "sec1-serverless-api-access");
    const served = new Map(info.policies.map((p) => [p.name, p]));
    for (const policy of allPolicies as Policy[]) {
      const p = served.get(policy.name);
      assert.ok(p, `${policy.name} is not served`);
      assert.strictEqual(p.enforcementLevel, policy.enforcementLevel, policy.name);
      assert.strictEqual(p.severity, policy.severity, policy.name);
      assert.strictEqual(p.url, policy.url, policy.name);
      assert.ok(p.framework?.name === "AWS Well-Architected Serverless Lens", policy.name);
      assert.deepStrictEqual(
        Object.keys(p.configSchema?.properties ?? {}).sort(),
        Object.keys(policy.configSchema?.properties ?? {}).sort(),
        policy.name,
      );
    }
    const method = served.get("sec1-a-rest-method-authorization")!;
    assert.strictEqual(method.type, "stack");
    assert.strictEqual(method.enforcementLevel, "mandatory");
    assert.deepStrictEqual(
      (method.configSchema?.properties.exemptHttpMethods as { default: unknown }).default,
      ["OPTIONS"],
    );
    assert.strictEqual(served.get("sec1-a-http-route-authorization")!.type, "stack");
    assert.strictEqual(served.get("sec1-x-waf-association")!.enforcementLevel, "advisory");
  });

  it("reports an open REST method as mandatory through AnalyzeStack, with its path", async () => {
    await pack.configure();
    await pack.configureStack({ stack: "prod", project: PROJECT, tags: { environment: "prod" } });
    const diagnostics = of(
      await pack.analyzeStack([openMethod]),
      "sec1-a-rest-method-authorization",
    );
    assert.strictEqual(diagnostics.length, 1);
    assert.strictEqual(diagnostics[0].level, "mandatory");
    assert.strictEqual(diagnostics[0].severity, "critical");
    assert.match(
      diagnostics[0].message,
      /API Gateway Method 'items-get' \(GET\) must authenticate callers \(apiKeyRequired alone is not authentication\) \(API-key holders → GET .* \(NONE\); anyone on the internet → GET/,
    );
  });

  it("stays silent on unknown values (no 'can't run during preview' advisory either)", async () => {
    await pack.configure();
    const unknownAuth = resource(TYPES.restMethod, "items-get", {
      restApi: UNKNOWN,
      resourceId: UNKNOWN,
      httpMethod: "GET",
      authorization: UNKNOWN,
      authorizerId: UNKNOWN,
    });
    assert.deepStrictEqual(ownPractices(await pack.analyze(unknownAuth)), []);
    assert.deepStrictEqual(ownPractices(await pack.analyzeStack([unknownAuth])), []);
  });

  it("applies policy config sent through Configure: an exemption and a level change flip verdicts", async () => {
    await pack.configure({ "sec1-a-rest-method-authorization": { exemptResources: ["items-*"] } });
    assert.deepStrictEqual(
      exempted(of(await pack.analyzeStack([openMethod]), "sec1-a-rest-method-authorization")),
      [
        "exempted: listed in exemptResources of the org's policy config for sec1-a-rest-method-authorization",
      ],
    );

    await pack.configure({ "sec1-a-rest-method-authorization": { enforcementLevel: "advisory" } });
    const advisory = of(await pack.analyzeStack([openMethod]), "sec1-a-rest-method-authorization");
    assert.deepStrictEqual(
      advisory.map((d) => d.level),
      ["advisory"],
    );

    await pack.configure({ "sec1-a-rest-method-authorization": { enforcementLevel: "disabled" } });
    assert.deepStrictEqual(
      of(await pack.analyzeStack([openMethod]), "sec1-a-rest-method-authorization"),
      [],
    );
  });

  it("runs stack policies through AnalyzeStack, following property dependencies", async () => {
    await pack.configure();
    const api = resource(TYPES.httpApi, "http", { protocolType: "HTTP", name: "http" });
    const route = {
      ...resource(TYPES.httpRoute, "route-get", { apiId: UNKNOWN, routeKey: "GET /items" }),
      propertyDependencies: { apiId: [api.urn] },
      dependencies: [api.urn],
    };
    const key = resource(TYPES.apiKey, "partner-key", { name: "partner" });
    const result = await pack.analyzeStack([api, route, key]);
    const routeDiag = of(result, "sec1-a-http-route-authorization");
    assert.strictEqual(routeDiag.length, 1);
    assert.strictEqual(routeDiag[0].urn, route.urn);
    assert.strictEqual(routeDiag[0].level, "mandatory");
    assert.match(routeDiag[0].message, /set authorizationType to AWS_IAM, JWT or CUSTOM/);
    const keyDiag = of(result, "sec1-k-api-key-usage-plan");
    assert.deepStrictEqual(
      keyDiag.map((d) => d.urn),
      [key.urn],
    );

    await pack.configure({
      "sec1-a-http-route-authorization": { exemptRouteKeys: ["GET /items"] },
    });
    assert.deepStrictEqual(
      exempted(of(await pack.analyzeStack([api, route, key]), "sec1-a-http-route-authorization")),
      [
        "exempted: listed in exemptRouteKeys of the org's policy config for sec1-a-http-route-authorization",
      ],
    );
  });

  it("serves the calibrated levels: hardening advisory by default and mandatory through Configure; an open resource policy and a machine client's route mandatory", async () => {
    await pack.configure();
    const role = resource("aws:iam/role:Role", "logs-role", {
      assumeRolePolicy: JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Principal: { Service: "appsync.amazonaws.com" },
          },
        ],
      }),
    });
    const deputy = () =>
      pack.analyze(role).then((r) => of(r, "sec1-i-service-role-confused-deputy"));
    assert.deepStrictEqual(
      (await deputy()).map((d) => d.level),
      ["advisory"],
    );
    await pack.configure({
      "sec1-i-service-role-confused-deputy": { enforcementLevel: "mandatory" },
    });
    assert.deepStrictEqual(
      (await deputy()).map((d) => d.level),
      ["mandatory"],
    );

    await pack.configure();
    const api = resource(TYPES.restApi, "mail-api", {
      endpointConfiguration: { types: "REGIONAL" },
    });
    const method = {
      ...resource(TYPES.restMethod, "send-post", {
        restApi: UNKNOWN,
        resourceId: UNKNOWN,
        httpMethod: "POST",
        authorization: "AWS_IAM",
      }),
      propertyDependencies: { restApi: [api.urn] },
    };
    const policy = {
      ...resource(TYPES.restApiPolicy, "mail-api-policy", {
        restApiId: UNKNOWN,
        policy: JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: "*" },
              Action: "execute-api:Invoke",
              Resource: "*",
            },
          ],
        }),
      }),
      propertyDependencies: { restApiId: [api.urn] },
    };
    const open = of(
      await pack.analyzeStack([api, method, policy]),
      "sec1-e-resource-policy-any-account",
    );
    assert.deepStrictEqual(
      open.map((d) => [d.urn, d.level]),
      [[policy.urn, "mandatory"]],
    );
    assert.match(
      open[0].message,
      /SigV4-signed principals of every AWS account → POST .* \(AWS_IAM\)/,
    );

    const client = resource("aws:cognito/userPoolClient:UserPoolClient", "partner", {
      allowedOauthFlows: ["client_credentials"],
    });
    const authorizer = {
      ...resource(TYPES.httpAuthorizer, "jwt", {
        apiId: UNKNOWN,
        authorizerType: "JWT",
        jwtConfiguration: { issuer: UNKNOWN, audiences: [UNKNOWN] },
      }),
      propertyDependencies: { jwtConfiguration: [client.urn] },
    };
    const route = {
      ...resource(TYPES.httpRoute, "get-orders", {
        apiId: UNKNOWN,
        routeKey: "GET /orders",
        authorizationType: "JWT",
        authorizerId: UNKNOWN,
      }),
      propertyDependencies: { authorizerId: [authorizer.urn] },
    };
    const stack = await pack.analyzeStack([client, authorizer, route]);
    assert.deepStrictEqual(
      of(stack, "sec1-a-jwt-route-machine-client").map((d) => [d.urn, d.level]),
      [[route.urn, "mandatory"]],
    );
  });

  it("judges routes of an HTTP API outside the stack, and names each OpenAPI operation's own function", async () => {
    await pack.configure();
    const integration = resource(TYPES.httpIntegration, "ext-integration", {
      apiId: "ext1234",
      integrationType: "AWS_PROXY",
      integrationUri: "arn:aws:lambda:us-east-1:123456789012:function:orders",
      payloadFormatVersion: "2.0",
    });
    const route = {
      ...resource(TYPES.httpRoute, "ext-default", { apiId: "ext1234", routeKey: "$default" }),
      propertyDependencies: { target: [integration.urn] },
    };
    const routes = of(
      await pack.analyzeStack([integration, route]),
      "sec1-a-http-route-authorization",
    );
    assert.deepStrictEqual(
      routes.map((d) => [d.urn, d.level]),
      [[route.urn, "mandatory"]],
    );
    assert.match(
      routes[0].message,
      /anyone on the internet → \$default \(NONE\) → function orders/,
    );

    const fn = (name: string) => resource(TYPES.lambdaFunction, name, { name });
    const uri = (name: string) =>
      `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`;
    const op = (name: string) => ({ "x-amazon-apigateway-integration": { uri: uri(name) } });
    const [orders, audit] = [fn("orders"), fn("audit")];
    const api = {
      ...resource(TYPES.restApi, "imported", {
        body: JSON.stringify({
          openapi: "3.0.1",
          paths: { "/orders": { get: op("orders") }, "/audit": { get: op("audit") } },
        }),
      }),
      propertyDependencies: { body: [orders.urn, audit.urn] },
    };
    const body = of(await pack.analyzeStack([orders, audit, api]), "sec1-a-openapi-body-security");
    assert.strictEqual(body.length, 1);
    assert.match(
      body[0].message,
      /GET \/orders \(NONE\) → function orders; anyone on the internet → GET \/audit \(NONE\) → function audit\)/,
    );
  });

  it("takes the production stack from the URN for AppSync hardening (advisory)", async () => {
    await pack.configure();
    const gql = resource(TYPES.graphQLApi, "graphql", {
      authenticationType: "AWS_IAM",
      introspectionConfig: "ENABLED",
      queryDepthLimit: 0,
    });
    const diagnostics = of(await pack.analyze(gql), "sec1-x-appsync-hardening");
    assert.deepStrictEqual(
      diagnostics.map((d) => d.level),
      ["advisory", "advisory"],
    );
    await pack.configure({ "sec1-x-appsync-hardening": { productionStacks: ["live"] } });
    assert.deepStrictEqual(of(await pack.analyze(gql), "sec1-x-appsync-hardening"), []);
  });
  it("judges a federated SAML provider: http metadata mandatory, IdP-initiated sign-in advisory", async () => {
    await pack.configure();
    const idp = resource(
      "aws:cognito/identityProvider:IdentityProvider",
      "identity-idp-workforce",
      {
        userPoolId: "eu-west-1_AbCdEf123",
        providerName: "Workforce",
        providerType: "SAML",
        providerDetails: {
          MetadataURL: "http://login.example-airline.com/saml/metadata",
          IDPInit: "true",
          EncryptedResponses: "true",
          RequestSigningAlgorithm: "rsa-sha256",
        },
      },
    );
    // Identity providers have no tags: their policies run in AnalyzeStack, where declarations are.
    const result = await pack.analyzeStack([idp]);
    assert.deepStrictEqual(
      result.diagnostics
        .filter((d) => /^sec1-a-(identity-provider|saml)/.test(d.policy))
        .map((d) => [d.policy, d.level])
        .sort(),
      [
        ["sec1-a-identity-provider-https", "mandatory"],
        ["sec1-a-saml-provider-hardening", "advisory"],
      ],
    );
  });
  it("serves the peer-parity policies: an advisory resource verdict, a config flip, a stack verdict skipped without its type", async () => {
    await pack.configure();
    const route = resource(TYPES.httpRoute, "get-bookings", {
      apiId: "h1",
      routeKey: "GET /bookings",
      authorizationType: "JWT",
      authorizerId: "a1",
    });
    // Routes have no tags: the policy runs in AnalyzeStack, where declarations are visible.
    const scopes = of(await pack.analyzeStack([route]), "sec1-a-jwt-route-scopes");
    assert.deepStrictEqual(
      scopes.map((d) => d.level),
      ["advisory"],
    );
    assert.match(scopes[0].message, /must require OAuth scopes/);
    assert.deepStrictEqual(
      of(
        await pack.analyzeStack([
          { ...route, properties: { ...route.properties, authorizationScopes: UNKNOWN } },
        ]),
        "sec1-a-jwt-route-scopes",
      ),
      [],
    );
    await pack.configure({ "sec1-a-jwt-route-scopes": { exemptRouteKeys: ["GET /bookings"] } });
    assert.deepStrictEqual(
      exempted(of(await pack.analyzeStack([route]), "sec1-a-jwt-route-scopes")),
      [
        "exempted: listed in exemptRouteKeys of the org's policy config for sec1-a-jwt-route-scopes",
      ],
    );

    await pack.configure();
    const acl = resource("aws:wafv2/webAcl:WebAcl", "api-waf", {
      scope: "REGIONAL",
      defaultAction: { allow: {} },
    });
    const stack = await pack.analyzeStack([acl, route]);
    assert.deepStrictEqual(
      of(stack, "sec1-x-waf-logging").map((d) => [d.urn, d.level]),
      [[acl.urn, "advisory"]],
    );
    const withoutAcl = await pack.analyzeStack([route]);
    assert.deepStrictEqual(of(withoutAcl, "sec1-x-waf-logging"), []);
    assert.ok(
      withoutAcl.notApplicable.some((n) => n.policy === "sec1-x-waf-logging"),
      JSON.stringify(withoutAcl.notApplicable),
    );
  });
});

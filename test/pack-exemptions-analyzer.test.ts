/**
 * Exemptions over the analyzer protocol: the compiled pack started by the SDK's run-policy-pack
 * server (tools/analyzer-client.ts), as the CLI drives it. A declaration resource, a tag and an
 * org config entry each silence exactly their finding, which is still listed (advisory, first
 * line `exempted: …`); expired, forbidden and reasonless declarations do not silence and get a
 * diagnostic of sec1-x-exemption-declarations; a declaration that matches nothing is reported.
 * Declarations work on resources without tags too (Lambda permissions, role policies): the pack
 * runs the policies on those types in AnalyzeStack.
 */
import * as assert from "assert";
import { AnalyzerResource, PackClient, startPack } from "../tools/analyzer-client";
import { DECLARATIONS_POLICY, EXEMPTION_TYPE } from "../policy-pack/lib/exemptions";
import { TYPES } from "../policy-pack/lib/stack-refs";
import { of, PACK_DIR, PROJECT, resource, urnOf } from "./helpers/analyzer-resources";

const ROUTES = "sec1-a-http-route-authorization";
const MFA = "sec1-a-user-pool-mfa";
const REASON = "public health check, returns no data";

function daysFromToday(days: number): string {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const api = resource(TYPES.httpApi, "http", { protocolType: "HTTP", name: "http" });
function openRoute(name: string, routeKey: string): AnalyzerResource {
  return {
    ...resource(TYPES.httpRoute, name, { apiId: "a1b2c3d4e5", routeKey }),
    propertyDependencies: { apiId: [api.urn] },
    dependencies: [api.urn],
  };
}
const health = openRoute("route-health", "GET /health");
const orders = openRoute("route-orders", "GET /orders");

function declaration(name: string, props: Record<string, unknown>): AnalyzerResource {
  return resource(EXEMPTION_TYPE, name, { policy: ROUTES, target: health.urn, ...props });
}

describe("exemptions over the analyzer protocol (run-policy-pack, like the CLI)", function () {
  this.timeout(240_000);
  let pack: PackClient;
  let original: string;

  before(async () => {
    pack = await startPack(PACK_DIR, { stack: "prod", project: PROJECT, timeoutMs: 200_000 });
    await pack.configure();
    const [finding] = of(await pack.analyzeStack([api, health, orders]), ROUTES, health.urn);
    assert.strictEqual(finding.level, "mandatory");
    original = finding.message;
  });
  after(async () => {
    await pack?.stop();
  });

  it("a mandatory finding on an operation says how to declare it public by design", async () => {
    const lastLine = original.split("\n").pop();
    assert.match(lastLine!, /^If this operation is public by design: declare it in the program/);
    assert.match(lastLine!, /acceptFinding\("sec1-a-http-route-authorization", <resource>/);
    // A policy on a type without tags runs in AnalyzeStack, so it can see declarations too. (The
    // policy is advisory by default; an org that makes it mandatory gets the hint.)
    await pack.configure({ "sec1-a-jwt-route-scopes": { enforcementLevel: "mandatory" } });
    const route = resource(TYPES.httpRoute, "get-items", {
      apiId: "a1b2c3d4e5",
      routeKey: "GET /items",
      authorizationType: "JWT",
      authorizerId: "au1",
    });
    assert.deepStrictEqual(of(await pack.analyze(route), "sec1-a-jwt-route-scopes"), []);
    const [scopes] = of(await pack.analyzeStack([route]), "sec1-a-jwt-route-scopes");
    assert.strictEqual(scopes.level, "mandatory");
    assert.match(
      scopes.message.split("\n").pop()!,
      /^If this operation is public by design: declare it in the program \(acceptFinding\("sec1-a-jwt-route-scopes", <resource>.*, or have the org list 'get-items' in the exemptions of sec1-a-jwt-route-scopes/,
    );
  });

  it("an in-code declaration with a reason silences exactly its finding, and lists it", async () => {
    await pack.configure();
    const until = daysFromToday(30);
    const accept = declaration("health-public", { reason: REASON, until, ticket: "SEC-42" });
    const result = await pack.analyzeStack([api, health, orders, accept]);
    const [exempted] = of(result, ROUTES, health.urn);
    assert.strictEqual(exempted.level, "advisory");
    const [first, ...rest] = exempted.message.split("\n");
    assert.strictEqual(first, `exempted: ${REASON}, until ${until}, SEC-42`);
    assert.strictEqual(rest.join("\n"), original);
    assert.deepStrictEqual(
      of(result, ROUTES, orders.urn).map((d) => d.level),
      ["mandatory"],
    );
    assert.deepStrictEqual(of(result, DECLARATIONS_POLICY), []);
  });

  for (const [why, props, config, problem] of [
    ["an expired one", { reason: REASON, until: "2020-01-31" }, {}, /expired on 2020-01-31/],
    ["one the org forbids", { reason: REASON }, { inCodeExemptions: "forbidden" }, /forbids/],
    ["one without a reason", {}, {}, /reason must be a text of at least 10 characters/],
    ["one with a short reason", { reason: "because" }, {}, /reason must be/],
    ["one past the org's maximum", { reason: REASON }, { exemptionMaxDays: 90 }, /at most 90/],
  ] as const) {
    it(`${why} does not silence, and gets a diagnostic of its own`, async () => {
      await pack.configure({ [ROUTES]: config });
      const result = await pack.analyzeStack([api, health, orders, declaration("d", props)]);
      assert.deepStrictEqual(
        of(result, ROUTES, health.urn).map((d) => [d.level, d.message]),
        [["mandatory", original]],
      );
      const problems = of(result, DECLARATIONS_POLICY);
      assert.strictEqual(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0].message, problem);
      assert.strictEqual(problems[0].urn, urnOf(EXEMPTION_TYPE, "d"));
    });
  }

  it("a declaration that matches no finding is reported as advisory", async () => {
    await pack.configure();
    const closed = {
      ...openRoute("route-closed", "GET /closed"),
      properties: { apiId: "a1b2c3d4e5", routeKey: "GET /closed", authorizationType: "AWS_IAM" },
    };
    const stale = resource(EXEMPTION_TYPE, "stale", {
      policy: ROUTES,
      target: closed.urn,
      reason: REASON,
    });
    const problems = of(await pack.analyzeStack([api, closed, stale]), DECLARATIONS_POLICY);
    assert.deepStrictEqual(
      problems.map((d) => [d.level, d.urn]),
      [["advisory", stale.urn]],
    );
    assert.match(problems[0].message, /'stale' matches no finding/);
  });

  describe("on resources without tags (policies the pack runs over the stack)", () => {
    const SOURCE_ARN = "sec1-i-lambda-permission-source-arn";
    const INVOKE_SCOPE = "sec1-i-execute-api-invoke-scope";
    // Permissions for API Gateway without sourceArn: any API in any account may invoke.
    const permission = (name: string) =>
      resource("aws:lambda/permission:Permission", name, {
        action: "lambda:InvokeFunction",
        function: "orders",
        principal: "apigateway.amazonaws.com",
      });
    const openInvoke = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: "*" }],
    });
    const rolePolicy = (name: string) =>
      resource("aws:iam/rolePolicy:RolePolicy", name, { role: "caller", policy: openInvoke });
    const accept = (name: string, policy: string, target: string, props = {}) =>
      resource(EXEMPTION_TYPE, name, { policy, target, reason: REASON, ...props });

    for (const [policy, make] of [
      [SOURCE_ARN, permission],
      [INVOKE_SCOPE, rolePolicy],
    ] as const) {
      it(`an in-code declaration silences exactly its finding of ${policy}, and lists it`, async () => {
        await pack.configure();
        const [accepted, other] = [make("accepted"), make("other")];
        // Analyze no longer reports these: the findings come from AnalyzeStack only.
        assert.deepStrictEqual(of(await pack.analyze(accepted), policy), []);
        const [plain] = of(await pack.analyzeStack([accepted, other]), policy, accepted.urn);
        assert.strictEqual(plain.level, "mandatory");

        const until = daysFromToday(30);
        const declared = accept("accepts", policy, accepted.urn, { until, ticket: "SEC-9" });
        const result = await pack.analyzeStack([accepted, other, declared]);
        assert.deepStrictEqual(
          of(result, policy, accepted.urn).map((d) => [d.level, d.message]),
          [["advisory", `exempted: ${REASON}, until ${until}, SEC-9\n${plain.message}`]],
        );
        assert.deepStrictEqual(
          of(result, policy, other.urn).map((d) => d.level),
          ["mandatory"],
        );
        assert.deepStrictEqual(of(result, DECLARATIONS_POLICY), []);
      });
    }

    it("an expired declaration does not silence, and gets a diagnostic of its own", async () => {
      await pack.configure();
      const open = rolePolicy("open");
      const [plain] = of(await pack.analyzeStack([open]), INVOKE_SCOPE, open.urn);
      const expired = accept("expired", INVOKE_SCOPE, open.urn, { until: "2020-01-31" });
      const result = await pack.analyzeStack([open, expired]);
      assert.deepStrictEqual(
        of(result, INVOKE_SCOPE, open.urn).map((d) => [d.level, d.message]),
        [["mandatory", plain.message]],
      );
      const problems = of(result, DECLARATIONS_POLICY);
      assert.deepStrictEqual(
        problems.map((d) => d.urn),
        [expired.urn],
      );
      assert.match(problems[0].message, /expired on 2020-01-31/);
    });

    it("a declaration that matches no finding is reported, not told it cannot be seen", async () => {
      await pack.configure();
      const named = {
        ...permission("named"),
        properties: {
          ...permission("named").properties,
          sourceArn: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/GET/orders",
        },
      };
      assert.deepStrictEqual(of(await pack.analyzeStack([named]), SOURCE_ARN), []);
      const stale = accept("stale", SOURCE_ARN, named.urn);
      const problems = of(await pack.analyzeStack([named, stale]), DECLARATIONS_POLICY);
      assert.deepStrictEqual(
        problems.map((d) => [d.level, d.urn]),
        [["advisory", stale.urn]],
      );
      assert.match(problems[0].message, /'stale' matches no finding/);
    });
  });

  it("a declaration aimed at a resource policy is reported: that policy cannot see it", async () => {
    await pack.configure();
    const pool = resource("aws:cognito/userPool:UserPool", "pool", { mfaConfiguration: "OFF" });
    const aimed = resource(EXEMPTION_TYPE, "pool-mfa", {
      policy: MFA,
      target: pool.urn,
      reason: REASON,
    });
    const problems = of(await pack.analyzeStack([pool, aimed]), DECLARATIONS_POLICY);
    assert.strictEqual(problems.length, 1);
    assert.match(problems[0].message, /checks one resource at a time .* sec1:accept:/);
  });

  it("a sec1:accept tag exempts a resource policy's finding in Analyze", async () => {
    await pack.configure();
    const tags = { [`sec1:accept:${MFA}`]: "testers enrol TOTP when they want" };
    const pool = resource("aws:cognito/userPool:UserPool", "pool", { mfaConfiguration: "OFF" });
    const [plain] = of(await pack.analyze(pool), MFA);
    const tagged = { ...pool, properties: { ...pool.properties, tags } };
    const [exempted] = of(await pack.analyze(tagged), MFA);
    assert.strictEqual(exempted.level, "advisory");
    assert.strictEqual(
      exempted.message,
      `exempted: ${tags[`sec1:accept:${MFA}`]}\n${plain.message}`,
    );

    const stale = { ...tagged, properties: { mfaConfiguration: "ON", tags } };
    const problems = of(await pack.analyze(stale), DECLARATIONS_POLICY);
    assert.deepStrictEqual(problems.length, 1);
    assert.match(problems[0].message, /matches no finding/);
  });

  it("a sec1:accept tag exempts a stack policy's finding too (AnalyzeStack reads outputs)", async () => {
    await pack.configure();
    const callers = "sec1-a-appsync-iam-callers";
    const gql = resource(TYPES.graphQLApi, "graphql", { authenticationType: "AWS_IAM" });
    const [plain] = of(await pack.analyzeStack([gql]), callers);
    assert.ok(plain, "the untagged API has a finding");
    const tags = { [`sec1:accept:${callers}`]: "callers are granted in the data account" };
    const tagged = { ...gql, properties: { ...gql.properties, tags } };
    const [exempted] = of(await pack.analyzeStack([tagged]), callers);
    assert.deepStrictEqual(
      [exempted.level, exempted.message],
      ["advisory", `exempted: ${tags[`sec1:accept:${callers}`]}\n${plain.message}`],
    );
  });

  it("the org's config exempts a resource policy's finding in Analyze, by URN", async () => {
    const pool = resource("aws:cognito/userPool:UserPool", "pool", { mfaConfiguration: "OFF" });
    await pack.configure();
    const [plain] = of(await pack.analyze(pool), MFA);
    await pack.configure({
      [MFA]: { exemptions: [{ resource: pool.urn, reason: REASON, ticket: "SEC-7" }] },
    });
    const [exempted] = of(await pack.analyze(pool), MFA);
    assert.deepStrictEqual(
      [exempted.level, exempted.message],
      ["advisory", `exempted: ${REASON}, SEC-7\n${plain.message}`],
    );
    const other = resource("aws:cognito/userPool:UserPool", "other", { mfaConfiguration: "OFF" });
    assert.deepStrictEqual(
      of(await pack.analyze(other), MFA).map((d) => d.message.startsWith("exempted")),
      [false],
    );
  });

  it("the org's config exempts by project/stack/name glob with its reason; old keys are listed", async () => {
    await pack.configure({
      [ROUTES]: { exemptions: [{ resource: `${PROJECT}/prod/route-health`, reason: REASON }] },
    });
    const result = await pack.analyzeStack([api, health, orders]);
    assert.deepStrictEqual(
      of(result, ROUTES).map((d) => [d.urn, d.level, d.message.split("\n")[0]]),
      [
        [health.urn, "advisory", `exempted: ${REASON}`],
        [orders.urn, "mandatory", original.split("\n")[0]],
      ],
    );

    await pack.configure({ [ROUTES]: { exemptRouteKeys: ["GET /health"] } });
    const legacy = of(await pack.analyzeStack([api, health, orders]), ROUTES, health.urn);
    assert.deepStrictEqual(
      legacy.map((d) => [d.level, d.message]),
      [
        [
          "advisory",
          `exempted: listed in exemptRouteKeys of the org's policy config for ${ROUTES}\n${original}`,
        ],
      ],
    );
  });
});

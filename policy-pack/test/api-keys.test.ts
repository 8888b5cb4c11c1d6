import * as assert from "assert";
import {
  apiKeyUsagePlan,
  apiKeyValueSource,
  appsyncApiKeyExpiry,
  stageThrottling,
  usagePlanLimits,
} from "../policies/api-keys";
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

describe("sec1-k-usage-plan-limits", () => {
  const plan = (props: Record<string, unknown> = {}) => ({
    type: TYPES.usagePlan,
    name: "partners",
    props: {
      throttleSettings: { rateLimit: 10, burstLimit: 20 },
      quotaSettings: { limit: 10000, period: "DAY" },
      apiStages: [{ apiId: "a1b2c3d4e5", stage: "v1" }],
      ...props,
    },
  });

  it("accepts a plan with throttle, quota and a stage", async () => {
    assertSilent(await runResourcePolicy(usagePlanLimits, plan()));
  });
  it("reports each missing limit and the missing stage", async () => {
    const run = await runResourcePolicy(
      usagePlanLimits,
      plan({ throttleSettings: { rateLimit: 10 }, quotaSettings: undefined, apiStages: [] }),
    );
    assert.deepStrictEqual(
      messagesOf(run).map((m) => /set (\S+)/.exec(m)?.[1]),
      ["throttleSettings.burstLimit", "quotaSettings.limit", "apiStages"],
    );
    assert.match(messagesOf(run)[0], /API Gateway UsagePlan 'partners' must throttle its keys/);
  });
  it("stays silent when the settings are unknown", async () => {
    assertSilent(
      await runResourcePolicy(
        usagePlanLimits,
        plan({ throttleSettings: UNKNOWN, quotaSettings: UNKNOWN, apiStages: UNKNOWN }),
      ),
    );
    assertSilent(
      await runResourcePolicy(
        usagePlanLimits,
        plan({ throttleSettings: { rateLimit: UNKNOWN, burstLimit: 5 } }),
      ),
    );
  });
  it("does not require a quota when the config says so", async () => {
    const noQuota = plan({ quotaSettings: undefined });
    assertOne(await runResourcePolicy(usagePlanLimits, noQuota), /quotaSettings/);
    assertSilent(await runResourcePolicy(usagePlanLimits, noQuota, { requireQuota: false }));
  });
});

describe("sec1-k-api-key-usage-plan", () => {
  const key = (name: string, props: Record<string, unknown> = {}): StackResourceInput => ({
    type: TYPES.apiKey,
    name,
    props: { name, ...props },
  });
  const planKey = (keyId: string, deps: string[] = []): StackResourceInput => ({
    type: TYPES.usagePlanKey,
    name: `plan-key-${deps.length}-${keyId}`,
    props: { keyId, keyType: "API_KEY", usagePlanId: "plan1" },
    propertyDependencies: { keyId: deps },
  });

  it("accepts keys attached through property dependencies or by id", async () => {
    const run = await runStackPolicy(apiKeyUsagePlan, [
      key("a"),
      key("b", { id: "key-b" }),
      planKey(UNKNOWN, [urnOf(TYPES.apiKey, "a")]),
      planKey("key-b"),
    ]);
    assertSilent(run);
  });
  it("reports a key in no usage plan, on the key's URN", async () => {
    const run = await runStackPolicy(apiKeyUsagePlan, [
      key("a", { id: "key-a" }),
      key("b", { id: "key-b" }),
      planKey("key-a"),
    ]);
    assertOne(run, /API Gateway ApiKey 'b' must be attached to a usage plan/);
    assert.strictEqual(run.violations[0].urn, urnOf(TYPES.apiKey, "b"));
  });
  it("stays silent when a plan key's keyId is unknown and untraceable", async () => {
    assertSilent(await runStackPolicy(apiKeyUsagePlan, [key("a"), planKey(UNKNOWN)]));
  });
});

describe("sec1-k-api-key-value-source", () => {
  const key = (value: unknown) => ({
    type: TYPES.apiKey,
    name: "partner-key",
    props: { name: "k", value },
  });
  it("accepts a generated key (no value)", async () => {
    assertSilent(await runResourcePolicy(apiKeyValueSource, key(undefined)));
  });
  it("advises against a value written in the program", async () => {
    assertOne(
      await runResourcePolicy(apiKeyValueSource, key("abcdefghijklmnopqrstuvwxyz")),
      /ApiKey 'partner-key' must not carry a value written in the program/,
    );
  });
  it("stays silent when the value is unknown (derived from another resource)", async () => {
    assertSilent(await runResourcePolicy(apiKeyValueSource, key(UNKNOWN)));
  });
  it("exempts reviewed keys", async () => {
    assertSilent(
      await runResourcePolicy(apiKeyValueSource, key("x".repeat(30)), {
        exemptResources: ["partner-*"],
      }),
    );
  });
  it("is advisory (a config secret cannot be told apart from a literal)", () =>
    assert.strictEqual(apiKeyValueSource.enforcementLevel, "advisory"));
});

describe("sec1-k-stage-throttling", () => {
  const apiUrn = urnOf(TYPES.restApi, "api");
  const stageUrn = urnOf(TYPES.restStage, "stage");
  const api: StackResourceInput = { type: TYPES.restApi, name: "api", props: { name: "api" } };
  const stage: StackResourceInput = {
    type: TYPES.restStage,
    name: "stage",
    props: { restApi: UNKNOWN, stageName: "v1", deployment: UNKNOWN },
    propertyDependencies: { restApi: [apiUrn] },
  };
  const settings = (
    limits: unknown,
    extra: Partial<StackResourceInput> = {},
  ): StackResourceInput => ({
    type: TYPES.methodSettings,
    name: "settings",
    props: { restApi: UNKNOWN, stageName: UNKNOWN, methodPath: "*/*", settings: limits },
    propertyDependencies: { restApi: [apiUrn], stageName: [stageUrn] },
    ...extra,
  });
  const httpStage = (defaults: unknown): StackResourceInput => ({
    type: TYPES.httpStage,
    name: "http-stage",
    props: { apiId: "h1", name: "$default", defaultRouteSettings: defaults },
  });
  const limits = { throttlingRateLimit: 50, throttlingBurstLimit: 100 };

  it("accepts a REST stage with */* throttling and an HTTP stage with default route throttling", async () => {
    assertSilent(
      await runStackPolicy(stageThrottling, [api, stage, settings(limits), httpStage(limits)]),
    );
  });
  it("accepts settings matched by API id and stage name", async () => {
    const byId = settings(limits, {
      props: { restApi: "a1", stageName: "v1", methodPath: "*/*", settings: limits },
      propertyDependencies: {},
    });
    const idStage = {
      ...stage,
      props: { ...stage.props, restApi: "a1" },
      propertyDependencies: {},
    };
    assertSilent(await runStackPolicy(stageThrottling, [api, idStage, byId]));
  });
  it("reports a REST stage without */* method settings", async () => {
    assertOne(
      await runStackPolicy(stageThrottling, [api, stage]),
      /API Gateway Stage 'stage' must throttle every method by default; set an aws.apigateway.MethodSettings for stageName 'v1'/,
    );
  });
  it("reports settings that log but do not throttle, or settings of another path", async () => {
    assertOne(
      await runStackPolicy(stageThrottling, [api, stage, settings({ loggingLevel: "INFO" })]),
      /throttle/,
    );
    const onePath = settings(limits, {
      props: { restApi: UNKNOWN, stageName: UNKNOWN, methodPath: "items/GET", settings: limits },
    });
    assertOne(await runStackPolicy(stageThrottling, [api, stage, onePath]), /throttle/);
  });
  it("reports an HTTP stage without default route throttling", async () => {
    assertOne(
      await runStackPolicy(stageThrottling, [httpStage({ throttlingRateLimit: 10 })]),
      /v2 Stage 'http-stage' must throttle every route by default; set defaultRouteSettings.throttlingBurstLimit/,
    );
  });
  it("stays silent when the settings or their stage are unknown", async () => {
    assertSilent(await runStackPolicy(stageThrottling, [api, stage, settings(UNKNOWN)]));
    const untraced = settings(limits, { propertyDependencies: {} });
    assertSilent(await runStackPolicy(stageThrottling, [api, stage, untraced]));
    assertSilent(await runStackPolicy(stageThrottling, [httpStage(UNKNOWN)]));
  });
});

describe("sec1-k-appsync-api-key-expiry", () => {
  const DAY = 24 * 60 * 60 * 1000;
  const key = (expires: unknown) => ({
    type: TYPES.appsyncApiKey,
    name: "gql-key",
    props: { apiId: "g1", expires },
  });
  const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

  it("accepts a key expiring within 90 days, or unset (AWS: 7 days)", async () => {
    assertSilent(await runResourcePolicy(appsyncApiKeyExpiry, key(inDays(30))));
    assertSilent(await runResourcePolicy(appsyncApiKeyExpiry, key(undefined)));
  });
  it("reports a key valid for a year", async () => {
    assertOne(
      await runResourcePolicy(appsyncApiKeyExpiry, key(inDays(365))),
      /must expire within 90 days; set expires/,
    );
  });
  it("stays silent on unknown or unparsable expiry", async () => {
    assertSilent(await runResourcePolicy(appsyncApiKeyExpiry, key(UNKNOWN)));
    assertSilent(await runResourcePolicy(appsyncApiKeyExpiry, key("next tuesday")));
  });
  it("follows maxDaysValid", async () => {
    assertOne(
      await runResourcePolicy(appsyncApiKeyExpiry, key(inDays(30)), { maxDaysValid: 7 }),
      /within 7 days/,
    );
  });
});

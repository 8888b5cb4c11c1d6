import * as assert from "assert";
import {
  appsyncHardening,
  appsyncLogging,
  customDomainTls,
  restExecutionLogging,
  restRequestValidation,
  restStageTracing,
  stageAccessLogging,
  wafAssociation,
} from "../policies/observability";
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

const logs = {
  destinationArn: "arn:aws:logs:eu-west-1:123456789012:log-group:access",
  format: "{}",
};

describe("X policies", () => {
  it("are all advisory", () => {
    for (const p of [
      stageAccessLogging,
      restStageTracing,
      restExecutionLogging,
      appsyncLogging,
      wafAssociation,
      customDomainTls,
      restRequestValidation,
      appsyncHardening,
    ]) {
      assert.strictEqual(p.enforcementLevel, "advisory", p.name);
    }
  });
});

describe("sec1-x-stage-access-logging", () => {
  const rest = (accessLogSettings: unknown) => ({
    type: TYPES.restStage,
    name: "rest-stage",
    props: { restApi: "a", stageName: "v1", deployment: "d", accessLogSettings },
  });
  const http = (accessLogSettings: unknown) => ({
    type: TYPES.httpStage,
    name: "http-stage",
    props: { apiId: "h", accessLogSettings },
  });
  it("accepts stages with a destination and format", async () => {
    assertSilent(await runResourcePolicy(stageAccessLogging, rest(logs)));
    assertSilent(await runResourcePolicy(stageAccessLogging, http(logs)));
  });
  it("reports REST and HTTP stages without access logs", async () => {
    assertOne(
      await runResourcePolicy(stageAccessLogging, rest(undefined)),
      /API Gateway Stage 'rest-stage' must write access logs/,
    );
    assertOne(
      await runResourcePolicy(stageAccessLogging, http({ destinationArn: "arn:x" })),
      /v2 Stage 'http-stage' .* set accessLogSettings.format/,
    );
  });
  it("stays silent when the settings are unknown", async () => {
    assertSilent(await runResourcePolicy(stageAccessLogging, rest(UNKNOWN)));
    assertSilent(
      await runResourcePolicy(stageAccessLogging, http({ destinationArn: UNKNOWN, format: "{}" })),
    );
  });
});

describe("sec1-x-rest-stage-tracing", () => {
  const stage = (xrayTracingEnabled: unknown) => ({
    type: TYPES.restStage,
    name: "stage",
    props: { restApi: "a", stageName: "v1", deployment: "d", xrayTracingEnabled },
  });
  it("accepts X-Ray on", async () =>
    assertSilent(await runResourcePolicy(restStageTracing, stage(true))));
  it("reports X-Ray off", async () =>
    assertOne(
      await runResourcePolicy(restStageTracing, stage(undefined)),
      /set xrayTracingEnabled to true/,
    ));
  it("stays silent when unknown", async () =>
    assertSilent(await runResourcePolicy(restStageTracing, stage(UNKNOWN))));
});

describe("sec1-x-rest-execution-logging", () => {
  const apiUrn = urnOf(TYPES.restApi, "api");
  const stageUrn = urnOf(TYPES.restStage, "stage");
  const base: StackResourceInput[] = [
    { type: TYPES.restApi, name: "api", props: { name: "api" } },
    {
      type: TYPES.restStage,
      name: "stage",
      props: { restApi: UNKNOWN, stageName: "v1" },
      propertyDependencies: { restApi: [apiUrn] },
    },
  ];
  const settings = (values: unknown): StackResourceInput => ({
    type: TYPES.methodSettings,
    name: "settings",
    props: { restApi: UNKNOWN, stageName: UNKNOWN, methodPath: "*/*", settings: values },
    propertyDependencies: { restApi: [apiUrn], stageName: [stageUrn] },
  });
  it("accepts ERROR logging without data trace", async () => {
    assertSilent(
      await runStackPolicy(restExecutionLogging, [...base, settings({ loggingLevel: "ERROR" })]),
    );
  });
  it("reports a stage without execution logging", async () => {
    assertOne(await runStackPolicy(restExecutionLogging, base), /Stage 'stage' must log execution/);
    assertOne(
      await runStackPolicy(restExecutionLogging, [...base, settings({ loggingLevel: "OFF" })]),
      /must log execution/,
    );
  });
  it("reports data tracing, unless the config allows it", async () => {
    const traced = [...base, settings({ loggingLevel: "INFO", dataTraceEnabled: true })];
    assertOne(
      await runStackPolicy(restExecutionLogging, traced),
      /set settings.dataTraceEnabled to false/,
    );
    assertSilent(await runStackPolicy(restExecutionLogging, traced, { allowDataTrace: true }));
  });
  it("stays silent when the logging level is unknown", async () => {
    assertSilent(
      await runStackPolicy(restExecutionLogging, [...base, settings({ loggingLevel: UNKNOWN })]),
    );
  });
  it("stays silent when the whole settings block is unknown (an apply over an unknown value)", async () => {
    assertSilent(await runStackPolicy(restExecutionLogging, [...base, settings(UNKNOWN)]));
  });
});

describe("sec1-x-appsync-logging", () => {
  const api = (logConfig: unknown) => ({
    type: TYPES.graphQLApi,
    name: "graphql",
    props: { authenticationType: "AWS_IAM", logConfig },
  });
  const good = {
    cloudwatchLogsRoleArn: "arn:aws:iam::123456789012:role/logs",
    fieldLogLevel: "ERROR",
    excludeVerboseContent: true,
  };
  it("accepts ERROR logging without verbose content", async () => {
    assertSilent(await runResourcePolicy(appsyncLogging, api(good)));
  });
  it("reports a missing logConfig or level NONE", async () => {
    assertOne(await runResourcePolicy(appsyncLogging, api(undefined)), /must log to CloudWatch/);
    assertOne(
      await runResourcePolicy(appsyncLogging, api({ ...good, fieldLogLevel: "NONE" })),
      /must log to CloudWatch/,
    );
  });
  it("reports verbose content unless the config allows it", async () => {
    const verbose = api({ ...good, excludeVerboseContent: false });
    assertOne(
      await runResourcePolicy(appsyncLogging, verbose),
      /set logConfig.excludeVerboseContent to true/,
    );
    assertSilent(
      await runResourcePolicy(appsyncLogging, verbose, { requireExcludeVerboseContent: false }),
    );
  });
  it("stays silent when the log config is unknown", async () => {
    assertSilent(await runResourcePolicy(appsyncLogging, api(UNKNOWN)));
    assertSilent(
      await runResourcePolicy(appsyncLogging, api({ ...good, cloudwatchLogsRoleArn: UNKNOWN })),
    );
  });
});

describe("sec1-x-waf-association", () => {
  const apiUrn = urnOf(TYPES.restApi, "api");
  const stageUrn = urnOf(TYPES.restStage, "stage");
  const gqlUrn = urnOf(TYPES.graphQLApi, "graphql");
  const restApi = (endpointConfiguration: unknown): StackResourceInput => ({
    type: TYPES.restApi,
    name: "api",
    props: { name: "api", endpointConfiguration },
  });
  const stage: StackResourceInput = {
    type: TYPES.restStage,
    name: "stage",
    props: { restApi: UNKNOWN, stageName: "v1" },
    propertyDependencies: { restApi: [apiUrn] },
  };
  const graphql = (visibility?: string): StackResourceInput => ({
    type: TYPES.graphQLApi,
    name: "graphql",
    props: { authenticationType: "AWS_IAM", visibility },
  });
  const association = (resourceArn: string, deps: string[]): StackResourceInput => ({
    type: TYPES.webAclAssociation,
    name: `waf-${deps.length}-${resourceArn.length}`,
    props: { resourceArn, webAclArn: "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1" },
    propertyDependencies: { resourceArn: deps },
  });

  it("accepts public APIs behind WAF and private REST APIs without it", async () => {
    const run = await runStackPolicy(wafAssociation, [
      restApi({ types: "REGIONAL" }),
      stage,
      graphql(),
      association(UNKNOWN, [stageUrn]),
      association(UNKNOWN, [gqlUrn]),
    ]);
    assertSilent(run);
    assertSilent(
      await runStackPolicy(wafAssociation, [
        restApi({ types: ["PRIVATE"] }),
        stage,
        graphql("PRIVATE"),
      ]),
    );
  });
  it("matches a REST stage by its ARN when there is no property dependency", async () => {
    const arn = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/v1";
    const byArn = { ...stage, props: { restApi: "a1b2c3d4e5", stageName: "v1", arn } };
    assertSilent(
      await runStackPolicy(wafAssociation, [restApi(undefined), byArn, association(arn, [])]),
    );
    const other = association(arn.replace("/v1", "/v2"), []);
    assertOne(
      await runStackPolicy(wafAssociation, [restApi(undefined), byArn, other]),
      /must be behind AWS WAF/,
    );
  });
  it("reports a public REST stage and a public AppSync API without WAF", async () => {
    const run = await runStackPolicy(wafAssociation, [
      restApi(undefined),
      stage,
      graphql("GLOBAL"),
    ]);
    assert.deepStrictEqual(
      run.violations.map((v) => v.urn),
      [stageUrn, gqlUrn],
    );
    assert.match(
      messagesOf(run)[0],
      /Stage 'stage' of public REST API 'api' must be behind AWS WAF/,
    );
  });
  it("reads an endpoint configuration without types as EDGE, a public API (as API Gateway does)", async () => {
    for (const config of [{}, { vpcEndpointIds: [] }, { types: [] }]) {
      assertOne(
        await runStackPolicy(wafAssociation, [restApi(config), stage]),
        /Stage 'stage' of public REST API 'api' must be behind AWS WAF/,
      );
    }
  });
  it("stays silent when the endpoint type or an association target is unknown", async () => {
    assertSilent(await runStackPolicy(wafAssociation, [restApi({ types: UNKNOWN }), stage]));
    assertSilent(
      await runStackPolicy(wafAssociation, [restApi(undefined), stage, association(UNKNOWN, [])]),
    );
  });
  it("follows the config switches", async () => {
    const stack = [restApi(undefined), stage, graphql()];
    assertSilent(
      await runStackPolicy(wafAssociation, stack, {
        requireForRestApis: false,
        requireForAppSync: false,
      }),
    );
  });
});

describe("sec1-x-custom-domain-tls", () => {
  const rest = (securityPolicy: unknown) => ({
    type: TYPES.restDomainName,
    name: "domain",
    props: { domainName: "api.example.com", securityPolicy },
  });
  const http = (securityPolicy: unknown) => ({
    type: TYPES.httpDomainName,
    name: "domain-v2",
    props: {
      domainName: "api.example.com",
      domainNameConfiguration: {
        certificateArn: "arn:x",
        endpointType: "REGIONAL",
        securityPolicy,
      },
    },
  });
  it("accepts TLS_1_2 and enhanced TLS 1.3 policies", async () => {
    assertSilent(await runResourcePolicy(customDomainTls, rest("TLS_1_2")));
    assertSilent(
      await runResourcePolicy(customDomainTls, rest("SecurityPolicy_TLS13_1_3_2025_09")),
    );
    assertSilent(await runResourcePolicy(customDomainTls, http("TLS_1_2")));
  });
  it("reports TLS_1_0 and an unset policy", async () => {
    assertOne(
      await runResourcePolicy(customDomainTls, rest("TLS_1_0")),
      /set securityPolicy to TLS_1_2 \(not TLS_1_0\)/,
    );
    assertOne(
      await runResourcePolicy(customDomainTls, http(undefined)),
      /v2 DomainName 'domain-v2'/,
    );
  });
  it("stays silent when unknown", async () => {
    assertSilent(await runResourcePolicy(customDomainTls, rest(UNKNOWN)));
  });
});

describe("sec1-x-rest-request-validation", () => {
  const method = (httpMethod: string, requestValidatorId?: unknown) => ({
    type: TYPES.restMethod,
    name: "create-item",
    props: {
      restApi: "a",
      resourceId: "r",
      httpMethod,
      authorization: "AWS_IAM",
      requestValidatorId,
    },
  });
  it("accepts POST with a validator and GET without", async () => {
    assertSilent(await runResourcePolicy(restRequestValidation, method("POST", "v1")));
    assertSilent(await runResourcePolicy(restRequestValidation, method("GET")));
  });
  it("reports POST without a validator", async () => {
    assertOne(
      await runResourcePolicy(restRequestValidation, method("POST")),
      /\(POST\) must validate its request body/,
    );
  });
  it("stays silent when the validator id is unknown", async () => {
    assertSilent(await runResourcePolicy(restRequestValidation, method("PUT", UNKNOWN)));
  });
  it("follows methodsWithBody", async () => {
    assertOne(
      await runResourcePolicy(restRequestValidation, method("DELETE"), {
        methodsWithBody: ["DELETE"],
      }),
      /DELETE/,
    );
  });
});

describe("sec1-x-appsync-hardening", () => {
  const api = (props: Record<string, unknown>, stack = "prod") => ({
    type: TYPES.graphQLApi,
    name: "graphql",
    urn: `urn:pulumi:${stack}::sec1-api-platform::${TYPES.graphQLApi}::graphql`,
    props: { authenticationType: "AWS_IAM", ...props },
  });
  const hardened = { introspectionConfig: "DISABLED", queryDepthLimit: 8 };
  it("accepts a hardened production API", async () => {
    assertSilent(await runResourcePolicy(appsyncHardening, api(hardened)));
  });
  it("reports introspection and unlimited depth in production", async () => {
    const run = await runResourcePolicy(appsyncHardening, api({}));
    assert.deepStrictEqual(
      messagesOf(run).map((m) => /set (\S+)/.exec(m)?.[1]),
      ["introspectionConfig", "queryDepthLimit"],
    );
  });
  it("does not apply to non-production stacks", async () => {
    assertSilent(await runResourcePolicy(appsyncHardening, api({}, "dev")));
  });
  it("stays silent when the settings are unknown", async () => {
    assertSilent(
      await runResourcePolicy(
        appsyncHardening,
        api({ introspectionConfig: UNKNOWN, queryDepthLimit: UNKNOWN }),
      ),
    );
  });
  it("follows productionStacks and maxQueryDepth", async () => {
    assertOne(
      await runResourcePolicy(appsyncHardening, api(hardened, "staging"), {
        productionStacks: ["staging"],
        maxQueryDepth: 5,
      }),
      /set queryDepthLimit to 1-5 \(now 8\)/,
    );
  });
});

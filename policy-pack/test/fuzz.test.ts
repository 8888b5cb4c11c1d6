/**
 * Fuzz: every policy of the pack against generated property bags (nulls, wrong types, unknown
 * sentinels nested anywhere, broken JSON policy strings, huge strings) and against config values
 * of the wrong type, through the harness that calls validateResource and validateStack exactly as
 * the analyzer server does (helpers/run-policy.ts, checked against the server in
 * harness.test.ts). A policy may report or call notApplicable; it must never throw, and never
 * touch an unknown value (the server would turn that into a "can't run during preview"
 * advisory instead of the policy staying silent). Seeded, so a failure replays.
 */
import * as assert from "assert";
import { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import { TYPES } from "../lib/stack-refs";
import {
  PolicyConfig,
  PolicyRun,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";
import { seeded } from "./helpers/random";

const SEED = 0x5ec1;
const BAGS_PER_TYPE = 300;
const STACKS = 200;

const SENTINELS = [
  UNKNOWN,
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
];
const HUGE = "a".repeat(200_000);
const POLICY_DOC = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: "*",
      Action: "execute-api:Invoke",
      Resource: "execute-api:/*",
      Condition: { StringEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } },
    },
  ],
};
const BROKEN_JSON = [
  "{",
  '{"Statement":',
  "null",
  "[]",
  '"*"',
  "{}",
  '{"Statement":{"Effect":"Allow","Principal":"*","Action":5}}',
  '{"Statement":[null,1,"x",{"Effect":"Deny","NotAction":[],"NotResource":{}}]}',
  '{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*",null]},"Action":["*"],"Resource":"*","Condition":{"StringNotEquals":null}}]}',
  `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"${UNKNOWN}","Resource":"*"}]}`,
  '{"openapi":"3.0.1","paths":{"/x":{"get":{"security":[{}]}},"/y":null,"/z":{"post":{"security":"x"}}}}',
  '{"paths":{"/x":{"get":{"security":[{"a":[]}]}}},"components":{"securitySchemes":{"a":null}}}',
];

/** Realistic inputs per resource type; the fuzzer mutates these. */
const TEMPLATES: Record<string, Record<string, unknown>> = {
  [TYPES.restApi]: {
    name: "api",
    endpointConfiguration: { types: "PRIVATE", vpcEndpointIds: ["vpce-0123"] },
    policy: JSON.stringify(POLICY_DOC),
    body: '{"openapi":"3.0.1","paths":{"/x":{"get":{}}}}',
    tags: { internal: "true" },
  },
  [TYPES.restStage]: {
    restApi: "a1b2c3d4e5",
    stageName: "v1",
    deployment: "d1",
    xrayTracingEnabled: true,
    accessLogSettings: { destinationArn: "arn:aws:logs:eu-west-1:1:log-group:x", format: "{}" },
    arn: "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/v1",
  },
  [TYPES.restMethod]: {
    restApi: "a1b2c3d4e5",
    resourceId: "r1",
    httpMethod: "POST",
    authorization: "CUSTOM",
    authorizerId: "au1",
    apiKeyRequired: true,
    requestValidatorId: "v1",
  },
  [TYPES.restAuthorizer]: {
    restApi: "a1b2c3d4e5",
    type: "REQUEST",
    authorizerUri: "arn:aws:apigateway:eu-west-1:lambda:path/x",
    identitySource: "method.request.header.Authorization",
    providerArns: ["arn:aws:cognito-idp:eu-west-1:1:userpool/x"],
    authorizerResultTtlInSeconds: 300,
  },
  [TYPES.methodSettings]: {
    restApi: "a1b2c3d4e5",
    stageName: "v1",
    methodPath: "*/*",
    settings: {
      throttlingRateLimit: 10,
      throttlingBurstLimit: 20,
      loggingLevel: "INFO",
      dataTraceEnabled: false,
    },
  },
  [TYPES.usagePlan]: {
    throttleSettings: { rateLimit: 10, burstLimit: 20 },
    quotaSettings: { limit: 100, period: "DAY" },
    apiStages: [{ apiId: "a1b2c3d4e5", stage: "v1" }],
  },
  [TYPES.usagePlanKey]: { keyId: "k1", keyType: "API_KEY", usagePlanId: "p1" },
  [TYPES.apiKey]: { name: "k", value: "x".repeat(30), id: "k1" },
  [TYPES.restDomainName]: { domainName: "api.example.com", securityPolicy: "TLS_1_2" },
  [TYPES.httpApi]: {
    protocolType: "HTTP",
    name: "h",
    routeKey: "ANY /x",
    target: "arn:x",
    body: "{}",
    id: "h1",
  },
  [TYPES.httpRoute]: {
    apiId: "h1",
    routeKey: "$connect",
    authorizationType: "JWT",
    authorizerId: "a1",
  },
  [TYPES.httpAuthorizer]: {
    apiId: "h1",
    authorizerType: "JWT",
    jwtConfiguration: { issuer: "https://idp", audiences: ["c"] },
    identitySources: ["$request.header.Authorization"],
    authorizerUri: "arn:x",
    id: "a1",
  },
  [TYPES.httpStage]: {
    apiId: "h1",
    defaultRouteSettings: { throttlingRateLimit: 1, throttlingBurstLimit: 2 },
    accessLogSettings: { destinationArn: "arn:x", format: "{}" },
  },
  [TYPES.httpDomainName]: {
    domainName: "x.example.com",
    domainNameConfiguration: {
      certificateArn: "arn:x",
      endpointType: "REGIONAL",
      securityPolicy: "TLS_1_2",
    },
  },
  [TYPES.graphQLApi]: {
    authenticationType: "AMAZON_COGNITO_USER_POOLS",
    userPoolConfig: { userPoolId: "p", awsRegion: "eu-west-1", defaultAction: "ALLOW" },
    additionalAuthenticationProviders: [
      {
        authenticationType: "OPENID_CONNECT",
        openidConnectConfig: { issuer: "https://i", clientId: "c" },
      },
      { authenticationType: "AWS_LAMBDA", lambdaAuthorizerConfig: { authorizerUri: "arn:x" } },
    ],
    logConfig: {
      cloudwatchLogsRoleArn: "arn:x",
      fieldLogLevel: "ERROR",
      excludeVerboseContent: true,
    },
    visibility: "GLOBAL",
    introspectionConfig: "ENABLED",
    queryDepthLimit: 5,
    tags: { internal: "true" },
    arn: "arn:aws:appsync:eu-west-1:1:apis/x",
  },
  [TYPES.appsyncApiKey]: { apiId: "g1", expires: "2099-01-01T00:00:00Z" },
  [TYPES.identityPool]: { identityPoolName: "ids", allowUnauthenticatedIdentities: true },
  [TYPES.functionUrl]: { functionName: "fn", authorizationType: "NONE" },
  [TYPES.webAclAssociation]: {
    resourceArn: "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/v1",
    webAclArn: "arn:w",
  },
  "aws:apigateway/restApiPolicy:RestApiPolicy": {
    restApiId: "a1b2c3d4e5",
    policy: JSON.stringify(POLICY_DOC),
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": {
    vpcId: "vpc-1",
    serviceName: "com.amazonaws.eu-west-1.execute-api",
    vpcEndpointType: "Interface",
    privateDnsEnabled: true,
    securityGroupIds: ["sg-1"],
    subnetIds: ["subnet-1"],
    policy: JSON.stringify(POLICY_DOC),
  },
  "aws:iam/role:Role": {
    assumeRolePolicy: JSON.stringify(POLICY_DOC),
    inlinePolicies: [{ name: "p", policy: JSON.stringify(POLICY_DOC) }],
  },
  "aws:iam/rolePolicy:RolePolicy": { role: "r", policy: JSON.stringify(POLICY_DOC) },
  "aws:iam/userPolicy:UserPolicy": { user: "u", policy: POLICY_DOC },
  "aws:iam/groupPolicy:GroupPolicy": { group: "g", policy: JSON.stringify(POLICY_DOC) },
  "aws:iam/policy:Policy": { policy: JSON.stringify(POLICY_DOC) },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
    role: "r",
    policyArn: "arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess",
  },
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": {
    roleName: "r",
    policyArns: ["arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::1:policy/x"],
  },
  "aws:cognito/userPool:UserPool": {
    mfaConfiguration: "OPTIONAL",
    userPoolAddOns: { advancedSecurityMode: "AUDIT" },
    passwordPolicy: { minimumLength: 6, requireSymbols: false },
    adminCreateUserConfig: { allowAdminCreateUserOnly: false },
    tags: { audience: "workforce" },
  },
  "aws:wafv2/webAcl:WebAcl": {
    arn: "arn:w",
    defaultAction: { allow: {} },
    rules: [{ name: "r", priority: 0, action: { count: {} }, overrideAction: { none: {} } }],
    ruleJson: JSON.stringify([{ Name: "r", Action: { Block: {} } }]),
  },
  "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": {
    resourceArn: "arn:w",
    logDestinationConfigs: ["arn:aws:logs:eu-west-1:1:log-group:aws-waf-logs-x"],
  },
  "aws:lambda/function:Function": {
    role: "arn:aws:iam::1:role/r",
    environment: {
      variables: {
        API_TOKEN: "q8ZrT2mXw4Lk9PvB3nYc7HsA1dEf6GjK",
        KEY: ["AKIA", "IOSFODNN7EXAMPLF"].join(""),
      },
    },
  },
  "aws:appsync/dataSource:DataSource": {
    apiId: "g1",
    type: "AWS_LAMBDA",
    lambdaConfig: { functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:fn" },
    serviceRoleArn: "arn:aws:iam::123456789012:role/r",
  },
  "aws:apigatewayv2/integration:Integration": {
    apiId: "h1",
    integrationType: "AWS_PROXY",
    integrationUri: "arn:aws:lambda:eu-west-1:123456789012:function:fn",
    credentialsArn: "arn:aws:iam::123456789012:role/r",
  },
  "aws:lambda/permission:Permission": {
    action: "lambda:InvokeFunction",
    function: "fn",
    principal: "apigateway.amazonaws.com",
    sourceArn: "arn:aws:execute-api:eu-west-1:1:a1b2c3d4e5/*/GET/x",
  },
};
const TYPE_LIST = Object.keys(TEMPLATES);

class Fuzzer {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = seeded(seed);
  }
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
  chance(p: number): boolean {
    return this.random() < p;
  }

  /** Any value, biased toward the shapes that break careless code. */
  value(depth = 0): unknown {
    switch (this.int(depth > 2 ? 9 : 12)) {
      case 0:
        return null;
      case 1:
        return this.pick([true, false]);
      case 2:
        return this.pick([0, -1, 1, 3600, 1e308, -0.5, 2 ** 53]);
      case 3:
        return this.pick([
          "",
          " ",
          "NONE",
          "*",
          "PRIVATE",
          "arn:",
          "https://",
          "http://x",
          "TLS_1_0",
        ]);
      case 4:
        return this.pick(SENTINELS);
      case 5:
        return `prefix-${UNKNOWN}-suffix`;
      case 6:
        return this.chance(0.1) ? HUGE : this.pick(BROKEN_JSON);
      case 7:
        return [];
      case 8:
        return {};
      case 9:
        return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      case 10: {
        const o: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--)
          o[this.pick(["types", "issuer", "Statement", "0", "a"])] = this.value(depth + 1);
        return o;
      }
      default:
        return JSON.stringify(this.mutate(POLICY_DOC, depth + 1));
    }
  }

  /** The template with values replaced, removed or added anywhere in the tree. */
  mutate(template: unknown, depth = 0): unknown {
    if (this.chance(depth === 0 ? 0.02 : 0.15)) return this.value(depth);
    if (Array.isArray(template)) {
      const out = template.map((v) => this.mutate(v, depth + 1));
      if (this.chance(0.2)) out.push(this.value(depth + 1));
      return out;
    }
    if (template !== null && typeof template === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(template)) {
        if (this.chance(0.1)) continue;
        out[k] = this.mutate(v, depth + 1);
      }
      if (this.chance(0.2))
        out[this.pick(["id", "arn", "extra", "policy", "body"])] = this.value(depth + 1);
      return out;
    }
    if (typeof template === "string" && template.startsWith("{") && this.chance(0.3)) {
      try {
        return JSON.stringify(this.mutate(JSON.parse(template), depth + 1));
      } catch {
        return template;
      }
    }
    return template;
  }

  /** Props as the server hands them over: JSON data (no undefined), sometimes not even an object. */
  props(type: string): Record<string, unknown> {
    const mutated = this.mutate(TEMPLATES[type]);
    const record =
      mutated !== null && typeof mutated === "object" && !Array.isArray(mutated)
        ? mutated
        : { v: mutated };
    return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
  }
}

/** What went wrong: any exception (the harness lets only notApplicable and unknowns through). */
interface Failure {
  policy: string;
  type: string;
  error: string;
  props: string;
  config: string;
}

const resourcePolicies = allPolicies.filter(
  (p): p is ResourceValidationPolicy => "validateResource" in p && p.validateResource !== undefined,
);
const stackPolicies = allPolicies.filter(
  (p): p is StackValidationPolicy =>
    typeof (p as StackValidationPolicy).validateStack === "function",
);

/**
 * Config as a careless org file or an old CLI might send it through Configure: each key of the
 * policy's schema, sometimes missing, sometimes of the wrong type (the CLI validates against the
 * schema; the offline preview and hand-written files may not).
 */
function fuzzConfig(fuzz: Fuzzer, policy: Policy): PolicyConfig {
  const config: PolicyConfig = {};
  for (const key of Object.keys(policy.configSchema?.properties ?? {})) {
    if (fuzz.chance(0.5)) continue;
    config[key] = fuzz.pick<unknown>([
      null,
      "",
      "all",
      7,
      -1,
      1.5,
      true,
      [],
      ["*"],
      ["OPTIONS", 5],
      [null],
      { nested: true },
      UNKNOWN,
    ]);
  }
  return config;
}

/** A stack of 5 to 34 fuzzed resources with random (even nonsense) references between them. */
function generatedStack(fuzz: Fuzzer): StackResourceInput[] {
  const count = 5 + fuzz.int(30);
  const resources: StackResourceInput[] = [];
  for (let i = 0; i < count; i++) {
    const type = fuzz.pick(TYPE_LIST);
    resources.push({ type, name: `r${i}`, props: fuzz.props(type) });
  }
  // Random references: parents, dependencies and property dependencies (even nonsense ones).
  const urns = resources.map((r) => urnOf(r.type, r.name ?? ""));
  for (const r of resources) {
    if (fuzz.chance(0.3)) r.parent = fuzz.pick(urns);
    r.dependencies = urns.filter(() => fuzz.chance(0.1));
    r.propertyDependencies = {};
    for (const key of [
      "restApi",
      "restApiId",
      "apiId",
      "stageName",
      "authorizerId",
      "keyId",
      "resourceArn",
      "policy",
      "role",
      "function",
      "sourceArn",
      "uri",
    ]) {
      if (fuzz.chance(0.3)) r.propertyDependencies[key] = urns.filter(() => fuzz.chance(0.2));
    }
  }
  return resources;
}

async function guarded(
  failures: Failure[],
  what: { policy: string; type: string; props: unknown; config: PolicyConfig },
  body: () => Promise<PolicyRun>,
): Promise<PolicyRun | undefined> {
  try {
    return await body();
  } catch (e) {
    if (failures.length < 20) {
      const text = JSON.stringify(what.props);
      failures.push({
        policy: what.policy,
        type: what.type,
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        props: text.length > 400 ? `${text.slice(0, 400)}...` : text,
        config: JSON.stringify(what.config),
      });
    }
    return undefined;
  }
}

describe("fuzz: every policy against malformed and unknown property bags", function () {
  this.timeout(120_000);

  it("has policies and templates to fuzz", () => {
    assert.ok(resourcePolicies.length > 0 && stackPolicies.length > 0);
    assert.ok(TYPE_LIST.length >= 20);
  });

  it(`validateResource never throws (${BAGS_PER_TYPE} bags per resource type, fuzzed config)`, async () => {
    const fuzz = new Fuzzer(SEED);
    const failures: Failure[] = [];
    const previewErrors = new Map<string, number>();
    let calls = 0;
    for (const type of TYPE_LIST) {
      for (let i = 0; i < BAGS_PER_TYPE; i++) {
        const props = fuzz.props(type);
        const stack = fuzz.pick(["prod", "dev"]);
        const name = `r${i}`;
        for (const policy of resourcePolicies) {
          const config = fuzz.chance(0.3) ? fuzzConfig(fuzz, policy) : {};
          const urn = `urn:pulumi:${stack}::sec1-api-platform::${type}::${name}`;
          const run = await guarded(failures, { policy: policy.name, type, props, config }, () =>
            runResourcePolicy(policy, { type, name, urn, props }, config),
          );
          calls++;
          if (run && run.previewErrors.length > 0) {
            previewErrors.set(policy.name, (previewErrors.get(policy.name) ?? 0) + 1);
          }
        }
      }
    }
    assert.ok(calls > 1000, `only ${calls} calls`);
    assert.deepStrictEqual(failures, []);
    assert.deepStrictEqual([...previewErrors], []);
  });

  it(`validateStack never throws (${STACKS} generated stacks, fuzzed config)`, async () => {
    const fuzz = new Fuzzer(SEED + 1);
    const failures: Failure[] = [];
    const previewErrors = new Map<string, number>();
    for (let s = 0; s < STACKS; s++) {
      const resources = generatedStack(fuzz);
      for (const policy of stackPolicies) {
        const config = fuzz.chance(0.3) ? fuzzConfig(fuzz, policy) : {};
        const run = await guarded(
          failures,
          { policy: policy.name, type: "stack", props: `stack #${s}`, config },
          () => runStackPolicy(policy, resources, config),
        );
        if (run && run.previewErrors.length > 0) {
          previewErrors.set(policy.name, (previewErrors.get(policy.name) ?? 0) + 1);
        }
      }
    }
    assert.deepStrictEqual(failures, []);
    // Every policy reads unknowns itself and stays silent: none may fall back on the SDK's
    // "can't run during preview" advisory.
    assert.deepStrictEqual([...previewErrors], []);
  });

  it(`a stack policy tagged with a type finds nothing without that type (${STACKS} stacks)`, async () => {
    // The server skips a tagged stack policy when the stack has no resource of its type; that
    // is sound only if the policy's body could not report anything on such a stack.
    const fuzz = new Fuzzer(SEED + 2);
    const tagged = stackPolicies.flatMap((policy) => {
      const type = (policy.validateStack as { __pulumiType?: string }).__pulumiType;
      return type ? [{ policy, type }] : [];
    });
    assert.ok(tagged.length >= 14, `only ${tagged.length} tagged stack policies`);
    const found: string[] = [];
    for (let s = 0; s < STACKS; s++) {
      const resources = generatedStack(fuzz);
      for (const { policy, type } of tagged) {
        const without = resources.filter((r) => r.type !== type);
        // The same body without the tag, so the harness runs it instead of skipping it.
        const body: StackValidationPolicy = {
          ...policy,
          validateStack: (args, report) => policy.validateStack(args, report),
        };
        const run = await runStackPolicy(body, without, {});
        if (run.violations.length > 0) found.push(`${policy.name} (stack #${s}, no ${type})`);
      }
    }
    assert.deepStrictEqual(found, []);
  });
});

/**
 * Resource policies on types without tags run as stack policies (lib/resource-as-stack.ts), so
 * exemption declarations reach their findings. Checked here: which types have no tags (against
 * @pulumi/aws's own types), which policies are converted, that a converted policy finds on each
 * resource what the resource policy finds, and that it reads only inputs that are also outputs
 * (AnalyzeStack hands over outputs where Analyze hands over inputs).
 */
import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as fs from "fs";
import * as path from "path";
import {
  Policy,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { allPolicies, sec1Policies } from "../policies";
import {
  TYPES_WITHOUT_TAGS,
  asStackPolicy,
  seesDeclarationsOn,
  untaggedTypesOf,
} from "../lib/resource-as-stack";
import { typesOfValidation } from "../lib/typed-validation";
import { UNKNOWN, resourceArgs, runResourcePolicy, runStackPolicy } from "./helpers/run-policy";

const AWS_DIR = path.dirname(require.resolve("@pulumi/aws/package.json"));

/** The input and output property names of an AWS type, read from the provider's .d.ts. */
function declaredProperties(type: string) {
  const m = /^aws:([^/]+)\/([^:]+):(.+)$/.exec(type);
  assert.ok(m, type);
  const source = fs.readFileSync(path.join(AWS_DIR, m[1], `${m[2]}.d.ts`), "utf8");
  const block = (opening: string) => {
    const start = source.indexOf(opening);
    assert.ok(start >= 0, `${type}: ${opening}`);
    return source.slice(start, source.indexOf("\n}", start));
  };
  const args = block(`export interface ${m[3]}Args {`);
  const cls = block(`export declare class ${m[3]} extends`);
  const inputs = [...args.matchAll(/^ {4}(\w+)\??: pulumi\.Input/gm)].map((x) => x[1]);
  const optional = [...args.matchAll(/^ {4}(\w+)\?: pulumi\.Input/gm)].map((x) => x[1]);
  const outputs = [...cls.matchAll(/^ {4}readonly (\w+): pulumi\.Output/gm)].map((x) => x[1]);
  // An optional input whose output is never undefined is computed when absent: unknown in a
  // preview's outputs where Analyze saw nothing.
  const computed = [...cls.matchAll(/^ {4}readonly (\w+): pulumi\.Output<(.*)>;$/gm)]
    .filter((x) => optional.includes(x[1]) && !/\bundefined\b/.test(x[2]))
    .map((x) => x[1]);
  return { inputs, outputs, computed, tags: inputs.includes("tags") };
}

/** The converted policies that also check types with tags: those stay resource validations. */
const TAGGED_IN_ANALYZE: Record<string, string[]> = {
  "sec1-i-execute-api-invoke-scope": ["aws:iam/policy:Policy", "aws:iam/role:Role"],
  "sec1-i-execute-api-invoke-path-scope": ["aws:iam/policy:Policy", "aws:iam/role:Role"],
};

const resourcePolicies = (sec1Policies as Policy[]).filter(
  (p) => (p as ResourceValidationPolicy).validateResource !== undefined,
);
const converted = resourcePolicies.filter((p) => untaggedTypesOf(p) !== undefined);
const typesOf = (p: Policy) => untaggedTypesOf(p) ?? [];
const byName = new Map((allPolicies as Policy[]).map((p) => [p.name, p]));

/** Props with every input of the type set: the policies then read as far as they go. */
function everyInput(type: string, value: unknown): Record<string, unknown> {
  return Object.fromEntries(declaredProperties(type).inputs.map((k) => [k, value]));
}

const OPEN_INVOKE = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "execute-api:*", Resource: "*" }],
});
const INVOKE_ALL = "arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess";

const WHOLE_API = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: "execute-api:Invoke",
      Resource: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*",
    },
  ],
});

/** More inputs, for the policies that report what the first set leaves to another policy. */
const MORE_FINDINGS: Record<string, Record<string, unknown>> = {
  "aws:lambda/functionUrl:FunctionUrl": {
    functionName: "orders",
    authorizationType: "AWS_IAM",
    cors: { allowCredentials: false, allowOrigins: ["*"] },
  },
  "aws:iam/rolePolicy:RolePolicy": { role: "caller", policy: WHOLE_API },
};

/** For each type, inputs on which the pack's policies of that type report something. */
const FINDINGS: Record<string, Record<string, unknown>> = {
  "aws:apigateway/authorizer:Authorizer": {
    restApi: "r1",
    name: "auth",
    type: "REQUEST",
    authorizerUri: "arn:aws:lambda:eu-west-1:123456789012:function:auth",
    authorizerResultTtlInSeconds: 3600,
  },
  "aws:apigateway/method:Method": {
    restApi: "r1",
    resourceId: "res1",
    httpMethod: "POST",
    authorization: "AWS_IAM",
  },
  "aws:apigatewayv2/authorizer:Authorizer": {
    apiId: "h1",
    authorizerType: "JWT",
    identitySources: ["$request.header.Authorization"],
    jwtConfiguration: { issuer: "http://issuer.example.com" },
  },
  "aws:apigatewayv2/route:Route": {
    apiId: "h1",
    routeKey: "GET /items",
    authorizationType: "JWT",
    authorizerId: "a1",
  },
  "aws:appsync/apiKey:ApiKey": { apiId: "g1", expires: "2099-01-01T00:00:00Z" },
  "aws:cognito/identityProvider:IdentityProvider": {
    userPoolId: "eu-west-1_AbCdEf123",
    providerName: "Workforce",
    providerType: "SAML",
    providerDetails: { MetadataURL: "http://login.example.com/saml", IDPInit: "true" },
  },
  "aws:iam/policy:Policy": { policy: OPEN_INVOKE },
  "aws:iam/role:Role": {
    assumeRolePolicy: "{}",
    inlinePolicies: [{ name: "invoke", policy: OPEN_INVOKE }],
  },
  "aws:iam/rolePolicy:RolePolicy": { role: "caller", policy: OPEN_INVOKE },
  "aws:iam/userPolicy:UserPolicy": { user: "caller", policy: OPEN_INVOKE },
  "aws:iam/groupPolicy:GroupPolicy": { group: "callers", policy: OPEN_INVOKE },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { role: "caller", policyArn: INVOKE_ALL },
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": { user: "caller", policyArn: INVOKE_ALL },
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": { group: "g", policyArn: INVOKE_ALL },
  "aws:iam/policyAttachment:PolicyAttachment": { roles: ["caller"], policyArn: INVOKE_ALL },
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": {
    roleName: "caller",
    policyArns: [INVOKE_ALL],
  },
  "aws:lambda/functionUrl:FunctionUrl": {
    functionName: "orders",
    authorizationType: "NONE",
    cors: { allowCredentials: true, allowOrigins: ["*"] },
  },
  "aws:lambda/permission:Permission": {
    action: "lambda:InvokeFunction",
    function: "orders",
    principal: "apigateway.amazonaws.com",
  },
};

describe("resource policies on types without tags run as stack policies", () => {
  it("TYPES_WITHOUT_TAGS holds exactly the checked types without a tags input in @pulumi/aws", () => {
    const checked = new Set(
      resourcePolicies.flatMap((p) => {
        const v = (p as ResourceValidationPolicy).validateResource!;
        return (Array.isArray(v) ? v : [v]).flatMap((x) => typesOfValidation(x) ?? []);
      }),
    );
    const untagged = [...checked].filter((t) => !declaredProperties(t).tags).sort();
    assert.deepStrictEqual(untagged, [...TYPES_WITHOUT_TAGS].sort());
  });

  it("converts every resource policy with such a type, tagged when it checks one type", () => {
    assert.deepStrictEqual(converted.map((p) => p.name).sort(), [
      "sec1-a-authorizer-result-ttl",
      "sec1-a-identity-provider-https",
      "sec1-a-jwt-authorizer-config",
      "sec1-a-jwt-route-scopes",
      "sec1-a-rest-authorizer-config",
      "sec1-a-saml-provider-hardening",
      "sec1-e-function-url-cors-credentials",
      "sec1-e-function-url-cors-origins",
      "sec1-i-execute-api-invoke-path-scope",
      "sec1-i-execute-api-invoke-scope",
      "sec1-i-lambda-permission-source-arn",
      "sec1-k-appsync-api-key-expiry",
      "sec1-x-rest-request-validation",
    ]);
    for (const p of resourcePolicies) {
      const served = byName.get(p.name) as Policy & Record<string, unknown>;
      const stack = served.validateStack as { __pulumiType?: string } | undefined;
      if (!converted.includes(p)) {
        assert.strictEqual(stack, undefined, p.name);
        continue;
      }
      const types = typesOf(p);
      assert.strictEqual(stack?.__pulumiType, types.length === 1 ? types[0] : undefined, p.name);
      // Types with tags stay in Analyze (tags exempt there; a role's outputs differ from inputs).
      const inAnalyze = served.validateResource as ResourceValidation | undefined;
      assert.deepStrictEqual(inAnalyze && typesOfValidation(inAnalyze), TAGGED_IN_ANALYZE[p.name]);
    }
  });

  it("tells the declarations check which findings come from AnalyzeStack", () => {
    const sees = (policy: string, type: string) => seesDeclarationsOn(byName.get(policy)!, type);
    assert.deepStrictEqual(
      [
        sees("sec1-i-execute-api-invoke-scope", "aws:iam/rolePolicy:RolePolicy"),
        sees("sec1-i-execute-api-invoke-scope", "aws:iam/role:Role"),
        sees("sec1-a-jwt-route-scopes", "aws:apigatewayv2/route:Route"),
        sees("sec1-a-user-pool-mfa", "aws:cognito/userPool:UserPool"),
        sees("sec1-a-http-route-authorization", "aws:apigatewayv2/route:Route"),
      ],
      [true, false, true, false, true],
    );
  });

  it("finds on each resource what the resource policy finds, with the resource's URN", async () => {
    const reporting = new Set<string>();
    for (const p of converted) {
      const stackPolicy = asStackPolicy(p) as StackValidationPolicy;
      for (const type of typesOf(p)) {
        const cases = [FINDINGS[type], MORE_FINDINGS[type], everyInput(type, UNKNOWN), {}];
        for (const props of cases.filter((c) => c !== undefined)) {
          const resources = ["one", "two"].map((name) => ({ type, name, props }));
          const alone = await Promise.all(
            resources.map((r) => runResourcePolicy(p as ResourceValidationPolicy, r)),
          );
          const expected = alone.flatMap((run, i) =>
            run.violations.map((v) => [v.message, v.urn ?? resourceArgs(resources[i]).urn]),
          );
          const together = await runStackPolicy(stackPolicy, resources);
          const found = together.violations.map((v) => [v.message, v.urn]);
          assert.deepStrictEqual(found, expected, `${p.name} on ${type}`);
          if (found.length > 0) reporting.add(p.name);
        }
      }
    }
    // Not vacuous: every converted policy reports on one of these resources.
    assert.deepStrictEqual(
      converted.map((p) => p.name).filter((n) => !reporting.has(n)),
      [],
    );
  });

  it("keeps one resource's unknown value or notApplicable from ending the run for the others", async () => {
    const type = "aws:lambda/permission:Permission";
    const probe: ResourceValidationPolicy = {
      name: "probe",
      description: "probe",
      enforcementLevel: "mandatory",
      validateResource: validateResourceOfType(
        aws.lambda.Permission,
        (permission, args, report) => {
          if (args.name === "skipped") args.notApplicable("not this one");
          report(`sourceArn is ${String(permission.sourceArn)}`);
        },
      ),
    };
    const resources = [
      { type, name: "unknown", props: { sourceArn: UNKNOWN } },
      { type, name: "skipped", props: { sourceArn: "a" } },
      { type, name: "known", props: { sourceArn: "b" } },
    ];
    const run = await runStackPolicy(asStackPolicy(probe) as StackValidationPolicy, resources);
    assert.deepStrictEqual(
      run.violations.map((v) => [v.urn?.split("::").pop(), v.level, v.message.split(":")[0]]),
      [
        ["unknown", "advisory", "can't run policy 'probe' on 'unknown' during preview"],
        ["known", undefined, "sourceArn is b"],
      ],
    );
  });

  it("reads only input properties the provider also returns as outputs (and no other output)", async () => {
    for (const p of converted) {
      const validate = (p as ResourceValidationPolicy).validateResource as (
        args: ResourceValidationArgs,
        report: () => void,
      ) => unknown;
      for (const type of typesOf(p)) {
        const { inputs, outputs, computed } = declaredProperties(type);
        const read = new Set<string>();
        const cases = [{}, FINDINGS[type], MORE_FINDINGS[type], everyInput(type, "x")];
        for (const props of cases.filter((c) => c !== undefined)) {
          const recording = new Proxy(props, {
            get: (target, key) => {
              if (typeof key === "string" && key !== "__getSpecialProxyTarget") read.add(key);
              return (target as Record<string | symbol, unknown>)[key];
            },
          });
          const args = { ...resourceArgs({ type, props }), props: recording };
          await Promise.resolve(validate(args, () => undefined));
        }
        for (const key of read) {
          // An input it reads is an output too; a key that is no input is no output either (a
          // shared helper may try another type's name), so both phases see the same keys.
          assert.strictEqual(inputs.includes(key), outputs.includes(key), `${p.name} reads ${key}`);
          assert.ok(!computed.includes(key), `${p.name} reads ${key}, computed when absent`);
        }
        assert.ok(read.size > 0, `${p.name} on ${type} reads its props`);
      }
    }
  });
});

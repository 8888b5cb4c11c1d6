/**
 * Reach in every form an exposure takes, each kind with a compliant stack and one mutation per
 * violating case, judged by every policy through the harness (as the analyzer server runs them)
 * and by the policy that catches it on its own:
 * - identity-pool roles whose power comes from AWS managed policies, identity escalation or
 *   sts:AssumeRole onwards, and role mappings that hand every signed-in identity a role;
 * - role trust policies open to any AWS principal;
 * - Lambda permissions for any principal, another account or a service without a source;
 * - AWS managed policies that let outsiders invoke a function behind an API;
 * - WebSocket APIs without an authorized $connect route.
 */
import * as assert from "assert";
import { cognitoIdentityPoolUnauthenticated } from "../policies/reach";
import { roleTrustAnyPrincipal } from "../policies/service-roles";
import { lambdaPermissionSourceArn } from "../policies/least-privilege";
import { apiFunctionDirectInvoke } from "../policies/function-invoke";
import { websocketConnectRoute } from "../policies/authentication";
import { restCognitoClientScopes } from "../policies/token-scopes";
import { TYPES } from "../lib/stack-refs";
import {
  assertOne,
  assertSilent,
  runResourcePolicy,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
} from "./helpers/run-policy";
import { mandatory, policiesOf, res, urn, verdicts } from "./helpers/verdicts";

const ACCOUNT = "123456789012";
const OTHER = "210987654321";
const REGION = "eu-west-1";
const POOL_ID = `${REGION}:0000-2222`;
const T = {
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  userAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  user: "aws:iam/user:User",
  table: "aws:dynamodb/table:Table",
  identityPool: "aws:cognito/identityPool:IdentityPool",
  rolesAttachment: "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
};
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const tableArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`;
const managed = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const doc = (statements: object[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const readOrders = { Effect: "Allow", Action: "dynamodb:GetItem", Resource: tableArn };
const rum = {
  Effect: "Allow",
  Action: "rum:PutRumEvents",
  Resource: `arn:aws:rum:${REGION}:${ACCOUNT}:appmonitor/web`,
};

/** A role with a trust policy, and optional inline statements (as a RolePolicy) and managed ARNs. */
function role(
  name: string,
  trust: object,
  statements: object[] = [],
  managedPolicyArns?: string[],
): StackResourceInput[] {
  const r = res(T.role, name, {
    arn: roleArn(name),
    name,
    assumeRolePolicy: doc([{ Effect: "Allow", Action: "sts:AssumeRole", ...trust }]),
    ...(managedPolicyArns ? { managedPolicyArns } : {}),
  });
  if (statements.length === 0) return [r];
  const policy = res(
    T.rolePolicy,
    `${name}-policy`,
    { role: name, policy: doc(statements) },
    { role: [urn(r)] },
  );
  return [r, policy];
}

const poolTrust = (amr: string) => ({
  Principal: { Federated: "cognito-identity.amazonaws.com" },
  Action: "sts:AssumeRoleWithWebIdentity",
  Condition: {
    StringEquals: { "cognito-identity.amazonaws.com:aud": POOL_ID },
    "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": amr },
  },
});

interface PoolOptions {
  guest?: { statements?: object[]; managed?: string[] };
  member?: { statements?: object[]; managed?: string[] };
  roleMappings?: object[];
  extra?: StackResourceInput[];
}

/** An identity pool with guests and signed-in users, both roles limited to RUM events. */
function poolProgram(o: PoolOptions = {}): StackResourceInput[] {
  const pool = res(T.identityPool, "app-identities", {
    id: POOL_ID,
    identityPoolName: "app",
    allowUnauthenticatedIdentities: true,
  });
  const guest = role(
    "app-guest",
    poolTrust("unauthenticated"),
    o.guest?.statements ?? [rum],
    o.guest?.managed,
  );
  const member = role(
    "app-member",
    poolTrust("authenticated"),
    o.member?.statements ?? [rum],
    o.member?.managed,
  );
  const attachment = res(
    T.rolesAttachment,
    "app-roles",
    {
      identityPoolId: POOL_ID,
      roles: { unauthenticated: roleArn("app-guest"), authenticated: roleArn("app-member") },
      ...(o.roleMappings ? { roleMappings: o.roleMappings } : {}),
    },
    { identityPoolId: [urn(pool)], roles: [urn(guest[0]), urn(member[0])] },
  );
  const table = res(T.table, "orders", { name: "orders", arn: tableArn, hashKey: "id" });
  return [pool, ...guest, ...member, attachment, table, ...(o.extra ?? [])];
}

const POOL_POLICY = "sec1-a-cognito-identity-pool-unauthenticated";

/** The one mandatory verdict of `policy` on `on`, matching `pattern`; no other mandatory one. */
async function assertOnlyMandatory(
  resources: StackResourceInput[],
  policy: string,
  on: string,
  pattern: RegExp,
): Promise<void> {
  const m = mandatory(await verdicts(resources));
  assert.deepStrictEqual(policiesOf(m), [policy], JSON.stringify(m, null, 1));
  assert.ok(
    m.some((v) => v.urn.endsWith(`::${on}`) && pattern.test(v.message)),
    JSON.stringify(m, null, 1),
  );
}

describe("reach forms: identity-pool roles", function () {
  it("compliant (both roles send RUM events only): no mandatory diagnostic", async () => {
    assert.deepStrictEqual(mandatory(await verdicts(poolProgram())), []);
    assertSilent(await runStackPolicy(cognitoIdentityPoolUnauthenticated, poolProgram()));
  });

  it("violating: guests get an AWS managed policy through managedPolicyArns", async () => {
    const stack = poolProgram({ guest: { managed: [managed("AmazonDynamoDBFullAccess")] } });
    await assertOnlyMandatory(
      stack,
      POOL_POLICY,
      "app-identities",
      /guests of identity pool app-identities → role app-guest → dynamodb:\* on \*/,
    );
    assertOne(
      await runStackPolicy(cognitoIdentityPoolUnauthenticated, stack),
      /role app-guest → dynamodb/,
    );
  });

  it("violating: signed-in users get an AWS managed policy through a RolePolicyAttachment", async () => {
    const [memberRole] = role("app-member", poolTrust("authenticated"));
    const attach = res(
      T.attachment,
      "member-s3",
      { role: "app-member", policyArn: managed("AmazonS3ReadOnlyAccess") },
      { role: [urn(memberRole)] },
    );
    await assertOnlyMandatory(
      poolProgram({ extra: [attach] }),
      POOL_POLICY,
      "app-identities",
      /every signed-in identity of identity pool app-identities → role app-member → s3:Get\*/,
    );
  });

  it("violating: guests get an AWS managed policy through a PolicyAttachment listing their role", async () => {
    const [guestRole] = role("app-guest", poolTrust("unauthenticated"));
    const shared = res(
      T.policyAttachment,
      "shared-lambda",
      { roles: ["app-guest"], policyArn: managed("AWSLambdaRole") },
      { roles: [urn(guestRole)] },
    );
    await assertOnlyMandatory(
      poolProgram({ extra: [shared] }),
      POOL_POLICY,
      "app-identities",
      /guests of identity pool app-identities → role app-guest → lambda:InvokeFunction on \*/,
    );
    // Its roles not known yet: the guest role's reach is unknown, so no verdict either way.
    const unknown = res(T.policyAttachment, "shared-lambda", {
      roles: UNKNOWN,
      policyArn: managed("AWSLambdaRole"),
    });
    const vs = await verdicts(poolProgram({ extra: [unknown] }));
    assert.deepStrictEqual(
      vs.filter((v) => v.policy.includes("identity-pool")),
      [],
    );
  });

  it("an AWS managed policy the pack does not know makes the reach unknown, never empty", async () => {
    const unknownPolicy = poolProgram({
      guest: { statements: [rum], managed: [managed("SomeFuturePolicy")] },
    });
    const vs = await verdicts(unknownPolicy);
    assert.deepStrictEqual(mandatory(vs), []);
    // The advisory "guests reach nothing" is not said either: nothing is known to be empty.
    assert.deepStrictEqual(
      vs.filter((v) => v.policy === "sec1-a-identity-pool-guest-scope"),
      [],
    );
    const known = await verdicts(
      poolProgram({ guest: { managed: [managed("service-role/AWSLambdaBasicExecutionRole")] } }),
    );
    assert.strictEqual(
      known.filter((v) => v.policy === "sec1-a-identity-pool-guest-scope").length,
      1,
    );
    // A known grant stays a path whatever an unknown policy adds.
    const both = poolProgram({
      guest: { statements: [readOrders], managed: [managed("SomeFuturePolicy")] },
    });
    assertOne(await runStackPolicy(cognitoIdentityPoolUnauthenticated, both), /dynamodb:GetItem/);
  });

  it("violating: signed-in users may put themselves in a user-pool group (identity escalation)", async () => {
    const admin = {
      Effect: "Allow",
      Action: ["cognito-idp:AdminAddUserToGroup"],
      Resource: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_abc`,
    };
    await assertOnlyMandatory(
      poolProgram({ member: { statements: [rum, admin] } }),
      POOL_POLICY,
      "app-identities",
      /role app-member → cognito-idp:AdminAddUserToGroup \(escalates identity\)/,
    );
  });

  it("violating: iam:* or iam:PassRole with a way to start code; PassRole alone is not", async () => {
    const iamAll = { Effect: "Allow", Action: "iam:*", Resource: "*" };
    await assertOnlyMandatory(
      poolProgram({ member: { statements: [iamAll] } }),
      POOL_POLICY,
      "app-identities",
      /iam:\* \(escalates identity\)/,
    );
    const pass = { Effect: "Allow", Action: "iam:PassRole", Resource: "*" };
    const run = { Effect: "Allow", Action: "ec2:RunInstances", Resource: "*" };
    await assertOnlyMandatory(
      poolProgram({ member: { statements: [pass, run] } }),
      POOL_POLICY,
      "app-identities",
      /iam:PassRole \(escalates identity\)/,
    );
    assert.deepStrictEqual(
      mandatory(await verdicts(poolProgram({ member: { statements: [pass] } }))),
      [],
    );
  });

  it("violating: sts:AssumeRole onwards to a role that reads data; compliant when that role trusts a service only", async () => {
    const assume = { Effect: "Allow", Action: "sts:AssumeRole", Resource: roleArn("ops") };
    const ops = role("ops", { Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } }, [readOrders]);
    await assertOnlyMandatory(
      poolProgram({ member: { statements: [assume] }, extra: ops }),
      POOL_POLICY,
      "app-identities",
      /role app-member → sts:AssumeRole → role ops → dynamodb:GetItem/,
    );
    const serviceOnly = role("ops", { Principal: { Service: "lambda.amazonaws.com" } }, [
      readOrders,
    ]);
    assert.deepStrictEqual(
      mandatory(
        await verdicts(poolProgram({ member: { statements: [assume] }, extra: serviceOnly })),
      ),
      [],
    );
  });
});

describe("reach forms: identity-pool role mappings", function () {
  const power = role("app-power", poolTrust("authenticated"), [readOrders]);
  const provider = `cognito-idp.${REGION}.amazonaws.com/${REGION}_abc:client1`;
  const rules = (claim: string, matchType: string, value: string) => [
    {
      identityProvider: provider,
      type: "Rules",
      ambiguousRoleResolution: "Deny",
      mappingRules: [{ claim, matchType, value, roleArn: roleArn("app-power") }],
    },
  ];

  it("compliant: a rule on the user's group hands the powerful role to that group only", async () => {
    const stack = poolProgram({
      roleMappings: rules("cognito:groups", "Contains", "admins"),
      extra: power,
    });
    assert.deepStrictEqual(mandatory(await verdicts(stack)), []);
  });

  it("violating: a rule on a claim every user has (aud) hands it to every signed-in identity", async () => {
    const stack = poolProgram({ roleMappings: rules("aud", "Equals", "client1"), extra: power });
    await assertOnlyMandatory(
      stack,
      POOL_POLICY,
      "app-identities",
      /every signed-in identity of cognito-idp\.eu-west-1\.amazonaws\.com\/eu-west-1_abc:client1 \(role-mapping rule aud Equals "client1"\) of identity pool app-identities → role app-power → dynamodb:GetItem/,
    );
  });

  it("violating: a NotEqual rule matches every identity but one value", async () => {
    const stack = poolProgram({
      roleMappings: rules("cognito:groups", "NotEqual", "banned"),
      extra: power,
    });
    await assertOnlyMandatory(
      stack,
      POOL_POLICY,
      "app-identities",
      /rule cognito:groups NotEqual "banned"/,
    );
  });

  it("violating: AmbiguousRoleResolution AuthenticatedRole falls back to a powerful authenticated role", async () => {
    const mapping = [
      { identityProvider: provider, type: "Token", ambiguousRoleResolution: "AuthenticatedRole" },
    ];
    const stack = poolProgram({ roleMappings: mapping, member: { statements: [readOrders] } });
    await assertOnlyMandatory(
      stack,
      POOL_POLICY,
      "app-identities",
      /AmbiguousRoleResolution AuthenticatedRole\) of identity pool app-identities → role app-member → dynamodb:GetItem/,
    );
    // The same fallback to a RUM-only role is no exposure.
    assert.deepStrictEqual(mandatory(await verdicts(poolProgram({ roleMappings: mapping }))), []);
  });

  it("stays silent while a rule's role is not known yet", async () => {
    const mapping = rules("aud", "Equals", "client1");
    (mapping[0].mappingRules[0] as Record<string, unknown>).roleArn = UNKNOWN;
    assert.deepStrictEqual(
      mandatory(await verdicts(poolProgram({ roleMappings: mapping, extra: power }))),
      [],
    );
  });
});

describe("reach forms: role trust open to any AWS principal", function () {
  const TRUST = "sec1-i-role-trust-any-principal";
  const table = res(T.table, "orders", { name: "orders", arn: tableArn, hashKey: "id" });
  const open = (trust: object, statements = [readOrders]) => [
    ...role("partner", trust, statements),
    table,
  ];

  it("compliant: an external id, the organization or an account condition ties the trust", async () => {
    for (const Condition of [
      { StringEquals: { "sts:ExternalId": "partner-7f3a" } },
      { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
      { StringEquals: { "aws:PrincipalAccount": OTHER } },
    ]) {
      assert.deepStrictEqual(
        mandatory(await verdicts(open({ Principal: { AWS: "*" }, Condition }))),
        [],
      );
    }
  });

  it("compliant: an open trust on a role that reaches nothing the pack follows", async () => {
    const logs = { Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" };
    assertSilent(
      await runStackPolicy(roleTrustAnyPrincipal, open({ Principal: { AWS: "*" } }, [logs])),
    );
  });

  it('violating: {"AWS": "*"} with no condition, on a role that reads a table', async () => {
    const stack = open({ Principal: { AWS: "*" } });
    await assertOnlyMandatory(
      stack,
      TRUST,
      "partner",
      /any AWS principal → sts:AssumeRole, statement 1 of assumeRolePolicy → role partner → dynamodb:GetItem on/,
    );
  });

  it('violating: "Principal": "*" with a condition that ties nothing, and an AWS managed policy', async () => {
    const stack = [
      ...role(
        "partner",
        { Principal: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } },
        [],
        [managed("AmazonSQSFullAccess")],
      ),
    ];
    assertOne(await runStackPolicy(roleTrustAnyPrincipal, stack), /role partner → sqs:\* on \*/);
  });
});

describe("reach forms: Lambda permissions", function () {
  const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:worker`;
  const permission = (props: Record<string, unknown>) =>
    res(TYPES.lambdaPermission, "worker-permission", {
      action: "lambda:InvokeFunction",
      function: fnArn,
      ...props,
    });
  const POLICY = "sec1-i-lambda-permission-source-arn";
  const silent = async (props: Record<string, unknown>) =>
    assertSilent(await runResourcePolicy(lambdaPermissionSourceArn, permission(props)));

  it("compliant: a service with its source, the own account, * within the organization", async () => {
    await silent({
      principal: "events.amazonaws.com",
      sourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly`,
    });
    await silent({ principal: "s3.amazonaws.com", sourceAccount: ACCOUNT });
    await silent({ principal: ACCOUNT });
    await silent({ principal: "*", principalOrgId: "o-abc123" });
    await silent({ principal: "sns.amazonaws.com", sourceArn: UNKNOWN });
    assert.deepStrictEqual(
      mandatory(
        await verdicts([
          permission({
            principal: "sns.amazonaws.com",
            sourceArn: `arn:aws:sns:${REGION}:${ACCOUNT}:jobs`,
          }),
        ]),
      ),
      [],
    );
  });

  for (const [principal, who] of [
    ["events.amazonaws.com", "any account's resource of events.amazonaws.com"],
    ["sns.amazonaws.com", "any account's resource of sns.amazonaws.com"],
    ["s3.amazonaws.com", "any account's resource of s3.amazonaws.com"],
    [OTHER, `account ${OTHER}`],
    [`arn:aws:iam::${OTHER}:root`, `account ${OTHER}`],
    ["*", "any principal of any account"],
  ]) {
    it(`violating: principal ${principal} without a source`, async () => {
      const p = permission({ principal });
      await assertOnlyMandatory(
        [p],
        POLICY,
        "worker-permission",
        new RegExp(
          `\\(${who.replace(/[.*]/g, "\\$&")} → lambda:InvokeFunction → function worker\\)`,
        ),
      );
    });
  }
});

describe("reach forms: AWS managed policies that invoke a function behind an API", function () {
  const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`;
  const integration = res(TYPES.httpIntegration, "orders-integration", {
    apiId: "h1",
    integrationType: "AWS_PROXY",
    integrationUri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
  });
  const POLICY = "sec1-i-api-function-direct-invoke";
  const withRole = (trust: object, policyArn: string) => {
    const [r] = role("caller", trust);
    return [
      integration,
      r,
      res(
        T.attachment,
        "caller-invoke",
        { role: "caller", policyArn: managed(policyArn) },
        { role: [urn(r)] },
      ),
    ];
  };

  it("compliant: a function's execution role with AWSLambda_FullAccess (used by its own code)", async () => {
    assert.deepStrictEqual(
      mandatory(
        await verdicts(
          withRole({ Principal: { Service: "lambda.amazonaws.com" } }, "AWSLambda_FullAccess"),
        ),
      ),
      [],
    );
  });

  it("violating: AWSLambdaRole on a role another account may assume", async () => {
    const stack = withRole({ Principal: { AWS: `arn:aws:iam::${OTHER}:root` } }, "AWSLambdaRole");
    await assertOnlyMandatory(
      stack,
      POLICY,
      "caller-invoke",
      new RegExp(
        `account ${OTHER} → role caller → lambda:InvokeFunction by policyArn \\(AWSLambdaRole\\) → function orders`,
      ),
    );
  });

  it("violating: AdministratorAccess in an identity-pool role's managedPolicyArns", async () => {
    const stack = [
      integration,
      ...role("caller", poolTrust("authenticated"), [], [managed("AdministratorAccess")]),
    ];
    assertOne(
      await runStackPolicy(apiFunctionDirectInvoke, stack),
      /identities of a Cognito identity pool → role caller → lambda:InvokeFunction by managedPolicyArns\[0\] \(AdministratorAccess\)/,
    );
  });

  it("violating: AWSLambda_FullAccess for IAM users (UserPolicyAttachment, PolicyAttachment)", async () => {
    const user = res(T.userAttachment, "ops-invoke", {
      user: "ops",
      policyArn: managed("AWSLambda_FullAccess"),
    });
    await assertOnlyMandatory(
      [integration, user],
      POLICY,
      "ops-invoke",
      /IAM users → lambda:InvokeFunction by policyArn \(AWSLambda_FullAccess\)/,
    );
    const shared = res(T.policyAttachment, "ops-shared", {
      users: ["ops"],
      policyArn: managed("AWSLambdaRole"),
    });
    assertOne(await runStackPolicy(apiFunctionDirectInvoke, [integration, shared]), /IAM users/);
  });
});

describe("reach forms: WebSocket APIs and their $connect route", function () {
  const api = res(TYPES.httpApi, "chat", {
    id: "w1",
    name: "chat",
    protocolType: "WEBSOCKET",
    routeSelectionExpression: "$request.body.action",
  });
  const authorizer = res(
    TYPES.httpAuthorizer,
    "chat-auth",
    {
      id: "au1",
      apiId: "w1",
      authorizerType: "REQUEST",
      authorizerUri: "arn:aws:apigateway:eu-west-1:lambda:path/fn/invocations",
      identitySources: ["route.request.header.Authorization"],
    },
    { apiId: [urn(api)] },
  );
  const route = (key: string, props: Record<string, unknown> = {}) =>
    res(
      TYPES.httpRoute,
      `chat-${key.replace("$", "")}`,
      { apiId: "w1", routeKey: key, ...props },
      { apiId: [urn(api)] },
    );
  const connect = route("$connect", { authorizationType: "CUSTOM", authorizerId: "au1" });
  const POLICY = "sec1-a-websocket-connect-route";

  it("compliant: $connect with a CUSTOM authorizer", async () => {
    assert.deepStrictEqual(
      mandatory(await verdicts([api, authorizer, connect, route("$default")])),
      [],
    );
  });

  it("violating: no $connect route at all (anyone may connect)", async () => {
    await assertOnlyMandatory(
      [api, authorizer, route("$default"), route("sendMessage")],
      POLICY,
      "chat",
      /anyone on the internet → connect, no \$connect route → routes \$default, sendMessage/,
    );
    assertOne(await runStackPolicy(websocketConnectRoute, [api]), /→ its connections/);
  });

  it("violating: $connect without authorization (the route policy)", async () => {
    const m = mandatory(await verdicts([api, route("$connect"), route("$default")]));
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-http-route-authorization"]);
  });

  it("stays silent while a route's API is not known yet", async () => {
    const unknownRoute = res(TYPES.httpRoute, "chat-connect", {
      apiId: UNKNOWN,
      routeKey: "$connect",
    });
    assertSilent(await runStackPolicy(websocketConnectRoute, [api, unknownRoute]));
  });
});

// ---------------------------------------------------------------------------------------------
// (report) kinds: advisory diagnostics, each with a compliant form that gets none

/** The diagnostics of one policy over the whole stack, all at `level`. */
async function diagnosticsOf(
  resources: StackResourceInput[],
  policy: string,
  level = "advisory",
): Promise<string[]> {
  const vs = (await verdicts(resources)).filter((v) => v.policy === policy);
  vs.forEach((v) => assert.strictEqual(v.level, level, v.message));
  return vs.map((v) => v.message);
}

describe("reach reports: Lambda REQUEST authorizers cached by credentials alone", function () {
  const POLICY = "sec1-a-authorizer-result-ttl";
  const rest = (props: Record<string, unknown>) =>
    res(TYPES.restAuthorizer, "gate", {
      restApi: "r1",
      type: "REQUEST",
      authorizerUri: "arn:aws:apigateway:eu-west-1:lambda:path/fn/invocations",
      identitySource: "method.request.header.Authorization",
      ...props,
    });
  const http = (props: Record<string, unknown>) =>
    res(TYPES.httpAuthorizer, "gate", {
      apiId: "h1",
      authorizerType: "REQUEST",
      authorizerUri: "arn:aws:apigateway:eu-west-1:lambda:path/fn/invocations",
      identitySources: ["$request.header.Authorization"],
      ...props,
    });

  it("reports a REST or HTTP REQUEST authorizer keyed on a header alone (TTL unset means 300 s)", async () => {
    const [m] = await diagnosticsOf([rest({})], POLICY);
    assert.match(
      m,
      /caches its decision for 300 s by method\.request\.header\.Authorization alone/,
    );
    const [h] = await diagnosticsOf([http({ authorizerResultTtlInSeconds: 60 })], POLICY);
    assert.match(
      h,
      /API Gateway v2 Authorizer 'gate' caches its decision for 60 s by \$request\.header\.Authorization alone/,
    );
  });

  it("accepts a cache keyed on the route, no cache, and WebSocket authorizers", async () => {
    for (const r of [
      rest({
        identitySource:
          "method.request.header.Authorization, context.resourcePath, context.httpMethod",
      }),
      rest({ authorizerResultTtlInSeconds: 0 }),
      http({ identitySources: ["$request.header.Authorization", "$context.routeKey"] }),
      http({ identitySources: ["route.request.header.Authorization"] }),
      http({ identitySources: UNKNOWN }),
    ]) {
      assert.deepStrictEqual(await diagnosticsOf([r], POLICY), []);
    }
  });
});

describe("reach reports: REST Cognito methods without scopes on a pool with several clients", function () {
  const POLICY = "sec1-a-rest-cognito-client-scopes";
  const poolArn = `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_abc`;
  const pool = res("aws:cognito/userPool:UserPool", "users", { id: `${REGION}_abc`, arn: poolArn });
  const client = (name: string) =>
    res(
      "aws:cognito/userPoolClient:UserPoolClient",
      name,
      { id: `${name}-id`, userPoolId: `${REGION}_abc` },
      { userPoolId: [urn(pool)] },
    );
  const authorizer = res(TYPES.restAuthorizer, "cognito", {
    id: "au1",
    restApi: "r1",
    type: "COGNITO_USER_POOLS",
    providerArns: [poolArn],
  });
  const method = (props: Record<string, unknown> = {}) =>
    res(
      TYPES.restMethod,
      "orders-get",
      {
        restApi: "r1",
        resourceId: "x1",
        httpMethod: "GET",
        authorization: "COGNITO_USER_POOLS",
        authorizerId: "au1",
        ...props,
      },
      { authorizerId: [urn(authorizer)] },
    );

  it("reports a method any of the pool's app clients' ID tokens pass", async () => {
    const [m] = await diagnosticsOf(
      [pool, client("web"), client("partner-portal"), authorizer, method()],
      POLICY,
    );
    assert.match(
      m,
      /Method 'orders-get' \(GET\) accepts the ID token of every app client of user pool 'users' \(users of web, partner-portal → ID token/,
    );
    assertOne(
      await runStackPolicy(restCognitoClientScopes, [
        pool,
        client("web"),
        client("partner-portal"),
        authorizer,
        method(),
      ]),
      /every app client/,
    );
  });

  it("accepts one app client, or scopes on the method", async () => {
    assert.deepStrictEqual(
      await diagnosticsOf([pool, client("web"), authorizer, method()], POLICY),
      [],
    );
    const scoped = method({ authorizationScopes: ["orders/read"] });
    assert.deepStrictEqual(
      await diagnosticsOf(
        [pool, client("web"), client("partner-portal"), authorizer, scoped],
        POLICY,
      ),
      [],
    );
  });
});

describe("reach reports: OPTIONS methods proxied to a function", function () {
  const POLICY = "sec1-a-rest-preflight-mock";
  const options = res(TYPES.restMethod, "orders-options", {
    restApi: "r1",
    resourceId: "x1",
    httpMethod: "OPTIONS",
    authorization: "NONE",
  });
  const integration = (type: string) =>
    res(TYPES.restIntegration, "orders-options-integration", {
      restApi: "r1",
      resourceId: "x1",
      httpMethod: "OPTIONS",
      type,
      ...(type === "MOCK"
        ? {}
        : {
            uri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders/invocations`,
          }),
    });

  it("reports OPTIONS answered by a function (AWS_PROXY)", async () => {
    const [m] = await diagnosticsOf([options, integration("AWS_PROXY")], POLICY);
    assert.match(
      m,
      /anyone on the internet → OPTIONS, no authorization → integration 'orders-options-integration' → function orders/,
    );
  });

  it("accepts a MOCK integration", async () => {
    assert.deepStrictEqual(await diagnosticsOf([options, integration("MOCK")], POLICY), []);
  });
});

describe("reach reports: appsync:GraphQL on every API, and AppSync behind a Lambda authorizer only", function () {
  const apiArn = `arn:aws:appsync:${REGION}:${ACCOUNT}:apis/g1`;
  const api = (props: Record<string, unknown>) =>
    res(TYPES.graphQLApi, "graphql", { id: "g1", arn: apiArn, name: "graphql", ...props });
  const lambdaOnly = {
    authenticationType: "AWS_LAMBDA",
    lambdaAuthorizerConfig: {
      authorizerUri: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:gatekeeper`,
    },
  };
  const grant = (resource: string) => [
    ...role("caller", { Principal: { Service: "lambda.amazonaws.com" } }, [
      { Effect: "Allow", Action: "appsync:GraphQL", Resource: resource },
    ]),
  ];

  it("reports a grant on every API (apis/*), not one on the API's fields", async () => {
    const iam = api({ authenticationType: "AWS_IAM" });
    const [m] = await diagnosticsOf(
      [iam, ...grant(`arn:aws:appsync:${REGION}:${ACCOUNT}:apis/*`)],
      "sec1-a-appsync-iam-callers",
    );
    assert.match(m, /IAM policy 'caller-policy' should not allow appsync:GraphQL on every API/);
    assert.deepStrictEqual(
      await diagnosticsOf(
        [iam, ...grant(`${apiArn}/types/Query/fields/*`)],
        "sec1-a-appsync-iam-callers",
      ),
      [],
    );
  });

  it("reports an API whose only provider is AWS_LAMBDA, not one with an identity provider too", async () => {
    const [m] = await diagnosticsOf([api(lambdaOnly)], "sec1-a-appsync-lambda-only-auth");
    assert.match(
      m,
      /lets its Lambda authorizer alone decide every call \(anyone on the internet → any token → function gatekeeper → every field\)/,
    );
    const withCognito = api({
      ...lambdaOnly,
      additionalAuthenticationProviders: [
        {
          authenticationType: "AMAZON_COGNITO_USER_POOLS",
          userPoolConfig: { userPoolId: `${REGION}_abc`, awsRegion: REGION },
        },
      ],
    });
    assert.deepStrictEqual(
      await diagnosticsOf([withCognito], "sec1-a-appsync-lambda-only-auth"),
      [],
    );
  });
});

describe("reach forms: a $connect route whose API is not found", function () {
  it("is never read as 'no $connect route'", async () => {
    const api = res(TYPES.httpApi, "chat", { id: "w1", protocolType: "WEBSOCKET" });
    const elsewhere = res(TYPES.httpRoute, "chat-connect", {
      apiId: "w1-other-id",
      routeKey: "$connect",
      authorizationType: "CUSTOM",
      authorizerId: "au1",
    });
    assertSilent(await runStackPolicy(websocketConnectRoute, [api, elsewhere]));
    const other = res(TYPES.httpRoute, "chat-send", {
      apiId: "w1-other-id",
      routeKey: "sendMessage",
    });
    assertOne(await runStackPolicy(websocketConnectRoute, [api, other]), /→ its connections/);
  });
});

describe("reach forms: a CI role trusted through an OIDC provider", function () {
  it("is not read as an outsider for managed invoke grants", async () => {
    const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`;
    const integration = res(TYPES.httpIntegration, "orders-integration", {
      apiId: "h1",
      integrationUri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
    });
    const ci = role(
      "deploy",
      {
        Principal: {
          Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
        },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/app:*" } },
      },
      [],
      [managed("AdministratorAccess")],
    );
    assertSilent(await runStackPolicy(apiFunctionDirectInvoke, [integration, ...ci]));
  });
});

describe("reach forms: odd values", function () {
  it("never throw and never make a verdict", async () => {
    const odd: unknown[] = [
      "x",
      5,
      null,
      {},
      [null],
      [{ mappingRules: "x" }],
      [{ type: "Rules", mappingRules: [null, { claim: 5, matchType: {} }] }],
    ];
    for (const roleMappings of odd) {
      const stack = poolProgram({ roleMappings: roleMappings as object[] });
      assert.deepStrictEqual(mandatory(await verdicts(stack)), [], JSON.stringify(roleMappings));
    }
    const weird = [
      res(T.role, "w", {
        arn: 7,
        assumeRolePolicy: "not json",
        managedPolicyArns: "arn:aws:iam::aws:policy/AdministratorAccess",
      }),
      res(T.policyAttachment, "pa", { roles: "w", users: 3, policyArn: null }),
      res(TYPES.lambdaPermission, "p", { principal: 5, function: {}, sourceArn: [] }),
      res(TYPES.httpAuthorizer, "a", {
        authorizerType: "REQUEST",
        identitySources: {},
        authorizerResultTtlInSeconds: "x",
      }),
      res(TYPES.restAuthorizer, "r", { type: "COGNITO_USER_POOLS", providerArns: "x" }),
      res(TYPES.restMethod, "m", { httpMethod: "OPTIONS", authorization: "NONE", resourceId: 1 }),
      res(TYPES.restIntegration, "i", { httpMethod: "OPTIONS", type: "AWS_PROXY", uri: 9 }),
      res(TYPES.graphQLApi, "g", {
        authenticationType: "AWS_LAMBDA",
        lambdaAuthorizerConfig: "x",
        additionalAuthenticationProviders: "x",
      }),
      res(TYPES.httpApi, "ws", { protocolType: "WEBSOCKET" }),
      res(TYPES.httpRoute, "rt", { apiId: 4, routeKey: null }),
    ];
    // No verdict from the policies of these forms (others judge some odd values on their own).
    const ours = new Set([
      POOL_POLICY,
      "sec1-i-role-trust-any-principal",
      "sec1-i-lambda-permission-source-arn",
      "sec1-i-api-function-direct-invoke",
      "sec1-a-websocket-connect-route",
      "sec1-a-rest-cognito-client-scopes",
      "sec1-a-rest-preflight-mock",
      "sec1-a-appsync-lambda-only-auth",
    ]);
    const vs = await verdicts(weird);
    assert.deepStrictEqual(
      vs.filter((v) => ours.has(v.policy)),
      [],
    );
  });
});

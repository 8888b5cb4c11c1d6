import * as assert from "assert";
import { apiFunctionDirectInvoke } from "../policies/function-invoke";
import { appsyncIamCallers } from "../policies/appsync-iam-callers";
import { TYPES } from "../lib/stack-refs";
import {
  assertOne,
  assertSilent,
  messagesOf,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";

const FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders-fn-1a2b";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

const doc = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...statement }] });

const role = (name: string): StackResourceInput => ({
  type: ROLE,
  name,
  props: {
    assumeRolePolicy: doc({
      Principal: { Service: "lambda.amazonaws.com" },
      Action: "sts:AssumeRole",
    }),
  },
});
const rolePolicy = (
  name: string,
  roleName: string,
  statement: Record<string, unknown>,
): StackResourceInput => ({
  type: ROLE_POLICY,
  name,
  props: { role: `${roleName}-x1`, policy: doc(statement) },
  propertyDependencies: { role: [urnOf(ROLE, roleName)] },
});
const integration: StackResourceInput = {
  type: TYPES.httpIntegration,
  name: "orders-integration",
  props: {
    apiId: "h1",
    integrationType: "AWS_PROXY",
    integrationUri: `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${FN_ARN}/invocations`,
  },
};
const dataSource: StackResourceInput = {
  type: TYPES.appsyncDataSource,
  name: "orders-ds",
  props: {
    apiId: "g1",
    type: "AWS_LAMBDA",
    lambdaConfig: { functionArn: FN_ARN },
    serviceRoleArn: "arn:aws:iam::123456789012:role/ds-role-x1",
  },
  propertyDependencies: { serviceRoleArn: [urnOf(ROLE, "ds-role")] },
};
const invoke = { Action: "lambda:InvokeFunction", Resource: FN_ARN };

describe("sec1-i-api-function-direct-invoke", () => {
  it("is mandatory", () =>
    assert.strictEqual(apiFunctionDirectInvoke.enforcementLevel, "mandatory"));

  it("reports a role allowed to invoke a function behind an API directly", async () => {
    const run = await runStackPolicy(apiFunctionDirectInvoke, [
      integration,
      role("batch-role"),
      rolePolicy("batch-invoke", "batch-role", invoke),
    ]);
    assertOne(
      run,
      /IAM policy 'batch-invoke' must not let its principal invoke function orders-fn-1a2b directly \(statement 1 of policy\), which backs 'orders-integration'/,
    );
    assert.strictEqual(run.violations[0].urn, urnOf(ROLE_POLICY, "batch-invoke"));
  });

  it("finds wildcard grants, managed policies and inline policies of roles", async () => {
    const wide = { Action: "lambda:*", Resource: "arn:aws:lambda:*:*:function:orders-*" };
    assertOne(
      await runStackPolicy(apiFunctionDirectInvoke, [
        integration,
        { type: "aws:iam/policy:Policy", name: "ops", props: { policy: doc(wide) } },
      ]),
      /IAM policy 'ops'/,
    );
    const inline = {
      ...role("ops-role"),
      props: {
        ...role("ops-role").props,
        inlinePolicies: [{ name: "x", policy: doc({ Action: "*", Resource: "*" }) }],
      },
    };
    assertOne(
      await runStackPolicy(apiFunctionDirectInvoke, [integration, inline]),
      /IAM Role 'ops-role'.*inlinePolicies\[0\]\.policy/,
    );
  });

  it("accepts the data source's own service role, grants on other functions, and denied grants", async () => {
    assertSilent(
      await runStackPolicy(apiFunctionDirectInvoke, [
        dataSource,
        role("ds-role"),
        rolePolicy("ds-invoke", "ds-role", invoke),
      ]),
    );
    const other = {
      Action: "lambda:InvokeFunction",
      Resource: "arn:aws:lambda:eu-west-1:123456789012:function:reports",
    };
    assertSilent(
      await runStackPolicy(apiFunctionDirectInvoke, [
        integration,
        role("r"),
        rolePolicy("p", "r", other),
      ]),
    );
    const denied = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "lambda:*", Resource: "*" },
        { Effect: "Deny", Action: "lambda:InvokeFunction", Resource: FN_ARN },
      ],
    });
    const p = { ...rolePolicy("p", "r", {}), props: { role: "r-x1", policy: denied } };
    assertSilent(await runStackPolicy(apiFunctionDirectInvoke, [integration, role("r"), p]));
  });

  it("reports the data source's role when it may invoke another API's function", async () => {
    const other = {
      ...integration,
      props: {
        ...integration.props,
        integrationUri: String(integration.props.integrationUri).replace(
          "orders-fn-1a2b",
          "bookings-fn",
        ),
      },
    };
    const grant = {
      Action: "lambda:InvokeFunction",
      Resource: "arn:aws:lambda:eu-west-1:123456789012:function:*",
    };
    const run = await runStackPolicy(apiFunctionDirectInvoke, [
      dataSource,
      other,
      role("ds-role"),
      rolePolicy("ds-invoke", "ds-role", grant),
    ]);
    assert.deepStrictEqual(messagesOf(run).length, 1);
    assert.match(messagesOf(run)[0], /invoke function bookings-fn directly/);
  });

  it("stays silent while a policy, its role or the integration's target is unknown, and exempts configured callers", async () => {
    const unknownPolicy = {
      ...rolePolicy("p", "r", invoke),
      props: { role: "r-x1", policy: UNKNOWN },
    };
    assertSilent(
      await runStackPolicy(apiFunctionDirectInvoke, [integration, role("r"), unknownPolicy]),
    );
    const unknownUri = { ...integration, props: { ...integration.props, integrationUri: UNKNOWN } };
    assertSilent(
      await runStackPolicy(apiFunctionDirectInvoke, [
        unknownUri,
        role("r"),
        rolePolicy("p", "r", invoke),
      ]),
    );
    const unknownRole = {
      ...rolePolicy("p", "r", invoke),
      props: { role: UNKNOWN, policy: doc(invoke) },
      propertyDependencies: {},
    };
    assertSilent(
      await runStackPolicy(apiFunctionDirectInvoke, [integration, role("r"), unknownRole]),
    );
    assertSilent(
      await runStackPolicy(
        apiFunctionDirectInvoke,
        [integration, role("batch-role"), rolePolicy("p", "batch-role", invoke)],
        {
          exemptResources: ["batch-*"],
        },
      ),
    );
  });
});

describe("sec1-a-appsync-iam-callers", () => {
  const API_ARN = "arn:aws:appsync:eu-west-1:123456789012:apis/g1";
  const api = (props: Record<string, unknown> = {}): StackResourceInput => ({
    type: TYPES.graphQLApi,
    name: "graphql",
    props: {
      authenticationType: "AMAZON_COGNITO_USER_POOLS",
      additionalAuthenticationProviders: [{ authenticationType: "AWS_IAM" }],
      arn: API_ARN,
      ...props,
    },
  });
  const caller = (resource: string) =>
    rolePolicy("caller", "caller-role", { Action: "appsync:GraphQL", Resource: resource });

  it("is advisory", () => assert.strictEqual(appsyncIamCallers.enforcementLevel, "advisory"));

  it("reports an AWS_IAM provider that no policy of the stack grants", async () => {
    const run = await runStackPolicy(appsyncIamCallers, [api(), role("caller-role")]);
    assertOne(
      run,
      /AppSync GraphQLApi 'graphql' accepts AWS_IAM but the stack grants no caller appsync:GraphQL on it/,
    );
    assert.strictEqual(run.violations[0].urn, urnOf(TYPES.graphQLApi, "graphql"));
  });

  it("accepts a caller granted on the API, by ARN, by wildcard, or through a reference to the API", async () => {
    assertSilent(
      await runStackPolicy(appsyncIamCallers, [
        api(),
        role("caller-role"),
        caller(`${API_ARN}/types/Query/fields/*`),
      ]),
    );
    // "*" grants this API (no "no caller" finding), and is itself a grant on every API.
    assertOne(
      await runStackPolicy(appsyncIamCallers, [api(), role("caller-role"), caller("*")]),
      /IAM policy 'caller' should not allow appsync:GraphQL on every API/,
    );
    const referenced = {
      ...caller("arn:aws:appsync:eu-west-1:123456789012:apis/xyz/*"),
      propertyDependencies: {
        policy: [urnOf(TYPES.graphQLApi, "graphql")],
        role: [urnOf(ROLE, "caller-role")],
      },
    };
    assertSilent(
      await runStackPolicy(appsyncIamCallers, [
        api({ arn: undefined }),
        role("caller-role"),
        referenced,
      ]),
    );
  });

  it("does not count a grant on another API, and leaves APIs without AWS_IAM alone", async () => {
    assertOne(
      await runStackPolicy(appsyncIamCallers, [
        api(),
        role("caller-role"),
        caller("arn:aws:appsync:eu-west-1:123456789012:apis/other/*"),
      ]),
      /grants no caller/,
    );
    assertSilent(
      await runStackPolicy(appsyncIamCallers, [api({ additionalAuthenticationProviders: [] })]),
    );
  });

  it("stays silent on unknowns and exempts configured APIs", async () => {
    assertSilent(
      await runStackPolicy(appsyncIamCallers, [
        api({ additionalAuthenticationProviders: UNKNOWN }),
      ]),
    );
    assertSilent(
      await runStackPolicy(appsyncIamCallers, [
        api(),
        role("caller-role"),
        { ...caller("*"), props: { role: "caller-role-x1", policy: UNKNOWN } },
      ]),
    );
    assertSilent(await runStackPolicy(appsyncIamCallers, [api()], { exemptResources: ["graph*"] }));
  });
});

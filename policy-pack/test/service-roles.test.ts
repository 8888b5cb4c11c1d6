import * as assert from "assert";
import { serviceRoleConfusedDeputy } from "../policies/service-roles";
import {
  assertOne,
  assertSilent,
  messagesOf,
  runResourcePolicy,
  UNKNOWN,
} from "./helpers/run-policy";

const trust = (statement: Record<string, unknown>) => ({
  type: "aws:iam/role:Role",
  name: "logs-role",
  props: {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", ...statement }],
    }),
  },
});

const pinned = {
  StringEquals: { "aws:SourceAccount": "123456789012" },
  ArnLike: { "aws:SourceArn": "arn:aws:appsync:eu-west-1:123456789012:apis/*" },
};

describe("sec1-i-service-role-confused-deputy", () => {
  it("is advisory by default (passing a role needs iam:PassRole in its own account) and configurable to mandatory", async () => {
    assert.strictEqual(serviceRoleConfusedDeputy.enforcementLevel, "advisory");
    assert.ok(serviceRoleConfusedDeputy.configSchema?.properties.exemptResources);
    const run = await runResourcePolicy(
      serviceRoleConfusedDeputy,
      trust({ Principal: { Service: "apigateway.amazonaws.com" } }),
      { enforcementLevel: "mandatory" },
    );
    assert.strictEqual(messagesOf(run).length, 1);
  });

  it("reports a role trusted by API Gateway or AppSync without source conditions", async () => {
    assertOne(
      await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({ Principal: { Service: "apigateway.amazonaws.com" } }),
      ),
      /IAM Role 'logs-role' must limit what apigateway.amazonaws.com may use it for \(statement 1 of assumeRolePolicy\); set a Condition with aws:SourceAccount/,
    );
    assertOne(
      await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({
          Principal: { Service: ["lambda.amazonaws.com", "appsync.amazonaws.com"] },
          Action: "sts:*",
        }),
      ),
      /what appsync.amazonaws.com may use/,
    );
  });

  it("does not count conditions that pin nothing", async () => {
    for (const Condition of [
      { StringLike: { "aws:SourceAccount": "*" } },
      { StringNotEquals: { "aws:SourceAccount": "111111111111" } },
      { StringEqualsIfExists: { "aws:SourceAccount": "123456789012" } },
      { StringEquals: { "aws:PrincipalAccount": "123456789012" } },
    ]) {
      const run = await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({ Principal: { Service: "appsync.amazonaws.com" }, Condition }),
      );
      assert.strictEqual(messagesOf(run).length, 1, JSON.stringify(Condition));
    }
  });

  it("accepts pinned service roles, Lambda execution roles and roles for accounts", async () => {
    assertSilent(
      await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({ Principal: { Service: "appsync.amazonaws.com" }, Condition: pinned }),
      ),
    );
    assertSilent(
      await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({ Principal: { Service: "lambda.amazonaws.com" } }),
      ),
    );
    assertSilent(
      await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({ Principal: { AWS: "arn:aws:iam::111122223333:role/batch" } }),
      ),
    );
  });

  it("follows the configured service principals and exemptions", async () => {
    const lambda = trust({ Principal: { Service: "lambda.amazonaws.com" } });
    assertOne(
      await runResourcePolicy(serviceRoleConfusedDeputy, lambda, {
        servicePrincipals: ["*.amazonaws.com"],
      }),
      /lambda.amazonaws.com/,
    );
    const gw = trust({ Principal: { Service: "apigateway.amazonaws.com" } });
    assertSilent(
      await runResourcePolicy(serviceRoleConfusedDeputy, gw, { exemptResources: ["logs-*"] }),
    );
    assertSilent(
      await runResourcePolicy(serviceRoleConfusedDeputy, gw, {
        servicePrincipals: ["appsync.amazonaws.com"],
      }),
    );
  });

  it("stays silent while the trust policy, or a value inside it, is unknown", async () => {
    assertSilent(
      await runResourcePolicy(serviceRoleConfusedDeputy, {
        ...trust({}),
        props: { assumeRolePolicy: UNKNOWN },
      }),
    );
    assertSilent(
      await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({
          Principal: { Service: "appsync.amazonaws.com" },
          Condition: { StringEquals: { "aws:SourceAccount": UNKNOWN } },
        }),
      ),
    );
    assertSilent(
      await runResourcePolicy(
        serviceRoleConfusedDeputy,
        trust({ Principal: { Service: UNKNOWN } }),
      ),
    );
  });
});

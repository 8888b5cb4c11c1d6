/**
 * The default level of every policy, by the pack's principle: mandatory only where the stack
 * gives a principal outside the intended ones a path to an operation, a function or a data store
 * (docs/policy-verdicts.md, "Levels by path"); everything else advisory and configurable to
 * mandatory. A level change has to change this list, and the doc with its reason.
 */
import * as assert from "assert";
import { Policy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import { runResourcePolicy, runStackPolicy } from "./helpers/run-policy";
import { usagePlanLimits } from "../policies/api-keys";
import { privateApiResourcePolicy } from "../policies/endpoints";

const MANDATORY = [
  "sec1-a-rest-method-authorization",
  "sec1-a-http-route-authorization",
  "sec1-a-jwt-authorizer-config",
  "sec1-a-appsync-auth-providers",
  "sec1-a-lambda-function-url-auth",
  "sec1-a-openapi-body-security",
  "sec1-a-http-api-quick-create",
  "sec1-a-identity-provider-https",
  "sec1-a-jwt-route-machine-client",
  "sec1-a-user-pool-self-sign-up",
  "sec1-a-appsync-api-key-reach",
  "sec1-a-websocket-connect-route",
  "sec1-a-cognito-identity-pool-unauthenticated",
  "sec1-k-literal-credentials",
  "sec1-e-resource-policy-source-vpce",
  "sec1-e-resource-policy-any-account",
  "sec1-e-function-url-cors-credentials",
  "sec1-i-execute-api-invoke-scope",
  "sec1-i-lambda-permission-source-arn",
  "sec1-i-api-function-direct-invoke",
  "sec1-i-role-trust-any-principal",
];

/** Mandatory before the calibration on real programs, advisory since (hardening). */
const MADE_ADVISORY = [
  "sec1-i-service-role-confused-deputy",
  "sec1-a-jwt-route-scopes",
  "sec1-k-usage-plan-limits",
  "sec1-k-api-key-usage-plan",
  "sec1-e-private-api-resource-policy",
  "sec1-e-vpc-endpoint-execute-api",
  "sec1-e-appsync-internal-visibility",
  "sec1-i-private-api-iam-auth",
  "sec1-i-lambda-permission-source-api",
  "sec1-a-rest-authorizer-config",
];

describe("policy levels (mandatory only where someone outside has a path)", () => {
  const policies = allPolicies as Policy[];

  it("makes exactly the path policies mandatory; every other policy is advisory", () => {
    const mandatory = policies.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name);
    assert.deepStrictEqual([...mandatory].sort(), [...MANDATORY].sort());
    for (const p of policies) {
      if (!MANDATORY.includes(p.name)) assert.strictEqual(p.enforcementLevel, "advisory", p.name);
    }
  });

  it("says, in each description made advisory, why and that it can be made mandatory", () => {
    for (const p of policies.filter((x) => MADE_ADVISORY.includes(x.name))) {
      assert.match(p.description, /Advisory by default/, p.name);
      assert.match(p.description, /mandatory/, `${p.name} says how to make it mandatory`);
    }
    assert.strictEqual(
      policies.filter((p) => MADE_ADVISORY.includes(p.name)).length,
      MADE_ADVISORY.length,
    );
  });

  it("still reports under a mandatory config (the level is the only change)", async () => {
    const plan = { type: "aws:apigateway/usagePlan:UsagePlan", name: "plan", props: {} };
    const config = { enforcementLevel: "mandatory" };
    assert.ok((await runResourcePolicy(usagePlanLimits, plan, config)).violations.length > 0);
    const api = {
      type: "aws:apigateway/restApi:RestApi",
      name: "internal",
      props: { endpointConfiguration: { types: "PRIVATE" } },
    };
    const run = await runStackPolicy(privateApiResourcePolicy, [api], config);
    assert.strictEqual(run.violations.length, 1);
  });
});

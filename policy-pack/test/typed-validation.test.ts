import * as assert from "node:assert";
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { validateEachType } from "../lib/typed-validation";
import { TYPES } from "../lib/stack-refs";
import { runResourcePolicy } from "./helpers/run-policy";

describe("validateEachType", () => {
  const policy: ResourceValidationPolicy = {
    name: "each-type",
    description: "Two stage types.",
    validateResource: validateEachType(
      validateResourceOfType(aws.apigateway.Stage, (_s, _a, report) => report("rest")),
      validateResourceOfType(aws.apigatewayv2.Stage, (_s, _a, report) => report("http")),
    ),
  };

  it("runs only the validation of the resource's type", async () => {
    const run = await runResourcePolicy(policy, { type: TYPES.httpStage, props: {} });
    assert.deepStrictEqual(run.violations, [{ message: "http" }]);
    assert.deepStrictEqual(run.notApplicable, []);
  });

  it("reports any other type not applicable once, with a short reason", async () => {
    const run = await runResourcePolicy(policy, { type: TYPES.restMethod, props: {} });
    assert.deepStrictEqual(run.notApplicable, [
      "Policy only applies to aws:apigateway Stage, aws:apigatewayv2 Stage",
    ]);
  });

  it("restores Error.stackTraceLimit after a not-applicable", async () => {
    const before = Error.stackTraceLimit;
    await runResourcePolicy(policy, { type: TYPES.restMethod, props: {} });
    assert.strictEqual(Error.stackTraceLimit, before);
  });

  it("refuses a validation without a type token", () => {
    assert.throws(() => validateEachType(() => undefined), /validateResourceOfType/);
  });
});

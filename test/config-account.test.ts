// The stack config against the account it deploys into: Lambda's concurrency quota (the 100
// executions Lambda keeps unreserved). Each rule fails validation before any resource exists.
import * as assert from "assert";
import { ConfigError, parsePlatformConfig, PROJECT } from "../config";
import { registeredBeforeFailure } from "../tools/mock-engine";
import { runStack, stackConfig } from "./helpers/harness";

/** The ConfigError of a stack's config with overrides, or undefined when it is accepted. */
function problemsOf(stack: string, set: Record<string, unknown>): ConfigError | undefined {
  try {
    parsePlatformConfig(stackConfig(stack, set));
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

const keyed = (err: ConfigError | undefined, key: string) =>
  err?.problems.filter((p) => p.key === `${PROJECT}:${key}`) ?? [];

describe("stack config: account concurrency quota", () => {
  it("accepts prod's 170 reserved executions under the default quota of 1,000", () => {
    const config = parsePlatformConfig(stackConfig("prod"));
    assert.strictEqual(config.accountConcurrencyQuota, 1000);
  });

  it("refuses prod's reservations in an account whose quota leaves fewer than 170 after the 100 unreserved, naming each function's share", () => {
    const err = problemsOf("prod", { accountConcurrencyQuota: "269" });
    const [problem] = keyed(err, "reservedConcurrency");
    assert.ok(problem, err?.message ?? "accepted");
    assert.match(problem.message, /reserves 170 /);
    assert.match(problem.message, /loyalty 50, bookings 100, loyalty-resolver 20/);
    assert.match(problem.message, /accountConcurrencyQuota 269 leaves at most 169/);
    assert.match(problem.message, /100 unreserved/);
  });

  it("accepts reservations that leave exactly 100 unreserved", () => {
    assert.strictEqual(problemsOf("prod", { accountConcurrencyQuota: "270" }), undefined);
  });

  it("counts the authorizer's share only when the Lambda authorizer exists", () => {
    const shares = { loyalty: 50, bookings: 100, "loyalty-resolver": 20, authorizer: 30 };
    const jwt = { reservedConcurrency: shares, accountConcurrencyQuota: "270" };
    assert.strictEqual(problemsOf("prod", jwt), undefined);
    const [problem] = keyed(
      problemsOf("prod", { ...jwt, authorizerMode: "lambda" }),
      "reservedConcurrency",
    );
    assert.match(problem?.message ?? "", /reserves 200 .*authorizer 30/);
  });

  it("refuses a quota that is not a whole number of executions", () => {
    assert.strictEqual(
      keyed(problemsOf("dev", { accountConcurrencyQuota: "1.5" }), "accountConcurrencyQuota")
        .length,
      1,
    );
  });

  it("fails the program before any resource is registered", async () => {
    const failure = await runStack("prod", { accountConcurrencyQuota: "150" }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(failure instanceof ConfigError, String(failure));
    assert.ok(keyed(failure, "reservedConcurrency").length === 1, failure.message);
    assert.deepStrictEqual(registeredBeforeFailure(failure), []);
  });
});

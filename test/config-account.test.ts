// The stack config against the account it deploys into: Lambda's concurrency quota (the 100
// executions Lambda keeps unreserved) and an existing VPC as a platform team runs it (its own
// execute-api endpoint, or a choice of private DNS for the one the stack makes). Each rule fails
// validation before any resource exists.
import * as assert from "assert";
import { ConfigError, parsePlatformConfig, PROJECT } from "../config";
import { registeredBeforeFailure } from "../tools/mock-engine";
import { ofType, one, policyDocument, runStack, stackConfig } from "./helpers/harness";

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
    const [problem] = keyed(
      problemsOf("dev", { accountConcurrencyQuota: "1.5" }),
      "accountConcurrencyQuota",
    );
    assert.match(problem?.message ?? "", /expected int/);
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

describe("stack config: the execute-api endpoint of an existing VPC", () => {
  const VPCE = "vpce-0a1b2c3d4e5f6a7b8";

  it("asks an existing VPC's stack whether the endpoint it creates gets private DNS, and says what that does to public APIs called from the VPC", async () => {
    const failure = await runStack("prod", { executeApiPrivateDns: undefined }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(failure instanceof ConfigError, String(failure));
    const [problem] = keyed(failure, "executeApiPrivateDns");
    assert.ok(problem, failure.message);
    assert.match(problem.message, /required when vpcMode is existing/);
    assert.match(problem.message, /every public API Gateway default host name/);
    assert.match(problem.message, /403 Forbidden/);
    assert.match(problem.message, /enableDnsSupport and enableDnsHostnames/);
    assert.match(problem.message, /<api-id>-<vpce-id>\.execute-api/);
    assert.deepStrictEqual(registeredBeforeFailure(failure), []);
  });

  it("refuses an existing endpoint without an existing VPC, and a DNS choice beside it", () => {
    assert.strictEqual(
      keyed(
        problemsOf("dev", { existingExecuteApiEndpointId: VPCE }),
        "existingExecuteApiEndpointId",
      ).length,
      1,
    );
    const both = problemsOf("prod", {
      existingExecuteApiEndpointId: VPCE,
      executeApiPrivateDns: "true",
    });
    assert.match(
      keyed(both, "executeApiPrivateDns")[0]?.message ?? "",
      /not with existingExecuteApiEndpointId/,
    );
    assert.strictEqual(
      keyed(
        problemsOf("prod", { existingExecuteApiEndpointId: "vpce-x" }),
        "existingExecuteApiEndpointId",
      ).length,
      1,
    );
  });

  it("prod: its endpoint has no private DNS, and the loyalty resolver calls the private API by the endpoint-specific host name", async () => {
    const run = await runStack("prod");
    const endpoint = one(run, "aws:ec2/vpcEndpoint:VpcEndpoint", "-execute-api");
    assert.strictEqual(endpoint.inputs.privateDnsEnabled, false);
    const api = one(run, "aws:apigateway/restApi:RestApi");
    const fn = one(run, "aws:lambda/function:Function", "loyalty-resolver-function");
    const url = (fn.inputs.environment as any).variables.LOYALTY_API_URL as string;
    assert.strictEqual(
      new URL(url).hostname,
      `${api.id}-${endpoint.id}.execute-api.eu-west-1.amazonaws.com`,
    );
  });

  it("fails prod's deployment, naming the attribute, when the shared VPC cannot resolve private DNS for the endpoints made in it", async () => {
    const failure = await runStack(
      "prod",
      {},
      {
        calls: (args) =>
          args.token === "aws:ec2/getVpc:getVpc" ? { enableDnsHostnames: false } : undefined,
      },
    ).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    assert.ok(failure, "expected the run to fail");
    assert.match(failure.message, /VPC vpc-0a1b2c3d4e5f60718 has enableDnsHostnames off/);
  });

  it("uses the VPC's own endpoint when config names it: none created, the private API bound to it and its resource policy pinning it", async () => {
    const run = await runStack("prod", {
      existingExecuteApiEndpointId: VPCE,
      executeApiPrivateDns: undefined,
    });
    assert.deepStrictEqual(
      ofType(run, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.name),
      ["network-ssm"],
    );
    const api = one(run, "aws:apigateway/restApi:RestApi");
    assert.deepStrictEqual((api.inputs.endpointConfiguration as any).vpcEndpointIds, [VPCE]);
    const policy = policyDocument(
      one(run, "aws:apigateway/restApiPolicy:RestApiPolicy").inputs.policy,
    );
    const pinned = JSON.stringify(policy.Statement.map((st) => st.Condition));
    assert.ok(pinned.includes(`"aws:SourceVpce":"${VPCE}"`), pinned);
    assert.strictEqual((run.outputs as Record<string, unknown>).vpcEndpointId, VPCE);
  });
});

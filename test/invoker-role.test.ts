// InvokerRole: execute-api:Invoke on exactly an API's stage, method and path.
import * as assert from "assert";
import {
  arnPatternMatches,
  InvokerRole,
  InvokerRoleArgs,
  overreachedRoutes,
  parseRoute,
  ParsedRoute,
  routeArnSuffix,
  validateInvokerRoleArgs,
} from "../components/invoker-role";
import { MOCK_ACCOUNT_ID } from "../tools/mock-engine";
import { decide, REGION } from "./fixtures/private-api";
import { ofType, one, policyDocument, ProgramRun, runComponents } from "./helpers/harness";

const API = `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT_ID}:a1b2c3d4e5`;

/** The happy path: the AppSync resolver function's role, granted one route. */
function args(overrides: Partial<InvokerRoleArgs> = {}): InvokerRoleArgs {
  return {
    principal: { service: "lambda.amazonaws.com" },
    executionArn: API,
    stageName: "v1",
    routes: ["GET /loyalty/{customerId}"],
    apiRoutes: ["GET /loyalty/{customerId}", "POST /loyalty/{customerId}/points"],
    tags: { team: "platform" },
    ...overrides,
  };
}

async function runRole(overrides: Partial<InvokerRoleArgs> = {}) {
  const run = await runComponents(() => {
    const role = new InvokerRole("caller", args(overrides));
    return { roleArn: role.roleArn, invokeArns: role.invokeArns };
  });
  const role = one(run, "aws:iam/role:Role");
  const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").map((p) =>
    policyDocument(p.inputs.policy),
  );
  return { run, role, policies, roleArn: run.outputs.roleArn as string };
}

const route = (r: string) => parseRoute(r) as ParsedRoute;

describe("InvokerRole", () => {
  let happy: Awaited<ReturnType<typeof runRole>>;
  before(async () => {
    happy = await runRole();
  });

  describe("trust policy", () => {
    it("trusts the service only for this account's functions (confused deputy)", () => {
      const trust = policyDocument(happy.role.inputs.assumeRolePolicy);
      assert.deepStrictEqual(trust.Statement, [
        {
          Sid: "AssumedByCaller",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
            ArnLike: {
              "aws:SourceArn": `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:*`,
            },
          },
        },
      ]);
    });

    it("gives any other service aws:SourceAccount (no SourceArn pattern it is known to send)", async () => {
      const { role } = await runRole({ principal: { service: "states.amazonaws.com" } });
      const trust = policyDocument(role.inputs.assumeRolePolicy);
      assert.deepStrictEqual(trust.Statement[0].Condition, {
        StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
      });
    });

    it("trusts an account only with its external id", async () => {
      const { role } = await runRole({
        principal: { accountId: "444455556666", externalId: "loyalty-batch-7f3c" },
      });
      const trust = policyDocument(role.inputs.assumeRolePolicy);
      assert.deepStrictEqual(trust.Statement[0].Principal, {
        AWS: "arn:aws:iam::444455556666:root",
      });
      assert.deepStrictEqual(trust.Statement[0].Condition, {
        StringEquals: { "sts:ExternalId": "loyalty-batch-7f3c" },
      });
    });

    it("refuses an account principal without an external id, before any resource", () => {
      const problems = validateInvokerRoleArgs(
        args({ principal: { accountId: "444455556666" } as never }),
      );
      assert.strictEqual(problems.length, 1);
      assert.match(problems[0], /^principal\.externalId: required with accountId/);
      assert.throws(
        () => new InvokerRole("bad", args({ principal: { accountId: "444455556666" } as never })),
        /principal\.externalId/,
      );
    });

    it("trusts exactly that role for a role principal", async () => {
      const roleArn = "arn:aws:iam::111122223333:role/points-accrual-batch";
      const { role } = await runRole({ principal: { roleArn } });
      const trust = policyDocument(role.inputs.assumeRolePolicy);
      assert.deepStrictEqual(trust.Statement[0].Principal, { AWS: roleArn });
      assert.strictEqual(trust.Statement.length, 1);
    });
  });

  describe("permissions", () => {
    it("allows only execute-api:Invoke on the granted stage, method and path", () => {
      assert.strictEqual(happy.policies.length, 1);
      assert.deepStrictEqual(happy.policies[0].Statement, [
        {
          Sid: "InvokeGrantedRoutes",
          Effect: "Allow",
          Action: "execute-api:Invoke",
          Resource: [`${API}/v1/GET/loyalty/*`],
        },
      ]);
      assert.deepStrictEqual(happy.run.outputs.invokeArns, [`${API}/v1/GET/loyalty/*`]);
    });

    it("lets the role invoke its route with any customer id and nothing else", async () => {
      const base = { principal: happy.roleArn, identityPolicies: happy.policies };
      assert.strictEqual(
        await decide({ ...base, resource: `${API}/v1/GET/loyalty/C-1` }),
        "Allowed",
      );
      for (const resource of [
        `${API}/v2/GET/loyalty/C-1`,
        `${API}/v1/POST/loyalty/C-1/points`,
        `${API}/v1/PUT/loyalty/C-1`,
        `${API}/v1/GET/bookings/C-1`,
        `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT_ID}:f6g7h8i9j0/v1/GET/loyalty/C-1`,
        `arn:aws:execute-api:us-east-1:${MOCK_ACCOUNT_ID}:a1b2c3d4e5/v1/GET/loyalty/C-1`,
      ])
        assert.notStrictEqual(await decide({ ...base, resource }), "Allowed", resource);
    });

    it("puts the invoke policy in a separate RolePolicy, so a function can add its own", () => {
      const policy = one(happy.run, "aws:iam/rolePolicy:RolePolicy");
      assert.strictEqual(policy.inputs.role, happy.role.id);
      assert.strictEqual(happy.role.inputs.inlinePolicies, undefined);
      assert.strictEqual(happy.role.inputs.managedPolicyArns, undefined);
    });

    it("denies an API route that the granted wildcard would also match", async () => {
      const { policies, roleArn } = await runRole({
        apiRoutes: ["GET /loyalty/{customerId}", "GET /loyalty/{customerId}/history"],
      });
      const base = { principal: roleArn, identityPolicies: policies };
      assert.strictEqual(
        await decide({ ...base, resource: `${API}/v1/GET/loyalty/C-1` }),
        "Allowed",
      );
      assert.strictEqual(
        await decide({ ...base, resource: `${API}/v1/GET/loyalty/C-1/history` }),
        "ExplicitlyDenied",
      );
    });

    it("tags the role and parents it to the component", () => {
      const component = one(happy.run, "sec1:apigateway:InvokerRole");
      assert.strictEqual(happy.role.parent, component.urn);
      assert.deepStrictEqual(happy.role.inputs.tags, { team: "platform" });
    });
  });

  describe("ARN helpers", () => {
    it("turns path parameters into * in the ARN suffix", () => {
      assert.strictEqual(routeArnSuffix(route("GET /loyalty/{customerId}")), "GET/loyalty/*");
      assert.strictEqual(
        routeArnSuffix(route("POST /loyalty/{customerId}/points")),
        "POST/loyalty/*/points",
      );
      assert.strictEqual(routeArnSuffix(route("GET /files/{proxy+}")), "GET/files/*");
    });

    it("matches ARN patterns the way IAM does (* spans slashes)", () => {
      assert.ok(arnPatternMatches("GET/loyalty/*", "GET/loyalty/x/history"));
      assert.ok(!arnPatternMatches("GET/loyalty/*", "POST/loyalty/x"));
      assert.ok(arnPatternMatches("GET/a?c", "GET/abc"));
    });

    it("finds only the ungranted routes a grant overreaches, never a granted one", () => {
      const all = ["GET /a/{id}", "GET /a/{id}/b", "POST /a/{id}/b", "GET /a/fixed"].map(route);
      assert.deepStrictEqual(
        overreachedRoutes([route("GET /a/{id}")], all).map((r) => `${r.method} ${r.path}`),
        ["GET /a/{id}/b", "GET /a/fixed"],
      );
      assert.deepStrictEqual(overreachedRoutes([route("GET /a/{id}/b")], all), []);
    });

    it("rejects malformed routes with a reason", () => {
      assert.match(parseRoute("get /x") as string, /METHOD \/path/);
      assert.match(parseRoute("FETCH /x") as string, /unknown method/);
      assert.match(parseRoute("GET /a//b") as string, /bad path/);
    });
  });

  describe("argument validation", () => {
    it("accepts the happy path", () => {
      assert.deepStrictEqual(validateInvokerRoleArgs(args()), []);
    });

    it("reports every problem at once, naming each field, before creating any child", async () => {
      let error: Error | undefined;
      const run: ProgramRun = await runComponents(() => {
        try {
          new InvokerRole(
            "caller",
            args({
              principal: { service: "lambda", accountId: "1" } as never,
              routes: ["DELETE /loyalty/{customerId}", "GET /loyalty/{customerId}", "nope"],
            }),
          );
        } catch (e) {
          error = e as Error;
        }
      });
      assert.ok(error, "expected a validation error");
      for (const field of [
        "principal: expected exactly one of",
        "routes[0]: 'DELETE /loyalty/{customerId}' is not a route of the API",
        "routes[2]: expected",
      ])
        assert.ok(error.message.includes(field), `missing '${field}' in:\n${error.message}`);
      assert.deepStrictEqual(
        run.resources.filter((r) => r.custom),
        [],
      );
    });

    it("refuses a name whose role would be autonamed past IAM's 64 characters", () => {
      assert.deepStrictEqual(
        validateInvokerRoleArgs(args(), "loyalty-api-points-accrual-batch"),
        [],
      );
      const long = `loyalty-api-${"c".repeat(40)}`;
      const problems = validateInvokerRoleArgs(args(), long);
      assert.deepStrictEqual(problems, [
        `name: the IAM role '${long}-role' would be autonamed to 65 characters (limit 64); shorten the component or name`,
      ]);
    });

    it("requires at least one granted route", () => {
      assert.deepStrictEqual(validateInvokerRoleArgs(args({ routes: [] })), [
        "routes: expected at least one granted route",
      ]);
    });

    it("rejects malformed principals", () => {
      assert.match(
        validateInvokerRoleArgs(args({ principal: { roleArn: "arn:aws:iam::1:user/x" } }))[0],
        /^principal.roleArn/,
      );
      assert.match(
        validateInvokerRoleArgs(args({ principal: { accountId: "12345", externalId: "x-1" } }))[0],
        /^principal.accountId/,
      );
    });
  });
});

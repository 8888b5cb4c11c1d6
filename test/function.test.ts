// The Function component: bundle, role, log group, permissions.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { bundleHandler, handlerEntry } from "../components/bundle";
import { Function, FunctionArgs, validateFunctionArgs } from "../components/function";
import { Table } from "../components/table";
import { ofType, one, policyDocument, runComponents } from "./helpers/harness";

const LAMBDA = "aws:lambda/function:Function";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const TABLE = "aws:dynamodb/table:Table";

/** The loyalty function with its table, as index.ts wires it. */
function loyaltyArgs(table: Table, overrides: Partial<FunctionArgs> = {}): FunctionArgs {
  return {
    handler: "loyalty",
    description: "Loyalty points behind the private API",
    logRetentionDays: 14,
    environment: { LOYALTY_TABLE_NAME: table.tableName },
    statements: table.grant(["dynamodb:GetItem", "dynamodb:UpdateItem"], "LoyaltyTable"),
    reservedConcurrency: 20,
    tags: { team: "platform" },
    ...overrides,
  };
}

/** Two services, two tables: each function must see only its own. */
function twoServices(overrides: Partial<FunctionArgs> = {}) {
  const loyaltyTable = new Table("loyalty", {
    partitionKey: { name: "customerId" },
    deletionProtection: false,
  });
  const bookingsTable = new Table("bookings", {
    partitionKey: { name: "customerId" },
    sortKey: { name: "bookingId" },
    deletionProtection: false,
  });
  new Function("loyalty", loyaltyArgs(loyaltyTable, overrides));
  new Function("bookings", {
    handler: "bookings",
    description: "Bookings behind the public HTTP API",
    logRetentionDays: 14,
    environment: { BOOKINGS_TABLE_NAME: bookingsTable.tableName },
    statements: bookingsTable.grant(
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
      "BookingsTable",
    ),
  });
}

const statementsOf = (run: Awaited<ReturnType<typeof runComponents>>, name: string) =>
  policyDocument(one(run, ROLE_POLICY, `${name}-policy`).inputs.policy).Statement;

describe("components/function", () => {
  it("grants each function only its own table's ARN and the actions it uses", async () => {
    const run = await runComponents(() => twoServices());
    const loyaltyArn = one(run, TABLE, "loyalty-table").arn;
    const bookingsArn = one(run, TABLE, "bookings-table").arn;
    assert.ok(loyaltyArn && bookingsArn);
    for (const [fn, arn, other, actions] of [
      ["loyalty", loyaltyArn, bookingsArn, ["dynamodb:GetItem", "dynamodb:UpdateItem"]],
      [
        "bookings",
        bookingsArn,
        loyaltyArn,
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
      ],
    ] as const) {
      const statements = statementsOf(run, fn);
      const dynamo = statements.filter((s) =>
        [s.Action].flat().some((a: string) => a.startsWith("dynamodb:")),
      );
      assert.strictEqual(dynamo.length, 1, JSON.stringify(statements));
      assert.deepStrictEqual(dynamo[0].Resource, arn);
      assert.deepStrictEqual([...dynamo[0].Action].sort(), [...actions].sort());
      assert.ok(!JSON.stringify(statements).includes(other), `${fn} must not reach ${other}`);
      const logGroupArn = one(run, LOG_GROUP, `${fn}-logs`).arn;
      for (const s of statements.filter((x) => x !== dynamo[0])) {
        assert.ok(
          s.Resource === `${logGroupArn}:*` || (s.Sid === "WriteTraces" && s.Resource === "*"),
          `unexpected statement ${JSON.stringify(s)}`,
        );
      }
    }
  });

  it("creates a log group with the given retention and logs the function to it", async () => {
    const run = await runComponents(() => twoServices());
    const group = one(run, LOG_GROUP, "loyalty-logs");
    assert.strictEqual(group.inputs.retentionInDays, 14);
    const fn = one(run, LAMBDA, "loyalty-function");
    const logging = fn.inputs.loggingConfig as Record<string, unknown>;
    assert.strictEqual(logging.logGroup, group.id);
    assert.strictEqual(logging.logFormat, "JSON");
  });

  it("creates the function after its log group and its role policy", async () => {
    const run = await runComponents(() => twoServices());
    const fn = one(run, LAMBDA, "loyalty-function");
    assert.ok(fn.dependencies.includes(one(run, LOG_GROUP, "loyalty-logs").urn));
    assert.ok(fn.dependencies.includes(one(run, ROLE_POLICY, "loyalty-policy").urn));
  });

  it("runs Node.js 22 on arm64 with X-Ray, reserved concurrency, environment and tags", async () => {
    const run = await runComponents(() => twoServices());
    const fn = one(run, LAMBDA, "loyalty-function");
    const loyaltyTableName = one(run, TABLE, "loyalty-table").id;
    assert.strictEqual(fn.inputs.runtime, "nodejs22.x");
    assert.deepStrictEqual(fn.inputs.architectures, ["arm64"]);
    assert.deepStrictEqual(fn.inputs.tracingConfig, { mode: "Active" });
    assert.strictEqual(fn.inputs.reservedConcurrentExecutions, 20);
    assert.deepStrictEqual(fn.inputs.environment, {
      variables: { LOYALTY_TABLE_NAME: loyaltyTableName },
    });
    assert.deepStrictEqual(fn.inputs.tags, { team: "platform" });
    assert.strictEqual(fn.inputs.role, one(run, "aws:iam/role:Role", "loyalty-role").arn);
  });

  it("gives every child a parent and a name derived from the component's name", async () => {
    const run = await runComponents(() => twoServices());
    const component = one(run, "sec1:lambda:Function", "loyalty");
    const children = run.resources.filter((r) => r.parent === component.urn);
    assert.deepStrictEqual(children.map((r) => r.name).sort(), [
      "loyalty-function",
      "loyalty-logs",
      "loyalty-policy",
      "loyalty-role",
    ]);
  });

  it("adds log, trace and VPC permissions to a role passed in instead of creating one", async () => {
    const run = await runComponents(() => {
      const invoker = new aws.iam.Role("resolver-invoker", {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "lambda.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
      });
      new Function("resolver", {
        handler: "loyalty",
        description: "uses an invoker role made elsewhere",
        logRetentionDays: 7,
        role: invoker,
        vpc: { subnetIds: ["subnet-0a", "subnet-0b"], securityGroupIds: ["sg-0a"] },
      });
    });
    assert.strictEqual(ofType(run, "aws:iam/role:Role").length, 1);
    const invoker = one(run, "aws:iam/role:Role", "resolver-invoker");
    const policy = one(run, ROLE_POLICY, "resolver-policy");
    assert.strictEqual(policy.inputs.role, invoker.id);
    const sids = policyDocument(policy.inputs.policy).Statement.map((s) => s.Sid);
    assert.deepStrictEqual(sids, ["WriteOwnLogs", "WriteTraces", "ManageVpcNetworkInterfaces"]);
    assert.strictEqual(one(run, LAMBDA, "resolver-function").inputs.role, invoker.arn);
  });

  it("grants no network-interface permissions to a function outside a VPC", async () => {
    const run = await runComponents(() => twoServices());
    const sids = statementsOf(run, "loyalty").map((s) => s.Sid);
    assert.ok(!sids.includes("ManageVpcNetworkInterfaces"));
  });

  it("lets API Gateway invoke only from the source ARN it names", async () => {
    const sourceArn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/GET/loyalty/*";
    const run = await runComponents(() => {
      const table = new Table("loyalty", {
        partitionKey: { name: "customerId" },
        deletionProtection: false,
      });
      const fn = new Function("loyalty", loyaltyArgs(table));
      fn.allowInvoke("private-api", { principal: "apigateway.amazonaws.com", sourceArn });
    });
    const permission = one(run, "aws:lambda/permission:Permission", "loyalty-invoke-private-api");
    assert.strictEqual(permission.inputs.principal, "apigateway.amazonaws.com");
    assert.strictEqual(permission.inputs.sourceArn, sourceArn);
    assert.strictEqual(permission.inputs.action, "lambda:InvokeFunction");
    assert.strictEqual(permission.inputs.function, one(run, LAMBDA, "loyalty-function").id);
  });

  it("refuses an invoke permission without a source ARN or with a wildcard principal", async () => {
    await assert.rejects(
      runComponents(() => {
        const table = new Table("loyalty", {
          partitionKey: { name: "customerId" },
          deletionProtection: false,
        });
        const fn = new Function("loyalty", loyaltyArgs(table));
        fn.allowInvoke("anyone", { principal: "*", sourceArn: "" });
      }),
      (err: Error) =>
        /principal: expected a service principal/.test(err.message) &&
        /sourceArn: required/.test(err.message),
    );
  });

  it("fails with the file and line when a handler does not bundle, before creating children", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broken-handler-"));
    const entry = path.join(dir, "index.ts");
    fs.writeFileSync(
      entry,
      "export const handler = async () => {\n  return { statusCode: 200 ;\n};\n",
    );
    try {
      const created: string[] = [];
      await assert.rejects(
        runComponents(
          () => {
            new Function("broken", {
              handler: "broken",
              entry,
              description: "does not build",
              logRetentionDays: 7,
            });
          },
          { overrides: (args) => void created.push(args.type) },
        ),
        (err: Error) => err.message.includes(`${path.relative(process.cwd(), entry)}:2:`),
      );
      // Registrations are asynchronous: give a child created before the failure time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepStrictEqual(
        created.filter((t) => t.startsWith("aws:")),
        [],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports every invalid argument at once, naming each field", () => {
    const problems = validateFunctionArgs({
      handler: "loyalty",
      description: "x",
      logRetentionDays: 14,
      memorySize: 64,
      timeout: 901,
      reservedConcurrency: 0,
      environment: { AWS_REGION: "eu-west-1", "bad-name": "x" },
      statements: [
        {
          Effect: "Allow",
          Action: "dynamodb:*",
          Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
        },
        { Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" },
      ],
    });
    const fields = problems.map((p) => p.split(":")[0]);
    assert.deepStrictEqual(fields, [
      "memorySize",
      "timeout",
      "reservedConcurrency",
      "environment.AWS_REGION",
      "environment.bad-name",
      "statements[0].Action",
      "statements[1].Resource",
    ]);
  });

  it("refuses a name whose function or role would be autonamed past 64 characters", () => {
    const args = {
      handler: "loyalty",
      description: "Loyalty",
      logRetentionDays: 14,
    };
    assert.deepStrictEqual(validateFunctionArgs(args, "bookings-api-authorizer"), []);
    const name = "f".repeat(52);
    assert.deepStrictEqual(
      validateFunctionArgs(args, name).map((p) => p.split("'")[1]),
      [`${name}-function`, `${name}-role`],
    );
    // A role passed in is not autonamed here.
    const role = Object.create(aws.iam.Role.prototype) as aws.iam.Role;
    assert.deepStrictEqual(
      validateFunctionArgs({ ...args, role }, name).map((p) => p.split("'")[1]),
      [`${name}-function`],
    );
  });

  it("accepts the args index.ts passes", () => {
    assert.deepStrictEqual(
      validateFunctionArgs({
        handler: "bookings",
        description: "Bookings",
        logRetentionDays: 365,
        memorySize: 512,
        timeout: 10,
        reservedConcurrency: 50,
        environment: { BOOKINGS_TABLE_NAME: "t" },
        statements: [
          {
            Effect: "Allow",
            Action: ["dynamodb:Query"],
            Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
          },
        ],
      }),
      [],
    );
  });

  it("bundles handlers with the AWS SDK left external and zod/mini instead of full zod", () => {
    for (const name of ["loyalty", "bookings"]) {
      const bundle = bundleHandler(handlerEntry(name));
      assert.ok(
        bundle.includes('require("@aws-sdk/lib-dynamodb")'),
        `${name} requires the runtime SDK`,
      );
      assert.ok(!bundle.includes("DynamoDBServiceException"), `${name} does not bundle the SDK`);
      assert.ok(Buffer.byteLength(bundle) < 100 * 1024, `${name} is under 100 KB`);
    }
  });

  it("trusts Lambda for its own role only on behalf of this account's functions", async () => {
    const run = await runComponents(() => twoServices());
    const trust = policyDocument(
      one(run, "aws:iam/role:Role", "loyalty-role").inputs.assumeRolePolicy,
    );
    assert.strictEqual(trust.Statement.length, 1);
    const [statement] = trust.Statement;
    assert.deepStrictEqual(statement.Principal, { Service: "lambda.amazonaws.com" });
    const account = (statement.Condition?.StringEquals as Record<string, string>)[
      "aws:SourceAccount"
    ];
    assert.match(account, /^\d{12}$/);
    assert.deepStrictEqual(statement.Condition?.ArnLike, {
      "aws:SourceArn": `arn:aws:lambda:${String(one(run, LAMBDA, "loyalty-function").arn).split(":")[3]}:${account}:function:*`,
    });
  });

  it("binds a role made elsewhere to this function: Deny on the given actions unless lambda:SourceFunctionArn is it", async () => {
    const run = await runComponents(() => {
      const invoker = new aws.iam.Role("resolver-invoker", { assumeRolePolicy: "{}" });
      new Function("resolver", {
        handler: "loyalty",
        description: "uses an invoker role made elsewhere",
        logRetentionDays: 7,
        role: invoker,
        exclusiveRoleActions: ["execute-api:Invoke"],
      });
    });
    const bind = one(run, ROLE_POLICY, "resolver-bind-role");
    // The role's name, which the mock engine makes its id.
    assert.strictEqual(bind.inputs.role, one(run, "aws:iam/role:Role", "resolver-invoker").id);
    assert.deepStrictEqual(policyDocument(bind.inputs.policy).Statement, [
      {
        Sid: "OnlyThisFunctionsCode",
        Effect: "Deny",
        Action: ["execute-api:Invoke"],
        Resource: "*",
        Condition: {
          ArnNotEquals: { "lambda:SourceFunctionArn": one(run, LAMBDA, "resolver-function").arn },
        },
      },
    ]);
  });

  it("refuses exclusiveRoleActions without a role passed in, or with no actions", () => {
    const problems = validateFunctionArgs({
      handler: "loyalty",
      description: "d",
      logRetentionDays: 7,
      exclusiveRoleActions: [],
    });
    assert.deepStrictEqual(
      problems.map((p) => p.split(":")[0]),
      ["exclusiveRoleActions", "exclusiveRoleActions"],
    );
  });
});

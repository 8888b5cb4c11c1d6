// The whole program (index.ts) under mocks, for every stack file: tiers, grants, tags, logs,
// protection and outputs.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parsePlatformConfig } from "../config";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { bundleHandler, handlerEntry, handlerNames } from "../components/bundle";
import { MOCK_ACCOUNT_ID } from "../tools/mock-engine";
import {
  ofType,
  one,
  policyDocument,
  ProgramRun,
  PROD_OIDC,
  RegisteredResource,
  runStack,
  stackConfig,
  stackNames,
} from "./helpers/harness";

/** Every inline policy attached to a role (by the role's id). */
function rolePolicies(run: ProgramRun, role: RegisteredResource) {
  return ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
}

/**
 * Whether @pulumi/aws accepts `tags` for a type token (`aws:<module>/<file>:<Type>`): read from
 * the SDK's own declaration of `<Type>Args`, so a new resource type is judged without a list.
 */
function isTaggable(type: string): boolean {
  const m = /^aws:([^/]+)\/([^:]+):(\w+)$/.exec(type);
  if (!m) return false;
  const file = path.join(__dirname, "..", "node_modules", "@pulumi", "aws", m[1], `${m[2]}.d.ts`);
  const text = fs.readFileSync(file, "utf8");
  const start = text.indexOf(`export interface ${m[3]}Args {`);
  assert.ok(start >= 0, `no ${m[3]}Args in ${file}`);
  const body = text.slice(start, text.indexOf("\n}", start));
  return /\n\s+tags\?:/.test(body);
}

/** DynamoDB actions of the document-client commands a handler's source sends. */
const COMMAND_ACTIONS: Record<string, string> = {
  Get: "dynamodb:GetItem",
  Put: "dynamodb:PutItem",
  Update: "dynamodb:UpdateItem",
  Delete: "dynamodb:DeleteItem",
  Query: "dynamodb:Query",
  Scan: "dynamodb:Scan",
  BatchGet: "dynamodb:BatchGetItem",
  BatchWrite: "dynamodb:BatchWriteItem",
  TransactGet: "dynamodb:GetItem",
  TransactWrite: "dynamodb:PutItem",
};

/**
 * The handler folder that reads an environment variable (`process.env.LOYALTY_TABLE_NAME`) and
 * the DynamoDB actions its source sends (`new GetCommand(` → GetItem): read from handlers/, not
 * from the program, so a grant in index.ts that drifts from the code is caught.
 */
/** Commands of other services a handler sends (not DynamoDB grants). */
const OTHER_COMMANDS = new Set(["PostToConnection"]);

/** The handler folder a function runs: the one whose bundle is the function's code. */
function handlerOfFunction(fn: { wireInputs: Record<string, unknown> }): string {
  const code = JSON.stringify(fn.wireInputs.code ?? null);
  const found = handlerNames().filter((h) =>
    code.includes(JSON.stringify(bundleHandler(handlerEntry(h)))),
  );
  assert.strictEqual(found.length, 1, `its code is one handler's bundle: ${found.join(", ")}`);
  return found[0];
}

function handlerUsing(variable: string, handler: string): { handler: string; actions: string[] } {
  const dir = path.join(__dirname, "..", "handlers", handler);
  // Every module of the handler's folder but its tests (esbuild bundles what index.ts imports).
  const source = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
  assert.ok(source.includes(variable), `${handler} reads ${variable}`);
  const actions = new Set<string>();
  for (const m of source.matchAll(/\bnew (\w+)Command\(/g)) {
    if (OTHER_COMMANDS.has(m[1])) continue;
    assert.ok(m[1] in COMMAND_ACTIONS, `unknown command ${m[1]}Command in ${handler}`);
    actions.add(COMMAND_ACTIONS[m[1]]);
  }
  return { handler, actions: [...actions].sort() };
}

describe("program", () => {
  for (const stack of stackNames()) {
    describe(`${stack} stack`, () => {
      it("builds every tier and exports its endpoints", async () => {
        const run = await runStack(stack);
        assert.strictEqual(run.outputs.environment, stack);
        for (const type of [
          "sec1:network:Network",
          "sec1:identity:Identity",
          "aws:apigateway/restApi:RestApi",
          "aws:apigatewayv2/api:Api",
          "aws:appsync/graphQLApi:GraphQLApi",
          "aws:ec2/vpcEndpoint:VpcEndpoint",
        ]) {
          assert.ok(
            run.resources.some((r) => r.type === type),
            `${type} missing`,
          );
        }
        assert.match(
          String(run.outputs.privateApiUrl),
          /^https:\/\/[a-z0-9]{10}\.execute-api\.eu-west-1\.amazonaws\.com\/v1$/,
        );
        assert.match(String(run.outputs.graphqlUrl), /^https:\/\/.+\/graphql$/);
        assert.deepStrictEqual(run.secretOutputs, ["privateApiKeyValues"]);
      });

      it("lets no role invoke execute-api beyond a stage, method and path of its own API", async () => {
        const run = await runStack(stack);
        const apiId = run.resources.find((r) => r.type === "aws:apigateway/restApi:RestApi")?.id;
        const wsApiId = run.resources.find((r) => r.name === "live-updates-api")?.id;
        const documents = [
          ...ofType(run, "aws:iam/rolePolicy:RolePolicy").map((r) => r.inputs.policy),
          ...ofType(run, "aws:iam/policy:Policy").map((r) => r.inputs.policy),
        ];
        let grants = 0;
        for (const doc of documents) {
          for (const st of policyDocument(doc).Statement) {
            const actions = [st.Action ?? []].flat() as string[];
            if (st.Effect !== "Allow" || !actions.some((a) => /^(execute-api:|\*$)/i.test(a)))
              continue;
            for (const resource of [st.Resource].flat() as string[]) {
              // The WebSocket notifier posts to its own API's stage's connections, nothing more.
              if (actions.every((a) => a === "execute-api:ManageConnections")) {
                assert.strictEqual(
                  resource,
                  `arn:aws:execute-api:eu-west-1:${MOCK_ACCOUNT_ID}:${wsApiId}/live/POST/@connections/*`,
                );
                continue;
              }
              grants++;
              assert.match(
                resource,
                new RegExp(
                  `^arn:aws:execute-api:eu-west-1:${MOCK_ACCOUNT_ID}:${apiId}/v1/(GET|POST)/loyalty/`,
                ),
              );
            }
          }
        }
        assert.ok(grants >= 2, "each internal caller has an invoke grant");
      });
    });
  }

  for (const stack of stackNames()) {
    it(`${stack}: tags every taggable resource with the stack's tags and environment`, async () => {
      const run = await runStack(stack);
      const config = parsePlatformConfig(stackConfig(stack));
      const expected = { ...config.tags, environment: stack };
      const taggable = run.resources.filter((r) => r.custom && isTaggable(r.type));
      assert.ok(taggable.length >= 30, `only ${taggable.length} taggable resources`);
      for (const r of taggable) {
        const tags = (r.inputs.tags ?? {}) as Record<string, string>;
        for (const [k, v] of Object.entries(expected))
          assert.strictEqual(tags[k], v, `${r.type} ${r.name} tag ${k}`);
      }
    });
  }

  for (const stack of stackNames()) {
    it(`${stack}: gives each function only its own table, with exactly the DynamoDB actions its handler sends`, async () => {
      const run = await runStack(stack);
      const tables = ofType(run, "aws:dynamodb/table:Table");
      const functions = ofType(run, "aws:lambda/function:Function");
      assert.ok(tables.length >= 2 && functions.length >= 3, "tables and functions exist");
      let withTable = 0;
      for (const fn of functions) {
        const role = ofType(run, "aws:iam/role:Role").find((r) => r.arn === fn.inputs.role);
        assert.ok(role, `${fn.name}: its role is in the stack`);
        const statements = ofType(run, "aws:iam/rolePolicy:RolePolicy")
          .filter((p) => p.inputs.role === role.id || p.inputs.role === role.inputs.name)
          .flatMap((p) => policyDocument(p.inputs.policy).Statement);
        const dynamoAll = statements.filter((st) =>
          [st.Action ?? []].flat().some((a: string) => /^dynamodb:/i.test(a)),
        );
        // Index and stream grants are checked below; these are the grants on tables' items.
        const onPart = (st: { Resource: unknown }) =>
          [st.Resource].flat().some((r) => /\/(index|stream)\//.test(String(r)));
        const dynamo = dynamoAll.filter((st) => !onPart(st));
        for (const st of dynamoAll.filter(onPart)) {
          for (const r of [st.Resource].flat().map(String)) {
            const [, table, part] = /^(.*)\/(index|stream)\//.exec(r) ?? [];
            assert.ok(
              tables.some((t) => t.arn === table),
              `${fn.name}: ${r} is a stack table's`,
            );
            const allowed =
              part === "index"
                ? ["dynamodb:Query", "dynamodb:Scan"]
                : [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                  ];
            for (const a of [st.Action].flat())
              assert.ok(allowed.includes(a), `${fn.name}: ${a} on ${r}`);
          }
        }
        const variables = ((fn.inputs.environment as { variables?: Record<string, string> })
          ?.variables ?? {}) as Record<string, string>;
        const tableVars = Object.keys(variables).filter((k) => k.endsWith("_TABLE_NAME"));
        if (tableVars.length === 0) {
          assert.deepStrictEqual(dynamo, [], `${fn.name} has no table, so no DynamoDB grant`);
          continue;
        }
        withTable++;
        assert.strictEqual(dynamo.length, tableVars.length, `${fn.name}: one statement per table`);
        const own: string[] = [];
        for (const variable of tableVars) {
          const table = tables.find((t) => t.id === variables[variable]);
          assert.ok(table?.arn, `${fn.name}: ${variable} names a table of the stack`);
          own.push(table.arn);
          const { handler, actions } = handlerUsing(variable, handlerOfFunction(fn));
          assert.ok(actions.length > 0, `${handler} sends DynamoDB commands`);
          const grant = dynamo.filter((st) => [st.Resource].flat().includes(table.arn));
          assert.strictEqual(grant.length, 1, `${fn.name}: one statement on ${table.name}`);
          assert.strictEqual(grant[0].Effect, "Allow");
          assert.deepStrictEqual([grant[0].Resource].flat(), [table.arn], `${fn.name}: its table`);
          assert.deepStrictEqual(
            [grant[0].Action].flat().sort(),
            actions,
            `${fn.name}: the actions ${handler} sends`,
          );
        }
        // A stream consumer also names the table whose stream it reads (by its stream ARN).
        const mappings = ofType(run, "aws:lambda/eventSourceMapping:EventSourceMapping");
        for (const m of mappings.filter((x) => x.inputs.functionName === fn.arn))
          own.push(
            String(tables.find((t) => t.wireOutputs.streamArn === m.inputs.eventSourceArn)?.arn),
          );
        for (const other of tables.filter((t) => !own.includes(String(t.arn))))
          assert.ok(!JSON.stringify(statements).includes(String(other.arn)), other.name);
      }
      assert.strictEqual(withTable, 4, "loyalty, bookings, and the WebSocket routes and notifier");
    });

    it(`${stack}: logs every function to its own log group with the stack's retention`, async () => {
      const run = await runStack(stack);
      const retention = parsePlatformConfig(stackConfig(stack)).logRetentionDays;
      const functions = ofType(run, "aws:lambda/function:Function");
      assert.ok(functions.length >= 3);
      const groups = new Set<string>();
      for (const fn of functions) {
        const logGroup = (fn.inputs.loggingConfig as { logGroup?: string })?.logGroup;
        const group = ofType(run, "aws:cloudwatch/logGroup:LogGroup").find(
          (g) => g.id === logGroup,
        );
        assert.ok(group, `${fn.name} logs to a group of the stack`);
        assert.strictEqual(group.inputs.retentionInDays, retention, group.name);
        assert.ok(fn.dependencies.includes(group.urn), `${fn.name} is created after its group`);
        groups.add(group.urn);
      }
      assert.strictEqual(groups.size, functions.length, "one group per function");
    });

    it(`${stack}: lets API Gateway invoke a function only from a named route or authorizer of an API in the stack`, async () => {
      const run = await runStack(stack);
      const apis = [
        ...ofType(run, "aws:apigateway/restApi:RestApi"),
        ...ofType(run, "aws:apigatewayv2/api:Api"),
      ].map((a) => String(a.wireOutputs.executionArn));
      const functionNames = ofType(run, "aws:lambda/function:Function").map(
        (f) => f.wireOutputs.name,
      );
      const permissions = ofType(run, "aws:lambda/permission:Permission");
      assert.ok(permissions.length >= 5, `only ${permissions.length} permissions`);
      for (const p of permissions) {
        const { principal, sourceArn, function: fn } = p.inputs as Record<string, string>;
        assert.ok(
          principal === "apigateway.amazonaws.com" || principal === "appsync.amazonaws.com",
          `${p.name}: ${principal}`,
        );
        assert.ok(functionNames.includes(fn), `${p.name}: a function of the stack`);
        const api = apis.find(
          (a) => typeof sourceArn === "string" && sourceArn.startsWith(`${a}/`),
        );
        assert.ok(api, `${p.name}: ${sourceArn} names an API of the stack`);
        // A stage, method and path (`v1/GET/loyalty/*`, `*/POST/bookings`), a WebSocket stage
        // and route (`live/$connect`) or one authorizer.
        assert.match(
          sourceArn.slice(api.length),
          /^\/(authorizers\/\w+|[\w*$]+\/(GET|POST|PUT|PATCH|DELETE)\/[\w*{}/-]+|\w+\/\$(connect|disconnect|default))$/,
          p.name,
        );
      }
    });
  }

  it("prod protects what holds data, identities or a public address, and nothing that must be replaced", async () => {
    const run = await runStack("prod");
    const mustProtect = [
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:dynamodb/table:Table",
      "aws:apigateway/restApi:RestApi",
      "aws:apigateway/apiKey:ApiKey",
      "aws:apigatewayv2/api:Api",
      "aws:appsync/graphQLApi:GraphQLApi",
    ];
    for (const type of mustProtect) {
      const found = ofType(run, type);
      assert.ok(found.length > 0, type);
      for (const r of found) assert.strictEqual(r.options.protect, true, `${type} ${r.name}`);
    }
    // Replaced whenever the API changes: protecting it would fail every such update.
    assert.strictEqual(one(run, "aws:apigateway/deployment:Deployment").options.protect, false);
    // Replaced when a caller moves to another usage-plan tier (a config change).
    const links = ofType(run, "aws:apigateway/usagePlanKey:UsagePlanKey");
    assert.strictEqual(links.length, 2);
    for (const r of links) assert.strictEqual(r.options.protect, false, r.name);
  });

  it("dev protects nothing, so a dev stack can be destroyed", async () => {
    const run = await runStack("dev");
    assert.deepStrictEqual(
      run.resources.filter((r) => r.options.protect).map((r) => r.name),
      [],
    );
  });

  it("isTaggable reads the SDK: a stage takes tags, a deployment does not", () => {
    assert.strictEqual(isTaggable("aws:apigateway/stage:Stage"), true);
    assert.strictEqual(isTaggable("aws:apigateway/deployment:Deployment"), false);
    assert.strictEqual(isTaggable("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"), true);
  });

  it("prod with an external OIDC issuer: the GraphQL API trusts its issuer and audiences", async () => {
    const run = await runStack("prod", PROD_OIDC);
    const api = one(run, "aws:appsync/graphQLApi:GraphQLApi").inputs;
    assert.deepStrictEqual(api.openidConnectConfig, {
      issuer: run.outputs.identityIssuerUrl,
      clientId: (run.outputs.identityAudiences as string[]).join("|"),
    });
  });

  it("creates the SSM interface endpoint unless the stack says its VPC has one", async () => {
    const endpoints = (run: ProgramRun) =>
      ofType(run, "aws:ec2/vpcEndpoint:VpcEndpoint").map((r) => String(r.inputs.serviceName));
    assert.deepStrictEqual(endpoints(await runStack("prod")).sort(), [
      "com.amazonaws.eu-west-1.execute-api",
      "com.amazonaws.eu-west-1.ssm",
    ]);
    assert.deepStrictEqual(endpoints(await runStack("prod", { ssmEndpoint: false })), [
      "com.amazonaws.eu-west-1.execute-api",
    ]);
  });

  describe("dev: the GraphQL loyalty resolver", () => {
    let run: ProgramRun;
    before(async () => {
      run = await runStack("dev");
    });

    it("runs the loyalty resolver as the invoker role, in the private subnets with the client security group", () => {
      const fn = one(run, "aws:lambda/function:Function", "loyalty-resolver-function");
      const invoker = one(run, "aws:iam/role:Role", "loyalty-api-appsync-loyalty-resolver-role");
      const sg = one(run, "aws:ec2/securityGroup:SecurityGroup", "network-api-clients");
      const vpc = one(run, "awsx:ec2:Vpc");
      assert.strictEqual(fn.inputs.role, invoker.arn);
      assert.deepStrictEqual(fn.inputs.vpcConfig, {
        subnetIds: vpc.wireOutputs.privateSubnetIds,
        securityGroupIds: [sg.id],
      });
    });

    it("points the resolver at the private API's default host name and stage, and at its key in SSM", () => {
      const fn = one(run, "aws:lambda/function:Function", "loyalty-resolver-function");
      const restApi = one(run, "aws:apigateway/restApi:RestApi");
      const env = (fn.inputs.environment as any).variables;
      assert.strictEqual(
        env.LOYALTY_API_URL,
        `https://${restApi.id}.execute-api.eu-west-1.amazonaws.com/v1`,
      );
      // The key itself is never in the configuration (lambda:GetFunctionConfiguration shows it).
      assert.strictEqual(env.LOYALTY_API_KEY, undefined);
      const parameter = one(run, "aws:ssm/parameter:Parameter", "-appsync-loyalty-resolver-key");
      assert.strictEqual(env.LOYALTY_API_KEY_PARAMETER, parameter.id);
      const grants = policyDocument(
        one(run, "aws:iam/rolePolicy:RolePolicy", "loyalty-resolver-policy").inputs.policy,
      ).Statement.filter((st) => JSON.stringify(st.Action).includes("ssm:"));
      assert.deepStrictEqual(grants, [
        {
          Sid: "ReadUsagePlanKey",
          Effect: "Allow",
          Action: "ssm:GetParameter",
          Resource: parameter.arn,
        },
      ]);
    });

    it("gives the loyalty resolver the caller rule the APPSYNC_JS resolvers are bundled with: access tokens, admins the cognito:groups members of the admin group of this pool", () => {
      const fn = one(run, "aws:lambda/function:Function", "loyalty-resolver-function");
      const rule = JSON.parse((fn.inputs.environment as any).variables.CALLER_RULE);
      assert.strictEqual(rule.groupsClaim, "cognito:groups");
      assert.deepStrictEqual(rule.adminGroups, ["admin"]);
      assert.strictEqual(rule.tokenUse, "access");
      assert.strictEqual(rule.issuer, (run.outputs as Record<string, unknown>).identityIssuerUrl);
      assert.deepStrictEqual(rule.operationScopes["Mutation.createBooking"], [
        "airline/bookings.write",
      ]);
      for (const r of ofType(run, "aws:appsync/resolver:Resolver").filter((x) => x.inputs.code))
        assert.ok(
          String(r.inputs.code).includes(`\nconst CALLER_RULE = ${JSON.stringify(rule)};\n`),
          `${r.name} declares the same rule`,
        );
    });

    it("lets the loyalty function's role invoke exactly GET /loyalty/{customerId} on its stage (IAM evaluation)", async () => {
      const invoker = one(run, "aws:iam/role:Role", "loyalty-api-appsync-loyalty-resolver-role");
      const restApi = one(run, "aws:apigateway/restApi:RestApi");
      const policies = rolePolicies(run, invoker).map((p, i) => ({
        name: `p${i}`,
        policy: policyDocument(p.inputs.policy),
      }));
      assert.ok(policies.length >= 2, "the invoker's policy and the function's own");
      // Requests from the resolver's code carry its ARN as lambda:SourceFunctionArn.
      const resolverArn = one(
        run,
        "aws:lambda/function:Function",
        "loyalty-resolver-function",
      ).arn!;
      const decide = async (
        action: string,
        resource: string,
        sourceFunction: string | null = resolverArn,
      ) => {
        const result = await runSimulation(
          {
            request: {
              principal: invoker.arn!,
              action,
              resource: { resource, accountId: MOCK_ACCOUNT_ID },
              contextVariables: sourceFunction
                ? { "lambda:SourceFunctionArn": sourceFunction }
                : {},
            },
            identityPolicies: policies,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: undefined,
          },
          {},
        );
        assert.notStrictEqual(result.resultType, "error", JSON.stringify(result));
        return (result as { overallResult: string }).overallResult;
      };
      const api = `arn:aws:execute-api:eu-west-1:${MOCK_ACCOUNT_ID}:${restApi.id}`;
      const invoke = (r: string) => decide("execute-api:Invoke", r);
      assert.strictEqual(await invoke(`${api}/v1/GET/loyalty/c-123`), "Allowed");
      // The same role in another function (passed by whoever may iam:PassRole it), or outside one.
      const other = `arn:aws:lambda:eu-west-1:${MOCK_ACCOUNT_ID}:function:someone-elses`;
      for (const source of [other, null])
        assert.strictEqual(
          await decide("execute-api:Invoke", `${api}/v1/GET/loyalty/c-123`, source),
          "ExplicitlyDenied",
          String(source),
        );
      assert.notStrictEqual(await invoke(`${api}/v1/POST/loyalty/c-123/points`), "Allowed");
      assert.notStrictEqual(await invoke(`${api}/v2/GET/loyalty/c-123`), "Allowed");
      assert.notStrictEqual(await invoke(`${api}/v1/DELETE/loyalty/c-123`), "Allowed");
      assert.notStrictEqual(
        await invoke(
          `arn:aws:execute-api:eu-west-1:${MOCK_ACCOUNT_ID}:zzzzzzzzzz/v1/GET/loyalty/c-123`,
        ),
        "Allowed",
      );
      assert.notStrictEqual(await invoke(`${api}/v1/GET/bookings`), "Allowed");
      assert.notStrictEqual(
        await decide(
          "lambda:InvokeFunction",
          `arn:aws:lambda:eu-west-1:${MOCK_ACCOUNT_ID}:function:anything`,
        ),
        "Allowed",
      );
    });
  });

  it("dev: the GraphQL loyalty resolver reads its caller's key from SSM, never from its configuration", async () => {
    const run = await runStack("dev");
    const fn = one(run, "aws:lambda/function:Function", "loyalty-resolver-function");
    const variables = (fn.inputs.environment as { variables: Record<string, unknown> }).variables;
    const keys = run.rawOutputs.privateApiKeyValues as Record<string, string>;
    const wire = JSON.stringify(fn.wireInputs);
    for (const key of Object.values(keys)) assert.ok(!wire.includes(key), "no key in the function");
    const parameter = one(run, "aws:ssm/parameter:Parameter", "-appsync-loyalty-resolver-key");
    assert.strictEqual(variables.LOYALTY_API_KEY_PARAMETER, parameter.id);
    const stored = JSON.stringify(parameter.wireInputs);
    assert.ok(stored.includes(keys["appsync-loyalty-resolver"]), "the resolver caller's key");
    assert.ok(!stored.includes(keys["points-accrual-batch"]), "not another caller's key");
  });

  it("exports the ids apps and operators need, for both identity providers", async () => {
    const dev = await runStack("dev");
    for (const key of [
      "webClientId",
      "machineClientId",
      "userPoolId",
      "hostedUiUrl",
      "identityScopes",
      "bookingsApiId",
      "graphqlApiId",
      "privateApiId",
    ])
      assert.ok(dev.outputs[key] !== undefined, key);
    assert.strictEqual(dev.outputs.privateApiId, one(dev, "aws:apigateway/restApi:RestApi").id);
    assert.deepStrictEqual(dev.outputs.identityScopes, {
      "bookings.read": "airline/bookings.read",
      "bookings.write": "airline/bookings.write",
      "loyalty.read": "airline/loyalty.read",
    });
    const prod = await runStack("prod", PROD_OIDC);
    assert.deepStrictEqual(
      (prod.outputs.identityScopes as Record<string, string>)["bookings.read"],
      "bookings.read",
    );
  });

  it("leaves the region's API Gateway CloudWatch role to another stack when told to", async () => {
    const account = "aws:apigateway/account:Account";
    assert.strictEqual(ofType(await runStack("dev"), account).length, 1);
    assert.strictEqual(
      ofType(await runStack("dev", { manageApiGatewayAccount: "false" }), account).length,
      0,
    );
  });

  it("refuses a stack whose GraphQL resolver has no invoker role", async () => {
    const failure = await runStack("dev", { internalCallers: [] }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(failure && failure.name === "ConfigError");
    assert.match(
      failure.message,
      /sec1-api-platform:internalCallers: expected a caller named appsync-loyalty-resolver/,
    );
  });
});

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { transformSync } from "esbuild";
import {
  AppSyncApi,
  AppSyncApiArgs,
  audienceRegex,
  bookingsResolverCode,
  RESOLVED_FIELDS,
  validateAppSyncApiArgs,
} from "../components/appsync-api";
import { InvokerRole } from "../components/invoker-role";
import { parsePlatformConfig, PlatformConfig, PRIVATE_API_ROUTES } from "../config";
import { MOCK_ACCOUNT_ID } from "../tools/mock-engine";
import {
  one,
  ofType,
  policyDocument,
  ProgramRun,
  RegisteredResource,
  runComponents,
  stackConfig,
} from "./helpers/harness";

const REGION = "eu-west-1";
const SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"];

/**
 * The component wired from a stack's validated config the way index.ts does, with stand-ins for
 * the other tiers: a user pool, a private REST API and its invoker role (the real InvokerRole
 * component), the network's client security group and the bookings table.
 */
function program(
  config: PlatformConfig,
  change: (args: AppSyncApiArgs) => AppSyncApiArgs = (a) => a,
) {
  return () => {
    const pool = new aws.cognito.UserPool("users", {});
    const restApi = new aws.apigateway.RestApi("loyalty-api", {
      endpointConfiguration: { types: "PRIVATE" },
    });
    const invoker = new InvokerRole("appsync-loyalty-resolver", {
      principal: { service: "lambda.amazonaws.com" },
      executionArn: restApi.executionArn,
      stageName: config.privateApiStageName,
      routes: ["GET /loyalty/{customerId}"],
      apiRoutes: [...PRIVATE_API_ROUTES],
    });
    const clientSg = new aws.ec2.SecurityGroup("endpoint-clients", {});
    const table = new aws.dynamodb.Table("bookings", {
      hashKey: "customerId",
      rangeKey: "bookingId",
      attributes: [
        { name: "customerId", type: "S" },
        { name: "bookingId", type: "S" },
      ],
      billingMode: "PAY_PER_REQUEST",
    });
    const args: AppSyncApiArgs = {
      identity:
        config.identityProvider === "cognito"
          ? { kind: "cognito", userPoolId: pool.id, region: REGION }
          : { kind: "oidc", issuer: config.oidcIssuer!, audiences: config.oidcAudiences },
      bookings: { kind: "dynamodb", tableName: table.name, tableArn: table.arn },
      loyaltyApi: { restApiId: restApi.id, stageName: config.privateApiStageName },
      loyaltyInvokerRole: invoker.role,
      loyaltyApiKeyParameter: { name: KEY_PARAMETER, arn: KEY_PARAMETER_ARN },
      vpc: { subnetIds: SUBNETS, securityGroupIds: [clientSg.id] },
      fieldLogLevel: config.appsyncFieldLogLevel,
      introspection: config.appsyncIntrospection,
      queryDepthLimit: config.appsyncQueryDepthLimit,
      wafEnabled: config.wafEnabled,
      wafRateLimit: config.wafRateLimit,
      logRetentionDays: config.logRetentionDays,
      tags: config.tags,
    };
    const api = new AppSyncApi("graphql", change(args));
    return { apiId: api.apiId, graphqlUrl: api.graphqlUrl };
  };
}

const KEY_PARAMETER = "/sec1-api-platform/dev/loyalty-api-usage/api-keys/appsync-loyalty-resolver";
const KEY_PARAMETER_ARN = `arn:aws:ssm:${REGION}:${MOCK_ACCOUNT_ID}:parameter${KEY_PARAMETER}`;
const dev = () => parsePlatformConfig(stackConfig("dev"));
const prod = () => parsePlatformConfig(stackConfig("prod"));

function graphqlApi(run: ProgramRun) {
  return one(run, "aws:appsync/graphQLApi:GraphQLApi").inputs as Record<string, any>;
}

/** Every inline policy attached to a role (by the role's id). */
function rolePolicies(run: ProgramRun, role: RegisteredResource) {
  return ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.id);
}

describe("AppSyncApi", () => {
  describe("with the dev stack (Cognito user pool)", () => {
    let run: ProgramRun;
    before(async () => {
      run = await runComponents(program(dev()));
    });

    it("uses the user pool as the default provider and AWS_IAM as the only additional one", () => {
      const api = graphqlApi(run);
      const pool = one(run, "aws:cognito/userPool:UserPool");
      assert.strictEqual(api.authenticationType, "AMAZON_COGNITO_USER_POOLS");
      assert.deepStrictEqual(api.userPoolConfig, {
        userPoolId: pool.id,
        awsRegion: REGION,
        defaultAction: "ALLOW",
      });
      assert.deepStrictEqual(api.additionalAuthenticationProviders, [
        { authenticationType: "AWS_IAM" },
      ]);
      assert.strictEqual(api.openidConnectConfig, undefined);
    });

    it("has no API_KEY provider and creates no AppSync API key", () => {
      assert.ok(!JSON.stringify(graphqlApi(run)).includes("API_KEY"));
      assert.strictEqual(ofType(run, "aws:appsync/apiKey:ApiKey").length, 0);
    });

    it("uploads the schema with Cognito directives, field by field", () => {
      const schema = String(graphqlApi(run).schema);
      assert.match(schema, /myLoyalty: Loyalty @aws_cognito_user_pools\n/);
      assert.match(schema, /loyalty\(customerId: ID!\): Loyalty @aws_cognito_user_pools @aws_iam/);
      assert.match(schema, /@aws_cognito_user_pools\(cognito_groups: \["admin"\]\) @aws_iam/);
      assert.ok(!schema.includes("@aws_oidc") && !schema.includes("scalar AWSDateTime"));
    });

    it("is public (GLOBAL), traced, and logs through a role with excludeVerboseContent", () => {
      const api = graphqlApi(run);
      const logRole = one(run, "aws:iam/role:Role", "graphql-logs-role");
      assert.strictEqual(api.visibility, "GLOBAL");
      assert.strictEqual(api.xrayEnabled, true);
      assert.deepStrictEqual(api.logConfig, {
        cloudwatchLogsRoleArn: logRole.arn,
        fieldLogLevel: "ERROR",
        excludeVerboseContent: true,
      });
      const trust = policyDocument(logRole.inputs.assumeRolePolicy).Statement;
      assert.deepStrictEqual(trust[0].Principal, { Service: "appsync.amazonaws.com" });
      assert.deepStrictEqual(trust[0].Condition.StringEquals, {
        "aws:SourceAccount": MOCK_ACCOUNT_ID,
      });
    });

    it("lets dev keep introspection, with no depth limit and no WAF", () => {
      const api = graphqlApi(run);
      assert.strictEqual(api.introspectionConfig, "ENABLED");
      assert.strictEqual(api.queryDepthLimit, undefined);
      assert.strictEqual(ofType(run, "aws:wafv2/webAcl:WebAcl").length, 0);
      assert.strictEqual(ofType(run, "aws:wafv2/webAclAssociation:WebAclAssociation").length, 0);
    });

    it("creates the API's log group /aws/appsync/apis/<apiId> with retention, and lets the role write only there", () => {
      const api = one(run, "aws:appsync/graphQLApi:GraphQLApi");
      const group = one(run, "aws:cloudwatch/logGroup:LogGroup", "graphql-logs");
      assert.strictEqual(group.inputs.name, `/aws/appsync/apis/${api.id}`);
      assert.strictEqual(group.inputs.retentionInDays, 14);
      const logRole = one(run, "aws:iam/role:Role", "graphql-logs-role");
      const policies = rolePolicies(run, logRole);
      assert.strictEqual(policies.length, 1);
      assert.deepStrictEqual(policyDocument(policies[0].inputs.policy).Statement, [
        {
          Sid: "WriteThisApisLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [group.arn, `${group.arn}:*`],
        },
      ]);
      // The permission follows the group, so AppSync cannot create it first without retention.
      assert.ok(policies[0].dependencies.includes(group.urn));
    });

    it("runs the loyalty resolver as the invoker role, in the private subnets with the client security group", () => {
      const fn = one(run, "aws:lambda/function:Function", "graphql-loyalty-function");
      const invoker = one(run, "aws:iam/role:Role", "appsync-loyalty-resolver-role");
      const sg = one(run, "aws:ec2/securityGroup:SecurityGroup", "endpoint-clients");
      assert.strictEqual(fn.inputs.role, invoker.arn);
      assert.deepStrictEqual(fn.inputs.vpcConfig, {
        subnetIds: SUBNETS,
        securityGroupIds: [sg.id],
      });
    });

    it("points the resolver at the private API's default host name and stage, and at its key in SSM", () => {
      const fn = one(run, "aws:lambda/function:Function", "graphql-loyalty-function");
      const restApi = one(run, "aws:apigateway/restApi:RestApi");
      const env = (fn.inputs.environment as any).variables;
      assert.strictEqual(
        env.LOYALTY_API_URL,
        `https://${restApi.id}.execute-api.${REGION}.amazonaws.com/v1`,
      );
      // The key itself is never in the configuration (lambda:GetFunctionConfiguration shows it).
      assert.strictEqual(env.LOYALTY_API_KEY, undefined);
      assert.strictEqual(env.LOYALTY_API_KEY_PARAMETER, KEY_PARAMETER);
      const grants = policyDocument(
        one(run, "aws:iam/rolePolicy:RolePolicy", "graphql-loyalty-policy").inputs.policy,
      ).Statement.filter((st) => JSON.stringify(st.Action).includes("ssm:"));
      assert.deepStrictEqual(grants, [
        {
          Sid: "ReadUsagePlanKey",
          Effect: "Allow",
          Action: "ssm:GetParameter",
          Resource: KEY_PARAMETER_ARN,
        },
      ]);
    });

    it("admins are cognito:groups members of admin with the user pool", () => {
      const fn = one(run, "aws:lambda/function:Function", "graphql-loyalty-function");
      const env = (fn.inputs.environment as any).variables;
      assert.strictEqual(env.ADMIN_GROUPS_CLAIM, "cognito:groups");
      assert.strictEqual(env.ADMIN_GROUPS, "admin");
    });

    it("binds the invoker role to the resolver: execute-api:Invoke denied to any other function's code", () => {
      const fn = one(run, "aws:lambda/function:Function", "graphql-loyalty-function");
      const invoker = one(run, "aws:iam/role:Role", "appsync-loyalty-resolver-role");
      const bind = one(run, "aws:iam/rolePolicy:RolePolicy", "graphql-loyalty-bind-role");
      assert.strictEqual(bind.inputs.role, invoker.id);
      assert.deepStrictEqual(policyDocument(bind.inputs.policy).Statement[0].Condition, {
        ArnNotEquals: { "lambda:SourceFunctionArn": fn.arn },
      });
    });

    it("lets the loyalty function's role invoke exactly GET /loyalty/{customerId} on its stage (IAM evaluation)", async () => {
      const invoker = one(run, "aws:iam/role:Role", "appsync-loyalty-resolver-role");
      const restApi = one(run, "aws:apigateway/restApi:RestApi");
      const policies = rolePolicies(run, invoker).map((p, i) => ({
        name: `p${i}`,
        policy: policyDocument(p.inputs.policy),
      }));
      assert.ok(policies.length >= 2, "the invoker's policy and the function's own");
      // Requests from the resolver's code carry its ARN as lambda:SourceFunctionArn.
      const resolverArn = one(run, "aws:lambda/function:Function", "graphql-loyalty-function").arn!;
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
      const api = `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT_ID}:${restApi.id}`;
      const invoke = (r: string) => decide("execute-api:Invoke", r);
      assert.strictEqual(await invoke(`${api}/v1/GET/loyalty/c-123`), "Allowed");
      // The same role in another function (passed by whoever may iam:PassRole it), or outside one.
      const other = `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:someone-elses`;
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
          `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT_ID}:zzzzzzzzzz/v1/GET/loyalty/c-123`,
        ),
        "Allowed",
      );
      assert.notStrictEqual(await invoke(`${api}/v1/GET/bookings`), "Allowed");
      assert.notStrictEqual(
        await decide(
          "lambda:InvokeFunction",
          `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:anything`,
        ),
        "Allowed",
      );
    });

    it("gives each data source a role for this API only, allowed only what it calls", () => {
      const api = one(run, "aws:appsync/graphQLApi:GraphQLApi");
      const fn = one(run, "aws:lambda/function:Function", "graphql-loyalty-function");
      const table = one(run, "aws:dynamodb/table:Table");
      const expect = {
        loyalty: [
          {
            Sid: "InvokeLoyaltyResolver",
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: fn.arn,
          },
        ],
        bookings: [
          {
            Sid: "ReadWriteBookings",
            Effect: "Allow",
            Action: ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
            Resource: table.arn,
          },
        ],
      };
      for (const [role, statements] of Object.entries(expect)) {
        const r = one(run, "aws:iam/role:Role", `graphql-${role}-ds-role`);
        const ds = one(run, "aws:appsync/dataSource:DataSource", `graphql-${role}-ds`);
        assert.strictEqual(ds.inputs.serviceRoleArn, r.arn);
        const trust = policyDocument(r.inputs.assumeRolePolicy).Statement[0];
        assert.deepStrictEqual(trust.Principal, { Service: "appsync.amazonaws.com" });
        assert.deepStrictEqual(trust.Condition.ArnEquals, { "aws:SourceArn": api.arn });
        const policies = rolePolicies(run, r);
        assert.strictEqual(policies.length, 1);
        assert.deepStrictEqual(policyDocument(policies[0].inputs.policy).Statement, statements);
      }
      assert.deepStrictEqual(
        one(run, "aws:appsync/dataSource:DataSource", "graphql-bookings-ds").inputs.dynamodbConfig,
        { tableName: table.inputs.name ?? table.id, region: REGION },
      );
    });

    it("resolves every root field of the schema with the right data source", () => {
      const resolvers = ofType(run, "aws:appsync/resolver:Resolver");
      const byField = new Map(resolvers.map((r) => [`${r.inputs.type}.${r.inputs.field}`, r]));
      assert.deepStrictEqual([...byField.keys()].sort(), Object.keys(RESOLVED_FIELDS).sort());
      for (const [field, source] of Object.entries(RESOLVED_FIELDS)) {
        const r = byField.get(field)!;
        assert.strictEqual(
          r.inputs.dataSource,
          source === "loyalty" ? "LoyaltyResolver" : "BookingsTable",
        );
        if (source === "loyalty")
          assert.strictEqual(r.inputs.code, undefined, `${field} is a direct Lambda resolver`);
        else
          assert.deepStrictEqual(r.inputs.runtime, { name: "APPSYNC_JS", runtimeVersion: "1.0.0" });
      }
    });

    it("tags every taggable child with the stack's tags", () => {
      for (const type of [
        "aws:appsync/graphQLApi:GraphQLApi",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:lambda/function:Function",
      ]) {
        const children = ofType(run, type).filter((x) => x.name.startsWith("graphql"));
        assert.ok(children.length > 0, type);
        for (const r of children)
          assert.deepStrictEqual(
            r.inputs.tags,
            { team: "platform", "cost-center": "4711" },
            r.name,
          );
      }
      const roles = ofType(run, "aws:iam/role:Role").filter((x) => x.name.startsWith("graphql-"));
      assert.ok(roles.length >= 3, "log and data-source roles");
      for (const r of roles)
        assert.deepStrictEqual(r.inputs.tags, { team: "platform", "cost-center": "4711" }, r.name);
    });
  });

  describe("with the prod stack (external OIDC issuer)", () => {
    let run: ProgramRun;
    before(async () => {
      run = await runComponents(program(prod()), { stack: "prod", config: stackConfig("prod") });
    });

    it("makes nobody an admin from an external IdP's token when config names no groups claim", () => {
      const fn = one(run, "aws:lambda/function:Function", "graphql-loyalty-function");
      assert.strictEqual((fn.inputs.environment as any).variables.ADMIN_GROUPS_CLAIM, "");
    });

    it("uses the configured https issuer and audience as the default provider, AWS_IAM as the only additional one", () => {
      const api = graphqlApi(run);
      assert.strictEqual(api.authenticationType, "OPENID_CONNECT");
      assert.deepStrictEqual(api.openidConnectConfig, {
        issuer: "https://login.example-airline.com/oauth2/default",
        clientId: "api://bookings",
      });
      assert.strictEqual(api.userPoolConfig, undefined);
      assert.deepStrictEqual(api.additionalAuthenticationProviders, [
        { authenticationType: "AWS_IAM" },
      ]);
      assert.ok(!JSON.stringify(api).includes("API_KEY"));
    });

    it("uploads the schema with @aws_oidc, and leaves group-only fields to IAM (fail closed)", () => {
      const schema = String(graphqlApi(run).schema);
      assert.ok(!schema.includes("@aws_cognito_user_pools"));
      assert.match(schema, /myLoyalty: Loyalty @aws_oidc\n/);
      assert.match(schema, /customerBookings\([^)]*\): BookingConnection! @aws_iam\n/);
    });

    it("turns introspection off and limits query depth", () => {
      const api = graphqlApi(run);
      assert.strictEqual(api.introspectionConfig, "DISABLED");
      assert.strictEqual(api.queryDepthLimit, 8);
    });

    it("associates a REGIONAL WAF web ACL with a per-IP rate rule and the AWS managed rule groups", () => {
      const api = one(run, "aws:appsync/graphQLApi:GraphQLApi");
      const acl = one(run, "aws:wafv2/webAcl:WebAcl");
      const assoc = one(run, "aws:wafv2/webAclAssociation:WebAclAssociation");
      assert.strictEqual(assoc.inputs.resourceArn, api.arn);
      assert.strictEqual(assoc.inputs.webAclArn, acl.arn);
      const inputs = acl.inputs as Record<string, any>;
      assert.strictEqual(inputs.scope, "REGIONAL");
      assert.deepStrictEqual(inputs.defaultAction, { allow: {} });
      assert.strictEqual(inputs.visibilityConfig.cloudwatchMetricsEnabled, true);
      const rules = inputs.rules as any[];
      const rate = rules.find((r) => r.statement.rateBasedStatement);
      assert.deepStrictEqual(rate.statement.rateBasedStatement, {
        limit: 2000,
        aggregateKeyType: "IP",
      });
      assert.deepStrictEqual(rate.action, { block: {} });
      const groups = rules
        .filter((r) => r.statement.managedRuleGroupStatement)
        .map((r) => r.statement.managedRuleGroupStatement);
      assert.deepStrictEqual(groups, [
        { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" },
        { vendorName: "AWS", name: "AWSManagedRulesKnownBadInputsRuleSet" },
      ]);
      assert.strictEqual(new Set(rules.map((r) => r.priority)).size, rules.length);
      for (const r of rules) assert.strictEqual(r.visibilityConfig.cloudwatchMetricsEnabled, true);
    });

    it("replaces the WAF association delete-first, so the old one's removal cannot strip the new ACL", () => {
      const assoc = one(run, "aws:wafv2/webAclAssociation:WebAclAssociation");
      assert.strictEqual(assoc.options.deleteBeforeReplace, true);
    });

    it("keeps prod logs for the stack's retention", () => {
      assert.strictEqual(
        one(run, "aws:cloudwatch/logGroup:LogGroup", "graphql-logs").inputs.retentionInDays,
        365,
      );
    });
  });

  it("uses direct Lambda resolvers and an invoke-only role when bookings come from a function", async () => {
    const functionArn = `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:bookings`;
    const run = await runComponents(
      program(dev(), (a) => ({ ...a, bookings: { kind: "lambda", functionArn } })),
    );
    const ds = one(run, "aws:appsync/dataSource:DataSource", "graphql-bookings-ds");
    assert.strictEqual(ds.inputs.type, "AWS_LAMBDA");
    assert.deepStrictEqual(ds.inputs.lambdaConfig, { functionArn });
    const role = one(run, "aws:iam/role:Role", "graphql-bookings-ds-role");
    assert.deepStrictEqual(policyDocument(rolePolicies(run, role)[0].inputs.policy).Statement, [
      {
        Sid: "InvokeBookingsFunction",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: functionArn,
      },
    ]);
    const resolvers = ofType(run, "aws:appsync/resolver:Resolver");
    assert.strictEqual(resolvers.length, Object.keys(RESOLVED_FIELDS).length);
    for (const r of resolvers) assert.strictEqual(r.inputs.code, undefined);
    assert.strictEqual(
      ofType(run, "aws:dynamodb/table:Table").length,
      1,
      "only the stand-in table",
    );
  });

  it("fails with the schema file's line and column when the schema is broken", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "appsync-schema-"));
    const file = path.join(dir, "broken.graphql");
    fs.writeFileSync(
      file,
      fs
        .readFileSync(path.join(__dirname, "..", "components", "schema.graphql"), "utf8")
        .replace("booking(id: ID!): Booking", "booking(id: ID!): Bookng"),
    );
    try {
      await assert.rejects(
        runComponents(program(dev(), (a) => ({ ...a, schemaFile: file }))),
        /broken\.graphql:\d+:\d+: Unknown type "Bookng"/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("OIDC audiences", () => {
  it("become one client-id regex that matches exactly those audiences", () => {
    const regex = audienceRegex(["api://bookings", "https://api.example.com", "a+b"])!;
    assert.strictEqual(regex, "api://bookings|https://api\\.example\\.com|a\\+b");
    const whole = new RegExp(`^(?:${regex})$`);
    for (const aud of ["api://bookings", "https://api.example.com", "a+b"])
      assert.ok(whole.test(aud), aud);
    for (const aud of ["https://apiXexample.com", "aab", "api://bookingsX", ""])
      assert.ok(!whole.test(aud), aud);
  });

  it("leave a single plain audience unchanged, and none as no client id", () => {
    assert.strictEqual(audienceRegex(["api://bookings"]), "api://bookings");
    assert.strictEqual(audienceRegex(["0oa1b2c3d4e5f6g7h8i9"]), "0oa1b2c3d4e5f6g7h8i9");
    assert.strictEqual(audienceRegex([]), undefined);
  });

  it("reach the API escaped when the stack has several", async () => {
    const config = parsePlatformConfig(
      stackConfig("prod", { oidcAudiences: ["api://bookings", "https://api.example-airline.com"] }),
    );
    const run = await runComponents(program(config), {
      stack: "prod",
      config: stackConfig("prod"),
    });
    assert.strictEqual(
      graphqlApi(run).openidConnectConfig.clientId,
      "api://bookings|https://api\\.example-airline\\.com",
    );
  });
});

it("AppSyncApi reports bad args and a broken schema together, before any AppSync child", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "appsync-schema-"));
  const file = path.join(dir, "broken.graphql");
  fs.writeFileSync(file, "type Query { booking(id: ID!): Bookng }\n");
  try {
    let error: Error | undefined;
    const run = await runComponents(() => {
      try {
        program(dev(), (a) => ({ ...a, schemaFile: file, fieldLogLevel: "VERBOSE" as never }))();
      } catch (e) {
        error = e as Error;
      }
    });
    assert.ok(error, "expected an error");
    assert.match(error.message, /fieldLogLevel: expected one of/);
    assert.match(error.message, /- schemaFile: Invalid GraphQL schema [^\n]*broken\.graphql/);
    assert.match(error.message, /\n {6}- [^\n]*broken\.graphql:1:\d+: Unknown type "Bookng"/);
    assert.deepStrictEqual(
      run.resources.filter((r) => r.type.startsWith("aws:appsync/")).map((r) => r.name),
      [],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("validateAppSyncApiArgs", () => {
  const valid = (): AppSyncApiArgs =>
    ({
      identity: { kind: "oidc", issuer: "https://login.example.com" },
      bookings: {
        kind: "dynamodb",
        tableName: "t",
        tableArn: "arn:aws:dynamodb:eu-west-1:1:table/t",
      },
      loyaltyApi: { restApiId: "a1b2c3d4e5", stageName: "v1" },
      loyaltyInvokerRole: Object.create(aws.iam.Role.prototype, {
        __pulumiCustomResource: { value: true },
      }),
      loyaltyApiKeyParameter: { name: "/k", arn: "arn:aws:ssm:eu-west-1:1:parameter/k" },
      vpc: { subnetIds: SUBNETS, securityGroupIds: ["sg-0123456789abcdef0"] },
      fieldLogLevel: "ERROR",
      introspection: false,
      queryDepthLimit: 8,
      wafEnabled: true,
      wafRateLimit: 2000,
      logRetentionDays: 365,
    }) as AppSyncApiArgs;

  it("accepts valid args", () => {
    assert.deepStrictEqual(validateAppSyncApiArgs(valid()), []);
  });

  it("reports every bad field at once, each by name", () => {
    const problems = validateAppSyncApiArgs({
      ...valid(),
      identity: { kind: "oidc", issuer: "http://login.example.com" },
      fieldLogLevel: "VERBOSE" as never,
      queryDepthLimit: 100,
      wafRateLimit: 5,
      logRetentionDays: 10,
      loyaltyInvokerRole: "arn:aws:iam::1:role/x" as never,
    });
    for (const field of [
      "identity.issuer",
      "fieldLogLevel",
      "queryDepthLimit",
      "wafRateLimit",
      "logRetentionDays",
      "loyaltyInvokerRole",
    ])
      assert.ok(
        problems.some((p) => p.startsWith(`${field}:`)),
        `${field} in ${problems.join("; ")}`,
      );
    assert.strictEqual(problems.length, 6);
  });

  it("refuses OIDC audiences and a hand-written client id together, and an empty audience list", () => {
    const identity = { kind: "oidc", issuer: "https://login.example.com" } as const;
    assert.deepStrictEqual(
      validateAppSyncApiArgs({
        ...valid(),
        identity: { ...identity, audiences: ["a"], clientId: "a" },
      }),
      ["identity.audiences: give audiences or clientId, not both"],
    );
    assert.deepStrictEqual(
      validateAppSyncApiArgs({ ...valid(), identity: { ...identity, audiences: [] } }),
      ["identity.audiences: expected at least one audience"],
    );
  });

  it("refuses a component name whose roles or resolver function would pass 64 characters", () => {
    assert.deepStrictEqual(validateAppSyncApiArgs(valid(), "graphql"), []);
    const name = "g".repeat(40);
    const problems = validateAppSyncApiArgs(valid(), name);
    assert.ok(
      problems.some((p) => p.includes(`'${name}-bookings-ds-role'`)),
      problems.join("; "),
    );
    assert.ok(
      problems.some((p) => p.includes(`'${name}-loyalty-function'`)),
      problems.join("; "),
    );
    assert.ok(
      problems.every((p) => p.startsWith("name: ")),
      problems.join("; "),
    );
  });
});

describe("bookings APPSYNC_JS resolver code", () => {
  for (const field of Object.keys(RESOLVED_FIELDS).filter(
    (f) => RESOLVED_FIELDS[f] === "bookings",
  )) {
    it(`${field}: is a valid ES module exporting request and response`, () => {
      const code = bookingsResolverCode(field, "customerId", "bookingId");
      const out = transformSync(code, { loader: "js", format: "esm" }).code;
      assert.match(out, /export \{[^}]*request[^}]*\}|export function request/);
      assert.match(out, /response/);
      assert.ok(!/\btry\b|\bthrow\b|\bclass\b|\basync\b|\bwhile\b/.test(code), "APPSYNC_JS subset");
    });
  }

  it("keys a user's reads and writes by the caller's sub, never by an argument", () => {
    for (const field of ["Query.myBookings", "Query.booking", "Mutation.createBooking"]) {
      const request = bookingsResolverCode(field, "customerId", "bookingId").split(
        "export function request",
      )[1];
      assert.match(request, /caller\(ctx\)/, field);
      assert.ok(!/ctx\.args\.customerId|input\.customerId/.test(request), field);
    }
  });
});

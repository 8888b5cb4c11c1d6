// AppSyncApi: providers, schema, data sources and their roles, resolvers and their APPSYNC_JS
// code, logging and WAF, wired from the stack config and the airline's app contract.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { transformSync } from "esbuild";
import { GRAPHQL_API } from "../app/airline/contract";
import {
  AppSyncApi,
  AppSyncApiArgs,
  audienceRegex,
  resolverCode,
  validateAppSyncApiArgs,
  withConstants,
} from "../components/appsync-api";
import { parsePlatformConfig, PlatformConfig } from "../config";
import { MOCK_ACCOUNT_ID } from "../tools/mock-engine";
import {
  one,
  ofType,
  policyDocument,
  ProgramRun,
  PROD_OIDC,
  RegisteredResource,
  runComponents,
  stackConfig,
} from "./helpers/harness";

const REGION = "eu-west-1";
/** A stand-in for the loyalty resolver function (index.ts makes the real one). */
const LOYALTY_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:loyalty-resolver`;

/**
 * The component wired from a stack's validated config and the airline's app contract the way
 * index.ts does, with stand-ins for the other tiers: a user pool, the loyalty resolver function
 * and the bookings table.
 */
function program(
  config: PlatformConfig,
  change: (args: AppSyncApiArgs) => AppSyncApiArgs = (a) => a,
) {
  return () => {
    const pool = new aws.cognito.UserPool("users", {});
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
      schemaFile: GRAPHQL_API.schemaFile,
      dataSources: {
        loyalty: { kind: "lambda", functionArn: LOYALTY_FUNCTION_ARN },
        bookings: {
          kind: "dynamodb",
          tableName: table.name,
          tableArn: table.arn,
          actions: GRAPHQL_API.bookingsTableActions,
        },
      },
      resolvers: GRAPHQL_API.resolvers,
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

const dev = () => parsePlatformConfig(stackConfig("dev"));
const prod = () => parsePlatformConfig(stackConfig("prod", PROD_OIDC));

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
      // Customer data: users only, never @aws_iam (the resolvers decide who is an admin).
      assert.match(schema, /loyalty\(customerId: ID!\): Loyalty @aws_cognito_user_pools\n/);
      assert.match(
        schema,
        /customerBookings\([^)]*\): BookingConnection! @aws_cognito_user_pools\n/,
      );
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

    it("gives each data source a role for this API only, allowed only what it calls", () => {
      const api = one(run, "aws:appsync/graphQLApi:GraphQLApi");
      const table = one(run, "aws:dynamodb/table:Table");
      const expect = {
        loyalty: [
          {
            Sid: "InvokeLoyalty",
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: LOYALTY_FUNCTION_ARN,
          },
        ],
        bookings: [
          {
            Sid: "UseBookings",
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
      const resolved = GRAPHQL_API.resolvers;
      assert.deepStrictEqual([...byField.keys()].sort(), Object.keys(resolved).sort());
      for (const [field, { dataSource }] of Object.entries(resolved)) {
        const r = byField.get(field)!;
        assert.strictEqual(r.inputs.dataSource, dataSource === "loyalty" ? "Loyalty" : "Bookings");
        if (dataSource === "loyalty")
          assert.strictEqual(r.inputs.code, undefined, `${field} is a direct Lambda resolver`);
        else
          assert.deepStrictEqual(r.inputs.runtime, { name: "APPSYNC_JS", runtimeVersion: "1.0.0" });
      }
    });

    it("tags every taggable child with the stack's tags", () => {
      for (const type of [
        "aws:appsync/graphQLApi:GraphQLApi",
        "aws:cloudwatch/logGroup:LogGroup",
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
      run = await runComponents(program(prod()), {
        stack: "prod",
        config: stackConfig("prod", PROD_OIDC),
      });
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

    it("uploads the schema with @aws_oidc, and no root field of customer data allows IAM", () => {
      const schema = String(graphqlApi(run).schema);
      assert.ok(!schema.includes("@aws_cognito_user_pools"));
      assert.match(schema, /myLoyalty: Loyalty @aws_oidc\n/);
      assert.match(schema, /customerBookings\([^)]*\): BookingConnection! @aws_oidc\n/);
      assert.ok(!/\): \w+!? @aws_\w+ @aws_iam|\): \w+!? @aws_iam/.test(schema), schema);
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
      program(dev(), (a) => ({
        ...a,
        dataSources: { ...a.dataSources, bookings: { kind: "lambda", functionArn } },
        resolvers: Object.fromEntries(
          Object.entries(a.resolvers).map(([f, r]) => [f, { dataSource: r.dataSource }]),
        ),
      })),
    );
    const ds = one(run, "aws:appsync/dataSource:DataSource", "graphql-bookings-ds");
    assert.strictEqual(ds.inputs.type, "AWS_LAMBDA");
    assert.deepStrictEqual(ds.inputs.lambdaConfig, { functionArn });
    const role = one(run, "aws:iam/role:Role", "graphql-bookings-ds-role");
    assert.deepStrictEqual(policyDocument(rolePolicies(run, role)[0].inputs.policy).Statement, [
      {
        Sid: "InvokeBookings",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: functionArn,
      },
    ]);
    const resolvers = ofType(run, "aws:appsync/resolver:Resolver");
    assert.strictEqual(resolvers.length, Object.keys(GRAPHQL_API.resolvers).length);
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
        .readFileSync(GRAPHQL_API.schemaFile, "utf8")
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
      stackConfig("prod", {
        ...PROD_OIDC,
        oidcAudiences: ["api://bookings", "https://api.example-airline.com"],
      }),
    );
    const run = await runComponents(program(config), {
      stack: "prod",
      config: stackConfig("prod", PROD_OIDC),
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
  const valid = (): AppSyncApiArgs => ({
    identity: { kind: "oidc", issuer: "https://login.example.com" },
    schemaFile: GRAPHQL_API.schemaFile,
    dataSources: {
      loyalty: { kind: "lambda", functionArn: LOYALTY_FUNCTION_ARN },
      bookings: {
        kind: "dynamodb",
        tableName: "t",
        tableArn: "arn:aws:dynamodb:eu-west-1:1:table/t",
        actions: ["dynamodb:GetItem"],
      },
    },
    resolvers: GRAPHQL_API.resolvers,
    fieldLogLevel: "ERROR",
    introspection: false,
    queryDepthLimit: 8,
    wafEnabled: true,
    wafRateLimit: 2000,
    logRetentionDays: 365,
  });

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
      resolvers: { ...GRAPHQL_API.resolvers, "Query.loyalty": { dataSource: "nowhere" } },
    });
    for (const field of [
      "identity.issuer",
      "fieldLogLevel",
      "queryDepthLimit",
      "wafRateLimit",
      "logRetentionDays",
      "resolvers['Query.loyalty'].dataSource",
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

  it("refuses a resolver without code on a table, a table data source with wildcard actions, and a missing code file", () => {
    const problems = validateAppSyncApiArgs({
      ...valid(),
      dataSources: {
        ...valid().dataSources,
        bookings: { kind: "dynamodb", tableName: "t", tableArn: "a", actions: ["dynamodb:*"] },
      },
      resolvers: {
        ...GRAPHQL_API.resolvers,
        "Query.booking": { dataSource: "bookings" },
        "Query.myBookings": { dataSource: "bookings", codeFile: "/nonexistent/x.js" },
      },
    });
    assert.deepStrictEqual(
      problems.map((p) => p.split(":")[0]),
      [
        "dataSources.bookings.actions",
        "resolvers['Query.myBookings'].codeFile",
        "resolvers['Query.booking'].codeFile",
      ],
    );
  });

  it("refuses a component name whose roles would pass 64 characters", () => {
    assert.deepStrictEqual(validateAppSyncApiArgs(valid(), "graphql"), []);
    const name = "g".repeat(40);
    const problems = validateAppSyncApiArgs(valid(), name);
    assert.ok(
      problems.some((p) => p.includes(`'${name}-bookings-ds-role'`)),
      problems.join("; "),
    );
    assert.ok(
      !problems.some((p) => p.includes(`'${name}-loyalty-ds-role'`)),
      "a shorter data source key still fits",
    );
    assert.ok(
      problems.every((p) => p.startsWith("name: ")),
      problems.join("; "),
    );
  });
});

describe("bookings APPSYNC_JS resolver code", () => {
  const tableResolvers = Object.entries(GRAPHQL_API.resolvers).filter(([, r]) => r.codeFile);

  it("covers every field resolved on the bookings table", () => {
    assert.deepStrictEqual(
      tableResolvers.map(([f]) => f).sort(),
      Object.entries(GRAPHQL_API.resolvers)
        .filter(([, r]) => r.dataSource === "bookings")
        .map(([f]) => f)
        .sort(),
    );
  });

  for (const [field, { codeFile }] of tableResolvers) {
    it(`${field}: bundles to one ES module exporting request and response, in the APPSYNC_JS subset`, () => {
      const code = resolverCode(codeFile!);
      const out = transformSync(code, { loader: "js", format: "esm" }).code;
      assert.match(out, /export \{[^}]*request[^}]*\}|export function request/);
      assert.match(out, /response/);
      assert.ok(!/\btry\b|\bthrow\b|\bclass\b|\basync\b|\bwhile\b/.test(code), "APPSYNC_JS subset");
      // Only AppSync's own module may be imported at run time: helpers are bundled in.
      const imports = [...code.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
      assert.deepStrictEqual([...new Set(imports)], ["@aws-appsync/utils"]);
    });
  }

  it("keys a user's reads and writes by the caller's sub, never by an argument", () => {
    for (const field of ["Query.myBookings", "Query.booking", "Mutation.createBooking"]) {
      const code = resolverCode(GRAPHQL_API.resolvers[field].codeFile!);
      const request = code.split("function request")[1].split("function response")[0];
      assert.match(request, /caller\(ctx\)/, field);
      assert.ok(!/ctx\.args\.customerId|input\.customerId/.test(request), field);
    }
  });

  it("reports a resolver file that does not build with its file, line and column", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "appsync-code-"));
    const file = path.join(dir, "broken.js");
    fs.writeFileSync(file, 'import { nothing } from "./missing";\nexport function request() {}\n');
    try {
      let error: Error | undefined;
      await runComponents(() => {
        try {
          program(dev(), (a) => ({
            ...a,
            resolvers: {
              ...a.resolvers,
              "Query.booking": { dataSource: "bookings", codeFile: file },
            },
          }))();
        } catch (e) {
          error = e as Error;
        }
      });
      assert.ok(error, "expected an error");
      assert.match(
        error.message,
        /resolvers\['Query\.booking'\]\.codeFile: broken\.js:1:\d+: Could not resolve "\.\/missing"/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("resolver constants (resolverConstants)", () => {
  const code = resolverCode(GRAPHQL_API.resolvers["Query.myBookings"].codeFile!);

  it("declares each constant after the bundle's imports, where the resolver code reads it", () => {
    const out = withConstants({ CALLER_RULE: { tokenUse: "access" }, LIMIT: 5 }, code);
    const lines = out.split("\n");
    const rule = lines.indexOf('const CALLER_RULE = {"tokenUse":"access"};');
    const imports = lines.map((l, i) => (l.startsWith("import ") ? i : -1));
    assert.ok(rule > Math.max(...imports), out.slice(0, 300));
    assert.strictEqual(lines[rule + 1], "const LIMIT = 5;");
    assert.ok(rule < lines.findIndex((l) => l.includes("CALLER_RULE") && !l.startsWith("const")));
    assert.strictEqual(withConstants({}, code), code);
  });

  it("refuses a key that is not a JavaScript identifier", () => {
    assert.throws(
      () => withConstants({ "not-a-name": 1 }, code),
      /resolverConstants: expected JavaScript identifiers, found not-a-name/,
    );
    // Checked with the other args, before any child exists (other fields' problems aside).
    const problems = validateAppSyncApiArgs({ resolverConstants: { "1x": true } } as never);
    assert.ok(
      problems.some((p) => p === "resolverConstants.1x: expected a JavaScript identifier"),
      problems.join("; "),
    );
  });
});

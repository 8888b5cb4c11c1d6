/**
 * Verdicts judged on reach, over whole stacks modelled on three kinds of real public programs
 * that control access correctly, each in a compliant and a violating form, run through the
 * harness (every policy, as the analyzer server calls it):
 * - a REST API imported from an OpenAPI body (YAML), EDGE, with a Lambda TOKEN or Cognito
 *   authorizer on every operation and a stage without `*\/*` throttling;
 * - an AppSync API with Cognito as default and AWS_IAM + API_KEY as additional providers, whose
 *   directives limit `@aws_api_key` to public read-only queries;
 * - a Cognito identity pool that allows guests, whose guest role may only put CloudWatch RUM
 *   events to one app monitor.
 * Compliant forms get no mandatory diagnostic; violating forms get exactly the mandatory one that
 * names the path; unknown values are silent. Also the access model's paths on its own.
 */
import * as assert from "assert";
import { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import { accessModel, describePath } from "../lib/access-model";
import { schemaAccess } from "../lib/appsync-schema";
import { TYPES } from "../lib/stack-refs";
import {
  PolicyConfig,
  PolicyRun,
  runResourcePolicy,
  runStackPolicy,
  stackResources,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

interface Verdict {
  policy: string;
  level: string;
  message: string;
  /** The resource reported on. */
  urn: string;
}

/** Every policy over the stack, as the server runs them; levels as configured. */
async function verdicts(
  resources: StackResourceInput[],
  config: Record<string, PolicyConfig> = {},
): Promise<Verdict[]> {
  const out: Verdict[] = [];
  const add = (p: Policy, run: PolicyRun, urn = "") => {
    assert.deepStrictEqual(run.previewErrors, [], p.name);
    const level = String(config[p.name]?.enforcementLevel ?? p.enforcementLevel ?? "advisory");
    for (const v of run.violations) {
      out.push({ policy: p.name, level, message: v.message, urn: v.urn ?? urn });
    }
  };
  for (const p of allPolicies as Policy[]) {
    const c = config[p.name] ?? {};
    if ("validateStack" in p && typeof p.validateStack === "function") {
      add(p, await runStackPolicy(p as StackValidationPolicy, resources, c));
    }
    if ((p as ResourceValidationPolicy).validateResource) {
      for (const r of resources) {
        add(p, await runResourcePolicy(p as ResourceValidationPolicy, r, c), urn(r));
      }
    }
  }
  return out;
}

const mandatory = (vs: Verdict[]) => vs.filter((v) => v.level === "mandatory");
const policiesOf = (vs: Verdict[]) => [...new Set(vs.map((v) => v.policy))].sort();

function res(
  type: string,
  name: string,
  props: Record<string, unknown>,
  propertyDependencies?: Record<string, string[]>,
): StackResourceInput {
  return { type, name, urn: urnOf(type, name), props, propertyDependencies };
}

/** The URN of a fixture resource (always set by `res`). */
const urn = (r: StackResourceInput): string => r.urn ?? urnOf(r.type, r.name ?? "");

const lambdaArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const invokeUri = (name: string) =>
  `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${lambdaArn(name)}/invocations`;
const tableArn = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;

/** A function, its role and a role policy on one table: the data behind an operation. */
function functionOnTable(name: string, table: string, actions: string[]): StackResourceInput[] {
  const role = res(TYPES_X.role, `${name}-role`, {
    arn: `arn:aws:iam::${ACCOUNT}:role/${name}-role`,
    name: `${name}-role`,
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
  return [
    role,
    res(
      TYPES_X.rolePolicy,
      `${name}-policy`,
      {
        role: `${name}-role`,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: actions.map((a) => `dynamodb:${a}`),
              Resource: tableArn(table),
            },
          ],
        }),
      },
      { role: [urn(role)] },
    ),
    res(
      TYPES.lambdaFunction,
      name,
      { arn: lambdaArn(name), name, role: `arn:aws:iam::${ACCOUNT}:role/${name}-role` },
      { role: [urn(role)] },
    ),
  ];
}

const TYPES_X = {
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  table: "aws:dynamodb/table:Table",
  resolver: "aws:appsync/resolver:Resolver",
  identityPool: "aws:cognito/identityPool:IdentityPool",
  rolesAttachment: "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
  restResource: "aws:apigateway/resource:Resource",
};

const table = (name: string) =>
  res(TYPES_X.table, name, { name, arn: tableArn(name), hashKey: "id" });

// ---------------------------------------------------------------------------------------------
// 1. REST API from an OpenAPI body, every operation behind a TOKEN or Cognito authorizer

function restBody(openOperation: boolean): string {
  const integration = (fn: string) =>
    `      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        uri: ${invokeUri(fn)}\n`;
  return [
    "openapi: 3.0.1",
    "info:",
    "  title: pets",
    "  version: '1.0'",
    "paths:",
    "  /pets:",
    "    get:",
    "      security:",
    "        - token: []",
    integration("pets").trimEnd(),
    "    post:",
    ...(openOperation ? [] : ["      security:", "        - cognito: []"]),
    integration("pets").trimEnd(),
    "    options:",
    "      x-amazon-apigateway-integration:",
    "        type: mock",
    "components:",
    "  securitySchemes:",
    "    token:",
    "      type: apiKey",
    "      name: Authorization",
    "      in: header",
    "      x-amazon-apigateway-authtype: custom",
    "      x-amazon-apigateway-authorizer:",
    "        type: token",
    `        authorizerUri: ${invokeUri("token-authorizer")}`,
    "        authorizerResultTtlInSeconds: 300",
    "    cognito:",
    "      type: apiKey",
    "      name: Authorization",
    "      in: header",
    "      x-amazon-apigateway-authtype: cognito_user_pools",
    "      x-amazon-apigateway-authorizer:",
    "        type: cognito_user_pools",
    `        providerARNs: ["arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${REGION}_abc"]`,
    "",
  ].join("\n");
}

function restProgram(openOperation: boolean): StackResourceInput[] {
  const api = res(TYPES.restApi, "pets-api", {
    id: "a1b2c3d4e5",
    name: "pets",
    body: restBody(openOperation),
    executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:a1b2c3d4e5`,
  });
  const stage = res(
    TYPES.restStage,
    "pets-stage",
    { restApi: "a1b2c3d4e5", stageName: "prod", deployment: "d1", xrayTracingEnabled: true },
    { restApi: [urn(api)] },
  );
  return [api, stage, ...functionOnTable("pets", "pets", ["GetItem", "PutItem"]), table("pets")];
}

describe("reach: a REST API from an OpenAPI body with an authorizer on every operation", function () {
  this.timeout(60_000);

  it("compliant (EDGE, no */* throttling): no mandatory diagnostic, the hardening stays advisory", async () => {
    const vs = await verdicts(restProgram(false));
    assert.deepStrictEqual(mandatory(vs), []);
    const advisories = policiesOf(vs);
    assert.ok(advisories.includes("sec1-e-rest-endpoint-type"), advisories.join(", "));
    assert.ok(advisories.includes("sec1-k-stage-throttling"), advisories.join(", "));
  });

  it("violating (one operation without security): mandatory, naming the open operation", async () => {
    const m = mandatory(await verdicts(restProgram(true)));
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-openapi-body-security"]);
    assert.match(
      m[0].message,
      /\(1 open: anyone on the internet → POST \/pets \(NONE\) → function pets → table pets \(GetItem, PutItem\)\)/,
    );
  });

  it("the model quotes the path from the open operation to the table", () => {
    const model = accessModel(stackResources(restProgram(true)));
    // OPTIONS is open in the model too (it is a fact); the policies exempt CORS preflight.
    const open = model
      .entries("openapi-operation")
      .filter((e) => e.auth === "NONE" && e.method !== "OPTIONS");
    assert.deepStrictEqual(
      open.map((e) => describePath(e.callers[0], e)),
      [
        "anyone on the internet → POST /pets (NONE) → function pets → table pets (GetItem, PutItem)",
      ],
    );
  });

  it("the hardening can still be configured mandatory", async () => {
    const vs = await verdicts(restProgram(false), {
      "sec1-e-rest-endpoint-type": { enforcementLevel: "mandatory" },
    });
    assert.deepStrictEqual(policiesOf(mandatory(vs)), ["sec1-e-rest-endpoint-type"]);
  });
});

describe("reach: a REST method without authorization names who reaches which data", function () {
  it("anyone on the internet → GET /orders (NONE) → function orders → table orders", async () => {
    const api = res(TYPES.restApi, "orders-api", {
      id: "o1",
      endpointConfiguration: { types: "REGIONAL" },
    });
    const orders = res(
      TYPES_X.restResource,
      "orders-res",
      { id: "r1", restApi: "o1", parentId: "root", pathPart: "orders" },
      { restApi: [urn(api)], parentId: [urn(api)] },
    );
    const method = res(
      TYPES.restMethod,
      "orders-get",
      { restApi: "o1", resourceId: "r1", httpMethod: "GET", authorization: "NONE" },
      { restApi: [urn(api)], resourceId: [urn(orders)] },
    );
    const integration = res(
      TYPES.restIntegration,
      "orders-get-integration",
      {
        restApi: "o1",
        resourceId: "r1",
        httpMethod: "GET",
        type: "AWS_PROXY",
        uri: invokeUri("orders"),
      },
      { restApi: [urn(api)], resourceId: [urn(method)], httpMethod: [urn(method)] },
    );
    const stack = [
      api,
      orders,
      method,
      integration,
      ...functionOnTable("orders", "orders", ["GetItem", "PutItem"]),
      table("orders"),
    ];
    const m = mandatory(await verdicts(stack));
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-rest-method-authorization"]);
    assert.match(
      m[0].message,
      /\(anyone on the internet → GET \/orders \(NONE\) → function orders → table orders \(GetItem, PutItem\)\); set authorization/,
    );
    // A function whose role is not known yet: the path stops there, the verdict stays.
    const unknownRole = stack.map((r) =>
      r.name === "orders"
        ? { ...r, props: { ...r.props, role: UNKNOWN }, propertyDependencies: {} }
        : r,
    );
    const again = mandatory(await verdicts(unknownRole));
    assert.match(again[0].message, /function orders → role \(not known yet\)\); set/);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. AppSync: Cognito default, AWS_IAM and API_KEY additional, directives per field

function schema(apiKeyOnMutation: boolean): string {
  return `
type Post @aws_api_key @aws_cognito_user_pools @aws_iam {
  id: ID!
  title: String
}
type Query {
  listPosts: [Post] @aws_api_key @aws_cognito_user_pools
  getPost(id: ID!): Post @aws_api_key @aws_cognito_user_pools
  myDrafts: [Post]
}
type Mutation {
  createPost(title: String!): Post @aws_cognito_user_pools @aws_iam${apiKeyOnMutation ? " @aws_api_key" : ""}
}
`;
}

function appsyncProgram(apiKeyOnMutation: boolean): StackResourceInput[] {
  const api = res(TYPES.graphQLApi, "blog-api", {
    id: "g1",
    arn: `arn:aws:appsync:${REGION}:${ACCOUNT}:apis/g1`,
    name: "blog",
    authenticationType: "AMAZON_COGNITO_USER_POOLS",
    userPoolConfig: { userPoolId: `${REGION}_abc`, awsRegion: REGION, defaultAction: "ALLOW" },
    additionalAuthenticationProviders: [
      { authenticationType: "AWS_IAM" },
      { authenticationType: "API_KEY" },
    ],
    schema: schema(apiKeyOnMutation),
    logConfig: {
      cloudwatchLogsRoleArn: "arn:aws:iam::123456789012:role/logs",
      fieldLogLevel: "ERROR",
      excludeVerboseContent: true,
    },
    xrayEnabled: true,
  });
  const dsRole = res(TYPES_X.role, "posts-ds-role", {
    arn: `arn:aws:iam::${ACCOUNT}:role/posts-ds-role`,
    name: "posts-ds-role",
    assumeRolePolicy: "{}",
  });
  const dsPolicy = res(
    TYPES_X.rolePolicy,
    "posts-ds-policy",
    {
      role: "posts-ds-role",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
            Resource: tableArn("posts"),
          },
        ],
      }),
    },
    { role: [urn(dsRole)] },
  );
  const ds = res(
    TYPES.appsyncDataSource,
    "posts-ds",
    {
      apiId: "g1",
      name: "Posts",
      type: "AMAZON_DYNAMODB",
      dynamodbConfig: { tableName: "posts" },
      serviceRoleArn: `arn:aws:iam::${ACCOUNT}:role/posts-ds-role`,
    },
    { apiId: [urn(api)], serviceRoleArn: [urn(dsRole)] },
  );
  const resolvers = [
    "Query.listPosts",
    "Query.getPost",
    "Query.myDrafts",
    "Mutation.createPost",
  ].map((f) => {
    const [type, field] = f.split(".");
    return res(
      TYPES_X.resolver,
      `resolver-${field}`,
      { apiId: "g1", type, field, dataSource: "Posts" },
      { apiId: [urn(api)], dataSource: [urn(ds)] },
    );
  });
  const key = res("aws:appsync/apiKey:ApiKey", "blog-key", { apiId: "g1" }, { apiId: [urn(api)] });
  return [api, dsRole, dsPolicy, ds, ...resolvers, key, table("posts")];
}

const PUBLIC = { publicFields: ["Query.listPosts", "Query.getPost"] };
const PUBLIC_CONFIG = {
  "sec1-a-appsync-api-key-reach": PUBLIC,
  "sec1-a-appsync-api-key-public": PUBLIC,
};

describe("reach: AppSync with API_KEY as an additional provider, limited by directives", function () {
  it("compliant (API key on declared public reads only): no mandatory, one advisory saying why", async () => {
    const vs = await verdicts(appsyncProgram(false), PUBLIC_CONFIG);
    assert.deepStrictEqual(mandatory(vs), []);
    const advisory = vs.filter((v) => v.policy === "sec1-a-appsync-api-key-public");
    assert.strictEqual(advisory.length, 1);
    assert.match(
      advisory[0].message,
      /Query\.listPosts, Query\.getPost \(advisory, not mandatory: API-key holders reach no mutation/,
    );
  });

  it("violating (API key on a mutation): mandatory, with the path to the table", async () => {
    const m = mandatory(await verdicts(appsyncProgram(true), PUBLIC_CONFIG));
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-appsync-api-key-reach"]);
    assert.match(
      m[0].message,
      /reach Mutation\.createPost \(API-key holders → Mutation\.createPost \(@aws_cognito_user_pools @aws_iam @aws_api_key\) → data source Posts → table posts \(GetItem, PutItem, Scan\)\)/,
    );
  });

  it("undeclared public reads are mandatory too; the default provider alone never lets a key in", async () => {
    const m = mandatory(await verdicts(appsyncProgram(false)));
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-appsync-api-key-reach"]);
    assert.match(m[0].message, /reach Query\.listPosts, Query\.getPost \(/);
    assert.doesNotMatch(m[0].message, /myDrafts/);
  });

  it("stays silent while the schema is unknown", async () => {
    const stack = appsyncProgram(true).map((r) =>
      r.type === TYPES.graphQLApi ? { ...r, props: { ...r.props, schema: UNKNOWN } } : r,
    );
    assert.deepStrictEqual(mandatory(await verdicts(stack, PUBLIC_CONFIG)), []);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Identity pool with guests, guest role limited to CloudWatch RUM

/** The pool role's inline policy with these statements. */
function guestPolicy(role: StackResourceInput, statements: object[]): StackResourceInput {
  return res(
    TYPES_X.rolePolicy,
    "rum-guest-policy",
    { role: "rum-guest", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
    { role: [urn(role)] },
  );
}

function rumProgram(
  extra?: object,
  guestRoleArn: unknown = `arn:aws:iam::${ACCOUNT}:role/rum-guest`,
): StackResourceInput[] {
  const pool = res(TYPES_X.identityPool, "rum-identities", {
    id: `${REGION}:0000-1111`,
    identityPoolName: "rum",
    allowUnauthenticatedIdentities: true,
  });
  const role = res(TYPES_X.role, "rum-guest", {
    arn: `arn:aws:iam::${ACCOUNT}:role/rum-guest`,
    name: "rum-guest",
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: "cognito-identity.amazonaws.com" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { "cognito-identity.amazonaws.com:aud": `${REGION}:0000-1111` },
            "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "unauthenticated" },
          },
        },
      ],
    }),
  });
  const policy = guestPolicy(role, [
    {
      Effect: "Allow",
      Action: "rum:PutRumEvents",
      Resource: `arn:aws:rum:${REGION}:${ACCOUNT}:appmonitor/web`,
    },
    ...(extra ? [extra] : []),
  ]);
  const attachment = res(
    TYPES_X.rolesAttachment,
    "rum-roles",
    { identityPoolId: `${REGION}:0000-1111`, roles: { unauthenticated: guestRoleArn } },
    { identityPoolId: [urn(pool)], roles: [urn(role)] },
  );
  return [pool, role, policy, attachment, table("orders")];
}

describe("reach: a Cognito identity pool whose guests may only send RUM events", function () {
  it("compliant (rum:PutRumEvents only): no mandatory, one advisory saying why", async () => {
    const vs = await verdicts(rumProgram());
    assert.deepStrictEqual(mandatory(vs), []);
    const advisory = vs.filter((v) => v.policy === "sec1-a-identity-pool-guest-scope");
    assert.strictEqual(advisory.length, 1);
    assert.match(
      advisory[0].message,
      /limited to rum:PutRumEvents \(advisory, not mandatory: guests reach no API/,
    );
  });

  it("violating (guests may also read a table): mandatory, naming the role and the grant", async () => {
    const m = mandatory(
      await verdicts(
        rumProgram({ Effect: "Allow", Action: "dynamodb:GetItem", Resource: tableArn("orders") }),
      ),
    );
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-cognito-identity-pool-unauthenticated"]);
    assert.match(
      m[0].message,
      /\(guests of identity pool rum-identities → role rum-guest → dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table\/orders\)/,
    );
  });

  it("violating (guests may invoke any function): mandatory", async () => {
    const m = mandatory(
      await verdicts(
        rumProgram({ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" }),
      ),
    );
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-cognito-identity-pool-unauthenticated"]);
  });

  it("stays silent while the guest role is unknown, and honours allowedPools", async () => {
    const grant = { Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" };
    const unknown = rumProgram(grant, UNKNOWN).map((r) =>
      r.type === TYPES_X.rolesAttachment
        ? { ...r, propertyDependencies: { identityPoolId: r.propertyDependencies!.identityPoolId } }
        : r,
    );
    assert.deepStrictEqual(
      (await verdicts(unknown)).filter((v) => v.policy.includes("identity-pool")),
      [],
    );
    const allowed = await verdicts(rumProgram(grant), {
      "sec1-a-cognito-identity-pool-unauthenticated": { allowedPools: ["rum-*"] },
    });
    assert.deepStrictEqual(mandatory(allowed), []);
  });
});

// 3b. Identity pool for signed-in users, whose role reaches their own S3 folder only

const OWN = "${cognito-identity.amazonaws.com:sub}";

function travellerProgram(resources: string[], who: "authenticated" | "unauthenticated") {
  const [pool, role, , attachment] = rumProgram(
    undefined,
    `arn:aws:iam::${ACCOUNT}:role/rum-guest`,
  );
  const policy = guestPolicy(role, [
    { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: resources },
  ]);
  const roles = { [who]: `arn:aws:iam::${ACCOUNT}:role/rum-guest` };
  return [pool, role, policy, { ...attachment, props: { ...attachment.props, roles } }];
}

describe("reach: a Cognito identity pool whose signed-in identities reach their own S3 folder", () => {
  it("compliant (objects under the identity id only): no mandatory", async () => {
    const own = [`arn:aws:s3:::docs/documents/${OWN}/*`, `arn:aws:s3:::docs/${OWN}/*`];
    assert.deepStrictEqual(mandatory(await verdicts(travellerProgram(own, "authenticated"))), []);
  });

  it("violating (a shared prefix, a wildcard before the id, or the id not a whole segment): mandatory", async () => {
    for (const arn of [
      "arn:aws:s3:::docs/documents/*",
      `arn:aws:s3:::docs/*/${OWN}/*`,
      `arn:aws:s3:::docs/documents/x${OWN}/*`,
      `arn:aws:s3:::*/documents/${OWN}/*`,
    ]) {
      const m = mandatory(
        await verdicts(
          travellerProgram([`arn:aws:s3:::docs/documents/${OWN}/*`, arn], "authenticated"),
        ),
      );
      assert.deepStrictEqual(policiesOf(m), ["sec1-a-cognito-identity-pool-unauthenticated"], arn);
      assert.match(m[0].message, /every signed-in identity of identity pool rum-identities/);
    }
  });

  it("violating (guests with their own folders: anyone may store data): mandatory", async () => {
    const m = mandatory(
      await verdicts(travellerProgram([`arn:aws:s3:::docs/documents/${OWN}/*`], "unauthenticated")),
    );
    assert.deepStrictEqual(policiesOf(m), ["sec1-a-cognito-identity-pool-unauthenticated"]);
  });
});

describe("reach: a function behind a route whose role may invoke that route", () => {
  it("is drawn once, without looping: route → function → route (AWS_IAM) → function", () => {
    const api = res(TYPES.restApi, "loop-api", {
      id: "l1",
      executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:l1`,
    });
    const method = res(
      TYPES.restMethod,
      "loop-get",
      { restApi: "l1", resourceId: "root", httpMethod: "GET", authorization: "AWS_IAM" },
      { restApi: [urn(api)], resourceId: [urn(api)] },
    );
    const integration = res(
      TYPES.restIntegration,
      "loop-integration",
      { restApi: "l1", resourceId: "root", httpMethod: "GET", uri: invokeUri("looper") },
      { restApi: [urn(api)], resourceId: [urn(method)] },
    );
    const fn = functionOnTable("looper", "t", ["GetItem"]);
    const grant = res(
      TYPES_X.rolePolicy,
      "looper-invoke",
      {
        role: "looper-role",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: "*" }],
        }),
      },
      { role: [urn(fn[0])] },
    );
    const model = accessModel(stackResources([api, method, integration, ...fn, grant, table("t")]));
    const [entry] = model.entries("rest-method");
    assert.strictEqual(
      describePath(entry.callers[0], entry),
      "IAM principals allowed execute-api:Invoke → GET / (AWS_IAM) → function looper → table t (GetItem) and GET / (AWS_IAM) → function looper",
    );
  });
});

describe("AppSync schema access (lib/appsync-schema.ts)", () => {
  const configured = new Set(["AMAZON_COGNITO_USER_POOLS", "API_KEY", "AWS_IAM"]);
  const who = (sdl: string) => {
    const access = schemaAccess(sdl, "AMAZON_COGNITO_USER_POOLS", configured);
    assert.strictEqual(access.kind, "known");
    return Object.fromEntries(
      access.fields.map((f) => [`${f.type}.${f.field}`, f.providers.map((p) => p.type).join(" ")]),
    );
  };

  it("a field's directives replace its type's; a bare field on a bare type gets the default only", () => {
    assert.deepStrictEqual(
      who(`type Query @aws_api_key { a: Int  b: Int @aws_iam }
           type Mutation { c: Int }`),
      { "Query.a": "API_KEY", "Query.b": "AWS_IAM", "Mutation.c": "AMAZON_COGNITO_USER_POOLS" },
    );
  });

  it("a directive for a provider the API does not configure authorizes nothing", () => {
    assert.deepStrictEqual(who("type Query { a: Int @aws_oidc }"), { "Query.a": "" });
  });

  it("follows a schema block's own root type names and Cognito groups", () => {
    const access = schemaAccess(
      `schema { query: Q mutation: M }
       type Q { a: Int @aws_cognito_user_pools(cognito_groups: ["admin", "ops"]) }
       type M { b: Int @aws_api_key }`,
      "AWS_IAM",
      configured,
    );
    assert.ok(access.kind === "known");
    assert.deepStrictEqual(
      access.fields.map((f) => [f.operation, f.field, f.providers[0].groups]),
      [
        ["Query", "a", ["admin", "ops"]],
        ["Mutation", "b", undefined],
      ],
    );
  });

  it("is unknown for an unknown or unparsable schema, never a guess", () => {
    assert.deepStrictEqual(schemaAccess(UNKNOWN, "API_KEY", configured), { kind: "unknown" });
    assert.deepStrictEqual(schemaAccess("type Query {", "API_KEY", configured), {
      kind: "unknown",
    });
  });
});

describe("reach: a value not known yet never adds a verdict", function () {
  this.timeout(120_000);
  const fixtures: [string, StackResourceInput[], Record<string, PolicyConfig>][] = [
    ["REST API from a YAML body", restProgram(false), {}],
    ["AppSync with a public API key", appsyncProgram(false), PUBLIC_CONFIG],
    ["RUM identity pool", rumProgram(), {}],
  ];
  for (const [what, stack, config] of fixtures) {
    it(`${what}: any one input property unknown`, async () => {
      // The same verdict may quote a shorter path when an edge is unknown: compare verdicts.
      const key = (v: Verdict) => `${v.policy} ${v.level} ${v.urn}`;
      const known = new Set((await verdicts(stack, config)).map(key));
      const guessed: string[] = [];
      for (let i = 0; i < stack.length; i++) {
        for (const prop of Object.keys(stack[i].props)) {
          const variant = stack.slice();
          variant[i] = { ...stack[i], props: { ...stack[i].props, [prop]: UNKNOWN } };
          for (const v of await verdicts(variant, config)) {
            if (!known.has(key(v))) guessed.push(`${stack[i].name}.${prop}: ${key(v)}`);
          }
        }
      }
      assert.deepStrictEqual(guessed, []);
    });
  }
});

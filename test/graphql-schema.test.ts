// The GraphQL schema loader: validity, field-level auth, the OIDC rewrite.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildSchema } from "graphql";
import {
  APPSYNC_DEFINITIONS,
  GraphQLSchemaError,
  loadSchemaFile,
  prepareSchema,
  UserAuth,
} from "../components/graphql-schema";
import { GRAPHQL_API } from "../app/airline/contract";

/** A small valid schema; each case changes one thing. */
const VALID = `type Query {
  me: Profile @aws_cognito_user_pools
  profiles: [Profile] @aws_cognito_user_pools(cognito_groups: ["admin"]) @aws_iam
}

type Mutation {
  rename(name: String!): Profile @aws_cognito_user_pools
}

type Profile @aws_cognito_user_pools @aws_iam {
  id: ID!
  name: String
  updatedAt: AWSDateTime
}
`;

function problemsOf(text: string, userAuth: UserAuth = "cognito") {
  try {
    prepareSchema(text, { sourceName: "test.graphql", userAuth });
  } catch (err) {
    assert.ok(err instanceof GraphQLSchemaError, String(err));
    return err;
  }
  throw new Error("expected the schema to be refused");
}

describe("graphql-schema", () => {
  it("accepts the shipped schema for a Cognito user pool and for an OIDC issuer", () => {
    for (const userAuth of ["cognito", "oidc"] as const) {
      const prepared = loadSchemaFile(GRAPHQL_API.schemaFile, userAuth);
      assert.ok(prepared.rootFields.includes("Query.myLoyalty"));
      assert.ok(prepared.rootFields.includes("Mutation.createBooking"));
      // What AppSync receives is valid GraphQL once AppSync's own definitions are added.
      buildSchema(APPSYNC_DEFINITIONS + prepared.sdl);
    }
  });

  it("accepts a valid schema and uploads it without AppSync's built-in definitions", () => {
    const { sdl, rootFields } = prepareSchema(VALID, {
      sourceName: "test.graphql",
      userAuth: "cognito",
    });
    assert.deepStrictEqual(rootFields, ["Query.me", "Query.profiles", "Mutation.rename"]);
    assert.ok(!/scalar AWSDateTime|directive @aws_iam/.test(sdl));
    assert.match(sdl, /me: Profile @aws_cognito_user_pools/);
  });

  it("reports a syntax error with line and column", () => {
    const err = problemsOf(VALID.replace("rename(name: String!)", "rename(name: String!"));
    assert.strictEqual(err.problems.length, 1);
    assert.deepStrictEqual(
      { line: err.problems[0].line, column: err.problems[0].column },
      { line: 7, column: 23 },
    );
    assert.match(
      err.message,
      /^Invalid GraphQL schema test\.graphql \(1 problem\):\n {2}- test\.graphql:7:23: Syntax Error/,
    );
  });

  it("reports an unknown type with its line and column in the file (not shifted by AppSync's definitions)", () => {
    const err = problemsOf(VALID.replace("me: Profile", "me: Profle"));
    assert.match(err.message, /test\.graphql:2:7: Unknown type "Profle"/);
  });

  it("reports every problem at once", () => {
    const err = problemsOf(
      VALID.replace("me: Profile", "me: Profle").replace("name: String\n", "name: Strin\n"),
    );
    assert.strictEqual(err.problems.length, 2);
  });

  it("refuses @aws_api_key: API keys are never an identity", () => {
    const err = problemsOf(
      VALID.replace("me: Profile @aws_cognito_user_pools", "me: Profile @aws_api_key"),
    );
    assert.match(err.message, /test\.graphql:2:15: @aws_api_key is not allowed/);
  });

  it("refuses a directive for a provider the API does not have", () => {
    const err = problemsOf(
      VALID.replace("me: Profile @aws_cognito_user_pools", "me: Profile @aws_oidc"),
    );
    assert.match(err.message, /@aws_oidc needs the OPENID_CONNECT provider/);
  });

  it("refuses a root field that says nothing about who may call it", () => {
    const err = problemsOf(VALID.replace("me: Profile @aws_cognito_user_pools", "me: Profile"));
    assert.match(err.message, /test\.graphql:2:3: Query\.me says nothing about who may call it/);
  });

  it("refuses an object type that says nothing about who may read it", () => {
    const err = problemsOf(
      VALID.replace("type Profile @aws_cognito_user_pools @aws_iam {", "type Profile {"),
    );
    assert.match(err.message, /type Profile says nothing about who may read it/);
  });

  it("refuses a field whose provider may not read the type it returns", () => {
    const err = problemsOf(
      VALID.replace(
        "type Profile @aws_cognito_user_pools @aws_iam {",
        "type Profile @aws_cognito_user_pools {",
      ),
    );
    assert.match(err.message, /Query\.profiles allows AWS_IAM but its type Profile does not/);
  });

  it("rewrites the user directive to @aws_oidc for an OIDC provider", () => {
    const { sdl } = prepareSchema(VALID, { sourceName: "test.graphql", userAuth: "oidc" });
    assert.ok(!sdl.includes("aws_cognito_user_pools"));
    assert.match(sdl, /me: Profile @aws_oidc\n/);
    assert.match(sdl, /type Profile @aws_oidc @aws_iam/);
  });

  it("does not open a group-restricted field to every OIDC user: it keeps only its other providers", () => {
    const { sdl } = prepareSchema(VALID, { sourceName: "test.graphql", userAuth: "oidc" });
    assert.match(sdl, /profiles: \[Profile\] @aws_iam\n/);
  });

  it("refuses, under OIDC, a group-restricted field with no other provider", () => {
    const err = problemsOf(
      VALID.replace(
        '@aws_cognito_user_pools(cognito_groups: ["admin"]) @aws_iam',
        '@aws_cognito_user_pools(cognito_groups: ["admin"])',
      ),
      "oidc",
    );
    assert.match(err.message, /test\.graphql:3:3: Query\.profiles is restricted to Cognito groups/);
  });

  it("names the file in errors from loadSchemaFile", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-"));
    const file = path.join(dir, "broken.graphql");
    fs.writeFileSync(file, "type Query {");
    try {
      assert.throws(() => loadSchemaFile(file, "cognito"), /broken\.graphql:1:13: Syntax Error/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Loads the AppSync schema from its `.graphql` file and checks it when the program runs, so a bad
 * schema fails the preview with file, line and column instead of failing `pulumi up` in AppSync.
 *
 * Besides GraphQL validity it enforces what SEC1 asks of the schema: every root field and every
 * object type says who may read it, only the API's own providers appear, never `@aws_api_key`,
 * and a field's providers may also read the type it returns (else AppSync answers "Not
 * Authorized" at run time).
 */
import * as fs from "fs";
import * as path from "path";
import {
  ASTNode,
  buildASTSchema,
  concatAST,
  ConstDirectiveNode,
  DocumentNode,
  FieldDefinitionNode,
  getNamedType,
  GraphQLError,
  GraphQLObjectType,
  GraphQLSchema,
  isObjectType,
  Kind,
  ObjectTypeDefinitionNode,
  parse,
  print,
  Source,
  validateSchema,
  visit,
} from "graphql";
import { validateSDL } from "graphql/validation/validate";

/**
 * AppSync's built-in scalars and directives. AppSync defines them itself (the uploaded schema
 * must not), so they are prepended only for validation.
 */
export const APPSYNC_DEFINITIONS = `
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @aws_iam on OBJECT | FIELD_DEFINITION
directive @aws_oidc on OBJECT | FIELD_DEFINITION
directive @aws_lambda on OBJECT | FIELD_DEFINITION
directive @aws_api_key on OBJECT | FIELD_DEFINITION
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
`;

/** Which provider end users authenticate with: decides the user directive of the schema. */
export type UserAuth = "cognito" | "oidc";

/** One problem of a schema, with its place in the file when it has one. */
export interface SchemaProblem {
  line?: number;
  column?: number;
  message: string;
}

/** Raised for a schema that would not work in AppSync; the message lists every problem. */
export class GraphQLSchemaError extends Error {
  constructor(
    public readonly sourceName: string,
    public readonly problems: SchemaProblem[],
  ) {
    super(
      `Invalid GraphQL schema ${sourceName} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems
          .map(
            (p) =>
              `  - ${sourceName}${p.line !== undefined ? `:${p.line}:${p.column}` : ""}: ${p.message}`,
          )
          .join("\n"),
    );
    this.name = "GraphQLSchemaError";
  }
}

/** The schema as AppSync receives it, and the root fields that need resolvers. */
export interface PreparedSchema {
  /** SDL for `GraphQLApi.schema`: the file with the user directive chosen for the provider. */
  sdl: string;
  /** Root fields as "Type.field" (Query, Mutation, Subscription). */
  rootFields: string[];
}

const AUTH_DIRECTIVES: Record<string, string> = {
  aws_cognito_user_pools: "AMAZON_COGNITO_USER_POOLS",
  aws_auth: "AMAZON_COGNITO_USER_POOLS",
  aws_oidc: "OPENID_CONNECT",
  aws_iam: "AWS_IAM",
  aws_lambda: "AWS_LAMBDA",
  aws_api_key: "API_KEY",
};

/** The providers an API with this user auth has: the default one and AWS_IAM. */
export function providersFor(userAuth: UserAuth): string[] {
  return [userAuth === "cognito" ? "AMAZON_COGNITO_USER_POOLS" : "OPENID_CONNECT", "AWS_IAM"];
}

function problemAt(message: string, node?: ASTNode): SchemaProblem {
  const located = new GraphQLError(message, { nodes: node ? [node] : undefined });
  const loc = located.locations?.[0];
  return loc ? { line: loc.line, column: loc.column, message } : { message };
}

function fromGraphQLError(err: GraphQLError): SchemaProblem {
  const loc = err.locations?.[0];
  return loc
    ? { line: loc.line, column: loc.column, message: err.message }
    : { message: err.message };
}

function groupsOf(directive: ConstDirectiveNode): string[] {
  const arg = directive.arguments?.find((a) => a.name.value === "cognito_groups");
  if (!arg) return [];
  const value = arg.value;
  if (value.kind === Kind.LIST)
    return value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []));
  return value.kind === Kind.STRING ? [value.value] : [];
}

/**
 * With an OIDC provider, `@aws_cognito_user_pools` becomes `@aws_oidc`. A group-restricted one
 * is dropped instead (fail closed): OIDC has no groups, and turning it into `@aws_oidc` would
 * open the field to every signed-in user.
 */
function adaptForOidc(doc: DocumentNode): { doc: DocumentNode; dropped: Set<ASTNode> } {
  const dropped = new Set<ASTNode>();
  const adapted = visit(doc, {
    Directive(node) {
      if (node.name.value !== "aws_cognito_user_pools" && node.name.value !== "aws_auth")
        return undefined;
      if (groupsOf(node as ConstDirectiveNode).length > 0) {
        dropped.add(node);
        return null;
      }
      return { ...node, name: { ...node.name, value: "aws_oidc" }, arguments: [] };
    },
  });
  return { doc: adapted, dropped };
}

function authDirectives(node: { directives?: readonly ConstDirectiveNode[] }) {
  return (node.directives ?? []).filter((d) => d.name.value in AUTH_DIRECTIVES);
}

/**
 * Parses and validates a schema and returns what AppSync receives. Throws
 * {@link GraphQLSchemaError} listing every problem with its line and column.
 */
export function prepareSchema(
  text: string,
  options: { sourceName: string; userAuth: UserAuth },
): PreparedSchema {
  const { sourceName, userAuth } = options;
  const fail = (problems: SchemaProblem[]) => {
    throw new GraphQLSchemaError(sourceName, problems);
  };
  const { original, doc, dropped, schema } = buildSchema(text, sourceName, userAuth, fail);
  const ctx = authContext(schema, original, doc, dropped, userAuth);
  const rootFields: string[] = [];
  for (const t of objectTypes(doc)) checkType(ctx, t, rootFields);
  if (ctx.problems.length > 0) fail(ctx.problems);
  return { sdl: print(doc), rootFields };
}

/** What the auth checks of one schema share: the providers, the roots and each type's modes. */
interface AuthContext {
  schema: GraphQLSchema;
  allowed: Set<string>;
  defaultMode: string;
  userDirective: string;
  roots: Set<string>;
  typeModes: Map<string, Set<string>>;
  originalFields: Map<string, { directives?: readonly ConstDirectiveNode[] }>;
  dropped: Set<ASTNode>;
  problems: SchemaProblem[];
}

/** Parses, checks the SDL, adapts it to the user provider and builds the schema: GraphQL validity. */
function buildSchema(
  text: string,
  sourceName: string,
  userAuth: UserAuth,
  fail: (problems: SchemaProblem[]) => never,
): { original: DocumentNode; doc: DocumentNode; dropped: Set<ASTNode>; schema: GraphQLSchema } {
  let original: DocumentNode;
  try {
    original = parse(new Source(text, sourceName));
  } catch (err) {
    if (err instanceof GraphQLError) return fail([fromGraphQLError(err)]);
    throw err;
  }
  const definitions = parse(new Source(APPSYNC_DEFINITIONS, "appsync-definitions.graphql"));

  const sdlErrors = validateSDL(concatAST([definitions, original]));
  if (sdlErrors.length > 0) return fail(sdlErrors.map(fromGraphQLError));

  // Adapted nodes keep their original locations, so problems point into the file.
  const { doc, dropped } =
    userAuth === "oidc" ? adaptForOidc(original) : { doc: original, dropped: new Set<ASTNode>() };
  const schema = buildASTSchema(concatAST([definitions, doc]), { assumeValidSDL: true });
  const schemaErrors = validateSchema(schema);
  if (schemaErrors.length > 0) return fail(schemaErrors.map(fromGraphQLError));
  return { original, doc, dropped, schema };
}

/** The object type definitions of a document, in file order. */
function objectTypes(doc: DocumentNode): ObjectTypeDefinitionNode[] {
  return doc.definitions.filter(
    (d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION,
  );
}

/** Collects what every type and field check needs once, before any of them runs. */
function authContext(
  schema: GraphQLSchema,
  original: DocumentNode,
  doc: DocumentNode,
  dropped: Set<ASTNode>,
  userAuth: UserAuth,
): AuthContext {
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .filter((t): t is GraphQLObjectType => !!t)
      .map((t) => t.name),
  );
  const typeModes = new Map<string, Set<string>>();
  for (const t of objectTypes(doc)) {
    typeModes.set(
      t.name.value,
      new Set(authDirectives(t).map((d) => AUTH_DIRECTIVES[d.name.value])),
    );
  }
  const originalFields = new Map<string, { directives?: readonly ConstDirectiveNode[] }>();
  for (const d of original.definitions) {
    if (d.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const f of d.fields ?? []) originalFields.set(`${d.name.value}.${f.name.value}`, f);
  }
  return {
    schema,
    allowed: new Set(providersFor(userAuth)),
    defaultMode: providersFor(userAuth)[0],
    userDirective: userAuth === "cognito" ? "@aws_cognito_user_pools" : "@aws_oidc",
    roots,
    typeModes,
    originalFields,
    dropped,
    problems: [],
  };
}

/** Flags each directive whose provider the API does not have. */
function checkProviders(ctx: AuthContext, directives: ConstDirectiveNode[]): void {
  for (const directive of directives) {
    const mode = AUTH_DIRECTIVES[directive.name.value];
    if (!ctx.allowed.has(mode))
      ctx.problems.push(problemAt(wrongProvider(directive, mode, ctx.allowed), directive));
  }
}

/** One object type's checks: its directives, each field, and whether anyone may read it. */
function checkType(ctx: AuthContext, t: ObjectTypeDefinitionNode, rootFields: string[]): void {
  const typeName = t.name.value;
  const isRoot = ctx.roots.has(typeName);
  const ownModes = ctx.typeModes.get(typeName) ?? new Set<string>();
  checkProviders(ctx, authDirectives(t));
  const unguarded: string[] = [];
  for (const field of t.fields ?? []) {
    const key = `${typeName}.${field.name.value}`;
    if (isRoot) rootFields.push(key);
    const directives = authDirectives(field);
    checkProviders(ctx, directives);
    if (directives.length === 0 && ownModes.size === 0) {
      const unsaid = unguardedFieldProblem(ctx, key, field, isRoot);
      if (unsaid) ctx.problems.push(unsaid);
      else unguarded.push(field.name.value);
    }
    checkReturnedType(ctx, typeName, key, field, directives, ownModes);
  }
  if (!isRoot && ownModes.size === 0 && unguarded.length > 0)
    ctx.problems.push(
      problemAt(
        `type ${typeName} says nothing about who may read it (fields: ${unguarded.join(", ")}); add ${ctx.userDirective} and/or @aws_iam to the type or to each field`,
        t,
      ),
    );
}

/**
 * A field with no provider on it or its type: a problem when it lost its Cognito groups or is a
 * root field; undefined when the type-level check should name it instead.
 */
function unguardedFieldProblem(
  ctx: AuthContext,
  key: string,
  field: FieldDefinitionNode,
  isRoot: boolean,
): SchemaProblem | undefined {
  const lostGroups = (ctx.originalFields.get(key)?.directives ?? []).some((d) =>
    ctx.dropped.has(d),
  );
  if (lostGroups)
    return problemAt(
      `${key} is restricted to Cognito groups, which an OIDC provider cannot express; add @aws_iam or another provider for it, or remove the field`,
      field,
    );
  if (isRoot)
    return problemAt(
      `${key} says nothing about who may call it; add ${ctx.userDirective} and/or @aws_iam`,
      field,
    );
  return undefined;
}

/** The providers of a field must also be allowed on the type it returns. */
function checkReturnedType(
  ctx: AuthContext,
  typeName: string,
  key: string,
  field: FieldDefinitionNode,
  directives: ConstDirectiveNode[],
  ownModes: Set<string>,
): void {
  const modes =
    directives.length > 0
      ? new Set(directives.map((d) => AUTH_DIRECTIVES[d.name.value]))
      : ownModes.size > 0
        ? ownModes
        : new Set([ctx.defaultMode]);
  const built = ctx.schema.getType(typeName) as GraphQLObjectType;
  const returned = getNamedType(built.getFields()[field.name.value].type);
  const returnedModes = isObjectType(returned) ? ctx.typeModes.get(returned.name) : undefined;
  if (returnedModes && returnedModes.size > 0) {
    for (const mode of modes) {
      if (ctx.allowed.has(mode) && !returnedModes.has(mode))
        ctx.problems.push(
          problemAt(
            `${key} allows ${mode} but its type ${returned.name} does not; AppSync would answer "Not Authorized" (add the directive to type ${returned.name})`,
            field,
          ),
        );
    }
  }
}

function wrongProvider(directive: ConstDirectiveNode, mode: string, allowed: Set<string>): string {
  const providers = [...allowed].join(", ");
  if (mode === "API_KEY")
    return `@aws_api_key is not allowed: API keys are quotas, not identity, and this API has no API_KEY provider (providers: ${providers})`;
  return `@${directive.name.value} needs the ${mode} provider, which this API does not have (providers: ${providers})`;
}

/** Reads a schema file and prepares it (see {@link prepareSchema}); names the file in errors. */
export function loadSchemaFile(file: string, userAuth: UserAuth): PreparedSchema {
  const text = fs.readFileSync(file, "utf8");
  return prepareSchema(text, { sourceName: path.relative(process.cwd(), file) || file, userAuth });
}

/**
 * Who may call each root field (Query, Mutation, Subscription) of an AppSync schema, from its
 * auth directives: `@aws_api_key`, `@aws_iam`, `@aws_oidc`, `@aws_lambda`,
 * `@aws_cognito_user_pools(cognito_groups: [...])` (and its older spelling `@aws_auth`).
 *
 * AppSync's rules (https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html):
 * directives on a field replace those of its type; a field and type without directives are open
 * to the API's default provider only; a directive names a provider, and a provider that is not
 * configured on the API authorizes nothing. Only root fields are operations: a caller who cannot
 * call any root field reaches no data, whatever the object types say.
 */
import type { DirectiveNode, DocumentNode } from "graphql/language/ast";
import type { parse as Parse } from "graphql/language/parser";
import { hasUnknown } from "./values";

/** The AppSync authentication types, as `authenticationType` names them. */
export type AppSyncAuthType =
  "API_KEY" | "AWS_IAM" | "AMAZON_COGNITO_USER_POOLS" | "OPENID_CONNECT" | "AWS_LAMBDA";

const DIRECTIVES: Record<string, AppSyncAuthType> = {
  aws_api_key: "API_KEY",
  aws_iam: "AWS_IAM",
  aws_cognito_user_pools: "AMAZON_COGNITO_USER_POOLS",
  aws_auth: "AMAZON_COGNITO_USER_POOLS",
  aws_oidc: "OPENID_CONNECT",
  aws_lambda: "AWS_LAMBDA",
};

/** One provider that may call a field, with the Cognito groups it is limited to (if any). */
export interface FieldProvider {
  type: AppSyncAuthType;
  /** How it was granted: a directive on the field or its type, or the API's default. */
  via: string;
  /** `cognito_groups` of a Cognito directive; undefined when any signed-in user may call. */
  groups?: string[];
}

/** A root field and the providers that may call it. */
export interface RootField {
  /** "Query", "Mutation" or "Subscription" (or the schema's own root type names, mapped). */
  operation: "Query" | "Mutation" | "Subscription";
  /** The root type's name as the schema spells it, e.g. "Query". */
  type: string;
  field: string;
  providers: FieldProvider[];
}

/** The schema's verdict: root fields, or unknown (preview, or a schema that does not parse). */
export type SchemaAccess = { kind: "known"; fields: RootField[] } | { kind: "unknown" };

function providersOf(
  directives: readonly DirectiveNode[] | undefined,
  where: string,
): FieldProvider[] {
  const out: FieldProvider[] = [];
  for (const d of directives ?? []) {
    const type = DIRECTIVES[d.name.value];
    if (!type) continue;
    let groups: string[] | undefined;
    const arg = d.arguments?.find((a) => a.name.value === "cognito_groups");
    if (arg && arg.value.kind === "ListValue") {
      groups = arg.value.values.flatMap((v) => (v.kind === "StringValue" ? [v.value] : []));
    }
    out.push({
      type,
      via: `@${d.name.value}${groups ? `(${groups.join(", ")})` : ""} on ${where}`,
      groups,
    });
  }
  return out;
}

function rootTypes(doc: DocumentNode): Map<string, RootField["operation"]> {
  const roots = new Map<string, RootField["operation"]>([
    ["Query", "Query"],
    ["Mutation", "Mutation"],
    ["Subscription", "Subscription"],
  ]);
  for (const def of doc.definitions) {
    if (def.kind !== "SchemaDefinition") continue;
    roots.clear();
    for (const op of def.operationTypes) {
      const name =
        op.operation === "query"
          ? "Query"
          : op.operation === "mutation"
            ? "Mutation"
            : "Subscription";
      roots.set(op.type.name.value, name);
    }
  }
  return roots;
}

const cache = new Map<string, SchemaAccess>();

let parse: typeof Parse | undefined;

/** graphql's parser, loaded on the first schema only (the pack starts faster without it). */
function parser(): typeof Parse {
  parse ??= (require("graphql/language/parser") as typeof import("graphql/language/parser")).parse;
  return parse;
}

/**
 * The root fields of `schema` and who may call each, given the API's default provider and its
 * additional providers (only configured providers count).
 */
export function schemaAccess(
  schema: unknown,
  defaultType: AppSyncAuthType,
  configured: Set<string>,
): SchemaAccess {
  if (typeof schema !== "string" || hasUnknown(schema)) return { kind: "unknown" };
  const key = `${defaultType}|${[...configured].sort().join(",")}|${schema}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let doc: DocumentNode;
  try {
    doc = parser()(schema, { noLocation: true });
  } catch {
    return { kind: "unknown" };
  }
  const roots = rootTypes(doc);
  const fields: RootField[] = [];
  for (const def of doc.definitions) {
    if (def.kind !== "ObjectTypeDefinition" && def.kind !== "ObjectTypeExtension") continue;
    const operation = roots.get(def.name.value);
    if (!operation) continue;
    const typeProviders = providersOf(def.directives, `type ${def.name.value}`);
    for (const f of def.fields ?? []) {
      const own = providersOf(f.directives, "the field");
      const chosen = own.length > 0 ? own : typeProviders;
      const providers =
        chosen.length > 0 ? chosen : [{ type: defaultType, via: "the default provider" }];
      fields.push({
        operation,
        type: def.name.value,
        field: f.name.value,
        providers: providers.filter((p) => configured.has(p.type)),
      });
    }
  }
  const result: SchemaAccess = { kind: "known", fields };
  if (cache.size >= 200) cache.clear();
  cache.set(key, result);
  return result;
}

/**
 * SEC1 practice A, judged on reach: an API key on AppSync and guest identities of a Cognito
 * identity pool are exposures only when they reach operations or data. Each is a pair: a
 * mandatory policy for the reach that exposes something, and an advisory one for the same
 * setting when it reaches nothing that matters (saying why it is not mandatory).
 */
import { Policies, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
  accessModel,
  AccessModel,
  API_KEY_HOLDERS,
  describePath,
  EntryPoint,
} from "../lib/access-model";
import { sec1Metadata } from "../lib/metadata";
import { validateStackWith } from "../lib/typed-validation";
import { configSchema, readConfig, stringListProperty } from "../lib/policy-config";
import { allowedActionNames, outsideReach, ownIdentityScoped, ROLE } from "../lib/role-reach";
import { addTo, matchesAnyGlob, ofType, rawProps, TYPES } from "../lib/stack-refs";
import { asRecord, hasUnknown, nameOf, upperString } from "../lib/values";

const DOCS = {
  appsyncAuth: "https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html",
  identityPools: "https://docs.aws.amazon.com/cognito/latest/developerguide/identity-pools.html",
};

// ---------------------------------------------------------------------------------------------
// AppSync API keys

/** Config of sec1-a-appsync-api-key-reach and sec1-a-appsync-api-key-public. */
export interface AppSyncApiKeyArgs {
  /** Root fields API-key holders may read, as "Query.<field>" (`*` wildcards). Default: []. */
  publicFields: string[];
}

const apiKeySchema = configSchema({
  publicFields: stringListProperty(
    [],
    'Root fields API-key holders may call, e.g. "Query.listPosts" (`*` wildcards); mutations never.',
  ),
});

/** True when some GraphQL API of the stack has API_KEY among its providers (a cheap first look). */
function anyApiKeyProvider(resources: unknown): boolean {
  return ofType(resources, TYPES.graphQLApi).some((api) => {
    const props = rawProps(api.props);
    const extra = Array.isArray(props.additionalAuthenticationProviders)
      ? props.additionalAuthenticationProviders
      : [];
    return [props, ...extra].some(
      (p) => upperString(asRecord(p)?.authenticationType) === "API_KEY",
    );
  });
}

/** The AppSync root fields an API key reaches, per API. */
function apiKeyFields(resources: unknown): Map<PolicyResource, EntryPoint[]> {
  const out = new Map<PolicyResource, EntryPoint[]>();
  if (!anyApiKeyProvider(resources)) return out;
  for (const entry of accessModel(resources).entries("appsync-field")) {
    if (!entry.callers.includes(API_KEY_HOLDERS)) continue;
    addTo(out, entry.resource, entry);
  }
  return out;
}

function isExposure(entry: EntryPoint, publicFields: string[]): boolean {
  return !entry.operation.startsWith("Query.") || !matchesAnyGlob(entry.operation, publicFields);
}

const SHOWN = 3;

function pathsText(entries: EntryPoint[]): string {
  const shown = entries.slice(0, SHOWN).map((e) => describePath(API_KEY_HOLDERS, e));
  const more = entries.length > SHOWN ? `; and ${entries.length - SHOWN} more` : "";
  return `${shown.join("; ")}${more}`;
}

/** A5 on reach: an API key reaches only the read fields config declares public. */
export const appsyncApiKeyReach: StackValidationPolicy = {
  name: "sec1-a-appsync-api-key-reach",
  description:
    "An AppSync API key identifies no one: API-key holders may reach only root Query fields the policy config declares public, never a mutation or subscription. Judged on the schema's auth directives (@aws_api_key on a field or its type, or API_KEY as the default provider).",
  enforcementLevel: "mandatory",
  configSchema: apiKeySchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Limit `@aws_api_key` to public read-only Query fields (and the types they return) and list them in `publicFields`; give mutations and every other field `@aws_cognito_user_pools`, `@aws_oidc`, `@aws_iam` or `@aws_lambda` only.",
    DOCS.appsyncAuth,
    ["appsync", "graphql", "api-key"],
  ),
  validateStack: validateStackWith(TYPES.graphQLApi, (args, report) => {
    const { publicFields } = readConfig<AppSyncApiKeyArgs>(args, apiKeySchema);
    for (const [api, entries] of apiKeyFields(args.resources)) {
      const exposed = entries.filter((e) => isExposure(e, publicFields));
      if (exposed.length === 0) continue;
      report(
        `AppSync GraphQLApi '${nameOf(api)}' must not let API-key holders reach ${exposed.map((e) => e.operation).join(", ")} (${pathsText(exposed)}); set those fields' directives to an identity provider (not @aws_api_key), or list public read fields in publicFields.`,
        api.urn,
      );
    }
  }),
};

/** A5 (advisory): an API key on declared public reads only; kept visible, not blocking. */
export const appsyncApiKeyPublic: StackValidationPolicy = {
  name: "sec1-a-appsync-api-key-public",
  description:
    "An AppSync API key limited to Query fields declared public is not an exposure (it identifies no one, but reaches only what is public by design); this advisory keeps it visible so the list of public fields stays a decision.",
  enforcementLevel: "advisory",
  configSchema: apiKeySchema,
  ...sec1Metadata(
    "A",
    "low",
    "Review `publicFields` when the schema changes; rotate API keys and keep them short-lived.",
    DOCS.appsyncAuth,
    ["appsync", "graphql", "api-key"],
  ),
  validateStack: validateStackWith(TYPES.graphQLApi, (args, report) => {
    const { publicFields } = readConfig<AppSyncApiKeyArgs>(args, apiKeySchema);
    for (const [api, entries] of apiKeyFields(args.resources)) {
      if (entries.some((e) => isExposure(e, publicFields))) continue;
      report(
        `AppSync GraphQLApi '${nameOf(api)}' must keep API-key access to the declared public reads ${entries.map((e) => e.operation).join(", ")} (advisory, not mandatory: API-key holders reach no mutation and no undeclared field; ${pathsText(entries)}); set publicFields to exactly the fields meant to be public.`,
        api.urn,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// Cognito identity pools

const IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool";
const ROLES_ATTACHMENT = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment";

/** What one of a pool's roles hands out: "unknown" when the role or its policies are not known. */
interface PoolRole {
  pool: PolicyResource;
  who: "guests" | "every signed-in identity";
  role: PolicyResource;
  reach: string[] | "unknown";
  actions: string[];
}

/** The guest and authenticated roles of each identity pool, with what they reach. */
function poolRoles(model: AccessModel): PoolRole[] {
  const { index } = model;
  const out: PoolRole[] = [];
  if (index.ofType(IDENTITY_POOL).length === 0) return out;
  for (const attachment of index.ofType(ROLES_ATTACHMENT)) {
    const poolRef = index.ref(attachment, "identityPoolId", [IDENTITY_POOL]);
    if (!Array.isArray(poolRef)) continue;
    const roles = asRecord(rawProps(attachment.props).roles) ?? {};
    const deps =
      (attachment.propertyDependencies as Record<string, PolicyResource[]> | undefined)?.roles ??
      [];
    for (const pool of poolRef) {
      for (const [key, who] of [
        ["unauthenticated", "guests"],
        ["authenticated", "every signed-in identity"],
      ] as const) {
        if (
          key === "unauthenticated" &&
          rawProps(pool.props).allowUnauthenticatedIdentities !== true
        )
          continue;
        const arn = roles[key];
        if (arn === undefined) continue;
        const text = typeof arn === "string" ? arn : "";
        const found = [
          ...index.byValue(text, [ROLE]),
          ...index.byValue(text.replace(/^.*:role\/(?:.*\/)?/, ""), [ROLE]),
        ];
        const role =
          found[0] ?? (deps.length === 1 && key === "unauthenticated" ? deps[0] : undefined);
        if (!role) continue;
        const statements = model.roles().get(role);
        const known = statements !== undefined && !statements.incomplete;
        // A signed-in identity's own folder (keyed by its identity id) is nobody else's data;
        // guests are anyone, so their own folders still count (free storage for the world).
        const judged = (statements?.statements ?? []).filter(
          (s) => key === "unauthenticated" || !ownIdentityScoped(s),
        );
        out.push({
          pool,
          who,
          role,
          reach: known ? outsideReach(judged) : "unknown",
          actions: statements ? allowedActionNames(statements.statements) : [],
        });
      }
    }
  }
  return out;
}

/** Config of sec1-a-cognito-identity-pool-unauthenticated. */
export interface IdentityPoolReachArgs {
  /** Logical names of identity pools whose roles were reviewed (`*` wildcards). Default: []. */
  allowedPools: string[];
}

const poolSchema = configSchema({
  allowedPools: stringListProperty(
    [],
    "Logical names of identity pools whose guest and authenticated roles were reviewed (`*` wildcards).",
  ),
});

/** A6 on reach: identity-pool guests (or every signed-in identity) reach no API, function or data. */
export const cognitoIdentityPoolUnauthenticated: StackValidationPolicy = {
  name: "sec1-a-cognito-identity-pool-unauthenticated",
  description:
    "Cognito identity pools hand AWS credentials to guests (and to every signed-in identity): their roles must not invoke an API, AppSync, a function or a function URL, nor read or write a data store. A guest role limited to telemetry (e.g. rum:PutRumEvents) is not an exposure, nor is a signed-in identity's access to S3 objects under its own identity id (${cognito-identity.amazonaws.com:sub}).",
  enforcementLevel: "mandatory",
  configSchema: poolSchema,
  ...sec1Metadata(
    "A",
    "critical",
    "Limit the pool's unauthenticated role to telemetry (e.g. `rum:PutRumEvents` on one app monitor), or set `allowUnauthenticatedIdentities` to false; give signed-in identities role mappings per group instead of one role that reaches APIs or data.",
    DOCS.identityPools,
    ["cognito", "identity-pool"],
  ),
  validateStack: validateStackWith(IDENTITY_POOL, (args, report) => {
    const { allowedPools } = readConfig<IdentityPoolReachArgs>(args, poolSchema);
    for (const r of poolRoles(accessModel(args.resources))) {
      if (r.reach === "unknown" || r.reach.length === 0) continue;
      if (matchesAnyGlob(nameOf(r.pool), allowedPools)) continue;
      report(
        `Cognito IdentityPool '${nameOf(r.pool)}' must not let ${r.who} reach APIs, functions or data (${r.who} of identity pool ${nameOf(r.pool)} → role ${nameOf(r.role)} → ${r.reach.join("; ")}); set the role's policies to telemetry only${r.who === "guests" ? " or allowUnauthenticatedIdentities to false" : ", with role mappings per group"}.`,
        r.pool.urn,
      );
    }
  }),
};

/** A6 (advisory): guests allowed, with a role that reaches nothing that matters. */
export const cognitoIdentityPoolGuestTelemetry: StackValidationPolicy = {
  name: "sec1-a-identity-pool-guest-scope",
  description:
    "A Cognito identity pool that allows guests whose role reaches no API, function or data store (e.g. only rum:PutRumEvents for CloudWatch RUM) is not an exposure; this advisory keeps the guest role visible for review.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "A",
    "low",
    "Keep the unauthenticated role limited to the telemetry actions and resources it needs (one app monitor), and review it when it changes.",
    DOCS.identityPools,
    ["cognito", "identity-pool"],
  ),
  validateStack: validateStackWith(IDENTITY_POOL, (args, report) => {
    const model = accessModel(args.resources);
    const roles = poolRoles(model);
    for (const pool of model.index.ofType(IDENTITY_POOL)) {
      if (rawProps(pool.props).allowUnauthenticatedIdentities !== true) continue;
      if (roles.some((r) => r.pool === pool && r.who === "guests")) continue;
      // An attachment that may be this pool's, or whose roles are not known yet: no guess.
      const undecided = model.index.ofType(ROLES_ATTACHMENT).some((a) => {
        const ref = model.index.ref(a, "identityPoolId", [IDENTITY_POOL]);
        const mine = ref === "unknown" || ref.includes(pool);
        const roles = asRecord(rawProps(a.props).roles);
        return (
          mine &&
          (ref === "unknown" ||
            hasUnknown(rawProps(a.props).roles) ||
            roles?.unauthenticated !== undefined)
        );
      });
      if (undecided) continue;
      report(
        `Cognito IdentityPool '${nameOf(pool)}' must give guests a role this stack defines, so what they reach can be judged (advisory, not mandatory: without an unauthenticated role guests get no credentials, but one attached elsewhere is not seen here); set an aws.cognito.IdentityPoolRoleAttachment with roles.unauthenticated, or allowUnauthenticatedIdentities to false.`,
        pool.urn,
      );
    }
    for (const r of roles) {
      if (r.who !== "guests" || r.reach === "unknown" || r.reach.length > 0) continue;
      report(
        `Cognito IdentityPool '${nameOf(r.pool)}' must keep its guest role ${nameOf(r.role)} limited to ${r.actions.join(", ") || "nothing"} (advisory, not mandatory: guests reach no API, function or data store); set allowUnauthenticatedIdentities to false if guests need no credentials.`,
        r.pool.urn,
      );
    }
  }),
};

/** The reach-judged policies of practice A. */
export const policies: Policies = [
  appsyncApiKeyReach,
  appsyncApiKeyPublic,
  cognitoIdentityPoolUnauthenticated,
  cognitoIdentityPoolGuestTelemetry,
];

/**
 * The identity pool end to end: what a client gets from GetId / GetCredentialsForIdentity and
 * what those credentials may then do, from the stack's own resources.
 *
 * Cognito is modelled from the stack (it cannot run here): the pool's providers decide which
 * ID tokens it takes (issuer and `aud`, verified with aws-jwt-verify against the local issuer's
 * keys, `token_use` id), guests get a role only when the pool allows them, and the role comes
 * from the attachment's role mapping for the token's provider key (rules in order, the first
 * match wins; none: AmbiguousRoleResolution). Everything after that is decided by
 * `@cloud-copilot/iam-simulate` from the stack's documents: the role's trust policy for
 * sts:AssumeRoleWithWebIdentity with the token's `aud` and `amr`, then each request with the
 * role's policies, the bucket policy and, for S3 objects under SSE-KMS, the key policy.
 */
import * as crypto from "crypto";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { MOCK_ACCOUNT_ID } from "../../tools/mock-engine";
import { one, ofType, policyDocument, ProgramRun } from "../helpers/harness";
import { Issuer } from "./issuer";

const COGNITO = "cognito-identity.amazonaws.com";
const ID_VARIABLE = "${cognito-identity.amazonaws.com:sub}";

/** The stack's identity pool, as registered. */
export interface PoolModel {
  run: ProgramRun;
  poolId: string;
  region: string;
  providers: { providerName: string; clientId: string }[];
  allowGuests: boolean;
  roles: { authenticated?: string; unauthenticated?: string };
  mappings: {
    identityProvider: string;
    type: string;
    ambiguousRoleResolution?: string;
    mappingRules?: { claim: string; matchType: string; value: string; roleArn: string }[];
  }[];
  bucketArn: string;
  keyArn: string;
}

/** The identity pool of a stack run, or undefined when the stack has none. */
export function poolModel(run: ProgramRun): PoolModel | undefined {
  const pools = ofType(run, "aws:cognito/identityPool:IdentityPool");
  if (pools.length === 0) return undefined;
  const pool = pools[0];
  const attachment = one(run, "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment");
  const a = attachment.inputs as Record<string, any>;
  return {
    run,
    poolId: String(pool.id),
    region: String(pool.id).split(":")[0],
    providers: pool.inputs.cognitoIdentityProviders as PoolModel["providers"],
    allowGuests: pool.inputs.allowUnauthenticatedIdentities === true,
    roles: a.roles ?? {},
    mappings: a.roleMappings ?? [],
    bucketArn: String(one(run, "aws:s3/bucket:Bucket").arn),
    keyArn: String(one(run, "aws:kms/key:Key").arn),
  };
}

/** Does one mapping rule match the token's claims? (Contains: a member of a list claim.) */
function ruleMatches(rule: { claim: string; matchType: string; value: string }, claims: any) {
  const v = claims[rule.claim];
  const values = Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];
  switch (rule.matchType) {
    case "Equals":
      return values.length === 1 && values[0] === rule.value;
    case "Contains":
      return values.some((x) => x.includes(rule.value));
    case "StartsWith":
      return values.some((x) => x.startsWith(rule.value));
    case "NotEqual":
      return values.length === 1 && values[0] !== rule.value;
    default:
      return false;
  }
}

/**
 * The role Cognito picks for a token's claims under a provider key: the first rule that
 * matches; none matching: the default authenticated role, or nothing with Deny; no mapping for
 * the key: the default authenticated role.
 */
export function resolveRole(
  model: PoolModel,
  providerKey: string,
  claims: Record<string, unknown>,
): string | undefined {
  const mapping = model.mappings.find((m) => m.identityProvider === providerKey);
  if (!mapping) return model.roles.authenticated;
  const rule = (mapping.mappingRules ?? []).find((r) => ruleMatches(r, claims));
  if (rule) return rule.roleArn;
  return mapping.ambiguousRoleResolution === "Deny" ? undefined : model.roles.authenticated;
}

/** The credentials of an identity: its role's ARN and identity id, or why there are none. */
export type Credentials = { roleArn: string; identityId: string } | { refused: string };

/** The identity id GetId gives a user of the pool's first provider. */
export function identityIdFor(model: PoolModel, sub: string): string {
  return identityIdOf(model.region, `${model.providers[0].providerName}:${sub}`);
}

/** GetId's identity id: one per login (provider + subject), stable across sign-ins. */
function identityIdOf(region: string, login: string): string {
  const h = crypto.createHash("sha256").update(login).digest("hex");
  return `${region}:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

async function decide(
  request: Record<string, unknown>,
  identityPolicies: unknown[],
  resourcePolicy?: unknown,
): Promise<string> {
  const result = (await runSimulation(
    {
      request,
      identityPolicies: identityPolicies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    } as never,
    {},
  )) as { overallResult?: string; errors?: unknown };
  if (result.errors) throw new Error(`iam-simulate: ${JSON.stringify(result.errors)}`);
  return result.overallResult ?? "error";
}

/** The role's trust policy, decided for a pool token's `aud` (default: this pool) and `amr`. */
export async function assumes(
  model: PoolModel,
  roleArn: string,
  amr: string[],
  aud: string = model.poolId,
): Promise<boolean> {
  const role = ofType(model.run, "aws:iam/role:Role").find((r) => r.arn === roleArn);
  if (!role) return false;
  const decision = await decide(
    {
      principal: COGNITO,
      action: "sts:AssumeRoleWithWebIdentity",
      resource: { resource: roleArn, accountId: MOCK_ACCOUNT_ID },
      contextVariables: { [`${COGNITO}:aud`]: aud, [`${COGNITO}:amr`]: amr },
    },
    [],
    policyDocument(role.inputs.assumeRolePolicy),
  );
  return decision === "Allowed";
}

/**
 * GetId + GetCredentialsForIdentity for an ID token (or none: a guest). The pool takes a token
 * only from one of its providers (issuer, `aud` = the provider's client, `token_use` id).
 */
export async function credentialsFor(
  model: PoolModel,
  issuer: Issuer,
  token?: string,
): Promise<Credentials> {
  if (token === undefined) {
    if (!model.allowGuests || !model.roles.unauthenticated)
      return { refused: "NotAuthorized (no guests)" };
    const identityId = identityIdOf(model.region, `guest:${crypto.randomUUID()}`);
    const ok = await assumes(model, model.roles.unauthenticated, ["unauthenticated"]);
    return ok
      ? { roleArn: model.roles.unauthenticated, identityId }
      : { refused: "AccessDenied (trust)" };
  }
  for (const p of model.providers) {
    const claims = await issuer.verify(token, `https://${p.providerName}`);
    if (!claims) continue;
    if (claims.token_use !== "id") return { refused: "NotAuthorized (not an ID token)" };
    if (claims.aud !== p.clientId) return { refused: "NotAuthorized (client)" };
    const providerKey = `${p.providerName}:${p.clientId}`;
    const roleArn = resolveRole(model, providerKey, claims);
    if (!roleArn) return { refused: "AccessDenied (no rule matches)" };
    const identityId = identityIdOf(model.region, `${p.providerName}:${String(claims.sub)}`);
    const amr = ["authenticated", p.providerName, `${providerKey}:${String(claims.sub)}`];
    if (!(await assumes(model, roleArn, amr))) return { refused: "AccessDenied (trust)" };
    return { roleArn, identityId };
  }
  return { refused: "NotAuthorized (token)" };
}

/**
 * The role's policies with the web-identity variable resolved to the session's identity id, as
 * AWS resolves it. (iam-simulate keeps only an action's own and the global context keys, so it
 * drops `cognito-identity.amazonaws.com:sub`; with no identity id the grant matches nothing.)
 */
function rolePolicies(model: PoolModel, roleArn: string, identityId: string): unknown[] {
  const role = ofType(model.run, "aws:iam/role:Role").find((r) => r.arn === roleArn);
  return ofType(model.run, "aws:iam/rolePolicy:RolePolicy")
    .filter((p) => p.inputs.role === role?.id)
    .map((p) =>
      JSON.parse(
        JSON.stringify(policyDocument(p.inputs.policy)).split(ID_VARIABLE).join(identityId),
      ),
    );
}

const CONTEXT_KEY = "kms:EncryptionContext:aws:s3:arn";

/**
 * iam-simulate does not know encryption-context keys (`kms:EncryptionContext:<key>`) and drops
 * them from the request, so a condition on one would never match. This decides that one
 * condition as KMS does (StringEquals on the request's value) and leaves the rest to it: a
 * statement whose condition holds loses the key, one whose condition fails is dropped.
 */
function withEncryptionContext(doc: any, value: string): any {
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).flatMap(
    (s: any) => {
      const equals = s.Condition?.StringEquals;
      if (!equals || !(CONTEXT_KEY in equals)) return [s];
      if (![equals[CONTEXT_KEY]].flat().includes(value)) return [];
      const rest = { ...equals };
      delete rest[CONTEXT_KEY];
      return [{ ...s, Condition: { ...s.Condition, StringEquals: rest } }];
    },
  );
  return { ...doc, Statement: statements };
}

const sessionArn = (roleArn: string) =>
  roleArn.replace(
    /:iam::(\d+):role\/(?:.*\/)?([^/]+)$/,
    ":sts::$1:assumed-role/$2/CognitoIdentityCredentials",
  );

/** One request made with identity-pool credentials, decided by iam-simulate. */
export async function request(
  model: PoolModel,
  creds: { roleArn: string; identityId: string },
  action: string,
  resource: string,
  extraContext: Record<string, string> = {},
): Promise<string> {
  const context = {
    "aws:PrincipalArn": creds.roleArn,
    "aws:SecureTransport": "true",
    ...extraContext,
  };
  const policies = rolePolicies(model, creds.roleArn, creds.identityId);
  const isObject = resource.startsWith(`${model.bucketArn}/`);
  const bucketPolicy = isObject
    ? policyDocument(one(model.run, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy)
    : undefined;
  const principal = sessionArn(creds.roleArn);
  const main = await decide(
    {
      principal,
      action,
      resource: { resource, accountId: MOCK_ACCOUNT_ID },
      contextVariables: context,
    },
    policies,
    bucketPolicy,
  );
  if (main !== "Allowed" || !isObject) return main;
  // SSE-KMS: S3 asks KMS on the caller's behalf, with the bucket's ARN as the context.
  return decide(
    {
      principal,
      action: action === "s3:PutObject" ? "kms:GenerateDataKey" : "kms:Decrypt",
      resource: { resource: model.keyArn, accountId: MOCK_ACCOUNT_ID },
      contextVariables: { ...context, "kms:ViaService": `s3.${model.region}.amazonaws.com` },
    },
    policies.map((p) => withEncryptionContext(p, model.bucketArn)),
    withEncryptionContext(
      policyDocument(one(model.run, "aws:kms/key:Key").inputs.policy),
      model.bucketArn,
    ),
  );
}

/**
 * What an IAM role may reach, from every identity policy it carries: inline policies, role
 * policies, attached customer managed policies and the AWS managed policies we know. The
 * statements are read with the pack's policy-document parser; the model asks them which of the
 * stack's data stores and functions the role may use, and with which actions.
 */
import { PolicyResource } from "@pulumi/policy";
import { managedPolicy } from "./aws-managed-policies";
import { parsePolicyDocument, parseTrustPolicy, Statement } from "./policy-document";
import { accountOfArn, wildcardMatch } from "./arn";
import { StackIndex } from "./stack-index";
import { rawProps } from "./stack-refs";
import { asRecord, hasUnknown, knownString, nameOf } from "./values";

export const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const MANAGED = "aws:iam/policy:Policy";
const POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment";

/** The roles a PolicyAttachment lists (`roles`: names), by dependency or by name. */
function rolesListed(att: PolicyResource, index: StackIndex): PolicyResource[] {
  const deps = asRecord(att.propertyDependencies)?.roles;
  const names = rawProps(att.props).roles;
  const found = new Set<PolicyResource>(
    Array.isArray(deps) ? (deps as PolicyResource[]).filter((d) => d?.type === ROLE) : [],
  );
  for (const name of Array.isArray(names) ? names : []) {
    if (typeof name === "string" && !hasUnknown(name))
      index.byValue(name, [ROLE]).forEach((r) => found.add(r));
  }
  return [...found];
}

/** A role's statements, and whether some document it carries could not be read (unknown). */
export interface RoleStatements {
  statements: Statement[];
  /** True when a document or an attachment of the role is unknown: a miss proves nothing. */
  incomplete: boolean;
}

function addDocument(into: RoleStatements, value: unknown): void {
  const parsed = parsePolicyDocument(value);
  if (parsed.status === "ok") into.statements.push(...parsed.document.statements);
  else if (parsed.status !== "absent") into.incomplete = true;
}

function addManaged(
  into: RoleStatements,
  arn: unknown,
  index: StackIndex,
  from?: PolicyResource,
): void {
  const ref = managedPolicy(arn);
  if (ref.kind === "aws") {
    if (ref.document !== undefined) addDocument(into, ref.document);
    else if (!ref.known) into.incomplete = true; // an AWS managed policy the pack does not know
    return;
  }
  const found = from ? index.ref(from, "policyArn", [MANAGED]) : undefined;
  const policies =
    Array.isArray(found) && found.length > 0
      ? found
      : typeof arn === "string" && !hasUnknown(arn)
        ? index.byValue(arn, [MANAGED])
        : "unknown";
  if (policies === "unknown" || policies.length === 0) {
    into.incomplete = true; // a customer policy outside the stack, or not known yet
    return;
  }
  for (const p of policies) addDocument(into, rawProps(p.props).policy);
}

/** Every role's statements, in one pass over roles, role policies and attachments. */
export function roleStatements(index: StackIndex): Map<PolicyResource, RoleStatements> {
  const out = new Map<PolicyResource, RoleStatements>();
  for (const role of index.ofType(ROLE)) {
    const entry: RoleStatements = { statements: [], incomplete: false };
    const props = rawProps(role.props);
    const inline = props.inlinePolicies;
    if (hasUnknown(inline)) entry.incomplete = true;
    else if (Array.isArray(inline)) inline.forEach((p) => addDocument(entry, asRecord(p)?.policy));
    const managed = props.managedPolicyArns;
    if (hasUnknown(managed)) entry.incomplete = true;
    else if (Array.isArray(managed)) managed.forEach((arn) => addManaged(entry, arn, index));
    out.set(role, entry);
  }
  const roleOf = (r: PolicyResource): PolicyResource[] => {
    const ref = index.ref(r, "role", [ROLE]);
    if (ref === "unknown" || ref.length === 0) {
      // A role policy whose role is unknown may belong to any role: none of them is complete.
      if (ref === "unknown") for (const e of out.values()) e.incomplete = true;
      return [];
    }
    return ref;
  };
  for (const rp of index.ofType(ROLE_POLICY)) {
    for (const role of roleOf(rp)) addDocument(out.get(role)!, rawProps(rp.props).policy);
  }
  for (const att of index.ofType(ATTACHMENT)) {
    for (const role of roleOf(att))
      addManaged(out.get(role)!, rawProps(att.props).policyArn, index, att);
  }
  for (const att of index.ofType(POLICY_ATTACHMENT)) {
    // Roles not known yet may be any of them: none of them is complete.
    if (hasUnknown(rawProps(att.props).roles)) for (const e of out.values()) e.incomplete = true;
    for (const role of rolesListed(att, index))
      addManaged(out.get(role)!, rawProps(att.props).policyArn, index, att);
  }
  return out;
}

/** The actions of one service an Allow names, short (e.g. "GetItem"); "*" for all of them. */
function serviceActions(s: Statement, service: string): string[] {
  if (s.notAction)
    return s.notAction.some((a) => wildcardMatch(a, `${service}:x`, true)) ? [] : ["* (NotAction)"];
  const out: string[] = [];
  for (const a of s.action ?? []) {
    if (a === "*") out.push("*");
    else if (a.toLowerCase().startsWith(`${service}:`)) out.push(a.slice(service.length + 1));
  }
  return out;
}

/** True when a statement's resources cover `arn` (NotResource: everything not listed). */
function coversResource(s: Statement, arn: string): boolean {
  if (s.resource) return s.resource.some((p) => wildcardMatch(p, arn));
  return (s.notResource ?? []).every((p) => !wildcardMatch(p, arn));
}

/**
 * The actions of `service` that `statements` allow on `arn` (or on any of `arns`, e.g. a table
 * and its indexes), sorted; actions an unconditional Deny removes are dropped.
 */
export function allowedActions(statements: Statement[], service: string, arns: string[]): string[] {
  const allowed = new Set<string>();
  let deniedAll = false;
  for (const s of statements) {
    const actions = serviceActions(s, service);
    if (actions.length === 0 || !arns.some((arn) => coversResource(s, arn))) continue;
    if (s.effect === "Deny") {
      if (s.conditions.length === 0 && actions.includes("*")) deniedAll = true;
      continue;
    }
    actions.forEach((a) => allowed.add(a));
  }
  return deniedAll ? [] : [...allowed].sort();
}

/** The services whose actions reach data or code, for roles handed to outsiders. */
export const REACH_SERVICES = [
  "execute-api",
  "appsync",
  "lambda",
  "dynamodb",
  "s3",
  "sqs",
  "sns",
  "kinesis",
  "secretsmanager",
];

/**
 * What a role hands out beyond telemetry: every Allow whose actions reach `REACH_SERVICES`
 * (invoking an API, AppSync, a function or a function URL; reading or writing a data store),
 * as "<service>:<actions> on <resources>". Empty for a role limited to e.g. rum:PutRumEvents.
 */
export function outsideReach(statements: Statement[]): string[] {
  const out: string[] = [];
  for (const s of statements) {
    if (s.effect !== "Allow") continue;
    for (const service of REACH_SERVICES) {
      const actions = serviceActions(s, service);
      if (actions.length === 0) continue;
      const where = s.resource
        ? s.resource.join(", ")
        : `everything but ${(s.notResource ?? []).join(", ")}`;
      out.push(`${service}:${actions.join("/")} on ${where}`);
    }
  }
  return out;
}

/** The policy variable of an identity-pool session: the caller's own identity id. */
export const IDENTITY_ID_VARIABLE = "${cognito-identity.amazonaws.com:sub}";

/**
 * True when an Allow reaches only the caller's own S3 objects: every resource is an object ARN
 * whose key has the identity-pool identity id as a whole path segment, with no wildcard before
 * it (`bucket/documents/${cognito-identity.amazonaws.com:sub}/*`). Each signed-in identity then
 * reaches its own folder only, which is no one else's data.
 */
export function ownIdentityScoped(s: Statement): boolean {
  if (s.effect !== "Allow" || !s.resource || s.resource.length === 0 || s.notAction) return false;
  if (!(s.action ?? []).every((a) => a.toLowerCase().startsWith("s3:"))) return false;
  return s.resource.every((arn) => {
    const m = /^arn:[a-z-]+:s3:::[^/*?]+\/(.*)$/.exec(arn);
    if (!m) return false;
    const at = m[1].indexOf(`${IDENTITY_ID_VARIABLE}/`);
    return at >= 0 && (at === 0 || m[1][at - 1] === "/") && !/[*?]/.test(m[1].slice(0, at));
  });
}

/** Every action (as written) the role's Allows name, for messages about what it may do. */
export function allowedActionNames(statements: Statement[]): string[] {
  const names = new Set<string>();
  for (const s of statements) {
    if (s.effect !== "Allow") continue;
    for (const a of s.action ?? ["(NotAction)"]) names.add(a);
  }
  return [...names].sort();
}

/** True when a statement's actions include `action` (NotAction: everything not listed). */
function allowsAction(s: Statement, action: string): boolean {
  if (s.notAction) return !s.notAction.some((a) => wildcardMatch(a, action, true));
  return (s.action ?? []).some((a) => wildcardMatch(a, action, true));
}

function resourcesText(s: Statement): string {
  return s.resource ? s.resource.join(", ") : `everything but ${(s.notResource ?? []).join(", ")}`;
}

/**
 * Actions that let their holder become someone else or grant themselves more: IAM writes,
 * Cognito user-pool admin calls (put any user in any group, set any password or attribute, so
 * sign in as anyone), and changing which roles an identity pool hands out.
 */
const ESCALATION_ACTIONS = [
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:AttachRolePolicy",
  "iam:AttachUserPolicy",
  "iam:AttachGroupPolicy",
  "iam:PutRolePolicy",
  "iam:PutUserPolicy",
  "iam:PutGroupPolicy",
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:AddUserToGroup",
  "iam:UpdateAssumeRolePolicy",
  "iam:CreateRole",
  "iam:CreateUser",
  "cognito-idp:AdminAddUserToGroup",
  "cognito-idp:AdminUpdateUserAttributes",
  "cognito-idp:AdminSetUserPassword",
  "cognito-idp:AdminCreateUser",
  "cognito-idp:AdminInitiateAuth",
  "cognito-idp:AdminRespondToAuthChallenge",
  "cognito-idp:AdminConfirmSignUp",
  "cognito-idp:AdminResetUserPassword",
  "cognito-idp:AdminLinkProviderForUser",
  "cognito-idp:AdminSetUserMFAPreference",
  "cognito-idp:UpdateUserPool",
  "cognito-idp:UpdateUserPoolClient",
  "cognito-idp:CreateUserPoolClient",
  "cognito-idp:UpdateGroup",
  "cognito-identity:SetIdentityPoolRoles",
  "cognito-identity:UpdateIdentityPool",
];

/** Actions that start code or a stack with a role passed by iam:PassRole (so gain that role). */
const PASS_ROLE_USERS = [
  "lambda:CreateFunction",
  "lambda:UpdateFunctionConfiguration",
  "ec2:RunInstances",
  "ecs:RunTask",
  "cloudformation:CreateStack",
  "glue:CreateJob",
  "states:CreateStateMachine",
  "codebuild:CreateProject",
];

/**
 * The Allows of `statements` that escalate identity, as "<actions> on <resources>": the actions
 * of `ESCALATION_ACTIONS`, and iam:PassRole when some Allow also starts code with the role.
 */
export function escalation(statements: Statement[]): string[] {
  const allows = statements.filter((s) => s.effect === "Allow");
  const passes = PASS_ROLE_USERS.some((a) => allows.some((s) => allowsAction(s, a)));
  const out: string[] = [];
  for (const s of allows) {
    const hits = ESCALATION_ACTIONS.filter((a) => allowsAction(s, a));
    if (passes && allowsAction(s, "iam:PassRole")) hits.push("iam:PassRole");
    if (hits.length === 0) continue;
    const written = s.action
      ? s.action.filter((a) => hits.some((h) => wildcardMatch(a, h, true)))
      : ["* (NotAction)"];
    out.push(`${written.join("/")} (escalates identity) on ${resourcesText(s)}`);
  }
  return out;
}

/** Condition keys that tie a trust to an account, an organization or a shared secret. */
const TRUST_LIMITS = new Set([
  "sts:externalid",
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:sourceaccount",
  "aws:sourcearn",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
]);

/** The role's trust statements, or undefined while its trust policy is unknown or unreadable. */
function trustStatements(role: PolicyResource): Statement[] | undefined {
  const parsed = parseTrustPolicy(rawProps(role.props).assumeRolePolicy);
  return parsed.status === "ok" ? parsed.document.statements : undefined;
}

/**
 * The trust statements that let any AWS principal of any account assume the role:
 * `"Principal": "*"` or `{"AWS": "*"}` with sts:AssumeRole and no condition on sts:ExternalId,
 * the caller's organization or account (IAM then admits every principal whose own identity
 * policy allows the call: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
 */
export function openTrust(role: PolicyResource): Statement[] {
  return (trustStatements(role) ?? []).filter(
    (s) =>
      s.effect === "Allow" &&
      s.principal !== undefined &&
      (s.principal.wildcard || s.principal.aws.includes("*")) &&
      allowsAction(s, "sts:AssumeRole") &&
      !s.conditions.some((c) => TRUST_LIMITS.has(c.key)),
  );
}

/**
 * Who outside the role's own account and services may assume it, for messages: any AWS
 * principal, another account, or the identities of a Cognito identity pool.
 * Empty for a role only services of its account or its own account's principals assume.
 */
export function outsidePrincipals(role: PolicyResource): string[] {
  const own = accountOfArn(knownString(rawProps(role.props).arn) ?? "");
  const out = new Set<string>();
  if (openTrust(role).length > 0) out.add("any AWS principal");
  for (const s of trustStatements(role) ?? []) {
    if (s.effect !== "Allow" || !s.principal) continue;
    for (const p of s.principal.aws) {
      const account = /^\d{12}$/.test(p) ? p : accountOfArn(p);
      if (account !== undefined && own !== undefined && account !== own)
        out.add(`account ${account}`);
    }
    // Identity-pool identities are the app's users; a SAML or OIDC provider (a workforce IdP, a
    // CI system) is trusted for the principals its own conditions pick, which this does not judge.
    if (s.principal.federated.some((f) => /cognito-identity/.test(f)))
      out.add("identities of a Cognito identity pool");
  }
  return [...out];
}

/** True when some principal of an AWS account may assume the role (not only services). */
function assumableByPrincipals(role: PolicyResource): boolean {
  return (trustStatements(role) ?? []).some(
    (s) =>
      s.effect === "Allow" &&
      s.principal !== undefined &&
      (s.principal.wildcard || s.principal.aws.length > 0) &&
      allowsAction(s, "sts:AssumeRole"),
  );
}

const ONWARD_SHOWN = 2;

/** What a role reaches by sts:AssumeRole onto another role of the stack, one hop at a time. */
function onwardReach(
  statements: Statement[],
  roles: Map<PolicyResource, RoleStatements>,
  seen: Set<PolicyResource>,
): string[] {
  const out: string[] = [];
  const assumes = statements.filter(
    (s) => s.effect === "Allow" && allowsAction(s, "sts:AssumeRole"),
  );
  if (assumes.length === 0) return out;
  for (const target of roles.keys()) {
    if (seen.has(target)) continue;
    const arn = knownString(rawProps(target.props).arn);
    if (arn === undefined || !assumes.some((s) => coversResource(s, arn))) continue;
    if (!assumableByPrincipals(target)) continue;
    const next = roleReach(target, roles, undefined, new Set([...seen, target]));
    if (next === "unknown" || next.length === 0) continue;
    const more = next.length > ONWARD_SHOWN ? `; and ${next.length - ONWARD_SHOWN} more` : "";
    out.push(
      `sts:AssumeRole → role ${nameOf(target)} → ${next.slice(0, ONWARD_SHOWN).join("; ")}${more}`,
    );
  }
  return out;
}

/**
 * Everything a role hands whoever holds it: data and code (`outsideReach` of the statements
 * `judged` keeps), identity escalation, and what the roles it may assume reach. "unknown" when nothing is found while some document of
 * the role is not known (a known grant is a path whatever the unknown documents add).
 */
export function roleReach(
  role: PolicyResource,
  roles: Map<PolicyResource, RoleStatements>,
  judged: (s: Statement) => boolean = () => true,
  seen: Set<PolicyResource> = new Set([role]),
): string[] | "unknown" {
  const entry = roles.get(role);
  if (!entry) return "unknown";
  const paths = [
    ...outsideReach(entry.statements.filter(judged)),
    ...escalation(entry.statements),
    ...onwardReach(entry.statements, roles, seen),
  ];
  return paths.length === 0 && entry.incomplete ? "unknown" : paths;
}

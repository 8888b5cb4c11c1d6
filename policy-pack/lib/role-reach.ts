/**
 * What an IAM role may reach, from every identity policy it carries: inline policies, role
 * policies, attached customer managed policies and the AWS managed policies we know. The
 * statements are read with the pack's policy-document parser; the model asks them which of the
 * stack's data stores and functions the role may use, and with which actions.
 */
import { PolicyResource } from "@pulumi/policy";
import { managedPolicy } from "./aws-managed-policies";
import { parsePolicyDocument, Statement } from "./policy-document";
import { wildcardMatch } from "./arn";
import { StackIndex } from "./stack-index";
import { rawProps } from "./stack-refs";
import { asRecord, hasUnknown } from "./values";

export const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const MANAGED = "aws:iam/policy:Policy";

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

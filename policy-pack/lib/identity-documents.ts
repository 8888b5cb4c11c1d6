/**
 * The identity policies of a stack, for stack policies that ask "may anyone in this stack call
 * X?": every document an IAM Policy, RolePolicy, UserPolicy, GroupPolicy or a Role's inline
 * policies carries, with the role it is attached to when there is one (so a policy can tell a
 * sanctioned caller, such as an AppSync data source's service role, from any other).
 *
 * Documents unknown during preview are kept as "unknown" so a policy can stay silent instead of
 * concluding "nobody may call".
 */
import { PolicyResource } from "@pulumi/policy";
import { managedPolicy } from "./aws-managed-policies";
import { parsePolicyDocument, PolicyDocument } from "./policy-document";
import { ofType, rawProps, resolveReference } from "./stack-refs";
import { asRecord, hasUnknown, knownString } from "./values";

/** Type tokens of the IAM resources that carry identity policy documents. */
export const IAM_TYPES = {
  role: "aws:iam/role:Role",
  policy: "aws:iam/policy:Policy",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  userPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  groupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
} as const;

/** One identity policy document of the stack. */
export interface IdentityDocument {
  /** The resource that carries it. */
  source: PolicyResource;
  /** Where in that resource, e.g. "policy" or "inlinePolicies[0].policy". */
  where: string;
  /** The parsed document, or undefined when it is unknown (preview) or unreadable. */
  document?: PolicyDocument;
  /** True when the document is not known yet (preview). */
  unknown: boolean;
  /** The roles it is attached to: found, none, or unknown (preview). */
  roles: PolicyResource[] | "unknown";
}

/**
 * Parsed documents by their JSON text: a stack policy sees the same documents on every run, and
 * parsing them dominated its cost. Parsed documents are never modified.
 */
const parsedByText = new Map<string, ReturnType<typeof parsePolicyDocument>>();

function parsed(value: unknown): { document?: PolicyDocument; unknown: boolean } {
  let p = typeof value === "string" ? parsedByText.get(value) : undefined;
  if (!p) {
    p = parsePolicyDocument(value);
    if (typeof value === "string") {
      if (parsedByText.size >= 2_000) parsedByText.clear();
      parsedByText.set(value, p);
    }
  }
  if (p.status === "ok") return { document: p.document, unknown: false };
  return { unknown: p.status === "unknown" };
}

/** The role a RolePolicy names (`role` is a role name, or an id that is the name). */
function roleOf(policy: PolicyResource, roles: PolicyResource[]): PolicyResource[] | "unknown" {
  const ref = resolveReference(policy, "role", roles, ["name", "id"]);
  if (ref.kind === "found") return ref.resources;
  return ref.kind === "unknown" ? "unknown" : [];
}

/** The roles a customer managed policy is attached to through RolePolicyAttachments. */
function attachedRoles(
  policy: PolicyResource,
  attachments: PolicyResource[],
  roles: PolicyResource[],
): PolicyResource[] | "unknown" {
  const out: PolicyResource[] = [];
  for (const a of attachments) {
    const arn = knownString(rawProps(a.props).policyArn);
    if (arn !== undefined && /^arn:[^:]+:iam::aws:policy\//.test(arn)) continue; // AWS managed
    const ref = resolveReference(a, "policyArn", [policy], ["arn"]);
    if (ref.kind === "unknown") return "unknown";
    if (ref.kind === "none") continue;
    const role = roleOf(a, roles);
    if (role === "unknown") return "unknown";
    out.push(...role);
  }
  return out;
}

const cache = new WeakMap<object, IdentityDocument[]>();

/** Every identity policy document of the stack (computed once per stack). */
export function identityDocuments(resources: unknown): IdentityDocument[] {
  if (!Array.isArray(resources)) return [];
  const cached = cache.get(resources);
  if (cached) return cached;
  const roles = ofType(resources, IAM_TYPES.role);
  const out: IdentityDocument[] = [];
  for (const role of roles) {
    const inline = rawProps(role.props).inlinePolicies;
    if (!Array.isArray(inline)) continue;
    inline.forEach((p, i) => {
      out.push({
        source: role,
        where: `inlinePolicies[${i}].policy`,
        ...parsed(asRecord(p)?.policy),
        roles: [role],
      });
    });
  }
  for (const rp of ofType(resources, IAM_TYPES.rolePolicy)) {
    out.push({
      source: rp,
      where: "policy",
      ...parsed(rawProps(rp.props).policy),
      roles: roleOf(rp, roles),
    });
  }
  const attachments = ofType(resources, IAM_TYPES.rolePolicyAttachment);
  for (const p of ofType(resources, IAM_TYPES.policy)) {
    out.push({
      source: p,
      where: "policy",
      ...parsed(rawProps(p.props).policy),
      roles: attachedRoles(p, attachments, roles),
    });
  }
  for (const type of [IAM_TYPES.userPolicy, IAM_TYPES.groupPolicy]) {
    for (const r of ofType(resources, type)) {
      out.push({ source: r, where: "policy", ...parsed(rawProps(r.props).policy), roles: [] });
    }
  }
  cache.set(resources, out);
  return out;
}

/**
 * The roles of the stack a property holding a role ARN refers to (a data source's
 * `serviceRoleArn`, an integration's `credentials`): by property dependency, by the role's
 * `arn`, or by an ARN ending in `role/<name>` or `role/<path>/<name>`.
 */
export function rolesNamedBy(
  from: PolicyResource,
  prop: string,
  roles: PolicyResource[],
): PolicyResource[] | "unknown" {
  const ref = resolveReference(from, prop, roles, ["arn"], (value, role) => {
    const name = knownString(rawProps(role.props).name);
    return name !== undefined && /:role\/(.+\/)?[^/]+$/.test(value) && value.endsWith(`/${name}`);
  });
  if (ref.kind === "found") return ref.resources;
  return ref.kind === "unknown" || hasUnknown(rawProps(from.props)[prop]) ? "unknown" : [];
}

/** An AWS managed policy the stack attaches, with the document the pack knows for it. */
export interface ManagedDocument {
  /** The role (managedPolicyArns) or attachment resource that attaches it. */
  source: PolicyResource;
  /** e.g. "managedPolicyArns[0] (AWSLambdaRole)" or "policyArn (AdministratorAccess)". */
  where: string;
  document: PolicyDocument;
  /** The roles it is attached to: found, or unknown (preview). */
  roles: PolicyResource[] | "unknown";
  /** True when it is attached to IAM users or groups (whose members hold long-lived keys). */
  users: boolean;
}

function managedDocument(arn: unknown): { name: string; document: PolicyDocument } | undefined {
  const ref = managedPolicy(arn);
  if (ref.kind !== "aws" || ref.document === undefined) return undefined;
  const { document } = parsed(JSON.stringify(ref.document));
  return document ? { name: ref.name, document } : undefined;
}

/** The roles a list-valued property (PolicyAttachment.roles) names, by dependency or name. */
function rolesListed(from: PolicyResource, roles: PolicyResource[]): PolicyResource[] | "unknown" {
  const value = rawProps(from.props).roles;
  if (hasUnknown(value)) return "unknown";
  const deps = asRecord(from.propertyDependencies)?.roles;
  const names = Array.isArray(value) ? value : [];
  return roles.filter(
    (r) => (Array.isArray(deps) && deps.includes(r)) || names.includes(rawProps(r.props).name),
  );
}

/**
 * Every AWS managed policy with a known document that the stack attaches: through a role's
 * `managedPolicyArns`, a RolePolicyAttachment, UserPolicyAttachment, GroupPolicyAttachment or
 * PolicyAttachment. Customer managed policies are aws.iam.Policy documents (see
 * `identityDocuments`); AWS managed ones the pack does not know are left out.
 */
export function managedDocuments(resources: unknown): ManagedDocument[] {
  if (!Array.isArray(resources)) return [];
  const roles = ofType(resources, IAM_TYPES.role);
  const out: ManagedDocument[] = [];
  for (const role of roles) {
    const arns = rawProps(role.props).managedPolicyArns;
    (Array.isArray(arns) ? arns : []).forEach((arn, i) => {
      const m = managedDocument(arn);
      if (m)
        out.push({
          source: role,
          where: `managedPolicyArns[${i}] (${m.name})`,
          document: m.document,
          roles: [role],
          users: false,
        });
    });
  }
  const attachments = [
    IAM_TYPES.rolePolicyAttachment,
    IAM_TYPES.userPolicyAttachment,
    IAM_TYPES.groupPolicyAttachment,
    IAM_TYPES.policyAttachment,
  ];
  for (const type of attachments) {
    for (const a of ofType(resources, type)) {
      const m = managedDocument(rawProps(a.props).policyArn);
      if (!m) continue;
      const props = rawProps(a.props);
      const users =
        type === IAM_TYPES.userPolicyAttachment ||
        type === IAM_TYPES.groupPolicyAttachment ||
        (Array.isArray(props.users) && props.users.length > 0) ||
        (Array.isArray(props.groups) && props.groups.length > 0);
      const attached =
        type === IAM_TYPES.rolePolicyAttachment
          ? roleOf(a, roles)
          : type === IAM_TYPES.policyAttachment
            ? rolesListed(a, roles)
            : [];
      out.push({
        source: a,
        where: `policyArn (${m.name})`,
        document: m.document,
        roles: attached,
        users,
      });
    }
  }
  return out;
}

/**
 * SEC1 practice I, service roles and the confused deputy. A role that trusts a service principal
 * which acts for many accounts (AppSync, API Gateway, EventBridge...) can be used by that service
 * on behalf of any account that names the role, unless the trust policy pins the caller with
 * `aws:SourceArn` or `aws:SourceAccount`. Advisory by default: a role is handed to a service
 * only by a principal of the role's own account that holds iam:PassRole on it (or by the
 * service for a resource of that account), so nobody outside gains a path through it ("You can
 * only use the PassRole permission to pass an IAM role to a service that shares the same AWS
 * account": IAM/latest/UserGuide/id_roles_use_passrole.html); the conditions are the hardening
 * AWS recommends. Configurable to mandatory. Lambda execution roles are exempt by default: AWS
 * documents no such keys for them.
 *
 * A role trusted by any AWS principal without an external id or an organization or account
 * condition can be assumed from every account: mandatory when the role reaches something.
 */
import * as aws from "@pulumi/aws";
import {
  Policies,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { accessModel } from "../lib/access-model";
import { sec1Metadata } from "../lib/metadata";
import { openTrust, ROLE, roleReach } from "../lib/role-reach";
import { validateStackWith } from "../lib/typed-validation";
import { parseTrustPolicy, Statement, statementLabel } from "../lib/policy-document";
import { wildcardMatch } from "../lib/arn";
import {
  configSchema,
  exemptResourcesProperty,
  readConfig,
  stringListProperty,
} from "../lib/policy-config";
import { matchesAnyGlob, ofType, rawProps } from "../lib/stack-refs";
import { nameOf } from "../lib/values";

const DOCS = {
  confusedDeputy: "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
  principal:
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
};

/** Condition keys that pin the account or resource a service acts for. */
const SOURCE_KEYS = new Set([
  "aws:sourcearn",
  "aws:sourceaccount",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
]);

/** Operators that restrict a key to the values listed (the negated ones do not). */
const RESTRICTING = new Set([
  "StringEquals",
  "StringLike",
  "ArnEquals",
  "ArnLike",
  "StringEqualsIgnoreCase",
]);

/** Config of sec1-i-service-role-confused-deputy. */
export interface ServiceRoleConfusedDeputyArgs {
  /** Service principals that act for other accounts and support aws:SourceArn / aws:SourceAccount. */
  servicePrincipals: string[];
  /** Logical names of roles exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const schema = configSchema({
  servicePrincipals: stringListProperty(
    [
      "appsync.amazonaws.com",
      "apigateway.amazonaws.com",
      "events.amazonaws.com",
      "scheduler.amazonaws.com",
      "pipes.amazonaws.com",
      "states.amazonaws.com",
      "firehose.amazonaws.com",
      "sns.amazonaws.com",
      "cloudtrail.amazonaws.com",
      "delivery.logs.amazonaws.com",
    ],
    "Service principals (`*` wildcards) that act for other accounts and document aws:SourceArn / aws:SourceAccount for confused-deputy prevention.",
  ),
  exemptResources: exemptResourcesProperty("roles exempt"),
});

/** True when a statement lets the principal assume the role (sts:AssumeRole, or a wildcard). */
function assumes(s: Statement): boolean {
  if (s.notAction) return !s.notAction.some((a) => wildcardMatch(a, "sts:AssumeRole", true));
  return (s.action ?? []).some((a) => wildcardMatch(a, "sts:AssumeRole", true));
}

/** True when the statement restricts a source key to values that are not just `*`. */
function pinned(s: Statement): boolean {
  return s.conditions.some(
    (c) =>
      SOURCE_KEYS.has(c.key) &&
      RESTRICTING.has(c.base) &&
      !c.ifExists &&
      c.setOperator === undefined &&
      c.values.length > 0 &&
      c.values.every((v) => v !== "*" && v !== ""),
  );
}

/** I: service roles pin the account or resource the service acts for. */
export const serviceRoleConfusedDeputy: ResourceValidationPolicy = {
  name: "sec1-i-service-role-confused-deputy",
  description:
    "IAM roles trusted by a service that acts for many accounts (AppSync, API Gateway, EventBridge...) should limit the trust with aws:SourceArn or aws:SourceAccount, so the service cannot be made to use the role for another account's resources (the confused deputy). Advisory by default: only a principal of the role's own account with iam:PassRole on the role can hand it to a service, so no one outside gains a path; configure it mandatory to require the conditions AWS recommends.",
  enforcementLevel: "advisory",
  configSchema: schema,
  ...sec1Metadata(
    "I",
    "high",
    'Add a Condition to the trust statement: `{"StringEquals": {"aws:SourceAccount": "<account>"}, "ArnLike": {"aws:SourceArn": "<the API or resource ARN>"}}`.',
    DOCS.confusedDeputy,
    ["iam", "confused-deputy"],
  ),
  validateResource: validateResourceOfType(aws.iam.Role, (role, args, report) => {
    const config = readConfig<ServiceRoleConfusedDeputyArgs>(args, schema);
    const name = nameOf(args);
    if (matchesAnyGlob(name, config.exemptResources)) return;
    const parsed = parseTrustPolicy(rawProps(role).assumeRolePolicy);
    if (parsed.status !== "ok") return;
    for (const s of parsed.document.statements) {
      if (s.effect !== "Allow" || !s.principal || !assumes(s) || pinned(s)) continue;
      const services = s.principal.service.filter((p) =>
        config.servicePrincipals.some((pattern) => wildcardMatch(pattern, p, true)),
      );
      if (services.length === 0) continue;
      report(
        `IAM Role '${name}' must limit what ${services.join(", ")} may use it for (${statementLabel(s)} of assumeRolePolicy); set a Condition with aws:SourceAccount (your account) and aws:SourceArn (the resource that uses the role).`,
      );
    }
  }),
};

const SHOWN = 3;

const trustSchema = configSchema({ exemptResources: exemptResourcesProperty("roles exempt") });

/** I: no role that reaches APIs, functions, data or identity may be assumed from any account. */
export const roleTrustAnyPrincipal: StackValidationPolicy = {
  name: "sec1-i-role-trust-any-principal",
  description:
    'An IAM role whose trust policy lets any AWS principal assume it ("Principal": "*" or {"AWS": "*"} with sts:AssumeRole, and no sts:ExternalId, aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceAccount condition) can be assumed from every AWS account by any principal its own account lets call sts:AssumeRole: such a role must not reach an API, a function or a data store, nor escalate identity. Each diagnostic names the path: any AWS principal → the role → what it reaches.',
  enforcementLevel: "mandatory",
  configSchema: trustSchema,
  ...sec1Metadata(
    "I",
    "critical",
    'Set the trust statement\'s Principal to the accounts or roles meant to assume the role (`{"AWS": "arn:aws:iam::<account>:root"}`), or add a Condition on `sts:ExternalId` (third parties) or `aws:PrincipalOrgID` (your organization).',
    DOCS.principal,
    ["iam", "trust-policy"],
  ),
  validateStack: validateStackWith(ROLE, (args, report) => {
    const { exemptResources } = readConfig<{ exemptResources: string[] }>(args, trustSchema);
    for (const role of ofType(args.resources, ROLE)) {
      const open = openTrust(role);
      if (open.length === 0 || matchesAnyGlob(nameOf(role), exemptResources)) continue;
      const reach = roleReach(role, accessModel(args.resources).roles());
      if (reach === "unknown" || reach.length === 0) continue;
      const more = reach.length > SHOWN ? `; and ${reach.length - SHOWN} more` : "";
      report(
        `IAM Role '${nameOf(role)}' must not let any AWS principal of any account assume it (any AWS principal → sts:AssumeRole, ${open.map(statementLabel).join(", ")} of assumeRolePolicy → role ${nameOf(role)} → ${reach.slice(0, SHOWN).join("; ")}${more}); set Principal to the accounts or roles meant to assume it, or add a Condition on sts:ExternalId or aws:PrincipalOrgID.`,
        role.urn,
      );
    }
  }),
};

/** Every policy of this file. */
export const policies: Policies = [serviceRoleConfusedDeputy, roleTrustAnyPrincipal];

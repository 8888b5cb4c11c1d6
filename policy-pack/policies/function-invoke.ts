/**
 * SEC1 practice I, the side door to an API's function. A function behind an API trusts the
 * identity the API puts in the event (JWT claims, the IAM caller, the AppSync identity); whoever
 * may call `lambda:InvokeFunction` on it directly skips the authorizer and writes that identity
 * themselves. So an identity policy in the stack that lets a principal invoke such a function is
 * mandatory, unless the principal is the integration's own role (an AppSync data source's
 * service role, a REST/HTTP integration's credentials role). AWS managed policies that allow the
 * call (AWSLambdaRole, AWSLambda_FullAccess, AdministratorAccess...) count where principals
 * outside the account's own services hold them: IAM users and groups, roles that another account,
 * any principal or a web identity (a Cognito identity pool) may assume.
 */
import { Policies, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import {
  evaluatePolicy,
  Statement,
  statementApplies,
  statementLabel,
} from "../lib/policy-document";
import {
  IAM_TYPES,
  identityDocuments,
  managedDocuments,
  rolesNamedBy,
} from "../lib/identity-documents";
import { outsidePrincipals } from "../lib/role-reach";
import { configSchema, exemptResourcesProperty, readConfig } from "../lib/policy-config";
import { matchesAnyGlob, ofType, rawProps, TYPES } from "../lib/stack-refs";
import { asRecord, isUnknownValue, nameOf } from "../lib/values";

const DOCS = {
  lambdaIdentity: "https://docs.aws.amazon.com/lambda/latest/dg/permissions-user-function.html",
};

const INVOKE = "lambda:InvokeFunction";

/** An unqualified function ARN inside a string (an integration URI, a data source config). */
const FUNCTION_ARN = /arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+/;

/** A function that backs an API, and the roles its integration invokes it with. */
interface BackingFunction {
  arn: string;
  /** The integration or data source that calls it, for messages. */
  via: PolicyResource;
  /** Roles the integration uses to invoke it (sanctioned callers). */
  roles: PolicyResource[];
}

/** Where integrations name the function and the role they call it with. */
const INTEGRATIONS = [
  { type: TYPES.restIntegration, fn: (p: Record<string, unknown>) => p.uri, role: "credentials" },
  {
    type: TYPES.httpIntegration,
    fn: (p: Record<string, unknown>) => p.integrationUri,
    role: "credentialsArn",
  },
  {
    type: TYPES.appsyncDataSource,
    fn: (p: Record<string, unknown>) => asRecord(p.lambdaConfig)?.functionArn,
    role: "serviceRoleArn",
  },
] as const;

/** The functions behind the stack's APIs, by their ARN (known values only). */
function backingFunctions(resources: unknown): BackingFunction[] {
  const roles = ofType(resources, IAM_TYPES.role);
  const out: BackingFunction[] = [];
  for (const kind of INTEGRATIONS) {
    for (const integration of ofType(resources, kind.type)) {
      const value = kind.fn(rawProps(integration.props));
      if (typeof value !== "string" || isUnknownValue(value)) continue;
      const arn = FUNCTION_ARN.exec(value)?.[0];
      if (!arn) continue;
      const named = rolesNamedBy(integration, kind.role, roles);
      out.push({ arn, via: integration, roles: named === "unknown" ? [] : named });
    }
  }
  return out;
}

/** The Allow statements of a document that let a principal invoke `arn` (worst case for conditions). */
function invokeStatements(statements: Statement[], arn: string): Statement[] {
  const request = {
    principal: { arn: "arn:aws:iam::000000000000:role/sec1-probe" },
    action: INVOKE,
    resource: arn,
  };
  const assume = (_c: unknown, s: Statement) => s.effect === "Allow";
  if (evaluatePolicy({ statements }, request, { assume }) !== "Allow") return [];
  return statements.filter(
    (s) => s.effect === "Allow" && statementApplies(s, request, { assume }) === true,
  );
}

/** Config of sec1-i-api-function-direct-invoke. */
export interface ApiFunctionDirectInvokeArgs {
  /** Logical names of policies or roles allowed to invoke API functions directly (`*` wildcards). */
  exemptResources: string[];
}

const schema = configSchema({
  exemptResources: exemptResourcesProperty(
    "IAM policies or roles allowed to invoke an API's functions directly",
  ),
});

/** I (stack): no identity policy opens a side door to a function behind an API. */
export const apiFunctionDirectInvoke: StackValidationPolicy = {
  name: "sec1-i-api-function-direct-invoke",
  description:
    "No identity policy may grant lambda:InvokeFunction on a function that backs an API (other than the integration's own role): a direct call skips the API's authorizer, and the function trusts the caller identity written into the event. Inline and customer managed policies count for every principal; AWS managed policies (managedPolicyArns, Role/User/Group/PolicyAttachment) where IAM users or roles assumable from another account, by any principal or by web identities hold them, and the diagnostic names that path.",
  enforcementLevel: "mandatory",
  configSchema: schema,
  ...sec1Metadata(
    "I",
    "high",
    "Remove lambda:InvokeFunction on the API's functions from the policy (or narrow its Resource to other functions); callers go through the API, where the authorizer runs. Exempt a deliberate internal caller through `exemptResources`.",
    DOCS.lambdaIdentity,
    ["lambda", "iam"],
  ),
  validateStack: (args, report) => {
    const config = readConfig<ApiFunctionDirectInvokeArgs>(args, schema);
    const functions = backingFunctions(args.resources);
    if (functions.length === 0) return;
    const exempt = (names: string[]) =>
      names.some((n) => matchesAnyGlob(n, config.exemptResources));
    for (const doc of identityDocuments(args.resources)) {
      if (!doc.document || doc.roles === "unknown") continue;
      if (exempt([nameOf(doc.source), ...doc.roles.map((r) => nameOf(r))])) continue;
      for (const hit of invokeHits(doc.document.statements, doc.roles, functions)) {
        report(
          `${doc.source.type === IAM_TYPES.role ? "IAM Role" : "IAM policy"} '${nameOf(doc.source)}' must not let its principal invoke function ${hit.fn.arn.split(":").pop()} directly (${hit.statements.map(statementLabel).join(", ")} of ${doc.where}), which backs '${nameOf(hit.fn.via)}' and trusts the identity in its event; set Resource to other functions, or call through the API.`,
          doc.source.urn,
        );
      }
    }
    for (const doc of managedDocuments(args.resources)) {
      if (doc.roles === "unknown") continue;
      if (exempt([nameOf(doc.source), ...doc.roles.map((r) => nameOf(r))])) continue;
      // An AWS managed policy such as AWSLambda_FullAccess on an execution role is used by the
      // function's own code only; it opens a side door when outsiders hold it.
      const outsiders = [
        ...(doc.users ? ["IAM users"] : []),
        ...doc.roles.flatMap((r) =>
          outsidePrincipals(r).map((who) => `${who} → role ${nameOf(r)}`),
        ),
      ];
      if (outsiders.length === 0) continue;
      for (const hit of invokeHits(doc.document.statements, doc.roles, functions)) {
        report(
          `IAM ${doc.source.type === IAM_TYPES.role ? "Role" : "attachment"} '${nameOf(doc.source)}' must not let ${outsiders.join(" and ")} invoke function ${hit.fn.arn.split(":").pop()} directly (${outsiders[0]} → ${INVOKE} by ${doc.where} → function ${hit.fn.arn.split(":").pop()}), which backs '${nameOf(hit.fn.via)}' and trusts the identity in its event; attach a policy whose Resource names other functions, or call through the API.`,
          doc.source.urn,
        );
      }
    }
  },
};

/** The API functions `statements` let their holder invoke, unless it is the integration's role. */
function invokeHits(
  statements: Statement[],
  roles: PolicyResource[],
  functions: BackingFunction[],
): { fn: BackingFunction; statements: Statement[] }[] {
  const out: { fn: BackingFunction; statements: Statement[] }[] = [];
  const reported = new Set<string>();
  for (const fn of functions) {
    if (reported.has(fn.arn)) continue;
    if (roles.length > 0 && roles.every((r) => fn.roles.includes(r))) continue;
    const hits = invokeStatements(statements, fn.arn);
    if (hits.length === 0) continue;
    reported.add(fn.arn);
    out.push({ fn, statements: hits });
  }
  return out;
}

/** Every policy of this file. */
export const policies: Policies = [apiFunctionDirectInvoke];

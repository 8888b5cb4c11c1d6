/**
 * SEC1 practice I: least privilege for internal consumers.
 * IAM policies that reach execute-api:Invoke name specific APIs (and, advised, stage, method and
 * path); methods of private APIs use AWS_IAM; Lambda permissions for API Gateway and AppSync
 * name the API that calls the function.
 */
import * as aws from "@pulumi/aws";
import {
  Policies,
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { accountOfArn, parseArn, hasWildcard } from "../lib/arn";
import { managedPolicy } from "../lib/aws-managed-policies";
import { isPrivateRestApi } from "../lib/endpoint";
import { sec1Metadata } from "../lib/metadata";
import {
  configSchema,
  exemptHttpMethodsProperty,
  readConfig,
  stringListProperty,
} from "../lib/policy-config";
import {
  INVOKE_SCOPES,
  InvokeGrant,
  invokeGrants,
  InvokeScope,
  SCOPE_WORDS as RESOURCE_POLICY_SCOPE_WORDS,
  parsePolicyDocument,
  statementLabel,
} from "../lib/policy-document";
import { ofType, rawProps, resolveReference, TYPES } from "../lib/stack-refs";
import { validateEachType, validateStackWith } from "../lib/typed-validation";
import { asRecord, hasUnknown, knownString, nameOf } from "../lib/values";

const DOCS = {
  invokePolicies:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html",
  iamAuth: "https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html",
  lambdaPermissions:
    "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
};

// ---------------------------------------------------------------------------------------------
// I1. IAM policies that reach execute-api:Invoke

/** The IAM resources whose documents can grant execute-api:Invoke, and how to read them. */
const IAM_DOCUMENT_TYPES = [
  { cls: aws.iam.Policy, service: "IAM Policy" },
  { cls: aws.iam.RolePolicy, service: "IAM RolePolicy" },
  { cls: aws.iam.UserPolicy, service: "IAM UserPolicy" },
  { cls: aws.iam.GroupPolicy, service: "IAM GroupPolicy" },
] as const;

/** Each grant of execute-api:Invoke in a resource's documents, with where it came from. */
interface LocatedGrant {
  grant: InvokeGrant;
  /** The property holding the document, e.g. "policy" or "inlinePolicies[0].policy". */
  where: string;
  /** The AWS managed policy the grant comes from, when it is an attached one. */
  managed?: string;
}

/** A policy document a resource carries or attaches. */
interface LocatedDocument {
  where: string;
  value: unknown;
  managed?: string;
}

function grantsOf(documents: LocatedDocument[]): LocatedGrant[] {
  const out: LocatedGrant[] = [];
  for (const d of documents) {
    const parsed = parsePolicyDocument(d.value);
    if (parsed.status !== "ok") continue; // unknown in preview or unreadable: cannot tell
    for (const grant of invokeGrants(parsed.document)) {
      out.push({ grant, where: d.where, managed: d.managed });
    }
  }
  return out;
}

/**
 * The documents of the AWS managed policies a resource attaches (`policyArn`, or a list such as
 * `managedPolicyArns`), for those that grant execute-api:Invoke. Customer managed policies are
 * aws.iam.Policy resources, checked on their own; unknown ARNs are skipped.
 */
function attachedDocuments(props: Record<string, unknown>, property: string): LocatedDocument[] {
  const value = props[property];
  const arns = Array.isArray(value) ? value : [value];
  const out: LocatedDocument[] = [];
  arns.forEach((arn, i) => {
    const ref = managedPolicy(arn);
    if (ref.kind !== "aws" || ref.document === undefined) return;
    const where = Array.isArray(value) ? `${property}[${i}]` : property;
    out.push({ where, value: ref.document, managed: ref.name });
  });
  return out;
}

/** IAM resources that attach managed policies, and the property naming them. */
const ATTACHMENT_TYPES = [
  { cls: aws.iam.RolePolicyAttachment, service: "IAM RolePolicyAttachment", property: "policyArn" },
  { cls: aws.iam.UserPolicyAttachment, service: "IAM UserPolicyAttachment", property: "policyArn" },
  {
    cls: aws.iam.GroupPolicyAttachment,
    service: "IAM GroupPolicyAttachment",
    property: "policyArn",
  },
  { cls: aws.iam.PolicyAttachment, service: "IAM PolicyAttachment", property: "policyArn" },
  {
    cls: aws.iam.RolePolicyAttachmentsExclusive,
    service: "IAM RolePolicyAttachmentsExclusive",
    property: "policyArns",
  },
  {
    cls: aws.iam.UserPolicyAttachmentsExclusive,
    service: "IAM UserPolicyAttachmentsExclusive",
    property: "policyArns",
  },
  {
    cls: aws.iam.GroupPolicyAttachmentsExclusive,
    service: "IAM GroupPolicyAttachmentsExclusive",
    property: "policyArns",
  },
] as const;

/** The documents of a Role's inline policies. */
function roleDocuments(props: Record<string, unknown>): { where: string; value: unknown }[] {
  const inline = props.inlinePolicies;
  if (!Array.isArray(inline)) return [];
  return inline.map((p, i) => ({
    where: `inlinePolicies[${i}].policy`,
    value: asRecord(p)?.policy,
  }));
}

/** Validations over every IAM resource type that carries a document. */
function overIamDocuments(
  check: (
    service: string,
    grants: LocatedGrant[],
    args: ResourceValidationArgs,
    report: ReportViolation,
  ) => void,
): ResourceValidation {
  return validateEachType(
    ...IAM_DOCUMENT_TYPES.map(({ cls, service }) =>
      validateResourceOfType(cls as typeof aws.iam.Policy, (resource, args, report) => {
        const props = rawProps(resource);
        check(service, grantsOf([{ where: "policy", value: props.policy }]), args, report);
      }),
    ),
    ...ATTACHMENT_TYPES.map(({ cls, service, property }) =>
      validateResourceOfType(
        cls as typeof aws.iam.RolePolicyAttachment,
        (resource, args, report) => {
          check(service, grantsOf(attachedDocuments(rawProps(resource), property)), args, report);
        },
      ),
    ),
    validateResourceOfType(aws.iam.Role, (role, args, report) => {
      const props = rawProps(role);
      const documents = [...roleDocuments(props), ...attachedDocuments(props, "managedPolicyArns")];
      check("IAM Role", grantsOf(documents), args, report);
    }),
  );
}

/** An identity policy names some API, not the one it is attached to. */
const SCOPE_WORDS: Record<InvokeScope, string> = {
  ...RESOURCE_POLICY_SCOPE_WORDS,
  api: "a whole API",
};

const INVOKE_ARN_HINT =
  "arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>";

/** I1: grants of execute-api:Invoke name specific APIs; no NotAction/NotResource reach it. */
export const executeApiInvokeScope: ResourceValidationPolicy = {
  name: "sec1-i-execute-api-invoke-scope",
  description:
    'IAM policies that allow execute-api:Invoke (directly, through execute-api:* or *, or through NotAction) must name specific APIs: no Resource "* Path guarded: the principal holding the policy invokes every IAM-authorized API of the account, including the ones not meant for it, and what they reach.", no account-wide execute-api wildcards, no NotResource, and no attached AWS managed policy that invokes every API (AmazonAPIGatewayInvokeFullAccess, AdministratorAccess, PowerUserAccess), so an internal consumer can call only the APIs it is meant to.',
  enforcementLevel: "mandatory",
  ...sec1Metadata(
    "I",
    "high",
    `List the actions in Action (not NotAction) and set Resource to the execute-api ARN of each API, stage, method and path the caller needs (${INVOKE_ARN_HINT}), built from the API's executionArn; attach such a customer managed policy instead of AmazonAPIGatewayInvokeFullAccess.`,
    DOCS.invokePolicies,
    ["iam", "execute-api"],
  ),
  validateResource: overIamDocuments((service, grants, args, report) => {
    for (const { grant, where, managed } of grants) {
      const s = statementLabel(grant.statement);
      if (managed !== undefined) {
        report(
          `${service} '${nameOf(args)}' must not attach the AWS managed policy ${managed} (${where}), which allows execute-api:Invoke on every API ('${grant.broadest}'${grant.viaNotAction ? " through NotAction" : ""}); attach a customer managed policy whose Resource names the APIs the caller needs (${INVOKE_ARN_HINT}) instead.`,
        );
        continue;
      }
      if (grant.viaNotAction) {
        report(
          `${service} '${nameOf(args)}' must not allow execute-api:Invoke through NotAction (${where}, ${s}); set Action to the actions the caller needs instead of NotAction.`,
        );
      }
      if (grant.viaNotResource) {
        report(
          `${service} '${nameOf(args)}' must not allow execute-api:Invoke on everything but a list (NotResource in ${where}, ${s}); set Resource to ${INVOKE_ARN_HINT}.`,
        );
      } else if (grant.scope === "any") {
        report(
          `${service} '${nameOf(args)}' must name specific APIs when it allows execute-api:Invoke, not '${grant.broadest}' (${where}, ${s}); set Resource to ${INVOKE_ARN_HINT}.`,
        );
      }
    }
  }),
};

/** Config of sec1-i-execute-api-invoke-path-scope. */
export interface InvokePathScopeArgs {
  /**
   * The narrowest scope grants should reach: "api", "stage", "method" or "path".
   * @default "path"
   */
  minimumScope: string;
}

const pathScopeSchema = configSchema({
  minimumScope: {
    type: "string",
    enum: ["api", "stage", "method", "path"],
    default: "path",
    description: 'The narrowest scope grants should reach: "api", "stage", "method", "path".',
  },
});

/** I1 (advisory): grants name stage, method and path, not a whole API. */
export const executeApiInvokePathScope: ResourceValidationPolicy = {
  name: "sec1-i-execute-api-invoke-path-scope",
  description:
    "IAM grants of execute-api:Invoke should name the stage, method and path a consumer calls (`/*/*/*` gives it every operation of the API, including ones added later).",
  enforcementLevel: "advisory",
  configSchema: pathScopeSchema,
  ...sec1Metadata(
    "I",
    "medium",
    `Set Resource to one ARN per operation the caller needs: ${INVOKE_ARN_HINT}.`,
    DOCS.invokePolicies,
    ["iam", "execute-api"],
  ),
  validateResource: overIamDocuments((service, grants, args, report) => {
    const config = readConfig<InvokePathScopeArgs>(args, pathScopeSchema);
    const minimum = INVOKE_SCOPES.indexOf(config.minimumScope as InvokeScope);
    if (minimum < 0) return;
    for (const { grant, where } of grants) {
      // Account-wide and NotResource grants are the mandatory policy's business.
      if (grant.scope === "any" || grant.viaNotResource) continue;
      if (INVOKE_SCOPES.indexOf(grant.scope) >= minimum) continue;
      report(
        `${service} '${nameOf(args)}' must scope execute-api:Invoke to the operations its caller needs, not ${SCOPE_WORDS[grant.scope]} ('${grant.broadest}' in ${where}, ${statementLabel(grant.statement)}); set Resource to ${INVOKE_ARN_HINT}.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// I2. Methods of a private API use AWS_IAM

/** Config of sec1-i-private-api-iam-auth. */
export interface PrivateApiIamAuthArgs {
  /**
   * Authorization types a method of a PRIVATE API may use.
   * @default ["AWS_IAM"]
   */
  allowedAuthorizations: string[];
  /**
   * HTTP methods exempt (CORS preflight cannot carry a signature).
   * @default ["OPTIONS"]
   */
  exemptHttpMethods: string[];
}

const iamAuthSchema = configSchema({
  allowedAuthorizations: stringListProperty(
    ["AWS_IAM"],
    "Authorization types a method of a PRIVATE API may use.",
  ),
  exemptHttpMethods: exemptHttpMethodsProperty(
    "HTTP methods exempt from the rule (CORS preflight cannot be signed).",
  ),
});

/** I2: every method of a PRIVATE REST API uses AWS_IAM (stack). */
export const privateApiIamAuth: StackValidationPolicy = {
  name: "sec1-i-private-api-iam-auth",
  description:
    "Methods of a PRIVATE API Gateway REST API must use AWS_IAM authorization, so each internal consumer is identified by its IAM principal and limited by its own least-privilege policy. Advisory by default: a Cognito or Lambda authorizer still authenticates each caller, and a method with no authorization is reported (mandatory) by sec1-a-rest-method-authorization; configure it mandatory to require IAM on every private method.",
  enforcementLevel: "advisory",
  configSchema: iamAuthSchema,
  ...sec1Metadata(
    "I",
    "high",
    'Set `authorization: "AWS_IAM"` on every method of the private API and grant each consumer execute-api:Invoke on exactly the stage, method and path it calls.',
    DOCS.iamAuth,
    ["api-gateway", "rest-api", "iam"],
  ),
  validateStack: validateStackWith(TYPES.restMethod, (args, report) => {
    const config = readConfig<PrivateApiIamAuthArgs>(args, iamAuthSchema);
    const allowed = config.allowedAuthorizations.map((a) => a.toUpperCase());
    const exempt = config.exemptHttpMethods.map((m) => m.toUpperCase());
    const apis = ofType(args.resources, TYPES.restApi);
    for (const method of ofType(args.resources, TYPES.restMethod)) {
      const props = rawProps(method.props);
      const httpMethod = knownString(props.httpMethod);
      if (httpMethod === undefined || exempt.includes(httpMethod.toUpperCase())) continue;
      const authorization = props.authorization;
      if (hasUnknown(authorization)) continue;
      const auth = typeof authorization === "string" ? authorization.toUpperCase() : "NONE";
      if (allowed.includes(auth)) continue;
      const ref = resolveReference(method, "restApi", apis);
      if (ref.kind !== "found") continue;
      const privateApi = ref.resources.find((api) => isPrivateRestApi(api) === true);
      if (!privateApi) continue;
      report(
        `API Gateway Method '${nameOf(method)}' (${httpMethod} on PRIVATE REST API '${nameOf(privateApi)}') must use ${allowed.join(" or ")} authorization, not ${auth}; set authorization to "${allowed[0] ?? "AWS_IAM"}".`,
        method.urn,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// I3. Lambda permissions for API Gateway and AppSync name the API

const API_PRINCIPALS: Record<string, "execute-api" | "appsync"> = {
  "apigateway.amazonaws.com": "execute-api",
  "appsync.amazonaws.com": "appsync",
};

/** Why a sourceArn does not name one API of the given service, or undefined when it does. */
function sourceArnProblem(
  sourceArn: string,
  service: "execute-api" | "appsync",
): string | undefined {
  const arn = parseArn(sourceArn);
  if (!arn || arn.service !== service) return `it is not an ${service} ARN`;
  if (hasWildcard(arn.account) || arn.account === "" || hasWildcard(arn.region)) {
    return "its account or region is a wildcard";
  }
  const id =
    service === "execute-api"
      ? arn.resource.split("/")[0]
      : arn.resource.startsWith("apis/")
        ? arn.resource.split("/")[1]
        : undefined;
  if (id === undefined || id === "" || hasWildcard(id)) return "it does not name one API id";
  return undefined;
}

/** The account a principal names (`123456789012`, or an IAM ARN of that account). */
function accountOfPrincipal(principal: string): string | undefined {
  return /^\d{12}$/.test(principal) ? principal : accountOfArn(principal);
}

/** True for a service principal (`events.amazonaws.com`, `s3.amazonaws.com`, ...). */
function isServicePrincipal(principal: string): boolean {
  return /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/i.test(principal);
}

/**
 * Who outside the function's own account a permission lets invoke it, or undefined: any
 * principal (`*`, unless limited to an organization), another account, or any account's resource
 * of a service (a service principal without sourceArn or sourceAccount: "any account's
 * resources of that service can invoke", https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html).
 * API Gateway and AppSync get their own, stricter check of the sourceArn below.
 */
function outsideCaller(props: Record<string, unknown>): string | undefined {
  const principal = knownString(props.principal);
  if (principal === undefined) return undefined;
  if (principal === "*") {
    const org = props.principalOrgId;
    if (hasUnknown(org) || (typeof org === "string" && org !== "")) return undefined;
    return "any principal of any account";
  }
  const account = accountOfPrincipal(principal);
  if (account !== undefined) {
    const fn = knownString(props.function);
    const own = fn === undefined ? undefined : accountOfArn(fn);
    return own !== undefined && own !== account ? `account ${account}` : undefined;
  }
  if (!isServicePrincipal(principal) || API_PRINCIPALS[principal]) return undefined;
  const source = [props.sourceArn, props.sourceAccount];
  if (source.some(hasUnknown) || source.some((v) => typeof v === "string" && v !== ""))
    return undefined;
  return `any account's resource of ${principal}`;
}

/** Why an API Gateway/AppSync permission does not name its API, or undefined when it does. */
function apiSourceProblem(props: Record<string, unknown>, name: string): string | undefined {
  const service = API_PRINCIPALS[knownString(props.principal) ?? ""];
  if (!service) return undefined;
  const sourceArn = props.sourceArn;
  if (hasUnknown(sourceArn)) return undefined;
  const what = service === "execute-api" ? "the API's executionArn" : "the GraphQL API's arn";
  const suffix = service === "execute-api" ? " + /<stage>/<METHOD>/<path>" : "";
  if (typeof sourceArn !== "string" || sourceArn === "") {
    return `Lambda Permission '${name}' must name the API allowed to invoke the function (without sourceArn, any account's API of ${props.principal} may invoke it); set sourceArn to ${what}${suffix}.`;
  }
  const problem = sourceArnProblem(sourceArn, service);
  if (!problem) return undefined;
  return `Lambda Permission '${name}' must name one API in sourceArn, but '${sourceArn}' does not (${problem}); set sourceArn to ${what}${suffix}.`;
}

/** I3: a Lambda permission lets in no one outside its account; API ones name their API. */
export const lambdaPermissionSourceArn: ResourceValidationPolicy = {
  name: "sec1-i-lambda-permission-source-arn",
  description:
    "A Lambda permission must not open the function to principals outside its account: not to principal `*` (unless limited by principalOrgId), not to another account, and not to a service principal (events, sns, s3, ...) without sourceArn or sourceAccount, which lets any account's resource of that service invoke it. A permission for apigateway.amazonaws.com or appsync.amazonaws.com must set sourceArn to the calling API (execute-api or AppSync ARN), or any API in any account can invoke the function.",
  enforcementLevel: "mandatory",
  ...sec1Metadata(
    "I",
    "critical",
    "Set `sourceArn` to `${api.executionArn}/<stage>/<METHOD>/<path>` (REST/HTTP), the GraphQL API's `arn` (AppSync) or the calling resource's ARN (rule, topic, bucket), or `sourceAccount` to your account; set `principal` to the service principal, never `*` or another account.",
    DOCS.lambdaPermissions,
    ["lambda", "resource-policy"],
  ),
  validateResource: validateResourceOfType(aws.lambda.Permission, (permission, args, report) => {
    const props = rawProps(permission);
    const name = nameOf(args);
    const outside = outsideCaller(props);
    if (outside !== undefined) {
      const fn = knownString(props.function) ?? "the function";
      report(
        `Lambda Permission '${name}' must not grant principal '${knownString(props.principal)}' without naming its caller (${outside} → ${knownString(props.action) ?? "lambda:InvokeFunction"} → function ${fn.split(":").pop()}); set principal to the calling service with sourceArn (or sourceAccount) naming your resource, or to your own account.`,
      );
      return;
    }
    const problem = apiSourceProblem(props, name);
    if (problem) report(problem);
  }),
};

/** The integrations that can call a Lambda function, and the property naming their API. */
const INTEGRATIONS = [
  {
    type: TYPES.restIntegration,
    fn: "uri",
    api: "restApi",
    apis: TYPES.restApi,
  },
  {
    type: TYPES.httpIntegration,
    fn: "integrationUri",
    api: "apiId",
    apis: TYPES.httpApi,
  },
  {
    type: TYPES.appsyncDataSource,
    fn: "lambdaConfig",
    api: "apiId",
    apis: TYPES.graphQLApi,
  },
] as const;

/** The APIs whose integrations call `fn`, by property dependencies; undefined when unknown. */
function apisCalling(
  resources: PolicyResource[],
  fn: PolicyResource,
): PolicyResource[] | undefined {
  const found = new Set<PolicyResource>();
  for (const kind of INTEGRATIONS) {
    for (const integration of ofType(resources, kind.type)) {
      if (!(integration.propertyDependencies?.[kind.fn] ?? []).includes(fn)) continue;
      const ref = resolveReference(integration, kind.api, ofType(resources, kind.apis));
      if (ref.kind === "unknown") return undefined;
      if (ref.kind === "found") ref.resources.forEach((api) => found.add(api));
    }
  }
  return [...found];
}

/** I3 (stack): the sourceArn of the permission names the API that integrates the function. */
export const lambdaPermissionSourceApi: StackValidationPolicy = {
  name: "sec1-i-lambda-permission-source-api",
  description:
    "A Lambda permission for API Gateway or AppSync must name, in its sourceArn, the API whose integration calls the function, not some other API of the stack. Advisory by default: the sourceArn still pins the caller to an API of the stack's own account, whose integrations the owner writes, so no one outside gains a path (the integrating API's calls fail until it is fixed); configure it mandatory to catch the mis-wiring.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "I",
    "high",
    "Build the permission's sourceArn from the executionArn (or arn) of the API whose integration or data source targets the function.",
    DOCS.lambdaPermissions,
    ["lambda", "resource-policy"],
  ),
  validateStack: validateStackWith(TYPES.lambdaPermission, (args, report) => {
    const functions = ofType(args.resources, TYPES.lambdaFunction);
    const apiTypes = new Set<string>([TYPES.restApi, TYPES.httpApi, TYPES.graphQLApi]);
    for (const permission of ofType(args.resources, TYPES.lambdaPermission)) {
      const props = rawProps(permission.props);
      const principal = knownString(props.principal);
      if (principal === undefined || !API_PRINCIPALS[principal]) continue;
      const named = (permission.propertyDependencies?.sourceArn ?? []).filter((r) =>
        apiTypes.has(r.type),
      );
      if (named.length === 0) continue; // a literal ARN: the resource policy checks its shape
      const fnRef = resolveReference(permission, "function", functions, ["name", "arn"]);
      if (fnRef.kind !== "found") continue;
      for (const fn of fnRef.resources) {
        const callers = apisCalling(args.resources, fn);
        if (callers === undefined || callers.length === 0) continue;
        if (named.some((api) => callers.includes(api))) continue;
        report(
          `Lambda Permission '${nameOf(permission)}' must name the API that calls function '${nameOf(fn)}' (${callers.map((c) => `'${nameOf(c)}'`).join(", ")}), not ${named.map((c) => `'${nameOf(c)}'`).join(", ")}; set sourceArn to that API's ${callers[0].type === TYPES.graphQLApi ? "arn" : "executionArn"}.`,
          permission.urn,
        );
      }
    }
  }),
};

/** Every policy of practice I. */
export const policies: Policies = [
  executeApiInvokeScope,
  executeApiInvokePathScope,
  privateApiIamAuth,
  lambdaPermissionSourceArn,
  lambdaPermissionSourceApi,
];

/**
 * SEC1 practice E: endpoints are public or private on purpose.
 * REST endpoint types are allowed ones; private APIs carry a resource policy that pins callers to
 * VPC endpoints (evaluated, not grepped); the execute-api VPC endpoint is a real interface
 * endpoint; internal AppSync APIs are private.
 */
import * as aws from "@pulumi/aws";
import {
  Policies,
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import {
  endpointTypes,
  INTERNAL_RULE_SCHEMA,
  OutsideApiPolicy,
  InternalRule,
  isInternal,
  isPrivateRestApi,
  restApiPolicies,
} from "../lib/endpoint";
import { sec1Metadata } from "../lib/metadata";
import { validateStackWith } from "../lib/typed-validation";
import { configSchema, readConfig } from "../lib/policy-config";
import {
  findAnyAccountInvoke,
  findUnrestrictedInvoke,
  INVOKE_SCOPES,
  invokeGrants,
  InvokeScope,
  SCOPE_WORDS,
  parsePolicyDocument,
  statementLabel,
} from "../lib/policy-document";
import { accessModel, Caller, describePath } from "../lib/access-model";
import { ofType, rawProps, TYPES } from "../lib/stack-refs";
import { asList, hasUnknown, knownString, nameOf } from "../lib/values";

const DOCS = {
  endpointTypes:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html",
  privateApis:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html",
  resourcePolicies:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html",
  authorizationFlow:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html",
  vpcEndpoint:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-create.html",
  appsyncPrivate: "https://docs.aws.amazon.com/appsync/latest/devguide/using-private-apis.html",
};

// ---------------------------------------------------------------------------------------------
// E1. REST endpoint type

/** Config of sec1-e-rest-endpoint-type. */
export interface RestEndpointTypeArgs extends InternalRule {
  /**
   * Endpoint types a REST API may use.
   * @default ["REGIONAL", "PRIVATE"]
   */
  allowedTypes: string[];
  /**
   * Require PRIVATE for APIs that count as internal (by tag or name).
   * @default true
   */
  requirePrivateForInternal: boolean;
}

const restEndpointTypeSchema = configSchema({
  allowedTypes: {
    type: "array",
    items: { type: "string", enum: ["EDGE", "REGIONAL", "PRIVATE"] },
    default: ["REGIONAL", "PRIVATE"],
    description: "Endpoint types a REST API may use (EDGE, REGIONAL, PRIVATE).",
  },
  requirePrivateForInternal: {
    type: "boolean",
    default: true,
    description: "Require PRIVATE for APIs that count as internal (by tag or name).",
  },
  ...INTERNAL_RULE_SCHEMA,
});

/** E1: a REST API's endpoint type is chosen on purpose, and internal APIs are private. */
export const restEndpointType: ResourceValidationPolicy = {
  name: "sec1-e-rest-endpoint-type",
  description:
    "API Gateway REST APIs should use an allowed endpoint type (default REGIONAL or PRIVATE; an unset type is EDGE), and APIs marked internal should be PRIVATE, so nothing is public by accident. Advisory by default: the endpoint type does not change who may call a method whose authorization holds (configure it mandatory to enforce PRIVATE for internal APIs).",
  enforcementLevel: "advisory",
  configSchema: restEndpointTypeSchema,
  ...sec1Metadata(
    "E",
    "high",
    'Set `endpointConfiguration: { types: "PRIVATE" }` (internal callers, reached through an execute-api VPC endpoint) or `"REGIONAL"` (public, behind your own CloudFront/WAF) on the REST API.',
    DOCS.endpointTypes,
    ["api-gateway", "rest-api"],
  ),
  validateResource: validateResourceOfType(aws.apigateway.RestApi, (api, args, report) => {
    const props = rawProps(api);
    const config = readConfig<RestEndpointTypeArgs>(args, restEndpointTypeSchema);
    const types = endpointTypes(props);
    if (types === undefined) return;
    const allowed = config.allowedTypes.map((t) => t.toUpperCase());
    for (const type of types.filter((t) => !allowed.includes(t))) {
      report(
        `API Gateway REST API '${nameOf(args)}' must use an allowed endpoint type (${allowed.join(", ")}), not ${type}; set endpointConfiguration.types to ${allowed.map((t) => `"${t}"`).join(" or ")}.`,
      );
    }
    if (config.requirePrivateForInternal && !types.includes("PRIVATE")) {
      if (isInternal(props, args.name, config) === true) {
        report(
          `API Gateway REST API '${nameOf(args)}' must be PRIVATE because it is marked internal (tag ${config.internalTagKey}=${config.internalTagValue} or name rule); set endpointConfiguration.types to "PRIVATE".`,
        );
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// E2. A PRIVATE REST API has a resource policy

/**
 * E2: a PRIVATE REST API has a resource policy, inline or as a RestApiPolicy (stack). Without
 * one the API cannot be deployed ("For a private API, you can't deploy your API without a
 * resource policy": apigateway-resource-policies-create-attach.html), so it is advisory.
 */
export const privateApiResourcePolicy: StackValidationPolicy = {
  name: "sec1-e-private-api-resource-policy",
  description:
    "A PRIVATE API Gateway REST API must have a resource policy (inline `policy` or an aws.apigateway.RestApiPolicy): without one, no VPC endpoint may call it and the API cannot say which endpoints may. Advisory by default: API Gateway does not deploy a PRIVATE API without a resource policy (it fails closed), so no one outside gains a path; configure it mandatory to catch the failure at preview.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "E",
    "high",
    "Attach a resource policy that allows execute-api:Invoke only from your VPC endpoint (Condition StringEquals aws:SourceVpce), inline as `policy` on the REST API or as an `aws.apigateway.RestApiPolicy` whose restApiId is the API; make the deployment depend on it.",
    DOCS.privateApis,
    ["api-gateway", "rest-api", "resource-policy"],
  ),
  validateStack: validateStackWith(TYPES.restApi, (args, report) => {
    const { documents, maybe } = restApiPolicies(args.resources);
    for (const api of ofType(args.resources, TYPES.restApi)) {
      if (isPrivateRestApi(api) !== true || maybe.has(api)) continue;
      const own = documents.filter((d) => d.api === api);
      if (own.length > 0) continue;
      report(
        `API Gateway REST API '${nameOf(api)}' must have a resource policy because it is PRIVATE; set policy (or add an aws.apigateway.RestApiPolicy with restApiId set to this API) to a document that allows execute-api:Invoke from your VPC endpoint.`,
        api.urn,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// E3. The resource policy pins callers to VPC endpoints / VPCs

/** Config of sec1-e-resource-policy-source-vpce and sec1-e-resource-policy-scope. */
export interface ResourcePolicyArgs {
  /**
   * Which REST APIs' resource policies to check: "private" (PRIVATE APIs) or "all".
   * @default "private"
   */
  applyTo: string;
}

const applyToProperty = {
  type: "string" as const,
  enum: ["private", "all"],
  default: "private",
  description: 'Which REST APIs\' resource policies to check: "private" or "all".',
};

const sourceVpceSchema = configSchema({ applyTo: applyToProperty });

/** The documents a resource-policy check looks at, per the applyTo setting. */
function checkedDocuments(resources: PolicyResource[], applyTo: string) {
  return restApiPolicies(resources).documents.filter(
    (d) => applyTo === "all" || isPrivateRestApi(d.api) === true,
  );
}

function holderLabel(d: { api: PolicyResource; holder: PolicyResource }): string {
  return d.holder === d.api
    ? `API Gateway REST API '${nameOf(d.api)}' resource policy`
    : `API Gateway RestApiPolicy '${nameOf(d.holder)}' (of REST API '${nameOf(d.api)}')`;
}

/** E3: an Allow for `*` is limited to VPC endpoints / VPCs, by evaluation of the document. */
export const resourcePolicySourceVpce: StackValidationPolicy = {
  name: "sec1-e-resource-policy-source-vpce",
  description:
    "The resource policy of a private REST API must not let any principal invoke it from outside your VPC endpoints or VPCs: every Allow for `*` must be limited by aws:SourceVpce or aws:SourceVpc, directly or by a Deny with StringNotEquals on them that covers it (the document is evaluated, not grepped). Path guarded: a PRIVATE API is reachable through any execute-api VPC endpoint of any account, so an Allow for `*` not pinned to yours lets the callers of every such endpoint invoke it.",
  enforcementLevel: "mandatory",
  configSchema: sourceVpceSchema,
  ...sec1Metadata(
    "E",
    "critical",
    'Add `"Condition": {"StringEquals": {"aws:SourceVpce": "<vpce id>"}}` to each Allow for `*`, or add a Deny for `*` on execute-api:Invoke with `"Condition": {"StringNotEquals": {"aws:SourceVpce": "<vpce id>"}}` covering the same resources.',
    DOCS.resourcePolicies,
    ["api-gateway", "resource-policy", "vpc-endpoint"],
  ),
  validateStack: validateStackWith(TYPES.restApi, (args, report) => {
    const config = readConfig<ResourcePolicyArgs>(args, sourceVpceSchema);
    for (const d of checkedDocuments(args.resources, config.applyTo)) {
      const parsed = parsePolicyDocument(d.document);
      if (parsed.status !== "ok") continue; // unknown in preview, or unreadable: cannot tell
      const result = findUnrestrictedInvoke(parsed.document, {
        fromOutsideAnyVpc: isPrivateRestApi(d.api) === false,
      });
      for (const s of result.statements) {
        report(
          `${holderLabel(d)} must limit ${statementLabel(s)} (Allow execute-api:Invoke) to your VPC endpoints; set its Condition to {"StringEquals": {"aws:SourceVpce": "<vpce id>"}} or add a Deny with StringNotEquals on aws:SourceVpce that covers it.`,
          d.holder.urn,
        );
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// E3. A public API's resource policy does not let every AWS account in

const ANY_ACCOUNT: Caller = {
  kind: "iam",
  label: "SigV4-signed principals of every AWS account",
};

/** The open statements of a resource policy, for a principal of another account. */
function openToAnyAccount(document: unknown) {
  const parsed = parsePolicyDocument(document);
  if (parsed.status !== "ok") return []; // unknown in preview, or unreadable: cannot tell
  return findAnyAccountInvoke(parsed.document).statements;
}

function reportOutside(p: OutsideApiPolicy, report: (message: string, urn: string) => void): void {
  for (const s of openToAnyAccount(p.document)) {
    report(
      `API Gateway RestApiPolicy '${nameOf(p.holder)}' must not let every AWS account invoke REST API ${p.restApiId} (${ANY_ACCOUNT.label} → ${statementLabel(s)} → every AWS_IAM method of that API); name the callers' roles or accounts in its Principal, or add a Condition on aws:PrincipalOrgID, aws:PrincipalAccount or aws:SourceVpce.`,
      p.holder.urn,
    );
  }
}

/** E3: the resource policy of a REGIONAL or EDGE API does not open its IAM methods to everyone. */
export const resourcePolicyAnyAccount: StackValidationPolicy = {
  name: "sec1-e-resource-policy-any-account",
  description:
    'The resource policy of a REGIONAL or EDGE REST API (inline `policy` or an aws.apigateway.RestApiPolicy, also for an API outside the stack) must not allow execute-api:Invoke to every principal (`*` or {"AWS": "*"}) without a condition that pins the caller (aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceVpce, aws:SourceVpc, or aws:SourceIp of a /8 or narrower range). Path guarded: with AWS_IAM methods a caller of another account needs only this Allow plus its own identity policy, which it writes itself, so every SigV4-signed principal of every AWS account may call the methods and what they reach. PRIVATE APIs are judged by sec1-e-resource-policy-source-vpce.',
  enforcementLevel: "mandatory",
  ...sec1Metadata(
    "E",
    "critical",
    'Name the intended callers in the statement\'s Principal (role or account ARNs), or add `"Condition": {"StringEquals": {"aws:PrincipalOrgID": "<your org id>"}}` (or aws:PrincipalAccount) to the Allow.',
    DOCS.authorizationFlow,
    ["api-gateway", "resource-policy", "cross-account"],
  ),
  validateStack: (args, report) => {
    const { documents, outside } = restApiPolicies(args.resources);
    outside.forEach((p) => reportOutside(p, report));
    if (documents.length === 0) return;
    const model = accessModel(args.resources);
    const iam = [...model.entries("rest-method"), ...model.entries("openapi-operation")].filter(
      (e) => e.auth === "AWS_IAM",
    );
    for (const d of documents) {
      if (isPrivateRestApi(d.api) !== false) continue; // PRIVATE (or unknown): not this policy's
      const entries = iam.filter((e) => e.api === d.api);
      if (entries.length === 0) continue; // no IAM method: the Allow gives no one a way in
      const paths = entries.slice(0, 3).map((e) => describePath(ANY_ACCOUNT, e));
      const more = entries.length > 3 ? ` and ${entries.length - 3} more` : "";
      for (const s of openToAnyAccount(d.document)) {
        report(
          `${holderLabel(d)} must not let every AWS account invoke it: ${statementLabel(s)} allows execute-api:Invoke to every principal (${paths.join("; ")}${more}); name the callers' roles or accounts in its Principal, or add a Condition on aws:PrincipalOrgID or aws:PrincipalAccount.`,
          d.holder.urn,
        );
      }
    }
  },
};

/** Config of sec1-e-resource-policy-scope. */
export interface ResourcePolicyScopeArgs extends ResourcePolicyArgs {
  /**
   * The narrowest scope every Allow for a named principal should reach: "api", "stage",
   * "method" or "path".
   * @default "path"
   */
  minimumScope: string;
  /**
   * Also check Allows for `*` (the network gate of a private API usually grants the whole API to
   * callers from its VPC endpoint, and leaves per-caller scoping to their IAM policies).
   * @default false
   */
  includeWildcardPrincipal: boolean;
}

const scopeSchema = configSchema({
  applyTo: applyToProperty,
  minimumScope: {
    type: "string",
    enum: ["api", "stage", "method", "path"],
    default: "path",
    description: 'The narrowest scope every Allow should reach: "api", "stage", "method", "path".',
  },
  includeWildcardPrincipal: {
    type: "boolean",
    default: false,
    description: "Also check Allows for `*`, not only Allows for named principals.",
  },
});

/** E3 (advisory): resource-policy Allows for named callers name stage, method and path. */
export const resourcePolicyScope: StackValidationPolicy = {
  name: "sec1-e-resource-policy-scope",
  description:
    "A same-account caller is allowed when EITHER its identity policy OR the resource policy allows: a resource-policy Allow on execute-api:/* for a role widens that role to every stage, method and path. Scope each Allow to what that caller is meant to call.",
  enforcementLevel: "advisory",
  configSchema: scopeSchema,
  ...sec1Metadata(
    "E",
    "medium",
    "Replace `execute-api:/*` in Allows for named principals with the stage, method and path they call, e.g. `execute-api:/prod/GET/loyalty/*`.",
    DOCS.resourcePolicies,
    ["api-gateway", "resource-policy", "least-privilege"],
  ),
  validateStack: validateStackWith(TYPES.restApi, (args, report) => {
    const config = readConfig<ResourcePolicyScopeArgs>(args, scopeSchema);
    const minimum = INVOKE_SCOPES.indexOf(config.minimumScope as InvokeScope);
    if (minimum < 0) return;
    for (const d of checkedDocuments(args.resources, config.applyTo)) {
      const parsed = parsePolicyDocument(d.document);
      if (parsed.status !== "ok") continue;
      for (const g of invokeGrants(parsed.document)) {
        const p = g.statement.principal;
        const wildcard = g.statement.notPrincipal !== undefined || p === undefined || p.wildcard;
        if (wildcard && !config.includeWildcardPrincipal) continue;
        if (INVOKE_SCOPES.indexOf(g.scope) >= minimum) continue;
        report(
          `${holderLabel(d)} must scope ${statementLabel(g.statement)} to what its caller is meant to call, not ${SCOPE_WORDS[g.scope]} (${g.broadest}); set its Resource to execute-api:/<stage>/<METHOD>/<path>.`,
          d.holder.urn,
        );
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// E4. The execute-api interface VPC endpoint

/** True when a VPC endpoint's service name is execute-api; undefined when unknown. */
function isExecuteApiEndpoint(props: Record<string, unknown>): boolean | undefined {
  const service = knownString(props.serviceName);
  if (service === undefined) return hasUnknown(props.serviceName) ? undefined : false;
  return /(^|\.)execute-api$/.test(service);
}

/** E4: the execute-api VPC endpoint is an Interface endpoint with security groups. */
export const vpcEndpointExecuteApi: ResourceValidationPolicy = {
  name: "sec1-e-vpc-endpoint-execute-api",
  description:
    "The VPC endpoint for execute-api must be an Interface endpoint with security groups, so private APIs are reached only through it and only from the network you allow. Advisory by default: every request through the endpoint still passes the API's resource policy and method authorization, so the endpoint's type and security groups narrow the network, not the callers; configure it mandatory to enforce the network layer.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "E",
    "high",
    'Create the endpoint with `vpcEndpointType: "Interface"`, `serviceName: "com.amazonaws.<region>.execute-api"`, subnets in each AZ and `securityGroupIds` allowing HTTPS (443) from the callers only.',
    DOCS.vpcEndpoint,
    ["vpc-endpoint", "private-api"],
  ),
  validateResource: validateResourceOfType(aws.ec2.VpcEndpoint, (endpoint, args, report) => {
    const props = rawProps(endpoint);
    if (isExecuteApiEndpoint(props) !== true) return;
    const type = props.vpcEndpointType;
    if (!hasUnknown(type) && type !== "Interface") {
      report(
        `VPC Endpoint '${nameOf(args)}' must be an Interface endpoint for execute-api, not ${typeof type === "string" ? type : "Gateway (the default)"}; set vpcEndpointType to "Interface".`,
      );
    }
    const groups = props.securityGroupIds;
    if (!hasUnknown(groups) && (asList(groups) ?? []).length === 0) {
      report(
        `VPC Endpoint '${nameOf(args)}' must have security groups that limit who reaches execute-api; set securityGroupIds to a group allowing HTTPS (443) from your callers.`,
      );
    }
  }),
};

/** E4 (advisory): the execute-api endpoint resolves the API's default host name privately. */
export const vpcEndpointPrivateDns: ResourceValidationPolicy = {
  name: "sec1-e-vpc-endpoint-private-dns",
  description:
    "The execute-api Interface VPC endpoint should enable private DNS where callers use the API's default host name (<api-id>.execute-api.<region>.amazonaws.com); without it they must send the vpce host name or a Host header.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "E",
    "low",
    "Set `privateDnsEnabled: true` on the execute-api endpoint (the VPC needs DNS support and DNS host names), or call the API through the endpoint-specific host name.",
    DOCS.vpcEndpoint,
    ["vpc-endpoint", "private-api", "dns"],
  ),
  validateResource: validateResourceOfType(aws.ec2.VpcEndpoint, (endpoint, args, report) => {
    const props = rawProps(endpoint);
    if (isExecuteApiEndpoint(props) !== true) return;
    if (hasUnknown(props.privateDnsEnabled) || hasUnknown(props.vpcEndpointType)) return;
    if (props.vpcEndpointType !== "Interface") return; // E4 reports the type first
    if (props.privateDnsEnabled !== true) {
      report(
        `VPC Endpoint '${nameOf(args)}' must enable private DNS so callers can use the API's default host name; set privateDnsEnabled to true.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// E5. Internal AppSync APIs are private

/** Config of sec1-e-appsync-internal-visibility. */
export type AppSyncVisibilityArgs = InternalRule;

const appsyncVisibilitySchema = configSchema({ ...INTERNAL_RULE_SCHEMA });

/** E5: AppSync APIs meant for internal callers use `visibility: PRIVATE`. */
export const appsyncInternalVisibility: ResourceValidationPolicy = {
  name: "sec1-e-appsync-internal-visibility",
  description:
    "AppSync GraphQL APIs meant for internal callers (by tag or name) must use visibility PRIVATE, so they are reachable only through an AppSync interface VPC endpoint. Advisory by default: visibility decides the network an API is reached from, not who may call it (every request still needs one of its authorization providers), as for sec1-e-rest-endpoint-type; configure it mandatory to enforce PRIVATE for internal APIs.",
  enforcementLevel: "advisory",
  configSchema: appsyncVisibilitySchema,
  ...sec1Metadata(
    "E",
    "high",
    'Set `visibility: "PRIVATE"` on the GraphQL API (it can only be set at creation: the API is replaced) and call it through an AppSync interface VPC endpoint.',
    DOCS.appsyncPrivate,
    ["appsync", "private-api"],
  ),
  validateResource: validateResourceOfType(aws.appsync.GraphQLApi, (api, args, report) => {
    const props = rawProps(api);
    const config = readConfig<AppSyncVisibilityArgs>(args, appsyncVisibilitySchema);
    if (hasUnknown(props.visibility)) return;
    const visibility = typeof props.visibility === "string" ? props.visibility : "GLOBAL";
    if (visibility.toUpperCase() === "PRIVATE") return;
    if (isInternal(props, args.name, config) === true) {
      report(
        `AppSync GraphQL API '${nameOf(args)}' must be PRIVATE because it is marked internal (tag ${config.internalTagKey}=${config.internalTagValue} or name rule); set visibility to "PRIVATE".`,
      );
    }
  }),
};

/** Every policy of practice E. */
export const policies: Policies = [
  restEndpointType,
  privateApiResourcePolicy,
  resourcePolicySourceVpce,
  resourcePolicyAnyAccount,
  resourcePolicyScope,
  vpcEndpointExecuteApi,
  vpcEndpointPrivateDns,
  appsyncInternalVisibility,
];

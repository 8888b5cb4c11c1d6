/**
 * SEC1 practice X: the observability and hardening SEC1 relies on.
 * Access logs, execution logs and tracing to see who called what; WAF, TLS 1.2, request
 * validation and GraphQL limits to narrow what an authenticated or anonymous caller can do.
 * All advisory by default.
 */
import * as aws from "@pulumi/aws";
import {
  Policies,
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import { validateEachType, validateStackWith } from "../lib/typed-validation";
import { settingsForStage } from "../lib/method-settings";
import {
  configSchema,
  exemptResourcesProperty,
  readConfig,
  stringListProperty,
} from "../lib/policy-config";
import { endpointTypes } from "../lib/endpoint";
import {
  matchesAnyGlob,
  ofType,
  rawProps,
  resolveReference,
  stackOfUrn,
  TYPES,
} from "../lib/stack-refs";
import {
  asNumber,
  asRecord,
  hasUnknown,
  isUnknownValue,
  knownString,
  nameOf,
  nonEmptyString as present,
  upperString as upper,
} from "../lib/values";

const DOCS = {
  restLogging: "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
  xray: "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-xray.html",
  appsyncLogging: "https://docs.aws.amazon.com/appsync/latest/devguide/monitoring.html",
  waf: "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html",
  tls: "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-custom-domain-tls-version.html",
  validation:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html",
  appsyncLimits: "https://docs.aws.amazon.com/appsync/latest/devguide/configuration-limits.html",
};

// ---------------------------------------------------------------------------------------------

function checkAccessLogs(
  service: string,
  props: Record<string, unknown>,
  name: string,
  report: (message: string) => void,
): void {
  const settings = props.accessLogSettings;
  if (isUnknownValue(settings)) return;
  const record = asRecord(settings) ?? {};
  const gaps = ["destinationArn", "format"].filter(
    (k) => !isUnknownValue(record[k]) && !present(record[k]),
  );
  if (gaps.length === 0) return;
  report(
    `${service} '${name}' must write access logs (who called, with which identity); set accessLogSettings.${gaps.join(" and accessLogSettings.")} (a log group ARN and a format with $context.identity / $context.authorizer fields).`,
  );
}

/** X: every REST, HTTP and WebSocket stage writes access logs. */
export const stageAccessLogging: ResourceValidationPolicy = {
  name: "sec1-x-stage-access-logging",
  description:
    "API stages must write access logs with the caller's identity, so every authorization decision can be audited.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "X",
    "medium",
    "Set `accessLogSettings { destinationArn, format }` on the stage, with a CloudWatch log group ARN and a JSON format that includes $context.requestId, $context.identity.* and $context.authorizer.*.",
    DOCS.restLogging,
    ["api-gateway", "logging"],
  ),
  validateResource: validateEachType(
    validateResourceOfType(aws.apigateway.Stage, (stage, args, report) =>
      checkAccessLogs("API Gateway Stage", rawProps(stage), nameOf(args), report),
    ),
    validateResourceOfType(aws.apigatewayv2.Stage, (stage, args, report) =>
      checkAccessLogs("API Gateway v2 Stage", rawProps(stage), nameOf(args), report),
    ),
  ),
};

/** X: REST stages trace requests with X-Ray. */
export const restStageTracing: ResourceValidationPolicy = {
  name: "sec1-x-rest-stage-tracing",
  description:
    "REST API stages must enable X-Ray tracing, so a request can be followed from the authorizer through the integration.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "X",
    "low",
    "Set `xrayTracingEnabled: true` on the aws.apigateway.Stage.",
    DOCS.xray,
    ["api-gateway", "tracing"],
  ),
  validateResource: validateResourceOfType(aws.apigateway.Stage, (stage, args, report) => {
    const value = rawProps(stage).xrayTracingEnabled;
    if (value === true || isUnknownValue(value)) return;
    report(
      `API Gateway Stage '${nameOf(args)}' must trace requests; set xrayTracingEnabled to true.`,
    );
  }),
};

/** Config of sec1-x-rest-execution-logging. */
export interface RestExecutionLoggingArgs {
  /** Accepted execution logging levels. Default: ["ERROR", "INFO"]. */
  allowedLoggingLevels: string[];
  /** Allow full request/response data tracing (logs tokens and bodies). Default: false. */
  allowDataTrace: boolean;
}

const executionSchema = configSchema({
  allowedLoggingLevels: {
    type: "array",
    items: { type: "string", enum: ["ERROR", "INFO"] },
    default: ["ERROR", "INFO"],
    description: "Accepted execution logging levels.",
  },
  allowDataTrace: {
    type: "boolean",
    default: false,
    description: "Allow full request/response data tracing (logs tokens and bodies).",
  },
});

/** X: REST stages log execution (authorizer failures) without logging credentials (stack). */
export const restExecutionLogging: StackValidationPolicy = {
  name: "sec1-x-rest-execution-logging",
  description:
    "REST API stages must log execution (authorizer and integration errors) through method settings for */*, without data tracing, which writes Authorization headers and bodies to the logs.",
  enforcementLevel: "advisory",
  configSchema: executionSchema,
  ...sec1Metadata(
    "X",
    "low",
    'Create an aws.apigateway.MethodSettings with `methodPath: "*/*"` and `settings { loggingLevel: "ERROR" (or "INFO"), metricsEnabled: true, dataTraceEnabled: false }` for each stage (the account needs an API Gateway CloudWatch role).',
    DOCS.restLogging,
    ["api-gateway", "logging"],
  ),
  validateStack: validateStackWith(TYPES.restStage, (args, report) => {
    const config = readConfig<RestExecutionLoggingArgs>(args, executionSchema);
    const allowed = new Set(config.allowedLoggingLevels.map((l) => l.toUpperCase()));
    const restApis = ofType(args.resources, TYPES.restApi);
    const settings = ofType(args.resources, TYPES.methodSettings);
    for (const stage of ofType(args.resources, TYPES.restStage)) {
      const { covering, undecided } = settingsForStage(stage, settings, restApis);
      // A settings block computed from an unknown value (preview) may hold any level.
      if (covering.some((s) => isUnknownValue(rawProps(s.props).settings))) continue;
      const values = covering.map((s) => asRecord(rawProps(s.props).settings) ?? {});
      if (values.some((v) => hasUnknown(v.loggingLevel))) continue;
      const logged = values.some((v) => allowed.has(upper(v.loggingLevel) ?? "OFF"));
      if (!logged && !undecided) {
        report(
          `API Gateway Stage '${nameOf(stage)}' must log execution; set an aws.apigateway.MethodSettings for this stage with methodPath "*/*" and settings.loggingLevel to ${[...allowed].join(" or ")}.`,
          stage.urn,
        );
      }
      if (!config.allowDataTrace && values.some((v) => v.dataTraceEnabled === true)) {
        report(
          `API Gateway Stage '${nameOf(stage)}' must not log full requests (Authorization headers and bodies land in CloudWatch); set settings.dataTraceEnabled to false.`,
          stage.urn,
        );
      }
    }
  }),
};

// ---------------------------------------------------------------------------------------------

/** Config of sec1-x-appsync-logging. */
export interface AppSyncLoggingArgs {
  /** Require excludeVerboseContent (verbose logs include headers and tokens). Default: true. */
  requireExcludeVerboseContent: boolean;
}

const appsyncLoggingSchema = configSchema({
  requireExcludeVerboseContent: {
    type: "boolean",
    default: true,
    description: "Require excludeVerboseContent (verbose logs include headers and tokens).",
  },
});

/** X: AppSync APIs log field errors to CloudWatch, without verbose content. */
export const appsyncLogging: ResourceValidationPolicy = {
  name: "sec1-x-appsync-logging",
  description:
    "AppSync GraphQL APIs must log to CloudWatch (logConfig with a role and a field log level other than NONE) and exclude verbose content, which contains request headers and tokens.",
  enforcementLevel: "advisory",
  configSchema: appsyncLoggingSchema,
  ...sec1Metadata(
    "X",
    "medium",
    'Set `logConfig { cloudwatchLogsRoleArn, fieldLogLevel: "ERROR", excludeVerboseContent: true }` on the GraphQL API.',
    DOCS.appsyncLogging,
    ["appsync", "logging"],
  ),
  validateResource: validateResourceOfType(aws.appsync.GraphQLApi, (api, args, report) => {
    const props = rawProps(api);
    const name = nameOf(args);
    if (isUnknownValue(props.logConfig)) return;
    const log = asRecord(props.logConfig);
    const level = log?.fieldLogLevel;
    const role = log?.cloudwatchLogsRoleArn;
    if (
      !log ||
      (!isUnknownValue(level) && (upper(level) ?? "NONE") === "NONE") ||
      (!isUnknownValue(role) && !present(role))
    ) {
      report(
        `AppSync GraphQLApi '${name}' must log to CloudWatch; set logConfig.cloudwatchLogsRoleArn to a role AppSync can assume and logConfig.fieldLogLevel to ERROR or ALL.`,
      );
      return;
    }
    const config = readConfig<AppSyncLoggingArgs>(args, appsyncLoggingSchema);
    if (config.requireExcludeVerboseContent && log.excludeVerboseContent !== true) {
      if (isUnknownValue(log.excludeVerboseContent)) return;
      report(
        `AppSync GraphQLApi '${name}' must keep headers and tokens out of its logs; set logConfig.excludeVerboseContent to true.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------

/** Config of sec1-x-waf-association. */
export interface WafAssociationArgs {
  /** Require WAF on stages of public (EDGE/REGIONAL) REST APIs. Default: true. */
  requireForRestApis: boolean;
  /** Require WAF on public (GLOBAL visibility) AppSync APIs. Default: true. */
  requireForAppSync: boolean;
}

const wafSchema = configSchema({
  requireForRestApis: {
    type: "boolean",
    default: true,
    description: "Require WAF on stages of public (EDGE/REGIONAL) REST APIs.",
  },
  requireForAppSync: {
    type: "boolean",
    default: true,
    description: "Require WAF on public (GLOBAL visibility) AppSync APIs.",
  },
});

/**
 * "public", "private" or undefined (unknown) for a REST API: EDGE when the endpoint configuration
 * or its types are unset, as API Gateway does (the same reading as the E policies).
 */
function restApiReach(api: PolicyResource): "public" | "private" | undefined {
  const types = endpointTypes(rawProps(api.props));
  if (types === undefined) return undefined;
  return types.every((t) => t === "PRIVATE") ? "private" : "public";
}

/** X: public REST API stages and AppSync APIs sit behind an AWS WAF web ACL (stack). */
export const wafAssociation: StackValidationPolicy = {
  name: "sec1-x-waf-association",
  description:
    "Stages of public REST APIs and public AppSync APIs must be associated with an AWS WAF web ACL, to rate-limit and filter callers before they reach authorizers and resolvers.",
  enforcementLevel: "advisory",
  configSchema: wafSchema,
  ...sec1Metadata(
    "X",
    "medium",
    "Create an aws.wafv2.WebAclAssociation with `resourceArn` set to the REST stage's `arn` (or the AppSync API's `arn`) and `webAclArn` set to a REGIONAL web ACL with rate-based and managed rules.",
    DOCS.waf,
    ["waf", "api-gateway", "appsync"],
  ),
  validateStack: (args, report) => {
    const config = readConfig<WafAssociationArgs>(args, wafSchema);
    const associations = ofType(args.resources, TYPES.webAclAssociation);
    // Protected = some association resolves to it; undecided = some association cannot be read.
    const protectedBy = (target: PolicyResource, arnMatch: (arn: string) => boolean) => {
      let undecided = false;
      for (const a of associations) {
        const ref = resolveReference(a, "resourceArn", [target], ["arn"], (v) => arnMatch(v));
        if (ref.kind === "found") return "yes";
        if (ref.kind === "unknown") undecided = true;
      }
      return undecided ? "unknown" : "no";
    };
    if (config.requireForRestApis) {
      const restApis = ofType(args.resources, TYPES.restApi);
      for (const stage of ofType(args.resources, TYPES.restStage)) {
        const apiRef = resolveReference(stage, "restApi", restApis);
        if (apiRef.kind !== "found" || apiRef.resources.length !== 1) continue;
        if (restApiReach(apiRef.resources[0]) !== "public") continue;
        const props = rawProps(stage.props);
        const apiId = knownString(props.restApi);
        const stageName = knownString(props.stageName);
        const suffix = apiId && stageName ? `/restapis/${apiId}/stages/${stageName}` : undefined;
        const verdict = protectedBy(stage, (arn) => suffix !== undefined && arn.endsWith(suffix));
        if (verdict !== "no") continue;
        report(
          `API Gateway Stage '${nameOf(stage)}' of public REST API '${nameOf(apiRef.resources[0])}' must be behind AWS WAF; set an aws.wafv2.WebAclAssociation with resourceArn to this stage's arn.`,
          stage.urn,
        );
      }
    }
    if (config.requireForAppSync) {
      for (const api of ofType(args.resources, TYPES.graphQLApi)) {
        const visibility = rawProps(api.props).visibility;
        if (isUnknownValue(visibility) || upper(visibility) === "PRIVATE") continue;
        if (protectedBy(api, () => false) !== "no") continue;
        report(
          `AppSync GraphQLApi '${nameOf(api)}' must be behind AWS WAF; set an aws.wafv2.WebAclAssociation with resourceArn to this API's arn.`,
          api.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

/** TLS 1.2 or better: the legacy TLS_1_2 policy or an enhanced TLS 1.2/1.3 security policy. */
function tlsOk(policy: string): boolean {
  const p = policy.toUpperCase();
  return (
    p === "TLS_1_2" || p.startsWith("SECURITYPOLICY_TLS13") || p.startsWith("SECURITYPOLICY_TLS12")
  );
}

/** X: custom domains refuse TLS 1.0/1.1. */
export const customDomainTls: ResourceValidationPolicy = {
  name: "sec1-x-custom-domain-tls",
  description:
    "API Gateway custom domain names must use a TLS 1.2 (or newer) security policy, so tokens and signatures never travel over TLS 1.0/1.1.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "X",
    "medium",
    'Set `securityPolicy: "TLS_1_2"` on aws.apigateway.DomainName, and `domainNameConfiguration.securityPolicy: "TLS_1_2"` on aws.apigatewayv2.DomainName.',
    DOCS.tls,
    ["api-gateway", "tls"],
  ),
  validateResource: validateEachType(
    validateResourceOfType(aws.apigateway.DomainName, (domain, args, report) => {
      const policy = rawProps(domain).securityPolicy;
      if (isUnknownValue(policy) || (typeof policy === "string" && tlsOk(policy))) return;
      report(
        `API Gateway DomainName '${nameOf(args)}' must refuse TLS 1.0/1.1; set securityPolicy to TLS_1_2${typeof policy === "string" ? ` (not ${policy})` : " explicitly"}.`,
      );
    }),
    validateResourceOfType(aws.apigatewayv2.DomainName, (domain, args, report) => {
      const configRaw = rawProps(domain).domainNameConfiguration;
      if (isUnknownValue(configRaw)) return;
      const policy = asRecord(configRaw)?.securityPolicy;
      if (isUnknownValue(policy) || (typeof policy === "string" && tlsOk(policy))) return;
      report(
        `API Gateway v2 DomainName '${nameOf(args)}' must refuse TLS 1.0/1.1; set domainNameConfiguration.securityPolicy to TLS_1_2.`,
      );
    }),
  ),
};

// ---------------------------------------------------------------------------------------------

/** Config of sec1-x-rest-request-validation. */
export interface RestRequestValidationArgs {
  /** HTTP methods that carry a body and need a request validator. Default: ["POST", "PUT", "PATCH"]. */
  methodsWithBody: string[];
  /** Logical names of Method resources exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const validationSchema = configSchema({
  methodsWithBody: stringListProperty(
    ["POST", "PUT", "PATCH"],
    "HTTP methods that carry a body and need a request validator.",
  ),
  exemptResources: exemptResourcesProperty("Method resources exempt"),
});

/** X: REST methods with a body validate it before the integration runs. */
export const restRequestValidation: ResourceValidationPolicy = {
  name: "sec1-x-rest-request-validation",
  description:
    "REST API methods that take a body must use a request validator, so malformed or oversized input is rejected before it reaches the integration.",
  enforcementLevel: "advisory",
  configSchema: validationSchema,
  ...sec1Metadata(
    "X",
    "low",
    "Create an aws.apigateway.RequestValidator (validateRequestBody, validateRequestParameters), set `requestValidatorId` and `requestModels` on the method.",
    DOCS.validation,
    ["api-gateway", "validation"],
  ),
  validateResource: validateResourceOfType(aws.apigateway.Method, (method, args, report) => {
    const props = rawProps(method);
    const name = nameOf(args);
    const config = readConfig<RestRequestValidationArgs>(args, validationSchema);
    const httpMethod = upper(props.httpMethod);
    if (httpMethod === undefined) return;
    if (!config.methodsWithBody.some((m) => m.toUpperCase() === httpMethod)) return;
    if (matchesAnyGlob(name, config.exemptResources)) return;
    const validator = props.requestValidatorId;
    if (isUnknownValue(validator) || present(validator)) return;
    report(
      `API Gateway Method '${name}' (${httpMethod}) must validate its request body; set requestValidatorId to an aws.apigateway.RequestValidator's id.`,
    );
  }),
};

// ---------------------------------------------------------------------------------------------

/** Config of sec1-x-appsync-hardening. */
export interface AppSyncHardeningArgs {
  /** Stack names (from the URN; `*` wildcards) that count as production. Default: ["prod", "prod-*", "*-prod", "production"]. */
  productionStacks: string[];
  /** Largest query depth allowed in production (AppSync allows 1-75; 0 = unlimited). Default: 10. */
  maxQueryDepth: number;
}

const hardeningSchema = configSchema({
  productionStacks: stringListProperty(
    ["prod", "prod-*", "*-prod", "production"],
    "Stack names (from the URN; `*` wildcards) that count as production.",
  ),
  maxQueryDepth: {
    type: "integer",
    minimum: 1,
    maximum: 75,
    default: 10,
    description: "Largest query depth allowed in production (AppSync allows 1-75; 0 = unlimited).",
  },
});

/** X: production AppSync APIs hide their schema and bound query depth. */
export const appsyncHardening: ResourceValidationPolicy = {
  name: "sec1-x-appsync-hardening",
  description:
    "Production AppSync GraphQL APIs must disable introspection and limit query depth, so callers cannot map the schema or send deeply nested queries.",
  enforcementLevel: "advisory",
  configSchema: hardeningSchema,
  ...sec1Metadata(
    "X",
    "low",
    'Set `introspectionConfig: "DISABLED"` and `queryDepthLimit` (1 to `maxQueryDepth`) on production GraphQL APIs; production stacks are matched by `productionStacks`.',
    DOCS.appsyncLimits,
    ["appsync", "graphql"],
  ),
  validateResource: validateResourceOfType(aws.appsync.GraphQLApi, (api, args, report) => {
    const config = readConfig<AppSyncHardeningArgs>(args, hardeningSchema);
    const stack = stackOfUrn(args.urn);
    if (stack === undefined || !matchesAnyGlob(stack, config.productionStacks)) {
      return;
    }
    const props = rawProps(api);
    const name = nameOf(args);
    const introspection = props.introspectionConfig;
    if (!isUnknownValue(introspection) && upper(introspection) !== "DISABLED") {
      report(
        `AppSync GraphQLApi '${name}' must not expose its schema in production; set introspectionConfig to DISABLED.`,
      );
    }
    const rawDepth = props.queryDepthLimit;
    if (isUnknownValue(rawDepth)) return;
    const depth = asNumber(rawDepth) ?? 0; // 0 or unset: no limit
    if (depth < 1 || depth > config.maxQueryDepth) {
      report(
        `AppSync GraphQLApi '${name}' must limit query depth in production; set queryDepthLimit to 1-${config.maxQueryDepth} (now ${depth === 0 ? "unlimited" : depth}).`,
      );
    }
  }),
};

/** Every policy of practice X. */
export const policies: Policies = [
  stageAccessLogging,
  restStageTracing,
  restExecutionLogging,
  appsyncLogging,
  wafAssociation,
  customDomainTls,
  restRequestValidation,
  appsyncHardening,
];

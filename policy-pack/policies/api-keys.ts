/**
 * SEC1 practice K: API keys are for quotas, never for identity.
 * Usage plans limit every key; every key is in a plan; stages throttle by default; AppSync keys
 * expire.
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
import { validateStackWith } from "../lib/typed-validation";
import { settingsForStage } from "../lib/method-settings";
import { configSchema, exemptResourcesProperty, readConfig } from "../lib/policy-config";
import { matchesAnyGlob, ofType, rawProps, resolveReference, TYPES } from "../lib/stack-refs";
import { asNumber, asRecord, hasUnknown, isUnknownValue, knownString, nameOf } from "../lib/values";

const DOCS = {
  usagePlans:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html",
  throttling:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html",
  httpThrottling:
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html",
  appsyncApiKeys:
    "https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#api-key-authorization",
};

/** A limit that is set: a known number >= 0 (API Gateway reads -1 as "not set"). */
function limitState(value: unknown): "set" | "unset" | "unknown" {
  if (isUnknownValue(value)) return "unknown";
  const n = asNumber(value);
  return n !== undefined && n >= 0 ? "set" : "unset";
}

// ---------------------------------------------------------------------------------------------
// K1. Usage plans

/** Config of sec1-k-usage-plan-limits. */
export interface UsagePlanLimitsArgs {
  /** Require a quota (limit and period) besides throttling. Default: true. */
  requireQuota: boolean;
}

const usagePlanSchema = configSchema({
  requireQuota: {
    type: "boolean",
    default: true,
    description: "Require a quota (limit and period) besides throttling.",
  },
});

/** K1: a usage plan throttles, caps and is attached to a stage, so its keys limit something. */
export const usagePlanLimits: ResourceValidationPolicy = {
  name: "sec1-k-usage-plan-limits",
  description:
    "API Gateway usage plans must set throttling (rate and burst) and a quota (limit and period) and be attached to at least one API stage: an API key is only worth its limits. Advisory by default: throttles and quotas limit how much a key holder may call, not who may; configure it mandatory to require them.",
  enforcementLevel: "advisory",
  configSchema: usagePlanSchema,
  ...sec1Metadata(
    "K",
    "medium",
    "Set `throttleSettings { rateLimit, burstLimit }`, `quotaSettings { limit, period }` and at least one `apiStages { apiId, stage }` entry on the usage plan.",
    DOCS.usagePlans,
    ["api-gateway", "usage-plan"],
  ),
  validateResource: validateResourceOfType(aws.apigateway.UsagePlan, (plan, args, report) => {
    const props = rawProps(plan);
    const name = nameOf(args);
    const config = readConfig<UsagePlanLimitsArgs>(args, usagePlanSchema);
    if (!isUnknownValue(props.throttleSettings)) {
      const throttle = asRecord(props.throttleSettings) ?? {};
      const missing = ["rateLimit", "burstLimit"].filter(
        (k) => limitState(throttle[k]) === "unset",
      );
      if (missing.length > 0) {
        report(
          `API Gateway UsagePlan '${name}' must throttle its keys; set throttleSettings.${missing.join(" and throttleSettings.")} to the per-key limit.`,
        );
      }
    }
    if (config.requireQuota && !isUnknownValue(props.quotaSettings)) {
      const quota = asRecord(props.quotaSettings) ?? {};
      const limit = limitState(quota.limit);
      const period = quota.period;
      const periodOk =
        isUnknownValue(period) ||
        (typeof period === "string" && ["DAY", "WEEK", "MONTH"].includes(period.toUpperCase()));
      if (limit === "unset" || !periodOk) {
        report(
          `API Gateway UsagePlan '${name}' must cap requests per key; set quotaSettings.limit to a number and quotaSettings.period to DAY, WEEK or MONTH.`,
        );
      }
    }
    const stages = props.apiStages;
    if (!isUnknownValue(stages) && (!Array.isArray(stages) || stages.length === 0)) {
      report(
        `API Gateway UsagePlan '${name}' must apply to an API stage; set apiStages to [{ apiId, stage }] for the stages its keys may call.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// K2. API keys

/** K2: every API key is in a usage plan (stack), so no key exists without limits. */
export const apiKeyUsagePlan: StackValidationPolicy = {
  name: "sec1-k-api-key-usage-plan",
  description:
    "Every API Gateway API key must be attached to a usage plan through an aws.apigateway.UsagePlanKey: a key outside every plan has no throttle or quota. Advisory by default: API Gateway accepts a key on a method that requires one only when a usage plan of the stage holds it, so a key outside every plan opens nothing; configure it mandatory to keep unused keys out of the stack.",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "K",
    "medium",
    "Create an aws.apigateway.UsagePlanKey with `keyId` set to the key's id, `keyType` API_KEY and `usagePlanId` set to a throttled plan.",
    DOCS.usagePlans,
    ["api-gateway", "api-key"],
  ),
  validateStack: validateStackWith(TYPES.apiKey, (args, report) => {
    const keys = ofType(args.resources, TYPES.apiKey);
    if (keys.length === 0) return;
    const planKeys = ofType(args.resources, TYPES.usagePlanKey);
    const attached = new Set<PolicyResource>();
    let undecided = false;
    for (const planKey of planKeys) {
      const ref = resolveReference(planKey, "keyId", keys);
      if (ref.kind === "found") ref.resources.forEach((k) => attached.add(k));
      else if (ref.kind === "unknown") undecided = true;
    }
    for (const key of keys) {
      if (attached.has(key)) continue;
      // A plan key whose keyId is not known yet may be this key's: say nothing rather than guess.
      if (undecided) continue;
      report(
        `API Gateway ApiKey '${nameOf(key)}' must be attached to a usage plan; set an aws.apigateway.UsagePlanKey with keyId to this key's id and usagePlanId to a throttled plan.`,
        key.urn,
      );
    }
  }),
};

/** Config of sec1-k-api-key-value-source. */
export interface ApiKeyValueSourceArgs {
  /** Logical names of keys whose literal value is reviewed (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const keyValueSchema = configSchema({
  exemptResources: exemptResourcesProperty("keys whose literal value is reviewed"),
});

/**
 * K2: key values are not hard-coded. The analyzer receives secrets already unwrapped, so a value
 * read from a config secret looks like a literal: this check can only advise.
 */
export const apiKeyValueSource: ResourceValidationPolicy = {
  name: "sec1-k-api-key-value-source",
  description:
    "API Gateway API key values must not be hard-coded in the program: let API Gateway generate the value, or derive it from a generated secret (a value from a config secret cannot be told apart, hence advisory).",
  enforcementLevel: "advisory",
  configSchema: keyValueSchema,
  ...sec1Metadata(
    "K",
    "medium",
    "Remove `value` so API Gateway generates the key, or set it from a generated secret (e.g. random.RandomPassword) or `config.requireSecret`, and list reviewed keys in `exemptResources`.",
    DOCS.usagePlans,
    ["api-gateway", "api-key", "secrets"],
  ),
  validateResource: validateResourceOfType(aws.apigateway.ApiKey, (key, args, report) => {
    const props = rawProps(key);
    const name = nameOf(args);
    const value = props.value;
    if (typeof value !== "string" || hasUnknown(value)) return;
    const { exemptResources } = readConfig<ApiKeyValueSourceArgs>(args, keyValueSchema);
    if (matchesAnyGlob(name, exemptResources)) return;
    report(
      `API Gateway ApiKey '${name}' must not carry a value written in the program; set value to undefined (API Gateway generates one) or to a generated secret.`,
    );
  }),
};

// ---------------------------------------------------------------------------------------------
// K3. Stage throttling

/** Whether a `*\/*` MethodSettings with rate and burst limits covers the REST stage. */
function restStageThrottled(
  stage: PolicyResource,
  settings: PolicyResource[],
  restApis: PolicyResource[],
): "yes" | "no" | "unknown" {
  const { covering, undecided } = settingsForStage(stage, settings, restApis);
  let unknown = undecided;
  for (const s of covering) {
    const props = rawProps(s.props);
    if (hasUnknown(props.settings)) {
      unknown = true;
      continue;
    }
    const limits = asRecord(props.settings) ?? {};
    if (
      limitState(limits.throttlingRateLimit) === "set" &&
      limitState(limits.throttlingBurstLimit) === "set"
    ) {
      return "yes";
    }
  }
  return unknown ? "unknown" : "no";
}

/** K3: every stage throttles by default (REST `*\/*` method settings, HTTP default route settings). */
export const stageThrottling: StackValidationPolicy = {
  name: "sec1-k-stage-throttling",
  description:
    "API stages should throttle by default: REST stages through method settings for */* with rate and burst limits, HTTP and WebSocket stages through defaultRouteSettings, so no caller (with or without a key) can exhaust the account's limit. Advisory by default: throttling limits load, not who may call (configure it mandatory to enforce it).",
  enforcementLevel: "advisory",
  ...sec1Metadata(
    "K",
    "medium",
    'For REST stages create an aws.apigateway.MethodSettings with `methodPath: "*/*"` and `settings { throttlingRateLimit, throttlingBurstLimit }`; for HTTP/WebSocket stages set `defaultRouteSettings { throttlingRateLimit, throttlingBurstLimit }`.',
    DOCS.throttling,
    ["api-gateway", "throttling"],
  ),
  validateStack: (args, report) => {
    const restApis = ofType(args.resources, TYPES.restApi);
    const restStages = ofType(args.resources, TYPES.restStage);
    const settings = ofType(args.resources, TYPES.methodSettings);
    for (const stage of restStages) {
      if (restStageThrottled(stage, settings, restApis) !== "no") continue;
      const stageName = knownString(rawProps(stage.props).stageName) ?? nameOf(stage);
      report(
        `API Gateway Stage '${nameOf(stage)}' must throttle every method by default; set an aws.apigateway.MethodSettings for stageName '${stageName}' with methodPath "*/*" and settings.throttlingRateLimit and settings.throttlingBurstLimit.`,
        stage.urn,
      );
    }
    for (const stage of ofType(args.resources, TYPES.httpStage)) {
      const props = rawProps(stage.props);
      if (isUnknownValue(props.defaultRouteSettings)) continue;
      const defaults = asRecord(props.defaultRouteSettings) ?? {};
      const missing = ["throttlingRateLimit", "throttlingBurstLimit"].filter(
        (k) => limitState(defaults[k]) === "unset",
      );
      if (missing.length === 0) continue;
      report(
        `API Gateway v2 Stage '${nameOf(stage)}' must throttle every route by default; set defaultRouteSettings.${missing.join(" and defaultRouteSettings.")}.`,
        stage.urn,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------
// K4. AppSync API key expiry

/** Config of sec1-k-appsync-api-key-expiry. */
export interface AppSyncApiKeyExpiryArgs {
  /** Longest a key may stay valid from now, in days (AWS allows 365). Default: 90. */
  maxDaysValid: number;
}

const expirySchema = configSchema({
  maxDaysValid: {
    type: "integer",
    minimum: 1,
    maximum: 365,
    default: 90,
    description: "Longest a key may stay valid from now, in days (AWS allows 365).",
  },
});

const DAY_MS = 24 * 60 * 60 * 1000;

/** K4: AppSync keys expire within the configured bound, so a leaked key dies on its own. */
export const appsyncApiKeyExpiry: ResourceValidationPolicy = {
  name: "sec1-k-appsync-api-key-expiry",
  description:
    "AppSync API keys must expire within the configured number of days: a key is a shared secret with no identity, and a leaked one works until it expires.",
  enforcementLevel: "advisory",
  configSchema: expirySchema,
  ...sec1Metadata(
    "K",
    "low",
    "Set `expires` to an RFC 3339 time within `maxDaysValid` days (AWS defaults to 7 days when unset) and rotate keys before they expire.",
    DOCS.appsyncApiKeys,
    ["appsync", "api-key"],
  ),
  validateResource: validateResourceOfType(aws.appsync.ApiKey, (key, args, report) => {
    const props = rawProps(key);
    const expires = knownString(props.expires);
    if (expires === undefined) return; // unset: AWS expires the key after 7 days
    const at = Date.parse(expires);
    if (Number.isNaN(at)) return;
    const { maxDaysValid } = readConfig<AppSyncApiKeyExpiryArgs>(args, expirySchema);
    const days = (at - Date.now()) / DAY_MS;
    if (days > maxDaysValid) {
      report(
        `AppSync ApiKey '${nameOf(args)}' must expire within ${maxDaysValid} days; set expires to a time before ${new Date(Date.now() + maxDaysValid * DAY_MS).toISOString().slice(0, 10)} (now ${expires}).`,
      );
    }
  }),
};

/** Every policy of practice K. */
export const policies: Policies = [
  usagePlanLimits,
  apiKeyUsagePlan,
  apiKeyValueSource,
  stageThrottling,
  appsyncApiKeyExpiry,
];

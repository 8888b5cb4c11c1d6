/**
 * API keys and usage plans for the internal callers of a REST API stage. Keys meter and cap
 * callers (throttle and quota); they never identify them: every method still requires SigV4.
 * Each key is also kept in an SSM Parameter Store SecureString, which a caller's function reads
 * at cold start: a key in a function's environment is readable by anyone allowed
 * `lambda:GetFunctionConfiguration`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertValidArgs } from "./args";
import { parseRoute, ParsedRoute } from "./invoker-role";

/** The quota periods API Gateway accepts. */
export const QUOTA_PERIODS = ["DAY", "WEEK", "MONTH"] as const;

const TIER_NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

/** A steady rate and a burst, in requests per second. */
export interface Throttle {
  /** Steady-state requests per second. */
  rateLimit: number;
  /** Requests allowed at once above the steady rate. */
  burstLimit: number;
}

/** One usage-plan tier: how much its callers may call (throttle and quota). */
export interface UsagePlanTier extends Throttle {
  /** The tier's name (lowercase, 3-40 letters, digits and dashes); callers name it. */
  name: string;
  /** What the tier is for, shown in the console. */
  description?: string;
  /** How many requests a caller may make per period. */
  quota: { limit: number; period: (typeof QUOTA_PERIODS)[number] };
  /** Per-route throttles, keyed by "METHOD /path" of the API. */
  methodThrottles?: Record<string, Throttle>;
}

/** One caller that gets an API key, and the tier that key is metered by. */
export interface UsagePlanCaller {
  /** The caller's name (keys and outputs are named after it). */
  name: string;
  /** The name of its tier among `tiers`. */
  usagePlan: string;
}

export interface UsagePlansArgs {
  /** The REST API the plans meter. */
  restApiId: pulumi.Input<string>;
  /**
   * The stage the plans apply to. Pass the Stage's `stageName` output, so the plans are created
   * after the stage exists (API Gateway rejects a usage plan naming a missing stage).
   */
  stageName: pulumi.Input<string>;
  /** The tiers: throttle, quota and optional per-route throttles. */
  tiers: UsagePlanTier[];
  /** Every route of the API as "METHOD /path"; per-route throttles must name one of them. */
  apiRoutes: string[];
  /** The callers: one API key each, attached to its tier's plan. */
  callers: UsagePlanCaller[];
  /**
   * Where the SecureStrings go: `<prefix>/<caller>` (a path of letters, digits and `_.-/`, with a
   * leading `/`). Default `/<project>/<stack>/<name>/api-keys`.
   */
  parameterPrefix?: string;
  /** The KMS key of the SecureStrings (default: the AWS managed key `alias/aws/ssm`). */
  parameterKmsKeyId?: pulumi.Input<string>;
  /** Tags for every taggable child. */
  tags?: Record<string, string>;
}

/** Problems with a throttle (rate, burst), each reported under `field`. */
export function throttleProblems(
  field: string,
  t: { rateLimit: number; burstLimit: number },
): string[] {
  const problems: string[] = [];
  if (!(typeof t.rateLimit === "number" && t.rateLimit > 0 && t.rateLimit <= 10_000))
    problems.push(`${field}.rateLimit: expected a number in (0, 10000], found ${t.rateLimit}`);
  if (!(Number.isInteger(t.burstLimit) && t.burstLimit > 0 && t.burstLimit <= 5_000))
    problems.push(`${field}.burstLimit: expected an integer in [1, 5000], found ${t.burstLimit}`);
  else if (typeof t.rateLimit === "number" && t.burstLimit < t.rateLimit)
    problems.push(
      `${field}.burstLimit: must be at least rateLimit (${t.rateLimit}), found ${t.burstLimit}`,
    );
  return problems;
}

/** Every problem with the tiers, each naming its field (`tiers[1].quota.period: ...`). */
export function validateUsagePlanTiers(tiers: UsagePlanTier[], apiRoutes: string[]): string[] {
  const problems: string[] = [];
  if (!tiers || tiers.length === 0) problems.push("tiers: expected at least one usage plan tier");
  const names = new Set<string>();
  (tiers ?? []).forEach((t, i) => {
    const at = `tiers[${i}]`;
    if (!TIER_NAME.test(t.name ?? ""))
      problems.push(`${at}.name: expected a lowercase name of 3-40 letters, digits and dashes`);
    if (names.has(t.name)) problems.push(`${at}.name: duplicate tier name '${t.name}'`);
    names.add(t.name);
    problems.push(...throttleProblems(at, t));
    if (!t.quota) {
      problems.push(`${at}.quota: required (limit and period)`);
    } else {
      if (!(Number.isInteger(t.quota.limit) && t.quota.limit > 0))
        problems.push(`${at}.quota.limit: expected a positive integer, found ${t.quota.limit}`);
      if (!(QUOTA_PERIODS as readonly string[]).includes(t.quota.period))
        problems.push(
          `${at}.quota.period: expected one of ${QUOTA_PERIODS.join(", ")}, found '${t.quota.period}'`,
        );
    }
    for (const [route, throttle] of Object.entries(t.methodThrottles ?? {})) {
      if (!apiRoutes.includes(route))
        problems.push(
          `${at}.methodThrottles['${route}']: not a route of the API (${apiRoutes.join(", ")})`,
        );
      problems.push(...throttleProblems(`${at}.methodThrottles['${route}']`, throttle));
    }
  });
  return problems;
}

/** One caller's key in Parameter Store: the parameter's name and ARN (to grant ssm:GetParameter). */
export interface ApiKeyParameter {
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
}

/** Every problem with the args, each naming its field; empty when they are fine. */
export function validateUsagePlansArgs(args: UsagePlansArgs): string[] {
  const problems = validateUsagePlanTiers(args.tiers, args.apiRoutes);
  if (args.parameterPrefix !== undefined && !/^(\/[A-Za-z0-9_.-]+)+$/.test(args.parameterPrefix))
    problems.push(
      `parameterPrefix: expected a path such as /sec1/dev/api-keys, found '${args.parameterPrefix}'`,
    );
  const tiers = new Set((args.tiers ?? []).map((t) => t.name));
  const callers = new Set<string>();
  (args.callers ?? []).forEach((c, i) => {
    if (callers.has(c.name)) problems.push(`callers[${i}].name: duplicate caller '${c.name}'`);
    callers.add(c.name);
    if (!tiers.has(c.usagePlan))
      problems.push(
        `callers[${i}].usagePlan: unknown tier '${c.usagePlan}' (expected one of ${[...tiers].join(", ")})`,
      );
  });
  return problems;
}

/**
 * The usage plan's method path for a route: the resource path followed by the method,
 * `/loyalty/{customerId}/points/POST` (API Gateway's `/{resource path}/{METHOD}` key).
 */
export function throttlePath(route: ParsedRoute): string {
  return `${route.path}/${route.method}`;
}

/**
 * One usage plan per tier (throttle, quota, the stage, per-route throttles) and one API key per
 * caller, attached to its tier's plan. Key values are generated by API Gateway.
 */
export class UsagePlans extends pulumi.ComponentResource {
  /** Usage plan ids by tier name. */
  public readonly usagePlanIds: pulumi.Output<Record<string, string>>;
  /** API key ids by caller name. */
  public readonly apiKeyIds: pulumi.Output<Record<string, string>>;
  /** API key values by caller name (secret). */
  public readonly apiKeyValues: pulumi.Output<Record<string, string>>;
  /** The plans by tier name. */
  public readonly plans: Record<string, aws.apigateway.UsagePlan>;
  /** Each caller's key as an SSM SecureString, by caller name. */
  public readonly apiKeyParameters: Record<string, ApiKeyParameter>;

  constructor(name: string, args: UsagePlansArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sec1:apigateway:UsagePlans", name, {}, opts);
    assertValidArgs("UsagePlans", name, validateUsagePlansArgs(args), this);

    this.plans = {};
    for (const tier of args.tiers) this.plans[tier.name] = this.plan(name, args, tier);

    const keys: Record<string, aws.apigateway.ApiKey> = {};
    const prefix =
      args.parameterPrefix ?? `/${pulumi.getProject()}/${pulumi.getStack()}/${name}/api-keys`;
    this.apiKeyParameters = {};
    for (const caller of args.callers) {
      const { key, parameter } = this.callerKey(name, args, caller, prefix);
      keys[caller.name] = key;
      this.apiKeyParameters[caller.name] = parameter;
    }

    const byName = <T>(entries: Record<string, pulumi.Output<T>>) =>
      pulumi.all(entries) as pulumi.Output<Record<string, T>>;
    this.usagePlanIds = byName(
      Object.fromEntries(Object.entries(this.plans).map(([k, p]) => [k, p.id])),
    );
    this.apiKeyIds = byName(
      Object.fromEntries(Object.entries(keys).map(([k, key]) => [k, key.id])),
    );
    this.apiKeyValues = pulumi.secret(
      byName(Object.fromEntries(Object.entries(keys).map(([k, key]) => [k, key.value]))),
    );
    this.registerOutputs({
      usagePlanIds: this.usagePlanIds,
      apiKeyIds: this.apiKeyIds,
      apiKeyValues: this.apiKeyValues,
    });
  }

  /** One tier's usage plan: its throttle, quota, the stage and its per-route throttles. */
  private plan(name: string, args: UsagePlansArgs, tier: UsagePlanTier): aws.apigateway.UsagePlan {
    const throttles = Object.entries(tier.methodThrottles ?? {}).map(([route, t]) => ({
      path: throttlePath(parseRoute(route) as ParsedRoute),
      rateLimit: t.rateLimit,
      burstLimit: t.burstLimit,
    }));
    return new aws.apigateway.UsagePlan(
      `${name}-${tier.name}`,
      {
        description: tier.description ?? `Usage tier ${tier.name}`,
        apiStages: [
          {
            apiId: args.restApiId,
            stage: args.stageName,
            throttles: throttles.length > 0 ? throttles : undefined,
          },
        ],
        throttleSettings: { rateLimit: tier.rateLimit, burstLimit: tier.burstLimit },
        quotaSettings: { limit: tier.quota.limit, period: tier.quota.period },
        tags: args.tags ?? {},
      },
      { parent: this },
    );
  }

  /** One caller's API key, its place in its tier's plan, and the key's SSM SecureString. */
  private callerKey(
    name: string,
    args: UsagePlansArgs,
    caller: UsagePlanCaller,
    prefix: string,
  ): { key: aws.apigateway.ApiKey; parameter: ApiKeyParameter } {
    const tags = args.tags ?? {};
    // No `value`: API Gateway generates it, so no key is ever written in code or config.
    const key = new aws.apigateway.ApiKey(
      `${name}-${caller.name}`,
      {
        description: `Quota key of ${caller.name} (tier ${caller.usagePlan}); identity is SigV4`,
        enabled: true,
        tags,
      },
      { parent: this, additionalSecretOutputs: ["value"] },
    );
    // A key may be in only one usage plan per API stage: when a caller moves to another tier
    // the association is replaced, and the new one is refused while the old one exists.
    // Never protected (a protect on this component would otherwise reach it): it holds no
    // data, and a protected association could not be replaced, so no caller could change tier.
    new aws.apigateway.UsagePlanKey(
      `${name}-${caller.name}`,
      {
        keyId: key.id,
        keyType: "API_KEY",
        usagePlanId: this.plans[caller.usagePlan].id,
      },
      { parent: this, deleteBeforeReplace: true, protect: false },
    );
    // The value stays a secret in Pulumi's state too (the ApiKey's value is a secret output).
    const parameter = new aws.ssm.Parameter(
      `${name}-${caller.name}-key`,
      {
        name: `${prefix}/${caller.name}`,
        description: `Usage plan key of ${caller.name} (quota, not identity)`,
        type: "SecureString",
        value: key.value,
        keyId: args.parameterKmsKeyId,
        tags,
      },
      { parent: this },
    );
    return { key, parameter: { name: parameter.name, arn: parameter.arn } };
  }
}

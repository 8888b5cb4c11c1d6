/**
 * SEC1 practice X, a WAF that filters and is seen. sec1-x-waf-association asks for a web ACL in
 * front of public APIs; these two ask what that ACL does. A web ACL that allows by default and
 * has no rule that can block (no rules, or only count/allow rules and count-overridden groups)
 * filters nothing; a web ACL without a logging configuration leaves no record of what it
 * blocked or let through. Both are hardening: advisory.
 */
import { Policies, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { sec1Metadata } from "../lib/metadata";
import { configSchema, exemptResourcesProperty, readConfig } from "../lib/policy-config";
import { validateStackWith } from "../lib/typed-validation";
import { matchesAnyGlob, ofType, rawProps, resolveReference, TYPES } from "../lib/stack-refs";
import { asRecord, hasUnknown, isUnknownValue, nameOf } from "../lib/values";

const DOCS = {
  rules: "https://docs.aws.amazon.com/waf/latest/developerguide/web-acl.html",
  logging: "https://docs.aws.amazon.com/waf/latest/developerguide/logging.html",
};

/** Type tokens of the WAF resources these policies follow. */
export const WAF_TYPES = {
  webAcl: "aws:wafv2/webAcl:WebAcl",
  logging: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
  distribution: "aws:cloudfront/distribution:Distribution",
} as const;

/** The keys of an object, lower-cased, for the ones set (rules in `ruleJson` are PascalCase). */
function setKeys(value: unknown): Set<string> {
  const record = asRecord(value) ?? {};
  return new Set(
    Object.entries(record)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k]) => k.toLowerCase()),
  );
}

/** The rules of a web ACL (`rules`, or the JSON of `ruleJson`); undefined when unknown. */
function rulesOf(props: Record<string, unknown>): unknown[] | undefined {
  if (hasUnknown(props.rules) || isUnknownValue(props.ruleJson)) return undefined;
  if (typeof props.ruleJson === "string" && props.ruleJson.trim() !== "") {
    try {
      const parsed: unknown = JSON.parse(props.ruleJson);
      return Array.isArray(parsed) ? parsed : undefined;
    } catch {
      return undefined; // unreadable: cannot tell
    }
  }
  return Array.isArray(props.rules) ? props.rules : [];
}

/** True when a rule can stop a request: block, CAPTCHA or challenge, or a group left to act. */
function canBlock(rule: unknown): boolean {
  const r = asRecord(rule) ?? {};
  const get = (k: string) => Object.entries(r).find(([key]) => key.toLowerCase() === k)?.[1];
  const action = setKeys(get("action"));
  if (action.has("block") || action.has("captcha") || action.has("challenge")) return true;
  // A rule group or managed group keeps its own (blocking) actions unless overridden to count.
  return setKeys(get("overrideaction")).has("none");
}

/** "filters", "no" or undefined (unknown) for a web ACL. */
export function webAclFilters(acl: PolicyResource): "filters" | "no" | undefined {
  const props = rawProps(acl.props);
  if (hasUnknown(props.defaultAction)) return undefined;
  if (setKeys(props.defaultAction).has("block")) return "filters"; // an allow-list ACL
  const rules = rulesOf(props);
  if (rules === undefined || rules.some((r) => hasUnknown(r))) return undefined;
  return rules.some(canBlock) ? "filters" : "no";
}

/** Config of sec1-x-waf-web-acl-rules. */
export interface WafWebAclRulesArgs {
  /** Logical names of web ACLs exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const rulesSchema = configSchema({
  exemptResources: exemptResourcesProperty("web ACLs exempt"),
});

/** What each association-like resource calls its web ACL property. */
const ACL_REFERENCES = [
  { type: TYPES.webAclAssociation, prop: "webAclArn", what: "WebAclAssociation" },
  { type: WAF_TYPES.distribution, prop: "webAclId", what: "CloudFront Distribution" },
] as const;

/** X (stack): the web ACL in front of an API can block something. */
export const wafWebAclRules: StackValidationPolicy = {
  name: "sec1-x-waf-web-acl-rules",
  description:
    "A web ACL associated with an API (or a CloudFront distribution in front of one) must be able to block: with a default action of allow and no rule that blocks, challenges or runs a rule group, it lets every request through.",
  enforcementLevel: "advisory",
  configSchema: rulesSchema,
  ...sec1Metadata(
    "X",
    "medium",
    "Add rules that block: a rate-based rule (`action { block {} }`) and AWS managed rule groups with `overrideAction { none {} }` (AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet); or make the default action block with rules that allow known callers.",
    DOCS.rules,
    ["waf"],
  ),
  validateStack: validateStackWith(WAF_TYPES.webAcl, (args, report) => {
    const config = readConfig<WafWebAclRulesArgs>(args, rulesSchema);
    const acls = ofType(args.resources, WAF_TYPES.webAcl);
    const reported = new Set<PolicyResource>();
    for (const { type, prop, what } of ACL_REFERENCES) {
      for (const ref of ofType(args.resources, type)) {
        const found = resolveReference(ref, prop, acls, ["arn"]);
        if (found.kind !== "found") continue;
        for (const acl of found.resources) {
          if (reported.has(acl) || matchesAnyGlob(nameOf(acl), config.exemptResources)) continue;
          if (webAclFilters(acl) !== "no") continue;
          reported.add(acl);
          report(
            `WAFv2 WebAcl '${nameOf(acl)}' (used by ${what} '${nameOf(ref)}') must be able to block requests; set rules with action block (or rule groups with overrideAction none), or defaultAction to block.`,
            acl.urn,
          );
        }
      }
    }
  }),
};

/** Config of sec1-x-waf-logging. */
export interface WafLoggingArgs {
  /** Logical names of web ACLs exempt (`*` wildcards). Default: []. */
  exemptResources: string[];
}

const loggingSchema = configSchema({
  exemptResources: exemptResourcesProperty("web ACLs exempt"),
});

/** X (stack): every web ACL logs its decisions. */
export const wafLogging: StackValidationPolicy = {
  name: "sec1-x-waf-logging",
  description:
    "Web ACLs must log their decisions (an aws.wafv2.WebAclLoggingConfiguration), so blocked and allowed requests to the API can be investigated.",
  enforcementLevel: "advisory",
  configSchema: loggingSchema,
  ...sec1Metadata(
    "X",
    "low",
    "Create an aws.wafv2.WebAclLoggingConfiguration with `resourceArn` set to the web ACL's `arn` and `logDestinationConfigs` set to a CloudWatch log group named `aws-waf-logs-...` (or a Firehose stream or S3 bucket); redact the `authorization` header with `redactedFields`.",
    DOCS.logging,
    ["waf", "logging"],
  ),
  validateStack: validateStackWith(WAF_TYPES.webAcl, (args, report) => {
    const config = readConfig<WafLoggingArgs>(args, loggingSchema);
    const configs = ofType(args.resources, WAF_TYPES.logging);
    for (const acl of ofType(args.resources, WAF_TYPES.webAcl)) {
      if (matchesAnyGlob(nameOf(acl), config.exemptResources)) continue;
      const refs = configs.map((c) => resolveReference(c, "resourceArn", [acl], ["arn"]).kind);
      if (refs.includes("found") || refs.includes("unknown")) continue;
      report(
        `WAFv2 WebAcl '${nameOf(acl)}' must log its decisions; set an aws.wafv2.WebAclLoggingConfiguration with resourceArn to this web ACL's arn.`,
        acl.urn,
      );
    }
  }),
};

/** Every policy of this file. */
export const policies: Policies = [wafWebAclRules, wafLogging];

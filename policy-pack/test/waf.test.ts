import * as assert from "assert";
import { WAF_TYPES, wafLogging, wafWebAclRules } from "../policies/waf";
import { TYPES } from "../lib/stack-refs";
import {
  assertOne,
  assertSilent,
  runStackPolicy,
  StackResourceInput,
  UNKNOWN,
  urnOf,
} from "./helpers/run-policy";

const ACL_ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api-waf/1a2b";
const aclUrn = urnOf(WAF_TYPES.webAcl, "api-waf");

const rateLimit = {
  name: "rate",
  priority: 0,
  action: { block: {} },
  statement: { rateBasedStatement: { limit: 1000, aggregateKeyType: "IP" } },
};
const managed = (override: string) => ({
  name: "common",
  priority: 1,
  overrideAction: { [override]: {} },
  statement: {
    managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" },
  },
});

const acl = (props: Record<string, unknown>): StackResourceInput => ({
  type: WAF_TYPES.webAcl,
  name: "api-waf",
  props: {
    scope: "REGIONAL",
    defaultAction: { allow: {} },
    rules: [rateLimit],
    arn: ACL_ARN,
    ...props,
  },
});
const association: StackResourceInput = {
  type: TYPES.webAclAssociation,
  name: "api-waf-association",
  props: { resourceArn: "arn:aws:appsync:eu-west-1:123456789012:apis/abc", webAclArn: ACL_ARN },
  propertyDependencies: { webAclArn: [aclUrn] },
};
const logging: StackResourceInput = {
  type: WAF_TYPES.logging,
  name: "api-waf-logs",
  props: {
    resourceArn: ACL_ARN,
    logDestinationConfigs: ["arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-api"],
  },
  propertyDependencies: { resourceArn: [aclUrn] },
};

describe("WAF policies", () => {
  it("are advisory", () => {
    assert.strictEqual(wafWebAclRules.enforcementLevel, "advisory");
    assert.strictEqual(wafLogging.enforcementLevel, "advisory");
  });
});

describe("sec1-x-waf-web-acl-rules", () => {
  it("accepts an associated web ACL with a blocking rule, a rule group left to act, or a default block", async () => {
    assertSilent(await runStackPolicy(wafWebAclRules, [acl({}), association]));
    assertSilent(
      await runStackPolicy(wafWebAclRules, [acl({ rules: [managed("none")] }), association]),
    );
    assertSilent(
      await runStackPolicy(wafWebAclRules, [
        acl({ rules: [], defaultAction: { block: {} } }),
        association,
      ]),
    );
  });

  it("reports an associated web ACL with no rules, or only count rules, and default allow", async () => {
    const run = await runStackPolicy(wafWebAclRules, [acl({ rules: [] }), association]);
    assertOne(
      run,
      /WAFv2 WebAcl 'api-waf' \(used by WebAclAssociation 'api-waf-association'\) must be able to block requests/,
    );
    assert.strictEqual(run.violations[0].urn, aclUrn);
    const counting = [{ ...rateLimit, action: { count: {} } }, managed("count")];
    assertOne(
      await runStackPolicy(wafWebAclRules, [acl({ rules: counting }), association]),
      /must be able to block/,
    );
  });

  it("reads rules given as ruleJson, and a CloudFront distribution's web ACL", async () => {
    const ruleJson = JSON.stringify([
      { Name: "count", Priority: 0, Action: { Count: {} }, Statement: {} },
    ]);
    const distribution: StackResourceInput = {
      type: WAF_TYPES.distribution,
      name: "cdn",
      props: { enabled: true, webAclId: ACL_ARN },
      propertyDependencies: { webAclId: [aclUrn] },
    };
    assertOne(
      await runStackPolicy(wafWebAclRules, [acl({ rules: undefined, ruleJson }), distribution]),
      /used by CloudFront Distribution 'cdn'/,
    );
    const blocking = JSON.stringify([
      { Name: "b", Priority: 0, Action: { Block: {} }, Statement: {} },
    ]);
    assertSilent(
      await runStackPolicy(wafWebAclRules, [
        acl({ rules: undefined, ruleJson: blocking }),
        distribution,
      ]),
    );
  });

  it("leaves web ACLs nothing uses alone, stays silent on unknowns, and exempts configured ACLs", async () => {
    assertSilent(await runStackPolicy(wafWebAclRules, [acl({ rules: [] })]));
    for (const change of [
      { rules: UNKNOWN },
      { rules: [UNKNOWN] },
      { defaultAction: UNKNOWN, rules: [] },
      { rules: undefined, ruleJson: UNKNOWN },
    ]) {
      assertSilent(await runStackPolicy(wafWebAclRules, [acl(change), association]));
    }
    assertSilent(
      await runStackPolicy(wafWebAclRules, [acl({ rules: [] }), association], {
        exemptResources: ["api-*"],
      }),
    );
  });
});

describe("sec1-x-waf-logging", () => {
  it("accepts a web ACL with a logging configuration", async () => {
    assertSilent(await runStackPolicy(wafLogging, [acl({}), logging]));
  });

  it("reports a web ACL without one", async () => {
    const run = await runStackPolicy(wafLogging, [acl({}), association]);
    assertOne(
      run,
      /WAFv2 WebAcl 'api-waf' must log its decisions; set an aws.wafv2.WebAclLoggingConfiguration/,
    );
    assert.strictEqual(run.violations[0].urn, aclUrn);
  });

  it("stays silent while a logging configuration's target is unknown, and exempts configured ACLs", async () => {
    const unknownTarget = {
      ...logging,
      props: { ...logging.props, resourceArn: UNKNOWN },
      propertyDependencies: {},
    };
    assertSilent(await runStackPolicy(wafLogging, [acl({}), unknownTarget]));
    assertSilent(await runStackPolicy(wafLogging, [acl({})], { exemptResources: ["api-waf"] }));
  });
});

describe("WAF policies on stacks without a web ACL", () => {
  it("are skipped as not applicable, as the server does for a type it does not find", async () => {
    for (const policy of [wafWebAclRules, wafLogging]) {
      const run = await runStackPolicy(policy, [association]);
      assert.deepStrictEqual(run.notApplicable, [
        `Policy only applies to resources of type '${WAF_TYPES.webAcl}'`,
      ]);
      assertSilent(run);
    }
  });
});

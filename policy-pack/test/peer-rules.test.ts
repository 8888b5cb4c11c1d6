import * as assert from "assert";
import { Policy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import { BEYOND_PEERS, PEER_RULES } from "../lib/peer-rules";
import { renderMarkdown } from "../scripts/readme";

const names = new Set((allPolicies as Policy[]).map((p) => p.name));

describe("the peer-parity table (lib/peer-rules.ts, rendered into the pack's README)", () => {
  it("names, for every peer rule, policies of the pack or the reason it is outside SEC1", () => {
    for (const rule of PEER_RULES) {
      const c = rule.coverage;
      if ("outside" in c) {
        assert.ok(c.outside.trim().length > 10, `${rule.id}: a reason`);
        continue;
      }
      assert.ok(c.policies.length > 0, `${rule.id}: no policy`);
      for (const p of c.policies)
        assert.ok(names.has(p), `${rule.id}: ${p} is not a policy of the pack`);
      if ("partial" in c) assert.ok(c.partial.trim().length > 10, `${rule.id}: what is left out`);
    }
    for (const row of BEYOND_PEERS) {
      for (const p of row.policies) assert.ok(names.has(p), `${p} is not a policy of the pack`);
    }
  });

  it("lists each peer rule once, with the ids the issue asked for", () => {
    const ids = PEER_RULES.map((r) => `${r.tool} ${r.id}`);
    assert.deepStrictEqual(ids.length, new Set(ids).size);
    const have = new Set(PEER_RULES.map((r) => r.id));
    for (const id of [
      ...["APIG1", "APIG2", "APIG3", "APIG4", "APIG6"].map((x) => `AwsSolutions-${x}`),
      ...["COG1", "COG2", "COG3", "COG4", "COG7", "COG8", "ASC3"].map((x) => `AwsSolutions-${x}`),
      ...["CKV_AWS_59", "CKV_AWS_120", "CKV_AWS_225", "CKV_AWS_237", "CKV_AWS_193", "CKV_AWS_194"],
      ...["CKV_AWS_45", "CKV2_AWS_29", "CKV2_AWS_31", "CKV2_AWS_51", "CKV2_AWS_53", "CKV2_AWS_75"],
      ...[1, 2, 3, 4, 5, 8, 9].map((n) => `APIGateway.${n}`),
      ...["AppSync.2", "AppSync.5", "Cognito.1", "WAF.11"],
    ]) {
      assert.ok(have.has(id), `${id} is missing`);
    }
  });

  it("puts every new policy of the comparison somewhere in it", () => {
    const mapped = new Set([
      ...PEER_RULES.flatMap((r) => ("policies" in r.coverage ? r.coverage.policies : [])),
      ...BEYOND_PEERS.flatMap((r) => r.policies),
    ]);
    for (const p of [
      "sec1-a-jwt-route-scopes",
      "sec1-a-appsync-cognito-client-regex",
      "sec1-a-user-pool-mfa",
      "sec1-a-user-pool-threat-protection",
      "sec1-a-user-pool-password-policy",
      "sec1-a-user-pool-self-sign-up",
      "sec1-a-appsync-iam-callers",
      "sec1-k-literal-credentials",
      "sec1-k-environment-secrets",
      "sec1-e-function-url-cors-credentials",
      "sec1-e-function-url-cors-origins",
      "sec1-i-service-role-confused-deputy",
      "sec1-i-api-function-direct-invoke",
      "sec1-x-waf-web-acl-rules",
      "sec1-x-waf-logging",
    ]) {
      assert.ok(names.has(p), `${p} is not a policy of the pack`);
      assert.ok(mapped.has(p), `${p} is in no row`);
    }
  });

  it("is rendered row by row into the README", () => {
    const text = renderMarkdown();
    for (const rule of PEER_RULES) {
      const row = text.split("\n").find((l) => l.includes(`| \`${rule.id}\` |`));
      assert.ok(row, `${rule.id} is not in the README`);
      if ("outside" in rule.coverage) assert.match(row, /\| outside SEC1 \|/);
      else
        for (const p of rule.coverage.policies)
          assert.ok(row.includes(`\`${p}\``), `${rule.id}: ${p}`);
    }
  });
});

/**
 * The exemption rules (lib/exemptions.ts) and the wrapper that applies them to every policy
 * (lib/exempting.ts), called directly. The same behaviour over the analyzer protocol is in
 * exemptions-analyzer.test.ts.
 */
import * as assert from "assert";
import { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  coversUrn,
  exemptedLine,
  Exemption,
  parseExemption,
  readGovernance,
  readOrgExemptions,
  refusal,
  tagExemption,
} from "../lib/exemptions";
import { EXEMPTION_SETTINGS, withExemption } from "../lib/exempting";
import { allPolicies } from "../policies";
import { runResourcePolicy, runStackPolicy, urnOf } from "./helpers/run-policy";

const REASON = "public health check, returns no data";
const URN = "urn:pulumi:prod::shop::aws:apigatewayv2/route:Route::route-health";

function exemption(fields: Partial<Exemption> = {}): Exemption {
  return { source: "test", inCode: true, reason: REASON, ...fields };
}

describe("exemption rules", () => {
  it("reads reason, until and ticket, and names the field of a malformed one", () => {
    assert.deepStrictEqual(
      parseExemption("s", true, { reason: ` ${REASON} `, until: "2027-02-28" }),
      {
        exemption: { source: "s", inCode: true, reason: REASON, until: "2027-02-28" },
        source: "s",
      },
    );
    const problem = (fields: unknown) => {
      const parsed = parseExemption("s", true, fields);
      return "problem" in parsed ? parsed.problem.split(" ")[0] : "ok";
    };
    assert.strictEqual(problem({ reason: "too short" }), "reason");
    assert.strictEqual(problem({ reason: `${REASON}\nsecond line` }), "reason");
    assert.strictEqual(problem({ reason: 42 }), "reason");
    assert.strictEqual(problem(null), "reason");
    assert.strictEqual(problem({ reason: REASON, until: "2027-02-30" }), "until");
    assert.strictEqual(problem({ reason: REASON, until: "31.12.2027" }), "until");
    assert.strictEqual(problem({ reason: REASON, ticket: "SEC-1\nSEC-2" }), "ticket");
    assert.strictEqual(problem({ reason: REASON, ticket: ["SEC-1"] }), "ticket");
    assert.strictEqual(problem({ reason: REASON, until: "2027-02-28", ticket: "SEC-1" }), "ok");
    // The engine's unknown: long enough for a reason, but nothing is known about it yet.
    assert.strictEqual(problem({ reason: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }), "reason");
  });

  it("words the exempted line as the contract says", () => {
    assert.strictEqual(exemptedLine(exemption()), `exempted: ${REASON}`);
    assert.strictEqual(
      exemptedLine(exemption({ until: "2027-01-31", ticket: "SEC-42" })),
      `exempted: ${REASON}, until 2027-01-31, SEC-42`,
    );
    assert.strictEqual(
      exemptedLine(exemption({ ticket: "SEC-42" })),
      `exempted: ${REASON}, SEC-42`,
    );
  });

  it("applies the org's rules: expiry, forbidden in code, maximum days", () => {
    const day = "2026-12-08";
    const allowed = { inCode: "allowed", maxDays: 0 } as const;
    assert.strictEqual(refusal(exemption(), allowed, day), undefined);
    assert.strictEqual(refusal(exemption({ until: day }), allowed, day), undefined);
    assert.match(
      refusal(exemption({ until: "2026-12-07" }), allowed, day)!,
      /expired on 2026-12-07/,
    );
    const forbidden = { inCode: "forbidden", maxDays: 0 } as const;
    assert.match(refusal(exemption(), forbidden, day)!, /forbids/);
    assert.strictEqual(refusal(exemption({ inCode: false }), forbidden, day), undefined);
    const ninety = { inCode: "allowed", maxDays: 90 } as const;
    assert.match(refusal(exemption(), ninety, day)!, /at most 90 days: set until to 2027-03-08/);
    assert.match(refusal(exemption({ until: "2027-03-09" }), ninety, day)!, /at most 90 days/);
    assert.strictEqual(refusal(exemption({ until: "2027-03-08" }), ninety, day), undefined);
    assert.strictEqual(refusal(exemption({ inCode: false }), ninety, day), undefined);
    assert.match(
      refusal(exemption({ inCode: false, until: "2020-01-01" }), ninety, day)!,
      /expired/,
    );
  });

  it("matches org entries by URN (with wildcards) or project/stack/name globs", () => {
    assert.ok(coversUrn(URN, URN));
    assert.ok(coversUrn("urn:pulumi:prod::shop::*::route-*", URN));
    assert.ok(!coversUrn("urn:pulumi:dev::shop::*::route-*", URN));
    assert.ok(coversUrn("shop/prod/route-health", URN));
    assert.ok(coversUrn("*/*/route-*", URN));
    assert.ok(!coversUrn("shop/dev/route-health", URN));
    assert.ok(!coversUrn("other/prod/route-health", URN));
    assert.ok(!coversUrn("route-health", URN));
    assert.ok(!coversUrn("shop/prod/route-health", "not a urn"));
  });

  it("reads the org's entries and rules, naming each bad field", () => {
    const { entries, problems } = readOrgExemptions("p", [
      { resource: "shop/prod/route-health", reason: REASON, ticket: "SEC-1" },
      { resource: "route-health", reason: REASON },
      { resource: "shop/prod/x", reason: "short" },
      "not an entry",
    ]);
    assert.deepStrictEqual(
      entries.map((e) => [e.resource, e.ticket, e.inCode]),
      [["shop/prod/route-health", "SEC-1", false]],
    );
    assert.deepStrictEqual(
      problems.map((p) => [p.source, p.problem.split(" ")[0]]),
      [
        ["policy config of p: exemptions[1]", "resource"],
        ["policy config of p: exemptions[2]", "reason"],
        ["policy config of p: exemptions[3]", "resource"],
      ],
    );
    assert.match(readOrgExemptions("p", { a: 1 }).problems[0].problem, /must be a list/);

    assert.deepStrictEqual(readGovernance("p", {}), {
      rules: { inCode: "allowed", maxDays: 0 },
      problems: [],
    });
    const bad = readGovernance("p", { inCodeExemptions: "sometimes", exemptionMaxDays: -3 });
    assert.deepStrictEqual(bad.rules, { inCode: "forbidden", maxDays: 0 });
    assert.deepStrictEqual(
      bad.problems.map((p) => p.source),
      ["policy config of p: inCodeExemptions", "policy config of p: exemptionMaxDays"],
    );
  });

  it("reads a tag exemption of one policy only", () => {
    const tags = { "sec1:accept:p": REASON, "sec1:accept:p:until": "2027-01-31", other: "x" };
    const parsed = tagExemption("p", tags);
    assert.ok(parsed && "exemption" in parsed);
    assert.strictEqual(parsed.exemption.until, "2027-01-31");
    assert.strictEqual(tagExemption("q", tags), undefined);
    assert.ok("problem" in tagExemption("p", { "sec1:accept:p": "" })!);
  });
});

describe("the exemption wrapper, called directly", () => {
  const routes = (allPolicies as Policy[]).find(
    (p) => p.name === "sec1-a-http-route-authorization",
  ) as StackValidationPolicy;
  const mfa = (allPolicies as Policy[]).find(
    (p) => p.name === "sec1-a-user-pool-mfa",
  ) as ResourceValidationPolicy;
  const route = (name: string, routeKey: string) => ({
    type: "aws:apigatewayv2/route:Route",
    name,
    props: { apiId: "a1", routeKey },
  });
  const stack = [route("route-health", "GET /health"), route("route-orders", "GET /orders")];

  it("adds the exemption settings to every policy and keeps the type tag the server skips by", () => {
    for (const p of allPolicies as Policy[]) {
      if (p.name === "sec1-x-exemption-declarations") continue;
      for (const key of Object.keys(EXEMPTION_SETTINGS)) {
        assert.ok(key in p.configSchema!.properties, `${p.name}: ${key}`);
      }
    }
    const tagged = (routes.validateStack as { __pulumiType?: string }).__pulumiType;
    assert.strictEqual(tagged, "aws:apigatewayv2/route:Route");
    assert.strictEqual(
      (mfa.validateResource as { __pulumiType?: string }).__pulumiType,
      "aws:cognito/userPool:UserPool",
    );
  });

  it("leaves findings as they were when nothing exempts them", async () => {
    const run = await runStackPolicy(routes, stack);
    assert.deepStrictEqual(
      run.violations.map((v) => [v.urn?.split("::").pop(), v.level]),
      [
        ["route-health", undefined],
        ["route-orders", undefined],
      ],
    );
  });

  it("exempts a finding covered by the org's config, at advisory, with its reason first", async () => {
    const config = {
      exemptions: [{ resource: "*/*/route-health", reason: REASON, until: "2999-12-31" }],
    };
    const run = await runStackPolicy(routes, stack, config);
    const [health, orders] = run.violations;
    assert.strictEqual(health.level, "advisory");
    assert.strictEqual(health.message.split("\n")[0], `exempted: ${REASON}, until 2999-12-31`);
    assert.strictEqual(health.message.split("\n")[1], routes.description);
    assert.strictEqual(orders.level, undefined);
  });

  it("reports a malformed org entry under sec1-x-exemption-declarations, and does not exempt", async () => {
    const config = { exemptions: [{ resource: "*/*/route-health", reason: "short" }] };
    const run = await runStackPolicy(routes, stack, config);
    assert.deepStrictEqual(
      run.violations.map((v) => [v.policy, v.level]),
      [
        ["sec1-x-exemption-declarations", "advisory"],
        [undefined, undefined],
        [undefined, undefined],
      ],
    );
    assert.match(run.violations[0].message, /exemptions\[0\] reason must be/);
  });

  it("in Analyze, reads the resource's tag, under the org's rules", async () => {
    const pool = {
      type: "aws:cognito/userPool:UserPool",
      name: "pool",
      props: { mfaConfiguration: "OFF", tags: { "sec1:accept:sec1-a-user-pool-mfa": REASON } },
    };
    const exempted = await runResourcePolicy(mfa, pool);
    assert.deepStrictEqual(
      exempted.violations.map((v) => [v.level, v.message.split("\n")[0]]),
      [["advisory", `exempted: ${REASON}`]],
    );
    const forbidden = await runResourcePolicy(mfa, pool, { inCodeExemptions: "forbidden" });
    assert.deepStrictEqual(
      forbidden.violations.map((v) => v.policy ?? "sec1-a-user-pool-mfa"),
      ["sec1-x-exemption-declarations", "sec1-a-user-pool-mfa"],
    );
  });

  it("passes odd reports through untouched instead of throwing", async () => {
    const odd: StackValidationPolicy = {
      name: "odd",
      description: "odd reports",
      enforcementLevel: "advisory",
      validateStack: (_args, report) => {
        report("stack-wide, no resource");
        report("urn of the wrong kind", 42 as unknown as string);
      },
    };
    const run = await runStackPolicy(withExemption(odd) as StackValidationPolicy, [], {
      exemptions: [{ resource: "*/*/*", reason: REASON }],
    });
    assert.deepStrictEqual(
      run.violations.map((v) => [v.message, v.urn]),
      [
        ["stack-wide, no resource", undefined],
        ["urn of the wrong kind", 42],
      ],
    );
  });

  it("wraps a policy without config schema and without exemptions to the same verdicts", async () => {
    const plain: ResourceValidationPolicy = {
      name: "demo",
      description: "demo policy",
      enforcementLevel: "mandatory",
      validateResource: (args, report) => report(`bad ${args.name}`),
    };
    const wrapped = withExemption(plain) as ResourceValidationPolicy;
    const r = { type: "aws:s3/bucket:Bucket", name: "b", props: {}, urn: urnOf("x", "b") };
    assert.deepStrictEqual(
      (await runResourcePolicy(wrapped, r)).violations,
      (await runResourcePolicy(plain, r)).violations,
    );
  });
});

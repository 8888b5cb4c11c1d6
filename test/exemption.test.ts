/**
 * components/exemption.ts: the program's side of exemptions. Its declarations reach the engine
 * as the pack reads them (inputs and registered outputs), and a program that declares one gets
 * its finding exempted through the same path as the offline preview (mock engine, then the pack
 * over the analyzer protocol).
 */
import * as assert from "assert";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { ComponentArgsError } from "../components/args";
import {
  acceptanceProblems,
  acceptFinding,
  EXEMPTION_TYPE,
  exemptionTags,
} from "../components/exemption";
import { PackClient, startPack } from "../tools/analyzer-client";
import { analyzeRun, engineView } from "../tools/preview-offline";
import { one, runComponents } from "./helpers/harness";
import { ProgramRun } from "../tools/mock-engine";

const REASON = "public health check, returns no data";
const ROUTES = "sec1-a-http-route-authorization";

function openApi(accept: boolean) {
  return () => {
    const api = new aws.apigatewayv2.Api("edge", { protocolType: "HTTP" });
    const health = new aws.apigatewayv2.Route("health", { apiId: api.id, routeKey: "GET /health" });
    new aws.apigatewayv2.Route("orders", { apiId: api.id, routeKey: "GET /orders" });
    if (accept) acceptFinding(ROUTES, health, { reason: REASON, ticket: "SEC-42" });
  };
}

describe("components/exemption", () => {
  it("registers a declaration whose inputs and outputs name policy, target URN and reason", async () => {
    const run = await runComponents(openApi(true));
    const declaration = one(run, EXEMPTION_TYPE);
    const health = one(run, "aws:apigatewayv2/route:Route", "health");
    assert.strictEqual(declaration.name, `health-accepts-${ROUTES}`);
    const expected = { policy: ROUTES, target: health.urn, reason: REASON, ticket: "SEC-42" };
    assert.deepStrictEqual(declaration.inputs, expected);
    assert.deepStrictEqual(declaration.registeredOutputs, expected);
  });

  it("refuses a declaration without a reason, with a bad date or a multi-line ticket", async () => {
    await assert.rejects(
      runComponents(() => {
        const r = new aws.apigatewayv2.Route("r", { apiId: "a1", routeKey: "GET /x" });
        acceptFinding(ROUTES, r, { reason: "short", until: "2026-13-01", ticket: "a\nb" });
      }),
      (err: unknown) => {
        const problems = (err as ComponentArgsError).problems ?? [];
        assert.deepStrictEqual(
          problems.map((p) => p.split(":")[0]),
          ["reason", "until", "ticket"],
          String(err),
        );
        return true;
      },
    );
    assert.deepStrictEqual(acceptanceProblems(ROUTES, { reason: REASON, until: "2026-02-28" }), []);
  });

  it("builds tags for taggable resources, and refuses characters AWS tags do not allow", () => {
    assert.deepStrictEqual(
      exemptionTags("sec1-a-user-pool-mfa", { reason: "testers enrol TOTP", until: "2027-01-31" }),
      {
        "sec1:accept:sec1-a-user-pool-mfa": "testers enrol TOTP",
        "sec1:accept:sec1-a-user-pool-mfa:until": "2027-01-31",
      },
    );
    assert.throws(
      () => exemptionTags("sec1-a-user-pool-mfa", { reason: "testers, when they want" }),
      /reason: tag values allow/,
    );
  });
});

describe("components/exemption through the offline preview's engine and the pack", function () {
  this.timeout(240_000);
  let pack: PackClient;
  before(async () => {
    pack = await startPack(path.resolve(__dirname, "..", "policy-pack"), { timeoutMs: 200_000 });
  });
  after(async () => {
    await pack?.stop();
  });

  async function routeFindings(run: ProgramRun) {
    const view = engineView(run, {});
    const { diagnostics } = await analyzeRun(pack, run, view, { config: {}, secretKeys: [] });
    return diagnostics
      .filter((d) => d.policy === ROUTES || d.policy === "sec1-x-exemption-declarations")
      .map((d) => [d.policy, d.urn?.split("::").pop(), d.level, d.message.split("\n")[0]]);
  }

  it("exempts exactly the declared route's finding, and lists it", async () => {
    const plain = await routeFindings(await runComponents(openApi(false)));
    const first = plain.find((d) => d[1] === "health")![3];
    assert.deepStrictEqual(await routeFindings(await runComponents(openApi(true))), [
      [ROUTES, "health", "advisory", `exempted: ${REASON}, SEC-42`],
      [ROUTES, "orders", "mandatory", plain.find((d) => d[1] === "orders")![3]],
    ]);
    assert.ok(!String(first).startsWith("exempted"));
  });
});

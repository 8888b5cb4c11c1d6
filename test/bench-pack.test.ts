/**
 * The pack benchmark's what-if figure runs our pack on a rewritten copy of the policy SDK's
 * analyzer server. These tests run the released and the rewritten AnalyzeStack in process, on a
 * real protobuf request, and check what the figure claims to measure: the released server gives
 * each stack policy its own copy of the stack, the rewritten one gives all of them the same.
 */
import * as assert from "node:assert";
import * as fs from "fs";
import * as path from "path";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { shareStackCopy, writeSharedStackPack } from "../bench/pack.bench";

const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};

const RELEASED_SERVER = require.resolve("@pulumi/policy/server");

/** An AnalyzeStack request with two resources, as the engine sends it. */
function request(): analyzerPb.AnalyzeStackRequest {
  const req = new analyzerPb.AnalyzeStackRequest();
  for (const name of ["first", "second"]) {
    const r = new analyzerPb.AnalyzerResource();
    r.setType("aws:apigateway/restApi:RestApi");
    r.setName(name);
    r.setUrn(`urn:pulumi:dev::p::aws:apigateway/restApi:RestApi::${name}`);
    r.setProperties(Struct.fromJavaScript({ name, tags: { team: "a" } }) as never);
    r.setOptions(new analyzerPb.AnalyzerResourceOptions());
    req.addResources(r);
  }
  return req;
}

type StackRpc = (call: { request: unknown }, callback: (err: unknown) => void) => Promise<void>;

/** The resources arrays two stack policies receive from one AnalyzeStack of the server module. */
async function resourcesSeen(serverModule: string): Promise<{ props: unknown }[][]> {
  const mod = require(serverModule) as { makeAnalyzeStackRpcFun(...args: unknown[]): StackRpc };
  const seen: { props: unknown }[][] = [];
  const policies = ["one", "two"].map((name) => ({
    name,
    description: name,
    enforcementLevel: "advisory",
    validateStack: (args: { resources: { props: unknown }[] }) => void seen.push(args.resources),
  }));
  const rpc = mod.makeAnalyzeStackRpcFun("pack", "0.0.1", "advisory", policies);
  await new Promise<void>((resolve, reject) =>
    rpc({ request: request() }, (err) => (err ? reject(err) : resolve())),
  );
  return seen;
}

describe("bench/pack: the what-if server (one stack copy per AnalyzeStack)", () => {
  it("the released server deserializes the stack again for each stack policy", async () => {
    const [one, two] = await resourcesSeen(RELEASED_SERVER);
    assert.notStrictEqual(one, two);
    assert.notStrictEqual(one[0].props, two[0].props);
    assert.deepStrictEqual({ ...(two[1].props as object) }, { ...(one[1].props as object) });
  });

  it("the what-if pack's SDK hands every stack policy the same resources, deserialized once", async () => {
    const dir = writeSharedStackPack();
    assert.ok(dir, "the installed @pulumi/policy server no longer matches the rewrite");
    try {
      const [one, two] = await resourcesSeen(
        path.join(dir, "node_modules", "@pulumi", "policy", "server.js"),
      );
      assert.strictEqual(one, two);
      assert.strictEqual(one.length, 2);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(one[1].props)), {
        name: "second",
        tags: { team: "a" },
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives nothing for a server without the code it rewrites", () => {
    assert.strictEqual(shareStackCopy("module.exports = {};"), undefined);
    const released = fs.readFileSync(RELEASED_SERVER, "utf8");
    const withoutBuild = released.replace("const intermediates = [];", "const built = [];");
    assert.strictEqual(shareStackCopy(withoutBuild), undefined);
  });
});

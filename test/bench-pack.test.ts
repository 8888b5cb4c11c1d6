/**
 * The pack benchmark's what-if figure runs our pack on a rewritten copy of the policy SDK's
 * analyzer server. These tests run the released and the rewritten AnalyzeStack in process, on a
 * real protobuf request, and check what the figure claims to measure: the released server gives
 * each stack policy its own copy of the stack, the rewritten one gives all of them the same.
 */
import * as assert from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { shareStackCopy } from "../bench/pack.bench";

const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};

const SDK = path.resolve(__dirname, "..", "node_modules", "@pulumi", "policy");
const RELEASED = fs.readFileSync(path.join(SDK, "server.js"), "utf8");

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

/** The resources arrays two stack policies receive from one AnalyzeStack of `server`. */
async function resourcesSeen(server: string): Promise<{ props: unknown }[][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-sdk-"));
  try {
    // The copy resolves its own dependencies through a link to the repository's node_modules.
    fs.symlinkSync(path.resolve(SDK, "..", ".."), path.join(dir, "node_modules"), "dir");
    fs.cpSync(SDK, path.join(dir, "sdk"), { recursive: true });
    fs.writeFileSync(path.join(dir, "sdk", "server.js"), server);
    const mod = require(path.join(dir, "sdk", "server.js")) as {
      makeAnalyzeStackRpcFun(...args: unknown[]): StackRpc;
    };
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
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("bench/pack: the what-if server (one stack copy per AnalyzeStack)", () => {
  it("the released server deserializes the stack again for each stack policy", async () => {
    const [one, two] = await resourcesSeen(RELEASED);
    assert.notStrictEqual(one, two);
    assert.notStrictEqual(one[0].props, two[0].props);
    assert.deepStrictEqual({ ...(two[1].props as object) }, { ...(one[1].props as object) });
  });

  it("the rewritten server hands every stack policy the same resources, deserialized once", async () => {
    const rewritten = shareStackCopy(RELEASED);
    assert.ok(rewritten, "the installed @pulumi/policy server no longer matches the rewrite");
    const [one, two] = await resourcesSeen(rewritten);
    assert.strictEqual(one, two);
    assert.strictEqual(one.length, 2);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(one[1].props)), {
      name: "second",
      tags: { team: "a" },
    });
  });

  it("gives nothing for a server without the code it rewrites", () => {
    assert.strictEqual(shareStackCopy("module.exports = {};"), undefined);
    const withoutBuild = RELEASED.replace("const intermediates = [];", "const built = [];");
    assert.strictEqual(shareStackCopy(withoutBuild), undefined);
  });
});

/**
 * The pack as orgs receive it: policy-pack/ copied alone to a temporary folder (no root
 * checkout, no workspace), installed from its own lock file with `npm ci`, tested with its own
 * `npm test`, built with its own `npm run build`, and started with the `run-policy-pack` of its
 * own node_modules, the way the Pulumi CLI starts it.
 *
 * Slow (an install and the pack's whole suite, about two minutes here): not part of `npm test`.
 * Run it with `npm run test:standalone`; .ci/run does, after `npm test`.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startPack } from "../../tools/analyzer-client";
import { allPolicies } from "../../policy-pack/policies";

const PACK_DIR = path.resolve(__dirname, "..", "..", "policy-pack");

/** Runs npm in `cwd` with a clean environment (no npm_* of the root's own `npm run`). */
function npm(cwd: string, args: string[]): void {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)),
  );
  const run = spawnSync("npm", args, { cwd, env, encoding: "utf8", timeout: 600_000 });
  assert.strictEqual(
    run.status,
    0,
    `npm ${args.join(" ")} exited ${run.status}:\n${run.stdout}\n${run.stderr}`,
  );
}

describe("policy-pack/ alone, as orgs receive it", function () {
  this.timeout(900_000);
  let dir: string;

  before(() => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "sec1-pack-alone-"));
    dir = path.join(base, "policy-pack");
    fs.cpSync(PACK_DIR, dir, {
      recursive: true,
      filter: (source) => !source.split(path.sep).includes("node_modules"),
    });
    assert.ok(!fs.existsSync(path.join(base, "package.json")), "no root around the copy");
  });
  after(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it("installs from its own lock file (npm ci)", () => {
    npm(dir, ["ci", "--prefer-offline", "--no-audit", "--no-fund"]);
  });

  it("passes its own npm test (type check and every test of the pack)", () => {
    npm(dir, ["test"]);
  });

  it("builds dist/index.js with its own npm run build, byte for byte the checked-in file", () => {
    const checkedIn = fs.readFileSync(path.join(dir, "dist", "index.js"), "utf8");
    fs.rmSync(path.join(dir, "dist"), { recursive: true });
    npm(dir, ["run", "build"]);
    assert.ok(fs.readFileSync(path.join(dir, "dist", "index.js"), "utf8") === checkedIn);
  });

  it("starts with run-policy-pack from its own node_modules, prints a port and lists its policies", async () => {
    const runPolicyPack = path.join(
      dir,
      "node_modules",
      "@pulumi",
      "pulumi",
      "cmd",
      "run-policy-pack",
    );
    const pack = await startPack(dir, { runPolicyPack, stack: "dev", project: "any-project" });
    try {
      assert.ok(pack.port > 0);
      const info = await pack.info();
      assert.strictEqual(info.name, "sec1-serverless-api-access");
      assert.strictEqual(
        info.version,
        JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version,
      );
      assert.deepStrictEqual(
        info.policies.map((p) => p.name).sort(),
        allPolicies.map((p) => p.name).sort(),
      );
    } finally {
      await pack.stop();
    }
  });
});

// npm run analyze: stack exports read as the CLI reads them, our pack driven once over the
// analyzer protocol for every file, labels calibration, bad input and exit codes.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PackClient, startPack } from "../tools/analyzer-client";
import {
  AnalyzedStack,
  analyzeExports,
  calibrateOn,
  jsonReport,
  parseArgs,
  readExports,
  renderStack,
  UsageError,
} from "../tools/analyze";
import { readLabels } from "../tools/labels";
import { fromStateValue, readStackExport, REDACTED_SECRET } from "../tools/stack-export";
import { SIG, SIG_RESOURCE, SIG_SECRET } from "../tools/wire";

const REPO = path.resolve(__dirname, "..");
const FIXTURES = path.join(REPO, "test/fixtures/stack-exports");
const fixture = (name: string) => path.join(FIXTURES, name);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the tool the way `npm run analyze` does. */
function analyze(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["-r", "./tools/esbuild-register.js", "tools/analyze.ts", ...args],
      { cwd: REPO, env: { ...process.env, AWS_ACCESS_KEY_ID: "", PULUMI_ACCESS_TOKEN: "" } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("analyze: reading stack exports", () => {
  it("skips deleted resources, sends Analyze the custom ones' inputs and AnalyzeStack every resource's outputs", () => {
    const s = readStackExport("iam-route.json", fs.readFileSync(fixture("iam-route.json"), "utf8"));
    assert.strictEqual(s.stack, "staging");
    assert.strictEqual(s.project, "billing-service");
    assert.ok(!s.resources.some((r) => r.urn.endsWith("::old-route")), "the deleted route is gone");
    assert.deepStrictEqual(
      s.view.analyzer.map((r) => r.name),
      s.resources.filter((r) => r.custom).map((r) => r.urn.split("::").pop()),
    );
    assert.ok(
      !s.view.analyzer.some((r) => r.type === "pulumi:pulumi:Stack"),
      "no Analyze for a component",
    );
    assert.strictEqual(s.view.stack.length, s.resources.length);
    const api = s.view.stack.find((r) => r.name === "orders-api")!;
    assert.match(
      String(api.properties.executionArn),
      /^arn:aws:execute-api:/,
      "outputs reach AnalyzeStack",
    );
    assert.strictEqual(
      s.view.analyzer.find((r) => r.name === "orders-api")!.properties.executionArn,
      undefined,
      "Analyze gets inputs only",
    );
    const route = s.view.stack.find((r) => r.name === "orders-route")!;
    assert.deepStrictEqual(route.propertyDependencies!.apiId, [api.urn]);
    assert.ok(route.dependencies!.includes(api.urn));
    assert.strictEqual(route.parent, s.resources[0].urn);
    assert.strictEqual(route.provider?.type, "pulumi:providers:aws");
    assert.strictEqual(route.provider?.properties?.region, "eu-west-1");
  });

  it("reads a decrypted secret as its value and an encrypted one as the redacted string, both still secret", () => {
    const s = readStackExport(
      "open-route.json",
      fs.readFileSync(fixture("open-route.json"), "utf8"),
    );
    const fn = s.view.analyzer.find((r) => r.name === "orders-fn")!;
    const vars = (fn.properties.environment as { variables: Record<string, unknown> }).variables;
    assert.deepStrictEqual(vars.TABLE, { [SIG]: SIG_SECRET, value: "orders" });
    assert.deepStrictEqual(vars.API_TOKEN, { [SIG]: SIG_SECRET, value: REDACTED_SECRET });
  });

  it("turns a resource reference in state into the referenced id", () => {
    assert.strictEqual(fromStateValue({ [SIG]: SIG_RESOURCE, urn: "urn:x", id: "i-1" }), "i-1");
    assert.strictEqual(fromStateValue({ [SIG]: SIG_RESOURCE, urn: "urn:x" }), "urn:x");
  });

  it("names the file and every bad resource (index and what identifies it), all problems at once", () => {
    const { stacks, errors } = readExports([fixture("bad-resources.json")]);
    assert.strictEqual(stacks.length, 0);
    assert.strictEqual(errors.length, 1);
    assert.strictEqual(errors[0].file, fixture("bad-resources.json"));
    assert.deepStrictEqual(errors[0].problems, [
      'resources[3] (type aws:lambda/function:Function, id orders-fn-91c2): has no "urn"',
      'resources[5] (urn:pulumi:prod::orders-service::aws:apigatewayv2/integration:Integration::orders-integration): has no "type"',
      'resources[6] (orders-invoke): "urn" is not urn:pulumi:<stack>::<project>::<type>::<name>',
    ]);
  });

  it("rejects a file that is not JSON, not a stack export, or of an unknown version", () => {
    const { errors } = readExports(
      ["not-json.json", "not-an-export.json", "version-4.json"].map(fixture),
    );
    assert.deepStrictEqual(
      errors.map((e) => [path.basename(e.file), e.problems.length]),
      [
        ["not-json.json", 1],
        ["not-an-export.json", 1],
        ["version-4.json", 1],
      ],
    );
    assert.match(errors[0].problems[0], /^not JSON: /);
    assert.match(errors[1].problems[0], /expected a `pulumi stack export` document/);
    assert.match(errors[2].problems[0], /unknown deployment version 4; expected 3/);
  });
});

describe("analyze: command line", () => {
  it("takes files as --file (repeatable, or --file=) and as plain arguments, once each", () => {
    const opts = parseArgs(["--file", "a.json", "b.json", "--file=c.json", "a.json"]);
    assert.deepStrictEqual(
      opts.files,
      ["a.json", "b.json", "c.json"].map((f) => path.resolve(f)),
    );
  });

  it("skips the labels file when a glob passes it as an input too", () => {
    const opts = parseArgs(["--labels", "dir/labels.json", "dir/labels.json", "dir/x.json"]);
    assert.deepStrictEqual(opts.files, [path.resolve("dir/x.json")]);
  });

  it("rejects an unknown flag, a flag without its value and no file at all", () => {
    assert.throws(() => parseArgs(["--nope", "a.json"]), UsageError);
    assert.throws(() => parseArgs(["a.json", "--policy-pack"]), /--policy-pack needs a value/);
    assert.throws(() => parseArgs([]), /no stack export file given/);
  });
});

describe("analyze: our pack over the analyzer protocol", function () {
  this.timeout(120_000);
  let pack: PackClient;
  let stacks: AnalyzedStack[];
  before(async () => {
    pack = await startPack(path.join(REPO, "policy-pack"), { dryRun: false });
    const read = readExports([fixture("open-route.json"), fixture("iam-route.json")]);
    stacks = (await analyzeExports(pack, read.stacks, undefined)).stacks;
  });
  after(async () => pack?.stop());

  it("finds the open route of the violating program, on the route, with the policy's metadata", () => {
    const [open] = stacks;
    const mandatory = open.findings.filter((f) => f.level === "mandatory");
    assert.deepStrictEqual(
      mandatory.map((f) => [f.policy, f.type, f.name]),
      [["sec1-a-http-route-authorization", "aws:apigatewayv2/route:Route", "orders-route"]],
    );
    assert.strictEqual(
      mandatory[0].urn,
      "urn:pulumi:prod::orders-service::aws:apigatewayv2/route:Route::orders-route",
    );
    assert.notStrictEqual(mandatory[0].remediation, "");
    assert.match(mandatory[0].url, /^https:\/\//);
    assert.match(mandatory[0].severity, /^(low|medium|high|critical)$/);
  });

  it("passes the clean program (ConfigureStack per file: its own project and stack)", () => {
    const clean = stacks[1];
    assert.deepStrictEqual([clean.project, clean.stack], ["billing-service", "staging"]);
    assert.deepStrictEqual(
      clean.findings.filter((f) => f.level === "mandatory"),
      [],
    );
  });

  it("prints the CLI's Policies block, naming the resource by type and name", async () => {
    const text = renderStack(stacks[0], await pack.info()).join("\n");
    assert.match(text, /❌ sec1-serverless-api-access@v\d+\.\d+\.\d+: 1 mandatory/);
    assert.match(
      text,
      /- \[mandatory\] {2}sec1-a-http-route-authorization {2}\(aws:apigatewayv2\/route:Route: orders-route\)\n {10}/,
    );
    assert.doesNotMatch(text, /urn:pulumi:/);
  });

  it("calibrates on labels: the hole caught, the clean program passed", () => {
    const { calibration, unlabelled, absent } = calibrateOn(
      readLabels(fixture("labels.json")),
      stacks,
    );
    assert.deepStrictEqual(
      calibration.programs.map((p) => [p.label.file, p.verdict]),
      [
        ["open-route.json", "caught"],
        ["iam-route.json", "passed"],
      ],
    );
    assert.deepStrictEqual([calibration.recall, calibration.precision], [1, 1]);
    assert.deepStrictEqual([unlabelled, absent], [[], []]);
  });

  it("fails the calibration when labels say the open program is correct and the other a hole", () => {
    const { calibration } = calibrateOn(readLabels(fixture("labels-wrong.json")), stacks);
    assert.deepStrictEqual(
      calibration.programs.map((p) => [p.label.file, p.verdict]),
      [
        ["open-route.json", "blocked"],
        ["iam-route.json", "missed"],
      ],
    );
    assert.deepStrictEqual([calibration.recall, calibration.precision], [0, 0]);
    assert.deepStrictEqual(
      calibration.policies.map((p) => [p.policy, p.blocking, p.programsBlocked]),
      [["sec1-a-http-route-authorization", 1, 1]],
    );
  });

  it("gives each finding's policy, level, severity, URN, type, name, message, remediation, URL and exemption in --json", async () => {
    const report = jsonReport({ pack: await pack.info(), stacks, errors: [] });
    const finding = report.stacks[0].findings.find((f) => f.level === "mandatory")!;
    assert.deepStrictEqual(Object.keys(finding).sort(), [
      "exempted",
      "exemption",
      "level",
      "message",
      "name",
      "policy",
      "remediation",
      "severity",
      "type",
      "url",
      "urn",
    ]);
    assert.deepStrictEqual([finding.exempted, finding.exemption], [false, null]);
  });
});

describe("analyze: exit codes, spawned like npm run analyze", function () {
  this.timeout(120_000);

  it("exits 0 with --labels when every hole is caught and no correct program blocked; the last lines sum it up", async () => {
    const r = await analyze(
      "--labels",
      fixture("labels.json"),
      "--file",
      fixture("open-route.json"),
      fixture("iam-route.json"),
      fixture("labels.json"),
    );
    assert.strictEqual(r.code, 0, r.stderr);
    const tail = r.stdout.trimEnd().split("\n").slice(-6).join("\n");
    assert.match(tail, /Recall: 1 of 1 holes caught on a culprit \(100\.0%\)/);
    assert.match(tail, /Blocked: 0 of 1 correct programs/);
    assert.match(tail, /Precision: 1 of 1 mandatory findings/);
    assert.match(tail, /Calibration passed/);
  });

  it("exits 1 on a mandatory finding", async () => {
    const r = await analyze(fixture("open-route.json"));
    assert.strictEqual(r.code, 1, r.stderr);
    assert.match(r.stdout, /1 mandatory/);
  });

  it("exits 2 on a bad file, naming it, and still analyzes the others", async () => {
    const r = await analyze(fixture("bad-resources.json"), fixture("open-route.json"));
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /bad-resources\.json: not a usable stack export/);
    assert.match(
      r.stderr,
      /resources\[5\] \(urn:pulumi:prod::orders-service::[^)]+\): has no "type"/,
    );
    assert.match(r.stdout, /Analyzing test\/fixtures\/stack-exports\/open-route\.json/);
    assert.doesNotMatch(r.stdout, /bad-resources/, "nothing is printed from the bad file");
  });

  it("exits 2 without starting the pack when no file is usable, and on a bad labels file", async () => {
    const none = await analyze(fixture("not-json.json"));
    assert.strictEqual(none.code, 2);
    assert.match(none.stderr, /not-json\.json: not a usable stack export/);
    const labels = await analyze("--labels", fixture("open-route.json"), fixture("iam-route.json"));
    assert.strictEqual(labels.code, 2);
    assert.match(
      labels.stderr,
      /--labels .*open-route\.json:\n {2}- expected a list of program labels/,
    );
  });

  it("prints every flag and the exit codes with --help, and exits 0", async () => {
    const r = await analyze("--help");
    assert.strictEqual(r.code, 0);
    for (const flag of [
      "--file",
      "--policy-pack",
      "--policy-pack-config",
      "--json",
      "--labels",
      "--help",
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
    assert.match(r.stdout, /Exit status:\n {2}0 .*\n {2}1 .*\n {2}2 /);
  });
});

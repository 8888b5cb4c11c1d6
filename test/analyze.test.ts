// npm run analyze: stack exports read as the CLI reads them, our pack driven once over the
// analyzer protocol for every file, labels calibration, bad input and exit codes.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PackClient, startPack } from "../tools/analyzer-client";
import {
  AnalyzedStack,
  analyzeExports,
  calibrateOn,
  exitStatus,
  jsonReport,
  parseArgs,
  readExports,
  renderStack,
  UsageError,
} from "../tools/analyze";
import { readLabels } from "../tools/labels";
import { checkPolicyConfig, readPolicyConfigFile } from "../tools/policy-config-file";
import { fromStateValue, readStackExport, REDACTED_SECRET } from "../tools/stack-export";
import { sarifLog } from "../tools/sarif";
import { SIG, SIG_RESOURCE, SIG_SECRET } from "../tools/wire";
import { runTool } from "./helpers/run-tool";
import { sarifSchemaErrors } from "./helpers/sarif";

const REPO = path.resolve(__dirname, "..");
const FIXTURES = path.join(REPO, "test/fixtures/stack-exports");
const fixture = (name: string) => path.join(FIXTURES, name);

/** Runs the tool the way `npm run analyze` does. */
const analyze = (...args: string[]) => runTool("analyze.ts", args);

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

  it("takes the export of a stack without resources as empty, not as bad input", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "analyze-empty-"));
    const file = path.join(dir, "new-stack.json");
    const deployment = {
      manifest: { time: "2026-12-01T10:00:00Z", magic: "", version: "v3.249.0" },
    };
    fs.writeFileSync(file, JSON.stringify({ version: 3, deployment }));
    try {
      assert.deepStrictEqual(readExports([file]), { stacks: [], errors: [], empty: [file] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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

describe("analyze: reports of exempted findings (a test pack that exempts one finding per route)", function () {
  this.timeout(120_000);
  const JUSTIFICATION = "public by design for the status page, until 2027-01-31, SEC-42";
  let pack: PackClient;
  let result: Awaited<ReturnType<typeof analyzeExports>>;
  const read = () => readExports([fixture("open-route.json"), fixture("iam-route.json")]).stacks;
  before(async () => {
    pack = await startPack(path.join(REPO, "test/fixtures/exempting-pack"), { dryRun: false });
    result = await analyzeExports(pack, read(), undefined);
  });
  after(async () => pack?.stop());

  it("reports an exempted finding as exempted, at its configured level, without its exempted: line", () => {
    const exempted = result.stacks[0].findings.filter((f) => f.exempted);
    assert.deepStrictEqual(
      exempted.map((f) => [f.policy, f.level, f.name, f.message, f.exemption]),
      [
        [
          "test-route-exempted",
          "mandatory",
          "orders-route",
          "Route 'orders-route' must be authorized.",
          { justification: JUSTIFICATION },
        ],
      ],
    );
  });

  it("takes the configured level from the policy config the pack was given", async () => {
    const config = { "test-route-exempted": { enforcementLevel: "advisory" as const } };
    const advisory = await analyzeExports(pack, read(), config);
    const f = advisory.stacks[0].findings.find((x) => x.exempted)!;
    assert.strictEqual(f.level, "advisory");
  });

  it("rejects policy config that names a policy the pack does not have, naming it", async () => {
    await assert.rejects(
      analyzeExports(pack, read(), { "no-such-policy": { enforcementLevel: "mandatory" } }),
      /'no-such-policy' is not a policy of the pack 'exempting-pack'/,
    );
  });

  it("reads policy config files as the CLI does: string levels and all give the object form's levels", async () => {
    const levelsWith = async (name: string) => {
      const file = path.join(REPO, "test/fixtures/policy-config", `${name}.json`);
      const config = checkPolicyConfig(readPolicyConfigFile(file), result.pack);
      const r = await analyzeExports(pack, read(), config);
      return r.stacks.flatMap((s) => s.findings.map((f) => `${f.policy} ${f.name} ${f.level}`));
    };
    const objectForm = await levelsWith("object-form");
    assert.ok(objectForm.includes("test-route-mandatory orders-route advisory"), "advisory");
    assert.ok(
      objectForm.some((l) => /^test-function-advisory .* mandatory$/.test(l)),
      "mandatory",
    );
    assert.ok(!objectForm.some((l) => l.startsWith("test-route-exempted ")), "disabled");
    assert.deepStrictEqual(await levelsWith("string-form"), objectForm);
    assert.deepStrictEqual(await levelsWith("all"), objectForm);
    // {"all": "mandatory"} alone: every finding mandatory, the advisory policy's too.
    const allMandatory = { file: "all-mandatory.json", entries: { all: "mandatory" } };
    const all = await analyzeExports(pack, read(), checkPolicyConfig(allMandatory, result.pack));
    const findings = all.stacks.flatMap((s) => s.findings);
    assert.ok(findings.some((f) => f.policy === "test-function-advisory"));
    assert.deepStrictEqual(new Set(findings.map((f) => f.level)), new Set(["mandatory"]));
  });

  it("never counts an exempted finding toward exit 1", async () => {
    const config = { "test-route-mandatory": { enforcementLevel: "disabled" as const } };
    const onlyExempted = await analyzeExports(pack, read(), config);
    assert.ok(onlyExempted.stacks[0].findings.some((f) => f.exempted && f.level === "mandatory"));
    assert.strictEqual(exitStatus({ ...onlyExempted, errors: [] }), 0);
    assert.strictEqual(exitStatus({ ...result, errors: [] }), 1, "the mandatory one still fails");
  });

  it("lists it under its own Exempted heading with its justification", () => {
    const text = renderStack(result.stacks[0], result.pack).join("\n");
    assert.match(
      text,
      new RegExp(
        "    Exempted:\n        - \\[mandatory\\]  test-route-exempted  \\(aws:apigatewayv2/route:Route: orders-route\\)\n" +
          `          exempted: ${JUSTIFICATION}\n          Route 'orders-route' must be authorized\\.`,
      ),
    );
    assert.match(text, /1 mandatory, 1 advisory, 1 exempted/);
  });

  it("writes SARIF that passes the SARIF 2.1.0 schema: one rule per policy, levels, locations, the suppression", () => {
    const stacks = result.stacks.map((s) => ({
      artifact: `exports/${path.basename(s.file)}`,
      rootUrn: s.rootUrn,
      findings: s.findings,
    }));
    const log = sarifLog(result.pack, stacks, { category: "analyze/" });
    assert.deepStrictEqual(sarifSchemaErrors(log), []);
    const run = log.runs[0];
    assert.deepStrictEqual(
      run.tool.driver.rules.map((r) => [
        r.id,
        r.defaultConfiguration,
        r.help?.text,
        r.helpUri,
        r.properties["security-severity"],
      ]),
      [
        [
          "test-route-mandatory",
          { level: "error" },
          "Remove the route.",
          "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control.html",
          "8.0",
        ],
        [
          "test-route-exempted",
          { level: "error" },
          "Declare an exemption with a reason.",
          "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies.html",
          "5.5",
        ],
        ["test-function-advisory", { level: "warning" }, undefined, undefined, "3.0"],
      ],
    );
    const open = run.results.filter(
      (r) => r.locations[0].physicalLocation.artifactLocation.uri === "exports/open-route.json",
    );
    const byRule = new Map(open.map((r) => [r.ruleId, r]));
    assert.strictEqual(byRule.get("test-route-mandatory")!.level, "error");
    assert.strictEqual(byRule.get("test-function-advisory")!.level, "warning");
    const exempted = byRule.get("test-route-exempted")!;
    assert.strictEqual(exempted.level, "error");
    assert.deepStrictEqual(exempted.suppressions, [
      { kind: "external", status: "accepted", justification: JUSTIFICATION },
    ]);
    assert.deepStrictEqual(exempted.locations[0], {
      physicalLocation: {
        artifactLocation: { uri: "exports/open-route.json" },
        region: { startLine: 1 },
      },
      logicalLocations: [
        {
          name: "orders-route",
          fullyQualifiedName:
            "urn:pulumi:prod::orders-service::aws:apigatewayv2/route:Route::orders-route",
          kind: "resource",
        },
      ],
    });
    assert.ok(!("suppressions" in byRule.get("test-route-mandatory")!));
  });

  it("turns a disabled policy into a rule that is not enabled", () => {
    const config = { "test-function-advisory": { enforcementLevel: "disabled" as const } };
    const log = sarifLog(result.pack, [], { category: "analyze/", policyConfig: config });
    assert.deepStrictEqual(sarifSchemaErrors(log), []);
    assert.deepStrictEqual(log.runs[0].tool.driver.rules[2].defaultConfiguration, {
      enabled: false,
      level: "none",
    });
  });

  it("the schema check is real: a result at a level SARIF does not have is rejected", () => {
    const log = sarifLog(result.pack, [], { category: "analyze/" }) as {
      runs: { results: unknown[] }[];
    };
    log.runs[0].results.push({ ruleId: "x", level: "fatal", message: { text: "m" } });
    assert.notDeepStrictEqual(sarifSchemaErrors(log), []);
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

  it("exits 1 on a mandatory finding; --json prints exactly one JSON object, --sarif a valid log", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "analyze-sarif-"));
    const sarif = path.join(dir, "analyze.sarif");
    try {
      const r = await analyze("--json", "--sarif", sarif, fixture("open-route.json"));
      assert.strictEqual(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout) as ReturnType<typeof jsonReport>;
      assert.deepStrictEqual(
        report.stacks[0].findings.filter((f) => f.level === "mandatory").map((f) => f.name),
        ["orders-route"],
      );
      const log = JSON.parse(fs.readFileSync(sarif, "utf8"));
      assert.deepStrictEqual(sarifSchemaErrors(log), []);
      assert.strictEqual(
        log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri,
        "test/fixtures/stack-exports/open-route.json",
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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

  it("exits 2 on policy config the CLI rejects (an invalid level, an unknown policy), naming each", async () => {
    const config = (name: string) => `test/fixtures/policy-config/${name}.json`;
    const pack = ["--policy-pack", "test/fixtures/exempting-pack"];
    const [invalid, unknown] = await Promise.all(
      ["invalid-levels", "unknown-policy"].map((name) =>
        analyze(...pack, "--policy-pack-config", config(name), fixture("open-route.json")),
      ),
    );
    assert.strictEqual(invalid.code, 2, invalid.stdout);
    assert.strictEqual(invalid.stdout, "");
    assert.match(invalid.stderr, /invalid-levels\.json: 3 problem/);
    assert.match(invalid.stderr, /'test-route-mandatory': "blocking" is not a valid enforcement/);
    assert.match(invalid.stderr, /'test-route-exempted': enforcementLevel "warn" is not a valid/);
    assert.match(invalid.stderr, /'no-such-policy' is not a policy of the pack 'exempting-pack'/);
    assert.strictEqual(unknown.code, 2, unknown.stdout);
    assert.match(unknown.stderr, /unknown-policy\.json: 1 problem\(s\):\n {2}- 'no-such-policy'/);
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

// The offline preview tool, spawned like npm run preview:offline: the checked-in stacks, a
// generated staging stack file, the example program, bad input, and the diagram.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mermaidDiagram } from "../tools/diagram";
import { loadStackConfig, SECRET_PLACEHOLDER } from "../tools/mock-engine";
import {
  engineView,
  exitCodeOf,
  parseArgs,
  PreviewReport,
  renderTree,
  stackUrn,
  UsageError,
} from "../tools/preview-offline";
import { EnforcementLevel } from "../tools/analyzer-client";
import { ProgramRun, runComponents, stackConfig } from "./helpers/harness";
import { runTool, ToolResult } from "./helpers/run-tool";
import { sarifSchemaErrors } from "./helpers/sarif";

const REPO = path.resolve(__dirname, "..");
const FAILING_PACK = path.join(REPO, "test/fixtures/always-fails-pack");
const EXEMPTING_PACK = path.join(REPO, "test/fixtures/exempting-pack");
const POLICY_CONFIG = (name: string) => `test/fixtures/policy-config/${name}.json`;

/** Each violation's policy, resource and level, in a stable order. */
const levels = (r: ToolResult) =>
  (JSON.parse(r.stdout) as PreviewReport).violations
    .map((v) => `${v.policy} ${v.name} ${v.level}`)
    .sort();

/** Runs the tool the way `npm run preview:offline` does. */
const preview = (...args: string[]) => runTool("preview-offline.ts", args);

/** Checks a report against the contract's shape, whatever resources the program has by now. */
function assertReportShape(report: PreviewReport, stack: string) {
  assert.deepStrictEqual(Object.keys(report).sort(), [
    "outputs",
    "pack",
    "resources",
    "stack",
    "violations",
  ]);
  assert.strictEqual(report.stack, stack);
  const urns = new Set(report.resources.map((r) => r.urn));
  assert.ok(urns.has(stackUrn(stack, "sec1-api-platform")), "the root stack resource is listed");
  for (const r of report.resources) {
    assert.deepStrictEqual(
      Object.keys(r).sort(),
      ["arn", "dependencies", "id", "inputs", "name", "parent", "type", "urn"],
      r.urn,
    );
    assert.match(r.urn, new RegExp(`^urn:pulumi:${stack}::sec1-api-platform::`));
    assert.ok(r.urn.endsWith(`::${r.name}`), r.urn);
    assert.ok(r.id === null || (typeof r.id === "string" && r.id.length > 0), r.urn);
    assert.ok(r.arn === null || /^arn:aws:/.test(r.arn), `${r.urn}: ${r.arn}`);
    assert.ok(r.parent === null || urns.has(r.parent), `${r.urn}: parent ${r.parent}`);
    for (const d of r.dependencies) assert.ok(urns.has(d), `${r.urn}: dependency ${d}`);
    assert.strictEqual(typeof r.inputs, "object");
  }
  assert.strictEqual(typeof report.pack.name, "string");
  assert.match(report.pack.version, /^\d+\.\d+\.\d+/);
  assert.strictEqual(typeof report.pack.policies, "number");
  for (const v of report.violations) {
    // The contract's policy, level, urn and message, and what reports need besides.
    assert.deepStrictEqual(Object.keys(v).sort(), [
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
    assert.ok(v.level === "advisory" || v.level === "mandatory", v.level);
    assert.ok(v.urn === null || urns.has(v.urn), `violation on unknown urn ${v.urn}`);
  }
  // secure: config values are replaced by a placeholder that must never be printed.
  assert.ok(!JSON.stringify(report).includes(SECRET_PLACEHOLDER));
}

describe("offline preview (the tool, spawned like npm run preview:offline)", function () {
  // Each run starts the pack, which type-checks itself with ts-node (seconds on a busy machine).
  this.timeout(300_000);
  const runs: Record<string, Promise<ToolResult>> = {};
  let stagingDir: string;
  let sarifFile: string;

  before(() => {
    // A new environment is one stack file and nothing else: staging, generated from prod's file
    // with its own name, is previewed as it is, with no change anywhere in the code.
    stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), "sec1-staging-"));
    const prodFile = fs.readFileSync(path.join(REPO, "Pulumi.prod.yaml"), "utf8");
    assert.match(prodFile, /:environment: prod\n/);
    fs.writeFileSync(
      path.join(stagingDir, "Pulumi.staging.yaml"),
      prodFile.replace(/:environment: prod\n/, ":environment: staging\n"),
    );
    // Another team's program on the same components (examples/inventory), through the same pack.
    runs.example = preview("--project-dir", "examples/inventory", "--stack", "dev", "--json");
    runs.staging = preview("--stack-file", path.join(stagingDir, "Pulumi.staging.yaml"), "--json");
    // Started together: the spawns are independent and each mostly waits on the pack's start.
    runs.dev = preview("--stack", "dev", "--json");
    runs.prod = preview("--stack", "prod");
    runs.failing = preview("--stack", "dev", "--json", "--policy-pack", FAILING_PACK);
    runs.diagram = preview("--stack", "dev", "--diagram", "mermaid", "--policy-pack", FAILING_PACK);
    // Not "staging": a real staging stack file may be added any day.
    runs.unknownStack = preview("--stack", "no-such-stack", "--json");
    runs.badConfig = preview(
      "--stack",
      "dev",
      "--json",
      "--config",
      "logRetentionDays=4",
      "--config",
      "vpcCidrBlock=10.0.0.0/33",
    );
    runs.noPack = preview("--stack", "dev", "--policy-pack", "test/fixtures/no-such-pack");
    sarifFile = path.join(stagingDir, "dev.sarif");
    runs.exempting = preview(
      ...["--stack", "dev", "--json", "--policy-pack", EXEMPTING_PACK, "--sarif", sarifFile],
    );
    runs.help = preview("--help");
    // The same levels in the CLI's forms of policy config, and config the CLI rejects.
    for (const form of ["object-form", "string-form", "all", "invalid-levels", "unknown-policy"]) {
      runs[form] = preview(
        ...["--stack", "dev", "--json", "--policy-pack", EXEMPTING_PACK],
        ...["--policy-pack-config", POLICY_CONFIG(form)],
      );
    }
  });

  it("previews dev with exit 0 and prints exactly one JSON object in the contract's shape", async () => {
    const r = await runs.dev;
    assert.strictEqual(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as PreviewReport;
    assertReportShape(report, "dev");
    assert.strictEqual(report.pack.name, "sec1-serverless-api-access");
    assert.deepStrictEqual(
      report.violations
        .filter((v) => v.level === "mandatory")
        .map((v) => `${v.policy} ${String(v.urn).split("::").pop()}`)
        .sort(),
      [],
      "dev has no mandatory violation",
    );
    assert.strictEqual(report.outputs.environment, "dev");
    // The engine's default AWS provider is a resource of the deployment, analyzed like the others.
    const provider = report.resources.find((r) => r.type === "pulumi:providers:aws");
    assert.ok(provider, "the default aws provider is listed");
    assert.match(provider.name, /^default_\d+_\d+_\d+$/);
    assert.strictEqual(provider.inputs.region, "eu-west-1");
  });

  after(() => fs.rmSync(stagingDir, { recursive: true, force: true }));

  it("previews a generated staging stack file with exit 0 and no mandatory violation", async () => {
    const r = await runs.staging;
    assert.strictEqual(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as PreviewReport;
    assertReportShape(report, "staging");
    assert.strictEqual(report.outputs.environment, "staging");
    assert.deepStrictEqual(
      report.violations.filter((v) => v.level === "mandatory"),
      [],
    );
    assert.ok(report.resources.length > 50, `${report.resources.length} resources`);
  });

  it("previews the example program (another team's service) with no violation at all", async () => {
    const r = await runs.example;
    assert.strictEqual(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as PreviewReport;
    assert.deepStrictEqual(report.violations, []);
    const ofType = (type: string) => report.resources.filter((x) => x.type === type);
    for (const x of report.resources)
      assert.match(x.urn, /^urn:pulumi:dev::inventory-service::/, x.urn);
    // One JWT route with its scope, one AWS_IAM method on a PRIVATE API, and the stock alerts'
    // WebSocket routes (only $connect authorizes; the others ride on its connection).
    const routes = ofType("aws:apigatewayv2/route:Route").map((x) => x.inputs);
    assert.deepStrictEqual(
      routes
        .map((x) => [x.routeKey, x.authorizationType, x.authorizationScopes])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ["$connect", "CUSTOM", undefined],
        ["$default", "NONE", undefined],
        ["$disconnect", "NONE", undefined],
        ["GET /items", "JWT", ["inventory.read"]],
      ],
    );
    const methods = ofType("aws:apigateway/method:Method").map((x) => x.inputs);
    assert.deepStrictEqual(
      methods.map((x) => [x.httpMethod, x.authorization]),
      [["PUT", "AWS_IAM"]],
    );
    const api = ofType("aws:apigateway/restApi:RestApi")[0].inputs as {
      endpointConfiguration: { types: unknown };
    };
    assert.deepStrictEqual([api.endpointConfiguration.types].flat(), ["PRIVATE"]);
  });

  it("previews prod with exit 0 as a preview-like tree rooted at the stack", async () => {
    const r = await runs.prod;
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /pulumi:pulumi:Stack\s+sec1-api-platform-prod/);
    assert.match(r.stdout, /policy pack sec1-serverless-api-access@v\d/);
    assert.match(r.stdout, /Preview passed/);
  });

  it("exits 1 and reports the violation with its URN when a mandatory policy fires", async () => {
    const r = await runs.failing;
    assert.strictEqual(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as PreviewReport;
    assertReportShape(report, "dev");
    assert.deepStrictEqual(report.pack, {
      name: "always-fails-pack",
      version: "0.0.1",
      policies: 1,
    });
    // The policy fires on every resource: one violation per resource, each with its URN.
    assert.deepStrictEqual(
      report.violations.map((v) => [v.policy, v.level, v.urn]),
      report.resources.map((res) => ["always-fails", "mandatory", res.urn]),
    );
    assert.match(report.violations[0].message, /always rejected/);
  });

  it("prints a Mermaid flowchart with --diagram mermaid and still exits on the pack's verdict", async () => {
    const r = await runs.diagram;
    assert.strictEqual(r.code, 1, r.stderr);
    assert.match(r.stdout, /^flowchart LR\n/);
    assert.match(r.stderr, /always-fails-pack@v0\.0\.1: \d+ mandatory/);
  });

  it("lists an exempted finding as exempted in --json, at its configured level, and not as a failure", async () => {
    const r = await runs.exempting;
    assert.strictEqual(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as PreviewReport;
    assertReportShape(report, "dev");
    const exempted = report.violations.filter((v) => v.exempted);
    assert.ok(exempted.length > 0, "the pack exempts one finding per route");
    for (const v of exempted) {
      assert.strictEqual(v.policy, "test-route-exempted");
      assert.strictEqual(v.level, "mandatory", "the policy's configured level");
      assert.deepStrictEqual(v.exemption, {
        justification: "public by design for the status page, until 2027-01-31, SEC-42",
      });
      assert.match(v.message, /^Route '.+' must be authorized\.$/);
      assert.strictEqual(v.type, "aws:apigatewayv2/route:Route");
      assert.ok(v.urn?.endsWith(`::${v.name}`), v.urn ?? "no urn");
    }
    const mandatory = report.violations.find((v) => v.policy === "test-route-mandatory")!;
    assert.deepStrictEqual(
      [mandatory.severity, mandatory.remediation, mandatory.url, mandatory.exempted],
      [
        "high",
        "Remove the route.",
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control.html",
        false,
      ],
    );
  });

  it("writes SARIF that passes the SARIF 2.1.0 schema, located in Pulumi.dev.yaml, the exemption as a suppression", async () => {
    await runs.exempting;
    const log = JSON.parse(fs.readFileSync(sarifFile, "utf8"));
    assert.deepStrictEqual(sarifSchemaErrors(log), []);
    const [run] = log.runs;
    assert.deepStrictEqual(
      [run.tool.driver.name, run.tool.driver.version],
      ["exempting-pack", "2.3.4"],
    );
    assert.strictEqual(run.automationDetails.id, "preview-offline/dev/");
    const uris = new Set(
      run.results.map((x: any) => x.locations[0].physicalLocation.artifactLocation.uri),
    );
    assert.deepStrictEqual([...uris], ["Pulumi.dev.yaml"]);
    const suppressed = run.results.filter((x: any) => x.suppressions);
    assert.ok(suppressed.length > 0);
    for (const x of suppressed) {
      assert.strictEqual(x.ruleId, "test-route-exempted");
      assert.strictEqual(x.level, "error");
      assert.deepStrictEqual(x.suppressions, [
        {
          kind: "external",
          status: "accepted",
          justification: "public by design for the status page, until 2027-01-31, SEC-42",
        },
      ]);
    }
  });

  it("reads policy config as the CLI does: string levels and all give the object form's levels", async () => {
    const objectForm = await runs["object-form"];
    assert.strictEqual(objectForm.code, 1, objectForm.stderr);
    const expected = levels(objectForm);
    // The config changed every policy: the advisory one mandatory, the mandatory one advisory,
    // the exempted one disabled (no finding at all).
    assert.ok(
      expected.some((l) => /^test-function-advisory .* mandatory$/.test(l)),
      "mandatory",
    );
    assert.ok(
      expected.some((l) => /^test-route-mandatory .* advisory$/.test(l)),
      "advisory",
    );
    assert.ok(!expected.some((l) => l.startsWith("test-route-exempted ")), "disabled");
    assert.notDeepStrictEqual(expected, levels(await runs.exempting), "the config changed levels");
    for (const form of ["string-form", "all"]) {
      const r = await runs[form];
      assert.strictEqual(r.code, 1, `${form}: ${r.stderr}`);
      assert.deepStrictEqual(levels(r), expected, form);
    }
  });

  it("exits 2 on policy config the CLI rejects, naming the file and every problem", async () => {
    const invalid = await runs["invalid-levels"];
    assert.strictEqual(invalid.code, 2, invalid.stdout);
    assert.strictEqual(invalid.stdout, "");
    assert.match(invalid.stderr, /invalid-levels\.json: 3 problem/);
    assert.match(invalid.stderr, /'test-route-mandatory': "blocking" is not a valid enforcement/);
    assert.match(invalid.stderr, /'test-route-exempted': enforcementLevel "warn" is not a valid/);
    assert.match(invalid.stderr, /'no-such-policy' is not a policy of the pack 'exempting-pack'/);
    assert.doesNotMatch(invalid.stderr, /\n\s+at /);
    const unknown = await runs["unknown-policy"];
    assert.strictEqual(unknown.code, 2, unknown.stdout);
    assert.match(
      unknown.stderr,
      /unknown-policy\.json: 1 problem\(s\):\n {2}- 'no-such-policy' is not a policy of the pack/,
    );
  });

  it("prints every flag and the exit codes with --help, and exits 0", async () => {
    const r = await runs.help;
    assert.strictEqual(r.code, 0, r.stderr);
    for (const flag of [
      "--stack",
      "--stack-file",
      "--project-dir",
      "--config",
      "--policy-pack",
      "--policy-pack-config",
      "--json",
      "--diagram",
      "--sarif",
      "--help",
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
    assert.match(r.stdout, /Exit status:\n {2}0 .*\n {2}1 .*\n {2}2 /);
  });

  it("exits 2 naming an unknown stack, with no stack trace", async () => {
    const r = await runs.unknownStack;
    assert.strictEqual(r.code, 2);
    assert.strictEqual(r.stdout, "");
    assert.match(r.stderr, /no stack 'no-such-stack'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it("exits 2 naming each bad config key, with no stack trace", async () => {
    const r = await runs.badConfig;
    assert.strictEqual(r.code, 2, r.stdout);
    assert.strictEqual(r.stdout, "");
    assert.match(r.stderr, /sec1-api-platform:logRetentionDays/);
    assert.match(r.stderr, /sec1-api-platform:vpcCidrBlock/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it("exits 2 when the policy pack cannot start, naming the pack", async () => {
    const r = await runs.noPack;
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /no-such-pack/);
    assert.match(r.stderr, /failed to start|PulumiPolicy\.yaml is missing/);
  });
});

describe("offline preview: stack config like the CLI loads it", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "preview-config-"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      "name: demo\nruntime: nodejs\nconfig:\n  retention:\n    type: integer\n    default: 7\n",
    );
    fs.writeFileSync(
      path.join(dir, "Pulumi.test.yaml"),
      [
        "encryptionsalt: v1:abc",
        "config:",
        "  aws:region: eu-west-1",
        "  demo:apiToken:",
        "    secure: v1:CIPHERTEXT-TOP",
        "  demo:callers:",
        "    - name: batch",
        "      token:",
        "        secure: v1:CIPHERTEXT-NESTED",
        "  demo:plain:",
        "    secure: false",
        "    other: 1",
        "",
      ].join("\n"),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("replaces secure values, nested ones too, by the placeholder and marks their keys secret", () => {
    const { config, secretKeys } = loadStackConfig("test", dir);
    assert.ok(!JSON.stringify(config).includes("CIPHERTEXT"), JSON.stringify(config));
    assert.strictEqual(config["demo:apiToken"], SECRET_PLACEHOLDER);
    assert.deepStrictEqual(JSON.parse(config["demo:callers"]), [
      { name: "batch", token: SECRET_PLACEHOLDER },
    ]);
    assert.deepStrictEqual(secretKeys.sort(), ["demo:apiToken", "demo:callers"]);
    // An object that merely has a `secure` key among others is plain config.
    assert.deepStrictEqual(JSON.parse(config["demo:plain"]), { secure: false, other: 1 });
    assert.strictEqual(config["demo:retention"], "7", "Pulumi.yaml defaults apply");
    assert.strictEqual(config["aws:region"], "eu-west-1");
  });

  it("never prints the placeholder: a secure value read with get() shows as [secret]", async () => {
    const run = await runComponents(
      () => {
        const token = new pulumi.Config("sec1-api-platform").get("apiToken");
        new aws.ssm.Parameter("token", { type: "String", value: token ?? "" });
        return { token, url: `https://x.example.com/?t=${token}` };
      },
      {
        config: { ...stackConfig("dev"), "sec1-api-platform:apiToken": SECRET_PLACEHOLDER },
        secretKeys: ["sec1-api-platform:apiToken"],
      },
    );
    const param = run.resources.find((r) => r.type === "aws:ssm/parameter:Parameter");
    assert.strictEqual(param?.inputs.value, "[secret]");
    assert.deepStrictEqual(run.outputs, { token: "[secret]", url: "[secret]" });
    assert.deepStrictEqual(run.secretOutputs.sort(), ["token", "url"]);
  });
});

describe("offline preview: what the engine sends the pack", function () {
  this.timeout(60_000);
  let run: ProgramRun;
  before(async () => {
    run = await runComponents(() => {
      class Holder extends pulumi.ComponentResource {
        constructor(name: string) {
          super("sec1:test:Holder", name);
          const key = new aws.apigateway.ApiKey(`${name}-key`, {}, { parent: this });
          this.registerOutputs({ keyId: key.id });
        }
      }
      new Holder("holder");
      new aws.apigateway.RestApi("api", { endpointConfiguration: { types: "PRIVATE" } });
    });
  });

  it("analyzes each resource's inputs, and the stack's final outputs (ARNs, registered outputs)", () => {
    const view = engineView(run, { "aws:region": "eu-west-1" });
    const urnOf = (type: string) => run.resources.find((r) => r.type === type)!.urn;
    const at = (list: typeof view.analyzer, urn: string) => list.find((r) => r.urn === urn)!;
    const api = urnOf("aws:apigateway/restApi:RestApi");
    assert.strictEqual(at(view.analyzer, api).properties.arn, undefined, "Analyze: inputs");
    assert.match(String(at(view.stack, api).properties.executionArn), /^arn:aws:execute-api:/);
    const holder = urnOf("sec1:test:Holder");
    assert.deepStrictEqual(at(view.stack, holder).properties, {
      keyId: run.resources.find((r) => r.type === "aws:apigateway/apiKey:ApiKey")!.id,
    });
  });

  it("registers the default provider before its first resource and names it on each", () => {
    const view = engineView(run, { "aws:region": "eu-west-1", "other:x": "y" });
    const types = view.resources.map((r) => r.type);
    assert.strictEqual(types[0], "pulumi:pulumi:Stack");
    const first = types.findIndex((t) => t.startsWith("aws:"));
    assert.strictEqual(types[first - 1], "pulumi:providers:aws");
    assert.strictEqual(types.filter((t) => t === "pulumi:providers:aws").length, 1);
    const provider = view.analyzer[first - 1];
    assert.deepStrictEqual(provider.properties, {
      region: "eu-west-1",
      version: provider.properties.version,
    });
    for (const r of view.analyzer.filter((a) => a.type.startsWith("aws:"))) {
      assert.strictEqual(r.provider?.urn, provider.urn, r.urn);
      assert.strictEqual(r.provider?.properties?.region, "eu-west-1");
    }
    for (const r of view.analyzer.filter((a) => !a.type.startsWith("aws:"))) {
      assert.strictEqual(r.provider, undefined, r.urn);
    }
    assert.deepStrictEqual(
      view.stack.map((r) => r.urn),
      view.analyzer.map((r) => r.urn),
      "AnalyzeStack gets every resource Analyze got",
    );
  });
});

describe("offline preview: command line and report", () => {
  it("parses the contract's flags and defaults the pack to ./policy-pack", () => {
    const o = parseArgs(["--stack", "dev", "--json", "--config", "a=b=c"]);
    assert.strictEqual(o.stack, "dev");
    assert.strictEqual(o.json, true);
    assert.strictEqual(o.policyPack, path.join(REPO, "policy-pack"));
    assert.deepStrictEqual(o.config, [["a", "b=c"]]);
    assert.strictEqual(parseArgs(["--stack=prod", "--diagram", "mermaid"]).diagram, "mermaid");
  });

  it("rejects a missing stack, unknown flags and diagram kinds other than mermaid", () => {
    assert.throws(() => parseArgs(["--json"]), UsageError);
    assert.throws(() => parseArgs(["--stack", "dev", "--yes"]), /unknown argument '--yes'/);
    assert.throws(() => parseArgs(["--stack", "dev", "--diagram", "dot"]), /only 'mermaid'/);
  });

  const report = (levels: string[]): PreviewReport => ({
    stack: "dev",
    resources: [
      {
        urn: "urn:s",
        type: "pulumi:pulumi:Stack",
        name: "s",
        id: null,
        arn: null,
        parent: null,
        dependencies: [],
        inputs: {},
      },
      {
        urn: "urn:a",
        type: "aws:apigateway/restApi:RestApi",
        name: "a",
        id: "a1b2c3d4e5",
        arn: null,
        parent: "urn:s",
        dependencies: [],
        inputs: {},
      },
    ],
    outputs: {},
    pack: { name: "p", version: "1.0.0", policies: 1 },
    violations: levels.map((level) => ({
      policy: "x",
      level: level as EnforcementLevel,
      severity: "high",
      urn: "urn:a",
      type: "aws:apigateway/restApi:RestApi",
      name: "a",
      message: "m",
      remediation: "r",
      url: "",
      exempted: false,
      exemption: null,
    })),
  });

  it("exits 1 only when a violation is mandatory", () => {
    assert.strictEqual(exitCodeOf(report([])), 0);
    assert.strictEqual(exitCodeOf(report(["advisory"])), 0);
    assert.strictEqual(exitCodeOf(report(["advisory", "mandatory"])), 1);
  });

  it("draws children under their parent and marks the resource a violation is about", () => {
    const text = renderTree(report(["mandatory"]));
    assert.match(
      text,
      /pulumi:pulumi:Stack\s+s\n.*└─ aws:apigateway\/restApi:RestApi\s+a\s+1 mandatory/,
    );
    // Named as the CLI names it: type and name (the URN is in --json).
    assert.match(text, /\[mandatory\] {2}x {2}\(aws:apigateway\/restApi:RestApi: a\)/);
    assert.match(text, /Preview failed: 1 mandatory/);
  });
});

/** Options that put a fixture's resources under one component, as the program's are. */
type Opts = { parent: pulumi.Resource };

/**
 * The diagram fixture's public side: a user pool with Google sign-in, an HTTP API whose JWT
 * authorizer trusts the pool, a scoped route to the backend function and an open health route.
 * Returns the backend function.
 */
function diagramPublicApi(opts: Opts): aws.lambda.Function {
  const pool = new aws.cognito.UserPool("users", {}, opts);
  new aws.cognito.IdentityProvider(
    "google",
    {
      userPoolId: pool.id,
      providerName: "Google",
      providerType: "Google",
      providerDetails: { client_id: "c", client_secret: "s", authorize_scopes: "openid" },
    },
    opts,
  );
  const http = new aws.apigatewayv2.Api("bookings", { protocolType: "HTTP" }, opts);
  const jwt = new aws.apigatewayv2.Authorizer(
    "jwt",
    {
      apiId: http.id,
      authorizerType: "JWT",
      identitySources: ["$request.header.Authorization"],
      jwtConfiguration: {
        issuer: pulumi.interpolate`https://${pool.endpoint}`,
        audiences: ["client"],
      },
    },
    opts,
  );
  const backendRole = new aws.iam.Role("backend-role", { assumeRolePolicy: "{}" }, opts);
  const backend = new aws.lambda.Function(
    "backend",
    { role: backendRole.arn, runtime: "nodejs22.x", handler: "index.handler" },
    opts,
  );
  const integration = new aws.apigatewayv2.Integration(
    "bookings-integration",
    { apiId: http.id, integrationType: "AWS_PROXY", integrationUri: backend.invokeArn },
    opts,
  );
  new aws.apigatewayv2.Route(
    "get-bookings",
    {
      apiId: http.id,
      routeKey: "GET /bookings",
      authorizationType: "JWT",
      authorizerId: jwt.id,
      authorizationScopes: ["bookings/read"],
      target: pulumi.interpolate`integrations/${integration.id}`,
    },
    opts,
  );
  new aws.apigatewayv2.Route(
    "health",
    { apiId: http.id, routeKey: "GET /health", authorizationType: "NONE" },
    opts,
  );
  return backend;
}

/** The diagram fixture's private REST API: endpoint-only, IAM-authorized GET and DELETE. */
function diagramPrivateApi(opts: Opts, backend: aws.lambda.Function): aws.apigateway.RestApi {
  const vpce = new aws.ec2.VpcEndpoint(
    "endpoint",
    {
      vpcId: "vpc-1",
      serviceName: "com.amazonaws.eu-west-1.execute-api",
      privateDnsEnabled: true,
    },
    opts,
  );
  const api = new aws.apigateway.RestApi(
    "loyalty",
    { endpointConfiguration: { types: "PRIVATE", vpcEndpointIds: [vpce.id] } },
    opts,
  );
  const loyalty = new aws.apigateway.Resource(
    "loyalty-res",
    { restApi: api.id, parentId: api.rootResourceId, pathPart: "loyalty" },
    opts,
  );
  const customer = new aws.apigateway.Resource(
    "customer-res",
    { restApi: api.id, parentId: loyalty.id, pathPart: "{customerId}" },
    opts,
  );
  for (const method of ["GET", "DELETE"]) {
    new aws.apigateway.Integration(
      `${method.toLowerCase()}-customer-integration`,
      {
        restApi: api.id,
        resourceId: customer.id,
        httpMethod: method,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: backend.invokeArn,
      },
      opts,
    );
    new aws.apigateway.Method(
      `${method.toLowerCase()}-customer`,
      {
        restApi: api.id,
        resourceId: customer.id,
        httpMethod: method,
        authorization: "AWS_IAM",
      },
      opts,
    );
  }
  return api;
}

/** The diagram fixture's invoker role, the function running as it, and its grant (GET only). */
function diagramInvokerRole(opts: Opts, api: aws.apigateway.RestApi): void {
  const role = new aws.iam.Role(
    "invoker",
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
    },
    opts,
  );
  // The function that runs as the invoker role (like the AppSync loyalty resolver).
  new aws.lambda.Function(
    "resolver",
    { role: role.arn, runtime: "nodejs22.x", handler: "index.handler" },
    opts,
  );
  new aws.iam.RolePolicy(
    "invoke",
    {
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "execute-api:Invoke",
            Resource: pulumi.interpolate`${api.executionArn}/*/GET/loyalty/*`,
          },
        ],
      }),
    },
    opts,
  );
}

describe("diagram: who may call what, derived from the registered resources", function () {
  this.timeout(60_000);
  let run: ProgramRun;

  before(async () => {
    run = await runComponents(() => {
      const parent = new pulumi.ComponentResource("sec1:test:Platform", "plat");
      const opts = { parent };
      const backend = diagramPublicApi(opts);
      diagramInvokerRole(opts, diagramPrivateApi(opts, backend));
    });
  });

  it("links the invoker role only to the private routes its grant names, and its caller to the role", () => {
    const text = mermaidDiagram(run);
    const idOf = (label: RegExp) => {
      const m = new RegExp(`(n\\d+)\\W+"${label.source}`).exec(text);
      assert.ok(m, `no node ${label} in\n${text}`);
      return m[1];
    };
    const role = idOf(/Invoker role<br\/>invoker/);
    const get = idOf(/GET \/loyalty\/\{customerId\}<br\/>AWS_IAM/);
    const del = idOf(/DELETE \/loyalty\/\{customerId\}<br\/>AWS_IAM/);
    assert.match(text, new RegExp(`${role} -->\\|"execute-api:Invoke"\\| ${get}\\b`));
    assert.doesNotMatch(text, new RegExp(`${role} -->\\|"execute-api:Invoke"\\| ${del}\\b`));
    const caller = idOf(/service lambda\.amazonaws\.com/);
    assert.match(text, new RegExp(`${caller} -->\\|"sts:AssumeRole"\\| ${role}\\b`));
  });

  it("draws users → user pool → JWT authorizer → route, and the VPC endpoint → private API", () => {
    const text = mermaidDiagram(run);
    assert.match(text, /^flowchart LR\n {2}users\(\("Users"\)\)/);
    assert.match(text, /users -->\|"sign in"\| n\d+/);
    assert.match(text, /JWT authorizer<br\/>jwt/);
    assert.match(text, /GET \/bookings<br\/>JWT bookings\/read/);
    assert.match(text, /n\d+ ==>\|"vpcEndpointIds"\| n\d+/);
    assert.match(text, /subgraph n\d+\["Platform plat"\]/);
    assert.match(text, /subgraph n\d+\["REST API loyalty \(PRIVATE\)"\]/);
  });

  it("draws the function behind each route and method, and the function running as the invoker role", () => {
    const text = mermaidDiagram(run);
    const idOf = (label: RegExp) => {
      const m = new RegExp(`(n\\d+)\\W+"${label.source}`).exec(text);
      assert.ok(m, `no node ${label} in\n${text}`);
      return m[1];
    };
    const backend = idOf(/λ backend/);
    const resolver = idOf(/λ resolver/);
    const role = idOf(/Invoker role<br\/>invoker/);
    for (const route of [
      /GET \/bookings<br\/>JWT/,
      /GET \/loyalty\/\{customerId\}<br\/>AWS_IAM/,
      /DELETE \/loyalty\/\{customerId\}<br\/>AWS_IAM/,
    ]) {
      assert.match(text, new RegExp(`${idOf(route)} -->\\|"invokes"\\| ${backend}\\b`));
    }
    assert.match(text, new RegExp(`${resolver} -->\\|"runs as"\\| ${role}\\b`));
    // The backend's role may invoke nothing: it is not drawn as an invoker role.
    assert.doesNotMatch(text, new RegExp(`${backend} -->\\|"runs as"`));
  });

  it("draws a user pool's federated providers and whoever the pack's model says may call without signing in", () => {
    const text = mermaidDiagram(run);
    assert.match(text, /(n\d+)\("Federated IdP<br\/>Google"\)/);
    const idp = /(n\d+)\("Federated IdP/.exec(text)![1];
    const pool = /(n\d+)\("Cognito user pool<br\/>users"\)/.exec(text)![1];
    assert.match(text, new RegExp(`${idp} -->\\|"federates"\\| ${pool}\\b`));
    const health = /(n\d+)\["GET \/health<br\/>NONE"\]/.exec(text);
    assert.ok(health, text);
    assert.match(text, new RegExp(`n\\d+ -->\\|"calls"\\| ${health[1]}\\b`));
    assert.match(text, /\(\("anyone on the internet"\)\)/);
  });

  it("is deterministic, so a README copy can be checked for drift", () => {
    assert.strictEqual(mermaidDiagram(run), mermaidDiagram(run));
  });
});

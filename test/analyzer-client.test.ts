// The analyzer client (tools/analyzer-client.ts) against the SDK's real policy-pack server.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  AnalyzerResource,
  normalisePolicyConfig,
  PackClient,
  PackInfo,
  PackStartError,
  resolvePolicyConfig,
  startPack,
  toAnalyzerProperties,
} from "../tools/analyzer-client";
import { checkPolicyConfig } from "../tools/policy-config-file";

const REPO = path.resolve(__dirname, "..");
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * A JavaScript pack (no type-check cost at start) whose policies echo what they receive, so the
 * tests see the wire exactly as a policy sees it. It lives in a temp dir and finds the SDK
 * through NODE_PATH.
 */
const ECHO_PACK = `
const pulumi = require("@pulumi/pulumi");
const { PolicyPack } = require("@pulumi/policy");
pulumi.log.info("echo pack loaded");
new PolicyPack("echo-pack", {
  policies: [
    {
      name: "echo-resource",
      description: "Echoes a resource's properties, options and provider.",
      enforcementLevel: "advisory",
      validateResource: (args, report) =>
        report(JSON.stringify({ props: args.props, opts: args.opts, provider: args.provider && args.provider.urn })),
    },
    {
      name: "echo-stack",
      description: "Echoes parents and dependencies of every resource.",
      enforcementLevel: "advisory",
      validateStack: (args, report) =>
        report(JSON.stringify(args.resources.map((r) => ({
          urn: r.urn,
          parent: r.parent ? r.parent.urn : null,
          dependencies: r.dependencies.map((d) => d.urn),
          propertyDependencies: Object.fromEntries(
            Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map((d) => d.urn)])),
        })))),
    },
    {
      name: "mark-remediated",
      description: "Adds a property to REST APIs, at the remediate level.",
      enforcementLevel: "remediate",
      remediateResource: (args) =>
        args.type === "aws:apigateway/restApi:RestApi" ? { ...args.props, remediated: true } : undefined,
    },
    {
      name: "threshold",
      description: "Reports its configured threshold.",
      enforcementLevel: "mandatory",
      severity: "high",
      configSchema: { properties: { threshold: { type: "number", default: 1 } } },
      validateResource: (args, report) => report("threshold=" + args.getConfig().threshold),
    },
  ],
});
`;

function writePack(dir: string, index: string) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: path.basename(dir), version: "1.2.3", main: "index.js" }),
  );
  fs.writeFileSync(path.join(dir, "index.js"), index);
}

const env = { NODE_PATH: path.join(REPO, "node_modules") };

/** A happy-path resource; each test changes one thing. */
function resource(overrides: Partial<AnalyzerResource> = {}): AnalyzerResource {
  return {
    urn: "urn:pulumi:dev::proj::aws:apigateway/restApi:RestApi::api",
    type: "aws:apigateway/restApi:RestApi",
    name: "api",
    properties: { name: "api", endpointConfiguration: { types: "PRIVATE" } },
    ...overrides,
  };
}

describe("analyzer client: wire form sent to the pack", () => {
  it("turns resource references into ids, output values into values and keeps secrets wrapped", () => {
    const props = toAnalyzerProperties({
      restApi: { [SIG]: RESOURCE, urn: "urn:x", id: "a1b2c3d4e5" },
      pending: { [SIG]: RESOURCE, urn: "urn:y", id: "" },
      arn: { [SIG]: OUTPUT, value: "arn:aws:x", dependencies: [] },
      token: { [SIG]: OUTPUT, value: "s3cr3t", secret: true },
      later: { [SIG]: OUTPUT, dependencies: [] },
      password: { [SIG]: SECRET, value: "p" },
      __defaults: ["name"],
      nested: [{ a: 1 }, null],
    });
    assert.deepStrictEqual(props, {
      restApi: "a1b2c3d4e5",
      pending: UNKNOWN,
      arn: "arn:aws:x",
      token: { [SIG]: SECRET, value: "s3cr3t" },
      later: UNKNOWN,
      password: { [SIG]: SECRET, value: "p" },
      nested: [{ a: 1 }, null],
    });
  });

  it("fills every policy's level and schema defaults like the CLI, and rejects unknown policy names", () => {
    const info = {
      name: "p",
      version: "1",
      displayName: "",
      description: "",
      provider: "",
      tags: [],
      supportsConfig: true,
      initialConfig: {},
      policies: [
        {
          name: "a",
          displayName: "",
          description: "",
          enforcementLevel: "mandatory" as const,
          type: "resource" as const,
          severity: "" as const,
          configSchema: { properties: { max: { type: "number", default: 3 } }, required: [] },
          tags: [],
          remediationSteps: "",
          url: "",
        },
      ],
    };
    assert.deepStrictEqual(resolvePolicyConfig(info), {
      a: { enforcementLevel: "mandatory", properties: { max: 3 } },
    });
    assert.deepStrictEqual(
      resolvePolicyConfig(info, { a: { max: 5, enforcementLevel: "advisory" } }),
      {
        a: { enforcementLevel: "advisory", properties: { max: 5 } },
      },
    );
    assert.throws(() => resolvePolicyConfig(info, { nope: {} }), /'nope'/);
  });
});

/** A pack of three policies (two mandatory, one advisory), one with a config schema. */
function threePolicies(initialConfig: PackInfo["initialConfig"] = {}): PackInfo {
  const policy = (name: string, enforcementLevel: "advisory" | "mandatory") => ({
    name,
    displayName: "",
    description: "",
    enforcementLevel,
    type: "resource" as const,
    severity: "" as const,
    configSchema: { properties: { max: { type: "number", default: 3 } }, required: [] },
    tags: [],
    remediationSteps: "",
    url: "",
  });
  return {
    name: "p",
    version: "1",
    displayName: "",
    description: "",
    provider: "",
    tags: [],
    supportsConfig: true,
    initialConfig,
    policies: [policy("a", "mandatory"), policy("b", "mandatory"), policy("c", "advisory")],
  };
}

const levelsOf = (info: PackInfo, given?: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(resolvePolicyConfig(info, given)).map(([k, v]) => [k, v.enforcementLevel]),
  );

// Cases from the Pulumi CLI's policy config format (pkg/resource/analyzer/config.go and the
// CrossGuard configuration docs): "name": "level", "name": { enforcementLevel, ...properties },
// the key "all", and the levels advisory, mandatory, remediate and disabled.
describe("analyzer client: policy config read as the Pulumi CLI reads it", () => {
  it("takes a level string as the object form with that level, and drops entries with nothing", () => {
    assert.deepStrictEqual(
      normalisePolicyConfig({
        a: "advisory",
        b: { enforcementLevel: "remediate", max: 5 },
        c: { max: 7 },
        all: "disabled",
        empty: {},
      }),
      {
        config: {
          a: { enforcementLevel: "advisory" },
          b: { enforcementLevel: "remediate", max: 5 },
          c: { max: 7 },
          all: { enforcementLevel: "disabled" },
        },
        problems: [],
      },
    );
  });

  it("lists every invalid level (in either form), every value of the wrong kind and every unknown name", () => {
    const { problems } = normalisePolicyConfig(
      { a: "blocking", b: { enforcementLevel: "Mandatory" }, c: { enforcementLevel: 1 } },
      threePolicies(),
    );
    assert.deepStrictEqual(problems, [
      `'a': "blocking" is not a valid enforcement level (expected one of advisory, mandatory, remediate, disabled)`,
      `'b': enforcementLevel "Mandatory" is not a valid enforcement level (expected one of advisory, mandatory, remediate, disabled)`,
      `'c': enforcementLevel 1 is not a valid enforcement level (expected one of advisory, mandatory, remediate, disabled)`,
    ]);
    const kinds = normalisePolicyConfig(
      { a: 3, b: ["mandatory"], c: null, nope: "advisory" },
      threePolicies(),
    );
    assert.deepStrictEqual(kinds.problems, [
      "'a': 3 is not a valid value; must be a string (a level) or an object",
      `'b': ["mandatory"] is not a valid value; must be a string (a level) or an object`,
      "'c': null is not a valid value; must be a string (a level) or an object",
      "'nope' is not a policy of the pack 'p'",
    ]);
    assert.throws(
      () => resolvePolicyConfig(threePolicies(), { a: "blocking", nope: {} }),
      /'a': "blocking" is not a valid enforcement level.*; 'nope' is not a policy of the pack 'p'/,
    );
  });

  it("gives the same levels for the string form, the object form and all", () => {
    const info = threePolicies();
    const objectForm = levelsOf(info, {
      a: { enforcementLevel: "mandatory" },
      b: { enforcementLevel: "mandatory" },
      c: { enforcementLevel: "mandatory" },
    });
    assert.deepStrictEqual(objectForm, { a: "mandatory", b: "mandatory", c: "mandatory" });
    assert.deepStrictEqual(
      levelsOf(info, { a: "mandatory", b: "mandatory", c: "mandatory" }),
      objectForm,
    );
    assert.deepStrictEqual(levelsOf(info, { all: "mandatory" }), objectForm);
    assert.deepStrictEqual(levelsOf(info, { all: { enforcementLevel: "mandatory" } }), objectForm);
  });

  it("lets a policy's own level beat all, and all beat the pack's initial config, as the CLI does", () => {
    const info = threePolicies({
      a: { enforcementLevel: "advisory" },
      all: { enforcementLevel: "disabled" },
    });
    assert.deepStrictEqual(levelsOf(info), { a: "advisory", b: "disabled", c: "disabled" });
    assert.deepStrictEqual(levelsOf(info, { all: "mandatory", c: "remediate" }), {
      a: "mandatory",
      b: "mandatory",
      c: "remediate",
    });
    assert.deepStrictEqual(levelsOf(info, { b: { max: 9 } }), {
      a: "advisory",
      b: "disabled",
      c: "disabled",
    });
  });

  it("checks a file against the pack: bad levels, unknown names and settings its schema rejects, all at once", () => {
    const read = {
      file: "org.json",
      entries: { a: { max: "five" }, b: "blocking", nope: "advisory", c: { max: 4 } },
    };
    assert.throws(
      () => checkPolicyConfig(read, threePolicies()),
      (err: Error) => {
        assert.strictEqual(err.name, "PolicyConfigFileError");
        assert.deepStrictEqual(err.message.split("\n"), [
          "--policy-pack-config org.json: 3 problem(s):",
          `  - 'b': "blocking" is not a valid enforcement level (expected one of advisory, mandatory, remediate, disabled)`,
          "  - 'nope' is not a policy of the pack 'p'",
          "  - 'a'.max is string, the schema wants number",
        ]);
        return true;
      },
    );
    assert.deepStrictEqual(
      checkPolicyConfig({ file: "ok.json", entries: { all: "advisory" } }, threePolicies()),
      {
        all: { enforcementLevel: "advisory" },
      },
    );
  });

  it("keeps properties per policy: all gives a level, never properties", () => {
    const resolved = resolvePolicyConfig(threePolicies(), {
      all: { enforcementLevel: "advisory", max: 99 },
      b: { max: 5 },
      c: "disabled",
    });
    assert.deepStrictEqual(resolved, {
      a: { enforcementLevel: "advisory", properties: { max: 3 } },
      b: { enforcementLevel: "advisory", properties: { max: 5 } },
      c: { enforcementLevel: "disabled", properties: { max: 3 } },
    });
  });
});

describe("analyzer client: a pack started like the CLI starts it", function () {
  this.timeout(180_000);
  let dir: string;
  let pack: PackClient;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "echo-pack-"));
    writePack(dir, ECHO_PACK);
    pack = await startPack(dir, { stack: "dev", project: "proj", env });
  });
  after(async () => {
    await pack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("measures start-up and describes the pack and its policies", async () => {
    assert.ok(pack.startupMs > 0 && pack.port > 0);
    const info = await pack.info();
    assert.strictEqual(info.name, "echo-pack");
    assert.strictEqual(info.version, "1.2.3");
    assert.deepStrictEqual(
      info.policies.map((p) => [p.name, p.type, p.enforcementLevel]),
      [
        ["echo-resource", "resource", "advisory"],
        ["echo-stack", "stack", "advisory"],
        ["mark-remediated", "resource", "remediate"],
        ["threshold", "resource", "mandatory"],
      ],
    );
    assert.strictEqual(info.policies.find((p) => p.name === "threshold")?.severity, "high");
  });

  it("collects what the pack logs through the Engine service", async () => {
    // Log calls are asynchronous; give the last one a moment to arrive.
    for (let i = 0; i < 50 && !pack.logs.some((l) => l.severity === "info"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(
      pack.logs.some((l) => l.severity === "info" && l.message === "echo pack loaded"),
      JSON.stringify(pack.logs),
    );
  });

  it("delivers properties, options and provider as a policy sees them (secrets unwrapped)", async () => {
    await pack.configure();
    await pack.configureStack({ stack: "dev", project: "proj" });
    const result = await pack.analyze(
      resource({
        properties: toAnalyzerProperties({
          name: "api",
          apiKey: { [SIG]: SECRET, value: "k" },
          restApi: { [SIG]: RESOURCE, urn: "urn:x", id: "abc" },
        }),
        options: { protect: true, ignoreChanges: ["tags"] },
        parent: "urn:pulumi:dev::proj::sec1:x:Y::c",
        provider: {
          type: "pulumi:providers:aws",
          name: "default",
          urn: "urn:prov",
          properties: {},
        },
      }),
    );
    const echo = result.diagnostics.find((d) => d.policy === "echo-resource");
    assert.ok(echo, JSON.stringify(result));
    const seen = JSON.parse(echo.message.split("\n").pop()!);
    assert.deepStrictEqual(seen.props, { name: "api", apiKey: "k", restApi: "abc" });
    assert.strictEqual(seen.opts.protect, true);
    assert.deepStrictEqual(seen.opts.ignoreChanges, ["tags"]);
    assert.strictEqual(seen.opts.parent, "urn:pulumi:dev::proj::sec1:x:Y::c");
    assert.strictEqual(seen.provider, "urn:prov");
  });

  it("calls Remediate like the CLI and returns the remediated properties", async () => {
    await pack.configure();
    await pack.configureStack({ stack: "dev", project: "proj" });
    const fixes = await pack.remediate(resource());
    assert.deepStrictEqual(
      fixes.map((f) => [f.policy, f.properties]),
      [
        [
          "mark-remediated",
          { name: "api", endpointConfiguration: { types: "PRIVATE" }, remediated: true },
        ],
      ],
    );
    const other = resource({ type: "aws:apigateway/method:Method", urn: "urn:m", name: "m" });
    assert.deepStrictEqual(await pack.remediate(other), []);
  });

  it("reports levels per policy and lets Configure change a policy's level and properties", async () => {
    await pack.configure();
    let d = (await pack.analyze(resource())).diagnostics.find((x) => x.policy === "threshold");
    assert.strictEqual(d?.level, "mandatory");
    assert.match(d!.message, /threshold=1$/);

    await pack.configure({ threshold: { enforcementLevel: "advisory", threshold: 7 } });
    d = (await pack.analyze(resource())).diagnostics.find((x) => x.policy === "threshold");
    assert.strictEqual(d?.level, "advisory");
    assert.match(d!.message, /threshold=7$/);

    await pack.configure({ threshold: { enforcementLevel: "disabled" } });
    const all = (await pack.analyze(resource())).diagnostics;
    assert.ok(!all.some((x) => x.policy === "threshold"));
  });

  it("hands AnalyzeStack parents, dependencies and property dependencies", async () => {
    await pack.configure();
    const parent = resource({ urn: "urn:parent", name: "parent", type: "sec1:x:Y" });
    const child = resource({
      urn: "urn:child",
      parent: "urn:parent",
      dependencies: ["urn:parent"],
      propertyDependencies: { restApi: ["urn:parent"] },
    });
    const result = await pack.analyzeStack([parent, child]);
    const echo = result.diagnostics.find((d) => d.policy === "echo-stack");
    assert.ok(echo, JSON.stringify(result));
    const seen = JSON.parse(echo.message.split("\n").pop()!);
    assert.deepStrictEqual(seen[1], {
      urn: "urn:child",
      parent: "urn:parent",
      dependencies: ["urn:parent"],
      propertyDependencies: { restApi: ["urn:parent"] },
    });
    assert.strictEqual(echo.urn, null);
  });
});

describe("analyzer client: packs that cannot start", function () {
  this.timeout(180_000);

  it("rejects a folder without PulumiPolicy.yaml, naming the folder", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "no-pack-"));
    try {
      await assert.rejects(startPack(dir), (err: Error) => {
        assert.ok(err instanceof PackStartError);
        assert.match(err.message, /PulumiPolicy\.yaml is missing/);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a pack that throws while loading, with what it said", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broken-pack-"));
    writePack(dir, 'throw new Error("broken on purpose");\n');
    try {
      await assert.rejects(startPack(dir, { env }), (err: Error) => {
        assert.ok(err instanceof PackStartError);
        assert.match(err.message, /failed to start/);
        assert.match(err.message, /broken on purpose/);
        return true;
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Starts a CrossGuard policy pack the way the Pulumi CLI does and drives it over the analyzer
 * gRPC protocol, with the SDK's own generated code.
 *
 * The CLI runs `node …/@pulumi/pulumi/cmd/run-policy-pack <engine-address> <packDir>` with the
 * pack folder as working directory and the stack context in the environment (`PULUMI_CONFIG`,
 * `PULUMI_NODEJS_PROJECT`, `…_STACK`, `…_ORGANIZATION`, `…_DRY_RUN`); the pack prints the port of
 * its analyzer server on stdout. The CLI then calls GetAnalyzerInfo → Configure → ConfigureStack
 * → Analyze per resource → AnalyzeStack. This client does the same, and runs a tiny in-process
 * Engine server so the pack's `pulumi.log` calls land somewhere we can read (the CLI's engine
 * collects them the same way).
 *
 * Used by the offline preview, the pack's integration tests and the benchmarks.
 */
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { SIG, SIG_OUTPUT, SIG_RESOURCE, SIG_SECRET, UNKNOWN } from "./wire";

/** The repository root (this file lives in tools/). */
const REPO_ROOT = path.resolve(__dirname, "..");

/** Enforcement levels as the policy SDK names them. */
export type EnforcementLevel = "advisory" | "mandatory" | "disabled" | "remediate";
/** Severities as the policy SDK names them ("" when the policy declares none). */
export type Severity = "" | "low" | "medium" | "high" | "critical";

const LEVELS: Record<number, EnforcementLevel> = {
  [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
};
const SEVERITIES: Record<number, Severity> = {
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED]: "",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

function levelToProto(level: EnforcementLevel): analyzerPb.EnforcementLevel {
  const entry = Object.entries(LEVELS).find(([, v]) => v === level);
  if (!entry) throw new Error(`unknown enforcement level '${String(level)}'`);
  return Number(entry[0]) as analyzerPb.EnforcementLevel;
}

/** One policy as GetAnalyzerInfo describes it. */
export interface PolicyInfo {
  name: string;
  displayName: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  type: "resource" | "stack" | "unknown";
  severity: Severity;
  /** The policy's JSON-schema properties (and required keys), when it is tunable. */
  configSchema?: { properties: Record<string, unknown>; required: string[] };
  framework?: { name: string; version: string; reference: string; specification: string };
  tags: string[];
  remediationSteps: string;
  url: string;
}

/** The pack as GetAnalyzerInfo describes it. */
export interface PackInfo {
  name: string;
  version: string;
  displayName: string;
  description: string;
  provider: string;
  tags: string[];
  supportsConfig: boolean;
  policies: PolicyInfo[];
  /** Config the pack ships with (policy → level and properties). */
  initialConfig: Record<string, PolicyConfig>;
}

/** Config of one policy: an optional enforcement level plus the policy's own properties. */
export type PolicyConfig = { enforcementLevel?: EnforcementLevel } & Record<string, unknown>;

/** Resource options as the analyzer protocol carries them. */
export interface AnalyzerResourceOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  /** Undefined means "not set" (the proto's `deleteBeforeReplaceDefined` is false). */
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: string[];
  customTimeouts?: { create?: number; update?: number; delete?: number };
  parent?: string;
}

/** The provider of a resource, as the analyzer protocol carries it. */
export interface AnalyzerProvider {
  type: string;
  name: string;
  urn: string;
  properties?: Record<string, unknown>;
}

/**
 * One resource to analyze. `properties` are in the engine's wire form: secrets as the secret
 * signature object (the policy SDK unwraps them, as with the CLI), unknowns as the unknown
 * sentinel string. Use {@link toAnalyzerProperties} to turn a program's recorded inputs into it.
 */
export interface AnalyzerResource {
  urn: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
  options?: AnalyzerResourceOptions;
  provider?: AnalyzerProvider;
  /** Used by AnalyzeStack only. */
  parent?: string | null;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

/** One violation (or advisory) the pack reported. */
export interface Diagnostic {
  policy: string;
  pack: string;
  packVersion: string;
  description: string;
  message: string;
  level: EnforcementLevel;
  severity: Severity;
  /** The resource it is about, or null for a stack-wide diagnostic without one. */
  urn: string | null;
}

/** What Analyze / AnalyzeStack answered. */
export interface AnalyzeResult {
  diagnostics: Diagnostic[];
  notApplicable: { policy: string; reason: string }[];
}

/** A log message the pack sent to the engine. */
export interface EngineLog {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn: string;
}

/** How to start the pack; the stack context is passed in the environment, like the CLI does. */
export interface StartPackOptions {
  /** Stack name (PULUMI_NODEJS_STACK / PULUMI_STACK). */
  stack?: string;
  /** Project name (PULUMI_NODEJS_PROJECT / PULUMI_PROJECT). */
  project?: string;
  /** Organization (PULUMI_NODEJS_ORGANIZATION / PULUMI_ORGANIZATION). */
  organization?: string;
  /** Whether this is a preview (PULUMI_NODEJS_DRY_RUN / PULUMI_DRY_RUN). Default true. */
  dryRun?: boolean;
  /** The stack's `project:key` → string config (PULUMI_CONFIG). */
  config?: Record<string, string>;
  /** Extra environment variables for the pack process. */
  env?: Record<string, string>;
  /** Give up when no port is printed within this many ms (default 180000). */
  timeoutMs?: number;
  /** The run-policy-pack entry point (default: the SDK installed in this repository). */
  runPolicyPack?: string;
  /** Aborting kills a pack still starting (e.g. the program failed meanwhile). */
  signal?: AbortSignal;
}

/** A running pack. Always call `stop()`. */
export interface PackClient {
  /** Milliseconds from spawn to the port printed (the pack loaded and its server listening). */
  readonly startupMs: number;
  readonly port: number;
  /** Messages the pack logged through the Engine service so far. */
  readonly logs: EngineLog[];
  /** Text the pack wrote to stderr so far. */
  stderr(): string;
  info(): Promise<PackInfo>;
  /**
   * Sends policy config like the CLI: one entry for every policy of the pack, with its level
   * and its properties as {@link resolvePolicyConfig} reconciles them. `config` takes the forms
   * of a `--policy-pack-config` file (level strings, objects, `all`).
   */
  configure(config?: Record<string, unknown>): Promise<void>;
  configureStack(opts: {
    stack: string;
    project: string;
    organization?: string;
    dryRun?: boolean;
    config?: Record<string, string>;
    secretKeys?: string[];
    tags?: Record<string, string>;
  }): Promise<void>;
  /**
   * Remediate, which the CLI calls for each resource before Analyze: policies at the
   * `remediate` level may return new properties for it.
   */
  remediate(resource: AnalyzerResource): Promise<Remediation[]>;
  analyze(resource: AnalyzerResource): Promise<AnalyzeResult>;
  analyzeStack(resources: AnalyzerResource[]): Promise<AnalyzeResult>;
  stop(): Promise<void>;
}

/** A policy's change to a resource's properties (enforcement level `remediate`). */
export interface Remediation {
  policy: string;
  description: string;
  /** The resource's new properties, or undefined when the policy reported a diagnostic instead. */
  properties?: Record<string, unknown>;
  diagnostic: string;
}

/** Raised when the pack exits or never prints its port; the message carries what it said. */
export class PackStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PackStartError";
  }
}

/**
 * Turns a program's wire-form inputs into what the CLI sends an analyzer: it marshals with
 * KeepUnknowns and KeepSecrets but not KeepResources or KeepOutputValues, and skips internal
 * keys. So resource references become the referenced id (the URN when it has none yet), output
 * values become their value (secret-wrapped if secret, the unknown sentinel if unknown), secrets
 * stay secret-signature objects, and `__`-prefixed keys and undefined values are dropped.
 */
export function toAnalyzerProperties(wire: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire)) {
    if (key.startsWith("__") || value === undefined) continue;
    out[key] = toAnalyzerValue(value);
  }
  return out;
}

function toAnalyzerValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toAnalyzerValue(v)));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG]) {
    case SIG_RESOURCE: {
      const id = obj.id;
      if (typeof id === "string" && id !== "") return id;
      return typeof obj.urn === "string" && obj.urn !== "" && id === undefined ? obj.urn : UNKNOWN;
    }
    case SIG_OUTPUT: {
      const inner =
        "value" in obj && obj.value !== undefined ? toAnalyzerValue(obj.value) : UNKNOWN;
      return obj.secret ? { [SIG]: SIG_SECRET, value: inner } : inner;
    }
    case SIG_SECRET:
      return { [SIG]: SIG_SECRET, value: toAnalyzerValue(obj.value) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined) out[k] = toAnalyzerValue(v);
  }
  return out;
}

function struct(value: Record<string, unknown> | undefined): Struct {
  // Struct.fromJavaScript rejects undefined; JSON round-trip drops it the way the engine does.
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value ?? {})));
}

function toProtoOptions(o: AnalyzerResourceOptions = {}): analyzerPb.AnalyzerResourceOptions {
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setProtect(o.protect ?? false);
  opts.setIgnorechangesList(o.ignoreChanges ?? []);
  opts.setDeletebeforereplacedefined(o.deleteBeforeReplace !== undefined);
  opts.setDeletebeforereplace(o.deleteBeforeReplace ?? false);
  opts.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
  opts.setAliasesList(o.aliases ?? []);
  if (o.customTimeouts) {
    const t = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(o.customTimeouts.create ?? 0);
    t.setUpdate(o.customTimeouts.update ?? 0);
    t.setDelete(o.customTimeouts.delete ?? 0);
    opts.setCustomtimeouts(t);
  }
  if (o.parent) opts.setParent(o.parent);
  return opts;
}

function toProtoProvider(p: AnalyzerProvider): analyzerPb.AnalyzerProviderResource {
  const prov = new analyzerPb.AnalyzerProviderResource();
  prov.setType(p.type);
  prov.setName(p.name);
  prov.setUrn(p.urn);
  prov.setProperties(struct(p.properties));
  return prov;
}

function toAnalyzeRequest(r: AnalyzerResource): analyzerPb.AnalyzeRequest {
  const req = new analyzerPb.AnalyzeRequest();
  req.setUrn(r.urn);
  req.setType(r.type);
  req.setName(r.name);
  req.setProperties(struct(r.properties));
  req.setOptions(toProtoOptions({ parent: r.parent ?? undefined, ...r.options }));
  if (r.provider) req.setProvider(toProtoProvider(r.provider));
  return req;
}

function toStackResource(r: AnalyzerResource): analyzerPb.AnalyzerResource {
  const res = new analyzerPb.AnalyzerResource();
  res.setUrn(r.urn);
  res.setType(r.type);
  res.setName(r.name);
  res.setProperties(struct(r.properties));
  res.setOptions(toProtoOptions({ parent: r.parent ?? undefined, ...r.options }));
  if (r.provider) res.setProvider(toProtoProvider(r.provider));
  if (r.parent) res.setParent(r.parent);
  res.setDependenciesList(r.dependencies ?? []);
  const deps = res.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
    const d = new analyzerPb.AnalyzerPropertyDependencies();
    d.setUrnsList(urns);
    deps.set(key, d);
  }
  return res;
}

function fromAnalyzeResponse(resp: analyzerPb.AnalyzeResponse): AnalyzeResult {
  return {
    diagnostics: resp.getDiagnosticsList().map((d) => ({
      policy: d.getPolicyname(),
      pack: d.getPolicypackname(),
      packVersion: d.getPolicypackversion(),
      description: d.getDescription(),
      message: d.getMessage(),
      level: LEVELS[d.getEnforcementlevel()] ?? "advisory",
      severity: SEVERITIES[d.getSeverity()] ?? "",
      urn: d.getUrn() || null,
    })),
    notApplicable: resp
      .getNotApplicableList()
      .map((n) => ({ policy: n.getPolicyName(), reason: n.getReason() })),
  };
}

function fromPolicyConfig(c: analyzerPb.PolicyConfig): PolicyConfig {
  return {
    enforcementLevel: LEVELS[c.getEnforcementlevel()],
    ...((c.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>),
  };
}

function fromAnalyzerInfo(ai: analyzerPb.AnalyzerInfo): PackInfo {
  const initialConfig: Record<string, PolicyConfig> = {};
  ai.getInitialconfigMap().forEach((c, key) => (initialConfig[key] = fromPolicyConfig(c)));
  return {
    name: ai.getName(),
    version: ai.getVersion(),
    displayName: ai.getDisplayname(),
    description: ai.getDescription(),
    provider: ai.getProvider(),
    tags: ai.getTagsList(),
    supportsConfig: ai.getSupportsconfig(),
    initialConfig,
    policies: ai.getPoliciesList().map((p) => {
      const schema = p.getConfigschema();
      const framework = p.getFramework();
      const type = p.getPolicyType();
      return {
        name: p.getName(),
        displayName: p.getDisplayname(),
        description: p.getDescription(),
        enforcementLevel: LEVELS[p.getEnforcementlevel()] ?? "advisory",
        type:
          type === analyzerPb.PolicyType.POLICY_TYPE_RESOURCE
            ? "resource"
            : type === analyzerPb.PolicyType.POLICY_TYPE_STACK
              ? "stack"
              : "unknown",
        severity: SEVERITIES[p.getSeverity()] ?? "",
        configSchema: schema
          ? {
              properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
              required: schema.getRequiredList(),
            }
          : undefined,
        framework: framework
          ? {
              name: framework.getName(),
              version: framework.getVersion(),
              reference: framework.getReference(),
              specification: framework.getSpecification(),
            }
          : undefined,
        tags: p.getTagsList(),
        remediationSteps: p.getRemediationSteps(),
        url: p.getUrl(),
      };
    }),
  };
}

/** The defaults a policy's config schema declares (`properties.<key>.default`). */
function schemaDefaults(p: PolicyInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(p.configSchema?.properties ?? {})) {
    if (prop !== null && typeof prop === "object" && "default" in prop) {
      out[key] = (prop as { default: unknown }).default;
    }
  }
  return out;
}

/** The levels the Pulumi CLI accepts in policy config (apitype.EnforcementLevel.IsValid). */
export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = [
  "advisory",
  "mandatory",
  "remediate",
  "disabled",
];

const LEVEL_HINT = `expected one of ${ENFORCEMENT_LEVELS.join(", ")}`;

/** One entry as the CLI reads it: a level string, or an object of level and properties. */
function normaliseEntry(key: string, value: unknown): PolicyConfig | string {
  const isLevel = (v: unknown): v is EnforcementLevel =>
    ENFORCEMENT_LEVELS.includes(v as EnforcementLevel);
  if (typeof value === "string") {
    if (isLevel(value)) return { enforcementLevel: value };
    return `'${key}': ${JSON.stringify(value)} is not a valid enforcement level (${LEVEL_HINT})`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const shown = JSON.stringify(value);
    return `'${key}': ${shown} is not a valid value; must be a string (a level) or an object`;
  }
  const { enforcementLevel, ...properties } = value as Record<string, unknown>;
  if (enforcementLevel === undefined) return properties;
  if (!isLevel(enforcementLevel)) {
    const shown = JSON.stringify(enforcementLevel);
    return `'${key}': enforcementLevel ${shown} is not a valid enforcement level (${LEVEL_HINT})`;
  }
  return { enforcementLevel, ...properties };
}

/** An entry's properties: everything but its level. */
function propertiesOf(entry: PolicyConfig | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry };
  delete out.enforcementLevel;
  return out;
}

/**
 * Policy config read as the Pulumi CLI reads a `--policy-pack-config` file: each entry is a
 * level (`"mandatory"`) or an object with an optional `enforcementLevel` and the policy's
 * properties; an entry with neither is dropped. Anything else, or a level the CLI does not
 * accept, is a problem. Given the pack, a name that is neither `all` nor one of its policies is
 * a problem too. Every problem is returned, not only the first.
 */
export function normalisePolicyConfig(
  given: Record<string, unknown>,
  pack?: { name: string; policies: readonly { name: string }[] },
): { config: Record<string, PolicyConfig>; problems: string[] } {
  const known = new Set(pack?.policies.map((p) => p.name));
  const config: Record<string, PolicyConfig> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(given)) {
    if (pack && key !== "all" && !known.has(key)) {
      problems.push(`'${key}' is not a policy of the pack '${pack.name}'`);
    }
    const entry = normaliseEntry(key, value);
    if (typeof entry === "string") problems.push(entry);
    else if (Object.keys(entry).length > 0) config[key] = entry;
  }
  return { config, problems };
}

/**
 * The per-policy config the CLI would send (ReconcilePolicyPackConfig): every policy of the pack,
 * its properties (schema defaults, then the pack's initial config, then the given config) and its
 * level. Per layer, `all` sets the level of every policy and a policy's own entry overrides it:
 * given policy, given `all`, initial policy, initial `all`, then the declared level. `all` has
 * no properties to give. Invalid entries and unknown policy names are an error listing each.
 */
export function resolvePolicyConfig(
  info: PackInfo,
  given: Record<string, unknown> = {},
): Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }> {
  const { config, problems } = normalisePolicyConfig(given, info);
  if (problems.length) throw new Error(`invalid policy config: ${problems.join("; ")}`);
  const initial = normalisePolicyConfig(info.initialConfig).config;
  const levelIn = (c: Record<string, PolicyConfig>, name: string) => c[name]?.enforcementLevel;
  const out: Record<
    string,
    { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }
  > = {};
  for (const p of info.policies) {
    out[p.name] = {
      enforcementLevel:
        levelIn(config, p.name) ??
        levelIn(config, "all") ??
        levelIn(initial, p.name) ??
        levelIn(initial, "all") ??
        p.enforcementLevel,
      properties: {
        ...schemaDefaults(p),
        ...propertiesOf(initial[p.name]),
        ...propertiesOf(config[p.name]),
      },
    };
  }
  return out;
}

/** Starts the tiny Engine service the pack logs to; resolves with its address. */
async function startEngine(logs: EngineLog[]): Promise<{ address: string; server: grpc.Server }> {
  const severities: Record<number, EngineLog["severity"]> = {
    [enginePb.LogSeverity.DEBUG]: "debug",
    [enginePb.LogSeverity.INFO]: "info",
    [enginePb.LogSeverity.WARNING]: "warning",
    [enginePb.LogSeverity.ERROR]: "error",
  };
  let rootUrn = "";
  const server = new grpc.Server();
  server.addService(engineGrpc.EngineService, {
    log: (
      call: grpc.ServerUnaryCall<enginePb.LogRequest, Empty>,
      cb: grpc.sendUnaryData<Empty>,
    ) => {
      const req = call.request;
      logs.push({
        severity: severities[req.getSeverity()] ?? "info",
        message: req.getMessage(),
        urn: req.getUrn(),
      });
      cb(null, new Empty());
    },
    getRootResource: (
      _call: grpc.ServerUnaryCall<
        enginePb.GetRootResourceRequest,
        enginePb.GetRootResourceResponse
      >,
      cb: grpc.sendUnaryData<enginePb.GetRootResourceResponse>,
    ) => cb(null, new enginePb.GetRootResourceResponse().setUrn(rootUrn)),
    setRootResource: (
      call: grpc.ServerUnaryCall<enginePb.SetRootResourceRequest, enginePb.SetRootResourceResponse>,
      cb: grpc.sendUnaryData<enginePb.SetRootResourceResponse>,
    ) => {
      rootUrn = call.request.getUrn();
      cb(null, new enginePb.SetRootResourceResponse());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, server };
}

function unary<Req, Resp>(
  method: (req: Req, cb: (err: grpc.ServiceError | null, resp: Resp) => void) => unknown,
  req: Req,
  what: string,
): Promise<Resp> {
  return new Promise((resolve, reject) =>
    method(req, (err, resp) =>
      err ? reject(new Error(`${what} failed: ${err.details || err.message}`)) : resolve(resp),
    ),
  );
}

/**
 * Starts the policy pack in `packDir` with the SDK's run-policy-pack server, as the CLI does,
 * and connects to it. Rejects with a {@link PackStartError} carrying the pack's stderr and logged
 * errors if it exits or prints no port in time.
 */
export async function startPack(packDir: string, opts: StartPackOptions = {}): Promise<PackClient> {
  const dir = path.resolve(packDir);
  if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
    throw new PackStartError(`no policy pack in ${dir}: PulumiPolicy.yaml is missing`);
  }
  const logs: EngineLog[] = [];
  const engine = await startEngine(logs);
  const runPolicyPack =
    opts.runPolicyPack ?? path.join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
  const env = packEnv(opts, engine.address);

  const started = process.hrtime.bigint();
  const child: ChildProcess = spawn(process.execPath, [runPolicyPack, engine.address, dir], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: PackOutput = { stderr: "", stdout: "" };
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => (output.stderr += d));
  child.stdout!.setEncoding("utf8");

  // The pack is gone by the time this runs; nothing is left to drain, so do not wait for peers.
  const stopEngine = async () => engine.server.forceShutdown();
  const describeFailure = (why: string) => {
    const errors = logs.filter((l) => l.severity === "error").map((l) => l.message);
    const said = [...errors, output.stderr.trim(), output.stdout.trim()].filter(Boolean).join("\n");
    return `policy pack ${dir} failed to start: ${why}${said ? `\n${said}` : ""}`;
  };

  let port: number;
  try {
    port = await waitForPort(child, output, opts, describeFailure);
  } catch (err) {
    if (child.exitCode === null) child.kill("SIGKILL");
    await stopEngine();
    throw err;
  }
  const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
  return packClient({ startupMs, port, logs, output, child, stopEngine });
}

/** What the pack process has written so far (appended to as it writes). */
interface PackOutput {
  stderr: string;
  stdout: string;
}

/** The pack process's environment: ours, minus our loader hooks, plus what the CLI would set. */
function packEnv(opts: StartPackOptions, engineAddress: string): Record<string, string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  // Our own shell may run under ts-node's transpile-only hook; the pack must load the way the
  // CLI loads it (the SDK registers ts-node with type checking itself).
  delete env.TS_NODE_TRANSPILE_ONLY;
  delete env.NODE_OPTIONS;
  const setEnv = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== "") env[k] = v;
  };
  setEnv("PULUMI_CONFIG", opts.config ? JSON.stringify(opts.config) : undefined);
  for (const prefix of ["PULUMI_NODEJS_", "PULUMI_"]) {
    setEnv(`${prefix}ORGANIZATION`, opts.organization);
    setEnv(`${prefix}PROJECT`, opts.project);
    setEnv(`${prefix}STACK`, opts.stack);
    setEnv(`${prefix}DRY_RUN`, String(opts.dryRun ?? true));
  }
  // The SDK's log module finds the engine through this variable; the CLI's engine address
  // argument is only consumed (and dropped) by run-policy-pack.
  env.PULUMI_NODEJS_ENGINE = engineAddress;
  Object.assign(env, opts.env ?? {});
  return env;
}

/** Resolves with the port the pack prints; rejects if it fails, exits, is aborted or times out. */
function waitForPort(
  child: ChildProcess,
  output: PackOutput,
  opts: StartPackOptions,
  describeFailure: (why: string) => string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new PackStartError(describeFailure(`no port within ${timeoutOf(opts)} ms`))),
      timeoutOf(opts),
    );
    child.stdout!.on("data", (d: string) => {
      output.stdout += d;
      const m = /^\s*(\d+)\s*$/m.exec(output.stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PackStartError(describeFailure("start aborted")));
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener("abort", onAbort);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new PackStartError(describeFailure(err.message)));
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      // Give the engine a moment to receive the last log calls the pack sent before exiting.
      setTimeout(
        () =>
          reject(
            new PackStartError(
              describeFailure(`it exited (${signal ?? `code ${code}`}) before printing a port`),
            ),
          ),
        50,
      );
    });
  });
}

/** A started pack: its process, the engine it logs to and what it has said. */
interface StartedPack {
  startupMs: number;
  port: number;
  logs: EngineLog[];
  output: PackOutput;
  child: ChildProcess;
  stopEngine: () => Promise<void>;
}

/** The client for a started pack: its Analyzer service over gRPC, and how to stop it. */
function packClient({ startupMs, port, logs, output, child, stopEngine }: StartedPack): PackClient {
  const client = new analyzerGrpc.AnalyzerClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    },
  );
  let cachedInfo: PackInfo | undefined;
  const info = async () => {
    cachedInfo ??= fromAnalyzerInfo(
      await unary(client.getAnalyzerInfo.bind(client), new Empty(), "GetAnalyzerInfo"),
    );
    return cachedInfo;
  };

  let stopped = false;
  return {
    startupMs,
    port,
    logs,
    stderr: () => output.stderr,
    info,
    async configure(config = {}) {
      const req = configureRequest(resolvePolicyConfig(await info(), config));
      await unary(client.configure.bind(client), req, "Configure");
    },
    async configureStack(s) {
      await unary(client.configureStack.bind(client), stackConfigureRequest(s), "ConfigureStack");
    },
    async remediate(resource) {
      const resp = await unary<analyzerPb.AnalyzeRequest, analyzerPb.RemediateResponse>(
        client.remediate.bind(client),
        toAnalyzeRequest(resource),
        `Remediate(${resource.urn})`,
      );
      return resp.getRemediationsList().map((r) => ({
        policy: r.getPolicyname(),
        description: r.getDescription(),
        properties: r.getProperties()?.toJavaScript() as Record<string, unknown> | undefined,
        diagnostic: r.getDiagnostic(),
      }));
    },
    async analyze(resource) {
      const resp = await unary<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(
        client.analyze.bind(client),
        toAnalyzeRequest(resource),
        `Analyze(${resource.urn})`,
      );
      return fromAnalyzeResponse(resp);
    },
    async analyzeStack(resources) {
      const req = new analyzerPb.AnalyzeStackRequest();
      req.setResourcesList(resources.map(toStackResource));
      return fromAnalyzeResponse(
        await unary<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(
          client.analyzeStack.bind(client),
          req,
          "AnalyzeStack",
        ),
      );
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.close();
      await stopProcess(child);
      await stopEngine();
    },
  };
}

/** The Configure request for a resolved per-policy config. */
function configureRequest(
  resolved: ReturnType<typeof resolvePolicyConfig>,
): analyzerPb.ConfigureAnalyzerRequest {
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const [name, c] of Object.entries(resolved)) {
    const pc = new analyzerPb.PolicyConfig();
    pc.setEnforcementlevel(levelToProto(c.enforcementLevel));
    pc.setProperties(struct(c.properties));
    map.set(name, pc);
  }
  return req;
}

/** The ConfigureStack request for a stack's name, project, config and tags. */
function stackConfigureRequest(
  s: Parameters<PackClient["configureStack"]>[0],
): analyzerPb.AnalyzerStackConfigureRequest {
  const req = new analyzerPb.AnalyzerStackConfigureRequest();
  req.setStack(s.stack);
  req.setProject(s.project);
  req.setOrganization(s.organization ?? "");
  req.setDryRun(s.dryRun ?? true);
  req.setConfigSecretKeysList(s.secretKeys ?? []);
  const cfg = req.getConfigMap();
  for (const [k, v] of Object.entries(s.config ?? {})) cfg.set(k, v);
  const tags = req.getTagsMap();
  for (const [k, v] of Object.entries(s.tags ?? {})) tags.set(k, v);
  return req;
}

/** Stops the pack process if it still runs: SIGTERM, then SIGKILL after 3 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}

function timeoutOf(opts: StartPackOptions): number {
  return opts.timeoutMs ?? 180_000;
}

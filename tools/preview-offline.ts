/**
 * The offline preview: what the stack would deploy and what the policy pack says about it, with
 * no AWS account and no Pulumi CLI.
 *
 *   npm run -s preview:offline -- --stack <name> [--json] [--diagram mermaid]
 *                                 [--policy-pack <dir>] [--policy-pack-config <file.json>]
 *                                 [--config <key>=<value> ...]
 *
 * 1. Loads Pulumi.<stack>.yaml like the CLI (`secure:` values become a placeholder secret).
 * 2. Runs index.ts under the SDK's mock engine (tools/mock-engine.ts).
 * 3. Starts the pack with the SDK's run-policy-pack server and drives it over the analyzer gRPC
 *    protocol in the CLI's order (tools/analyzer-client.ts).
 * 4. Prints a preview-like tree with every violation, or with --json exactly one JSON object, or
 *    with --diagram mermaid a Mermaid flowchart (tools/diagram.ts).
 * Exit status: 0 no mandatory violation; 1 one or more; 2 bad usage, bad stack name, bad config,
 * a program that fails, or a pack that fails to start.
 *
 * `--config key=value` overrides one config key for this run (like `pulumi config set` without
 * saving); unqualified keys belong to the project. `--policy-pack-config` is the CLI's
 * `--policy-pack-config`: a JSON file of policy name → { enforcementLevel?, ...properties }.
 */
import * as fs from "fs";
import * as path from "path";
import {
  AnalyzerResource,
  Diagnostic,
  PackClient,
  PackInfo,
  PolicyConfig,
  startPack,
  toAnalyzerProperties,
} from "./analyzer-client";
import { mermaidDiagram } from "./diagram";
import { analyzeStack } from "./drive-pack";
import { PolicyConfigFileError, readPolicyConfigFile } from "./policy-config-file";
import {
  loadStackConfig,
  ProgramRun,
  readable,
  RegisteredResource,
  runProgram,
  StackError,
  wireSecret,
} from "./mock-engine";

const REPO_ROOT = path.resolve(__dirname, "..");

/** Parsed command line. */
export interface PreviewOptions {
  stack: string;
  /** A stack file to read instead of `Pulumi.<stack>.yaml` in the project (`--stack-file`). */
  stackFile?: string;
  /** The program's folder, with Pulumi.yaml and index.ts (`--project-dir`; default the repository). */
  projectDir: string;
  json: boolean;
  diagram?: "mermaid";
  policyPack: string;
  policyPackConfig?: string;
  /** `key=value` overrides, already split; keys may be unqualified. */
  config: [string, string][];
}

/** A usage problem (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const USAGE =
  "usage: preview-offline --stack <name> | --stack-file <Pulumi.name.yaml> [--project-dir <dir>] [--json] [--diagram mermaid] [--policy-pack <dir>] " +
  "[--policy-pack-config <file.json>] [--config <key>=<value> ...]";

/** Parses the command line; throws {@link UsageError} naming what is wrong. */
export function parseArgs(argv: string[]): PreviewOptions {
  const opts: Partial<PreviewOptions> & { config: [string, string][] } = {
    json: false,
    policyPack: path.join(REPO_ROOT, "policy-pack"),
    projectDir: REPO_ROOT,
    config: [],
  };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--"))
      throw new UsageError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s) : [arg];
    const take = () => (inline !== undefined ? inline : value(i++, flag));
    switch (flag) {
      case "--stack":
      case "-s":
        opts.stack = take();
        break;
      case "--stack-file": {
        // A stack file kept elsewhere (a new environment before it is checked in): the stack
        // is named after the file, as the CLI names Pulumi.<stack>.yaml.
        const file = path.resolve(take());
        const name = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(path.basename(file))?.[1];
        if (!name)
          throw new UsageError(`--stack-file expects a Pulumi.<stack>.yaml, got '${file}'`);
        opts.stackFile = file;
        opts.stack ??= name;
        break;
      }
      case "--project-dir":
        // Another program on the same components (examples/), previewed the same way.
        opts.projectDir = path.resolve(take());
        break;
      case "--json":
        opts.json = true;
        break;
      case "--diagram": {
        const kind = take();
        if (kind !== "mermaid")
          throw new UsageError(`--diagram supports only 'mermaid', got '${kind}'`);
        opts.diagram = "mermaid";
        break;
      }
      case "--policy-pack":
        opts.policyPack = path.resolve(take());
        break;
      case "--policy-pack-config":
        opts.policyPackConfig = path.resolve(take());
        break;
      case "--config":
      case "-c": {
        const kv = take();
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UsageError(`--config expects <key>=<value>, got '${kv}'`);
        opts.config.push([kv.slice(0, eq), kv.slice(eq + 1)]);
        break;
      }
      case "--help":
      case "-h":
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown argument '${arg}'\n${USAGE}`);
    }
  }
  if (!opts.stack) throw new UsageError(`--stack is required\n${USAGE}`);
  if (opts.json && opts.diagram) throw new UsageError("--json and --diagram cannot be combined");
  return opts as PreviewOptions;
}

/** One resource of the JSON report (the contract's shape). */
export interface ReportResource {
  urn: string;
  type: string;
  name: string;
  id: string | null;
  arn: string | null;
  parent: string | null;
  dependencies: string[];
  inputs: Record<string, unknown>;
}

/** One violation of the JSON report. */
export interface ReportViolation {
  policy: string;
  level: string;
  urn: string | null;
  message: string;
}

/** The JSON report, exactly the contract's shape. */
export interface PreviewReport {
  stack: string;
  resources: ReportResource[];
  outputs: Record<string, unknown>;
  pack: { name: string; version: string; policies: number };
  violations: ReportViolation[];
}

/** The root resource the engine registers for every stack; the program's top level hangs off it. */
export function stackUrn(stack: string, project: string): string {
  return `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
}

function packageVersion(pkg: string): string | undefined {
  try {
    const file = require.resolve(`@pulumi/${pkg}/package.json`, { paths: [REPO_ROOT] });
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** The run as the engine holds it, and what the engine sends a policy pack about it. */
export interface EngineView {
  /**
   * Every resource of the deployment: the root stack first, then the program's in registration
   * order, each default provider just before the first resource that uses it (where the engine
   * registers it). Top-level resources have the stack as parent, as in a real deployment.
   */
  resources: RegisteredResource[];
  /** What Analyze receives, one per resource in that order: its inputs. */
  analyzer: AnalyzerResource[];
  /**
   * What AnalyzeStack receives: the same resources with their outputs (the engine's state:
   * "AnalyzeStack is called on the final outputs of each resource"): a custom resource's
   * outputs as the mocks return them, a component's registered outputs, the stack's exports.
   */
  stack: AnalyzerResource[];
}

const NO_OPTIONS: RegisteredResource["options"] = {
  protect: false,
  ignoreChanges: [],
  deleteBeforeReplace: false,
  replaceOnChanges: [],
  additionalSecretOutputs: [],
  aliases: [],
};

/** Whether a resource is a default provider (the engine's own; the CLI's tree does not show it). */
export function isDefaultProvider(r: Pick<ReportResource, "type" | "name">): boolean {
  return r.type.startsWith("pulumi:providers:") && /^default(_|$)/.test(r.name);
}

/**
 * The run as the engine holds it: the root stack resource, every registered resource, and the
 * default provider the engine would create for each package whose custom resources name no
 * provider (with the stack's `<package>:` config and the SDK's version as its inputs).
 */
export function engineView(run: ProgramRun, config: Record<string, string>): EngineView {
  const root = stackUrn(run.stack, run.project);
  const stackOutputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(run.rawOutputs)) {
    stackOutputs[key] = run.secretOutputs.includes(key) ? wireSecret(value) : value;
  }
  const stackResource: RegisteredResource = {
    urn: root,
    type: "pulumi:pulumi:Stack",
    name: `${run.project}-${run.stack}`,
    custom: false,
    id: null,
    arn: null,
    parent: null,
    dependencies: [],
    propertyDependencies: {},
    provider: null,
    wireInputs: {},
    wireOutputs: {},
    registeredOutputs: stackOutputs,
    inputs: {},
    options: NO_OPTIONS,
  };
  const providers = new Map<string, RegisteredResource | undefined>();
  const resources: RegisteredResource[] = [stackResource];
  const providerOf = new Map<string, RegisteredResource>();
  for (const r of run.resources) {
    const pkg = r.type.split(":")[0];
    if (r.custom && !r.provider && pkg !== "pulumi") {
      if (!providers.has(pkg)) {
        const provider = defaultProvider(run, pkg, config);
        providers.set(pkg, provider);
        if (provider) resources.push(provider);
      }
      const provider = providers.get(pkg);
      if (provider) providerOf.set(r.urn, provider);
    }
    resources.push({ ...r, parent: r.parent ?? root });
  }
  const toAnalyzer = (r: RegisteredResource, wire: Record<string, unknown>): AnalyzerResource => {
    const provider = providerOf.get(r.urn);
    return {
      urn: r.urn,
      type: r.type,
      name: r.name,
      properties: toAnalyzerProperties(wire),
      parent: r.parent,
      dependencies: r.dependencies,
      propertyDependencies: r.propertyDependencies,
      provider: provider
        ? {
            type: provider.type,
            name: provider.name,
            urn: provider.urn,
            properties: provider.wireInputs,
          }
        : undefined,
      options: {
        protect: r.options.protect,
        ignoreChanges: r.options.ignoreChanges,
        deleteBeforeReplace: r.options.deleteBeforeReplace || undefined,
        additionalSecretOutputs: r.options.additionalSecretOutputs,
        aliases: r.options.aliases,
        parent: r.parent ?? undefined,
      },
    };
  };
  return {
    resources,
    analyzer: resources.map((r) => toAnalyzer(r, r.wireInputs)),
    stack: resources.map((r) =>
      toAnalyzer(r, r.custom ? r.wireOutputs : (r.registeredOutputs ?? r.wireOutputs)),
    ),
  };
}

/** The default provider of a package, as the engine registers it; undefined for `pulumi`. */
function defaultProvider(
  run: ProgramRun,
  pkg: string,
  config: Record<string, string>,
): RegisteredResource | undefined {
  const version = packageVersion(pkg);
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k.startsWith(`${pkg}:`)) properties[k.slice(pkg.length + 1)] = v;
  }
  if (version) properties.version = version;
  const name = `default${version ? `_${version.replace(/[.-]/g, "_")}` : ""}`;
  return {
    urn: `urn:pulumi:${run.stack}::${run.project}::pulumi:providers:${pkg}::${name}`,
    type: `pulumi:providers:${pkg}`,
    name,
    custom: true,
    // A provider not created yet has no id during a preview.
    id: null,
    arn: null,
    parent: null,
    dependencies: [],
    propertyDependencies: {},
    provider: null,
    wireInputs: properties,
    wireOutputs: properties,
    inputs: readable(properties) as Record<string, unknown>,
    options: NO_OPTIONS,
  };
}

/** Drives the pack in the CLI's order over a program run (a preview: dry run). */
export function analyzeRun(
  pack: PackClient,
  run: Pick<ProgramRun, "stack" | "project">,
  view: Pick<EngineView, "analyzer" | "stack">,
  ctx: {
    config: Record<string, string>;
    secretKeys: string[];
    policyConfig?: Record<string, PolicyConfig>;
  },
): Promise<{ info: PackInfo; diagnostics: Diagnostic[] }> {
  const target = { stack: run.stack, project: run.project, analyzer: view.analyzer };
  return analyzeStack(pack, { ...target, stackResources: view.stack }, { ...ctx, dryRun: true });
}

/** The contract's JSON report. */
export function buildReport(
  run: ProgramRun,
  resources: RegisteredResource[],
  info: PackInfo,
  diagnostics: Diagnostic[],
): PreviewReport {
  return {
    stack: run.stack,
    resources: resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      id: r.id,
      arn: r.arn,
      parent: r.parent,
      dependencies: r.dependencies,
      inputs: r.inputs,
    })),
    outputs: run.outputs,
    pack: { name: info.name, version: info.version, policies: info.policies.length },
    violations: diagnostics.map((d) => ({
      policy: d.policy,
      level: d.level,
      urn: d.urn,
      message: d.message,
    })),
  };
}

/** The preview-like tree: resources by parent, each violation under its resource. */
export function renderTree(report: PreviewReport): string {
  const children = new Map<string | null, ReportResource[]>();
  const urns = new Set(report.resources.map((r) => r.urn));
  // Like the CLI's tree, default providers are not shown (the JSON report lists them).
  const shown = report.resources.filter((r) => !isDefaultProvider(r));
  for (const r of shown) {
    const parent = r.parent && urns.has(r.parent) ? r.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const byUrn = new Map<string | null, ReportViolation[]>();
  for (const v of report.violations) {
    const key = v.urn && urns.has(v.urn) ? v.urn : null;
    byUrn.set(key, [...(byUrn.get(key) ?? []), v]);
  }
  const mandatory = report.violations.filter((v) => v.level === "mandatory").length;
  const advisory = report.violations.length - mandatory;

  const rows: [string, string, string][] = [];
  const walk = (r: ReportResource, prefix: string, last: boolean, top: boolean) => {
    const own = byUrn.get(r.urn) ?? [];
    const m = own.filter((v) => v.level === "mandatory").length;
    const mark = m ? `${m} mandatory` : own.length ? `${own.length} advisory` : "";
    rows.push([`${prefix}${top ? "" : last ? "└─ " : "├─ "}${r.type}`, r.name, mark]);
    const kids = children.get(r.urn) ?? [];
    const next = top ? "" : `${prefix}${last ? "   " : "│  "}`;
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
  };
  for (const r of children.get(null) ?? []) walk(r, "", true, true);
  const w0 = Math.max(4, ...rows.map((r) => r[0].length));
  const w1 = Math.max(4, ...rows.map((r) => r[1].length));
  const lines: string[] = [];
  lines.push(
    `Previewing offline (mock engine, no cloud calls): stack ${report.stack}, ` +
      `policy pack ${report.pack.name}@v${report.pack.version} (${report.pack.policies} policies)`,
    "",
    `     ${"Type".padEnd(w0)}  ${"Name".padEnd(w1)}  Policy`,
  );
  for (const [type, name, mark] of rows) {
    lines.push(` +   ${type.padEnd(w0)}  ${name.padEnd(w1)}  ${mark}`.trimEnd());
  }
  lines.push("", "Policies:");
  if (report.violations.length === 0) {
    lines.push(`    ✅ ${report.pack.name}@v${report.pack.version}: no violations`);
  } else {
    lines.push(
      `    ${mandatory ? "❌" : "⚠️ "} ${report.pack.name}@v${report.pack.version}: ` +
        `${mandatory} mandatory, ${advisory} advisory`,
    );
    const order = (v: ReportViolation) => (v.level === "mandatory" ? 0 : 1);
    for (const v of [...report.violations].sort((a, b) => order(a) - order(b))) {
      lines.push(`        - [${v.level}]  ${v.policy}  (${v.urn ?? "stack"})`);
      for (const line of v.message.split("\n")) lines.push(`          ${line}`);
    }
  }
  const outputs = Object.entries(report.outputs);
  if (outputs.length) {
    lines.push("", "Outputs:");
    const w = Math.max(...outputs.map(([k]) => k.length));
    for (const [k, v] of outputs) {
      lines.push(
        `    ${k.padEnd(w)}: ${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`,
      );
    }
  }
  lines.push(
    "",
    "Resources:",
    `    + ${shown.length} to create`,
    "",
    mandatory
      ? `Preview failed: ${mandatory} mandatory policy violation${mandatory === 1 ? "" : "s"}.`
      : `Preview passed${advisory ? ` with ${advisory} advisory violation${advisory === 1 ? "" : "s"}` : ""}.`,
  );
  return lines.join("\n");
}

/** The exit status for a report: 1 when any violation is mandatory. */
export function exitCodeOf(report: Pick<PreviewReport, "violations">): 0 | 1 {
  return report.violations.some((v) => v.level === "mandatory") ? 1 : 0;
}

/** Writes one line of the chosen output to stdout. */
const say = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** Reports an error on stderr; returns the exit status of a failed preview. */
const fail = (text: string) => {
  process.stderr.write(`error: ${text}\n`);
  return 2;
};

/** The stack config as the program sees it: the stack file's, then `--config` settings. */
function programConfig(
  opts: PreviewOptions,
  loaded: { config: Record<string, string> },
): { project: string; config: Record<string, string> } {
  const project = (/^name:\s*(\S+)/m.exec(
    fs.readFileSync(path.join(opts.projectDir, "Pulumi.yaml"), "utf8"),
  ) ?? [])[1];
  const config = { ...loaded.config };
  for (const [key, value] of opts.config) {
    config[key.includes(":") ? key : `${project}:${key}`] = value;
  }
  return { project, config };
}

/** Runs the program while the pack starts (like the CLI); an exit status if either fails. */
async function runWithPack(
  opts: PreviewOptions,
  project: string,
  config: Record<string, string>,
  secretKeys: string[],
): Promise<{ run: ProgramRun; pack: PackClient } | number> {
  const abort = new AbortController();
  const packStart = startPack(opts.policyPack, {
    signal: abort.signal,
    stack: opts.stack,
    project,
    organization: "organization",
    dryRun: true,
    config,
  });
  packStart.catch(() => undefined); // handled below, after the program
  let run: ProgramRun;
  try {
    run = await runProgram({ projectDir: opts.projectDir, stack: opts.stack, config, secretKeys });
  } catch (err) {
    abort.abort();
    await packStart.then((p) => p.stop()).catch(() => undefined);
    const e = err as Error;
    if (e?.name === "ConfigError") return fail(e.message);
    return fail(`the program failed: ${e?.stack ?? String(err)}`);
  }
  try {
    return { run, pack: await packStart };
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** Writes the report in the chosen form: JSON, a diagram (with a summary on stderr) or a tree. */
function printReport(
  opts: PreviewOptions,
  run: ProgramRun,
  resources: ProgramRun["resources"],
  info: PackInfo,
  report: PreviewReport,
) {
  if (opts.json) {
    say(JSON.stringify(report, null, 2));
  } else if (opts.diagram) {
    say(mermaidDiagram({ ...run, resources }));
    const m = report.violations.filter((v) => v.level === "mandatory").length;
    process.stderr.write(
      `policy pack ${info.name}@v${info.version}: ${m} mandatory, ${report.violations.length - m} advisory violations\n`,
    );
  } else {
    say(renderTree(report));
  }
}

/** Runs the whole preview; returns the exit status. Writes only the chosen output to stdout. */
export async function main(argv: string[]): Promise<number> {
  let opts: PreviewOptions;
  let loaded: { config: Record<string, string>; secretKeys: string[] };
  let policyConfig: Record<string, PolicyConfig> | undefined;
  try {
    opts = parseArgs(argv);
    loaded = loadStackConfig(opts.stack, opts.projectDir, opts.stackFile);
    policyConfig = readPolicyConfigFile(opts.policyPackConfig);
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof StackError ||
      err instanceof PolicyConfigFileError
    )
      return fail(err.message);
    throw err;
  }
  const { project, config } = programConfig(opts, loaded);

  // Whatever the program or the SDK prints must not corrupt the one JSON object (or diagram).
  const realLog = console.log;
  const realInfo = console.info;
  if (opts.json || opts.diagram) {
    console.log = (...args: unknown[]) => console.error(...args);
    console.info = console.log;
  }

  const started = await runWithPack(opts, project, config, loaded.secretKeys);
  if (typeof started === "number") return started;
  const { run, pack } = started;
  try {
    const view = engineView(run, config);
    const { resources } = view;
    const { info, diagnostics } = await analyzeRun(pack, run, view, {
      config,
      secretKeys: loaded.secretKeys,
      policyConfig,
    });
    const report = buildReport(run, resources, info, diagnostics);
    console.log = realLog;
    console.info = realInfo;
    printReport(opts, run, resources, info, report);
    return exitCodeOf(report);
  } catch (err) {
    return fail((err as Error).message);
  } finally {
    await pack.stop();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Flush stdout before exiting: a piped stdout is asynchronous.
      process.stdout.write("", () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}

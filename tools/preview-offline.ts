/**
 * The offline preview: what the stack would deploy and what the policy pack says about it, with
 * no AWS account and no Pulumi CLI.
 *
 *   npm run -s preview:offline -- --stack <name> [--json] [--diagram mermaid] [--sarif <file>]
 *                                 [--policy-pack <dir>] [--policy-pack-config <file.json>]
 *                                 [--config <key>=<value> ...]   (--help: every flag)
 *
 * 1. Loads Pulumi.<stack>.yaml like the CLI (`secure:` values become a placeholder secret).
 * 2. Runs index.ts under the SDK's mock engine (tools/mock-engine.ts).
 * 3. Starts the pack with the SDK's run-policy-pack server and drives it over the analyzer gRPC
 *    protocol in the CLI's order (tools/analyzer-client.ts).
 * 4. Prints a preview-like tree with every violation, or with --json exactly one JSON object, or
 *    with --diagram mermaid a Mermaid flowchart (tools/diagram.ts); --sarif also writes SARIF.
 * Exit status: 0 no mandatory violation; 1 one or more; 2 bad usage, bad stack name, bad config
 * or policy config, a program that fails, or a pack that fails to start.
 *
 * `--config key=value` overrides one config key for this run (like `pulumi config set` without
 * saving); unqualified keys belong to the project. `--policy-pack-config` is read as the CLI
 * reads its flag of that name (see tools/policy-config-file.ts): policy name → a level string or
 * { enforcementLevel?, ...properties }, and `all`.
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
import { commonFlag, CommonOptions, readFlags, runMain, say, UsageError } from "./cli";
import { mermaidDiagram } from "./diagram";
import { analyzeStack } from "./drive-pack";
import {
  countFindings,
  Finding,
  isBlocking,
  jsonFinding,
  renderPolicies,
  toFindings,
} from "./findings";
import {
  checkPolicyConfig,
  PolicyConfigFile,
  PolicyConfigFileError,
  readPolicyConfigFile,
} from "./policy-config-file";
import { relativeUri, sarifLog } from "./sarif";
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
export interface PreviewOptions extends CommonOptions {
  stack: string;
  /** A stack file to read instead of `Pulumi.<stack>.yaml` in the project (`--stack-file`). */
  stackFile?: string;
  /** The program's folder, with Pulumi.yaml and index.ts (`--project-dir`; default the repository). */
  projectDir: string;
  diagram?: "mermaid";
  /** `key=value` overrides, already split; keys may be unqualified. */
  config: [string, string][];
}

export { UsageError };

const USAGE =
  "usage: preview-offline --stack <name> | --stack-file <Pulumi.name.yaml> [--project-dir <dir>] [--json] [--diagram mermaid] [--sarif <file>] " +
  "[--policy-pack <dir>] [--policy-pack-config <file.json>] [--config <key>=<value> ...] (--help for details)";

/** The help text: every flag and the exit codes. */
export const HELP = `usage: npm run -s preview:offline -- --stack <name> [options]

Previews the program offline: runs it under the SDK's mock engine (no cloud calls, no Pulumi
CLI), starts the policy pack and drives it over the analyzer protocol in the CLI's order, and
prints what the stack would create with every policy finding.

  -s, --stack <name>             the stack: reads Pulumi.<name>.yaml in the project
  --stack-file <file>            read this Pulumi.<stack>.yaml instead (a new environment);
                                 the stack is named after the file
  --project-dir <dir>            the program's folder with Pulumi.yaml (default: the repository)
  -c, --config <key>=<value>     override one config key for this run (repeatable;
                                 unqualified keys belong to the project)
  --policy-pack <dir>            the policy pack folder (default: policy-pack/)
  --policy-pack-config <file>    policy config JSON, read as the CLI's --policy-pack-config:
                                 name → level or { enforcementLevel, ...properties }, "all"
                                 for every policy without a level of its own; an invalid
                                 level or an unknown policy exits 2
  --json                         print one JSON object: resources, outputs, the pack and every
                                 violation with its policy, level, severity, URN, type, name,
                                 message, remediation, URL and exemption
  --diagram mermaid              print a Mermaid flowchart of who may call what instead
  --sarif <file>                 also write SARIF 2.1.0 for GitHub code scanning to <file>,
                                 each result located in the stack's Pulumi.<stack>.yaml
  -h, --help                     print this help and exit 0

Exit status:
  0  no mandatory violation (exempted findings never count)
  1  one or more mandatory violations
  2  bad usage, a bad stack name, config or policy config, a program that fails, or a pack
     that fails to start`;

/** Parses the command line; throws {@link UsageError} naming what is wrong. */
export function parseArgs(argv: string[]): PreviewOptions {
  const opts: Partial<PreviewOptions> & CommonOptions & { config: [string, string][] } = {
    json: false,
    help: false,
    policyPack: path.join(REPO_ROOT, "policy-pack"),
    projectDir: REPO_ROOT,
    config: [],
  };
  readFlags(argv, (flag, take, arg) => {
    if (commonFlag(opts, flag, take)) return;
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
      case "--diagram": {
        const kind = take();
        if (kind !== "mermaid")
          throw new UsageError(`--diagram supports only 'mermaid', got '${kind}'`);
        opts.diagram = "mermaid";
        break;
      }
      case "--config":
      case "-c": {
        const kv = take();
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UsageError(`--config expects <key>=<value>, got '${kv}'`);
        opts.config.push([kv.slice(0, eq), kv.slice(eq + 1)]);
        break;
      }
      default:
        throw new UsageError(`unknown argument '${arg}'\n${USAGE}`);
    }
  });
  if (opts.help) return opts as PreviewOptions;
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

/**
 * One violation of the JSON report: the contract's policy, level, urn and message, plus the
 * finding's severity, resource type and name, remediation, URL and exemption.
 */
export type ReportViolation = ReturnType<typeof jsonFinding>;

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
  findings: Finding[],
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
    violations: findings.map(jsonFinding),
  };
}

/** The tree's rows: type (indented under its parent), name and what the pack said about it. */
function treeRows(report: PreviewReport, shown: ReportResource[]): [string, string, string][] {
  const children = new Map<string | null, ReportResource[]>();
  const urns = new Set(report.resources.map((r) => r.urn));
  for (const r of shown) {
    const parent = r.parent && urns.has(r.parent) ? r.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const byUrn = new Map<string | null, ReportViolation[]>();
  for (const v of report.violations) {
    const key = v.urn && urns.has(v.urn) ? v.urn : null;
    byUrn.set(key, [...(byUrn.get(key) ?? []), v]);
  }
  const rows: [string, string, string][] = [];
  const walk = (r: ReportResource, prefix: string, last: boolean, top: boolean) => {
    const { mandatory, advisory, exempted } = countFindings(byUrn.get(r.urn) ?? []);
    const marks = [
      mandatory && `${mandatory} mandatory`,
      advisory && `${advisory} advisory`,
      exempted && `${exempted} exempted`,
    ];
    const mark = marks.find(Boolean) || "";
    rows.push([`${prefix}${top ? "" : last ? "└─ " : "├─ "}${r.type}`, r.name, mark]);
    const kids = children.get(r.urn) ?? [];
    const next = top ? "" : `${prefix}${last ? "   " : "│  "}`;
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
  };
  for (const r of children.get(null) ?? []) walk(r, "", true, true);
  return rows;
}

/** The preview-like tree: resources by parent, each violation under its resource. */
export function renderTree(report: PreviewReport): string {
  // Like the CLI's tree, default providers are not shown (the JSON report lists them).
  const shown = report.resources.filter((r) => !isDefaultProvider(r));
  const rows = treeRows(report, shown);
  const { mandatory, advisory } = countFindings(report.violations);
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
  lines.push("", ...renderPolicies(report.pack, report.violations));
  const outputs = Object.entries(report.outputs);
  if (outputs.length) {
    lines.push("", "Outputs:");
    const w = Math.max(...outputs.map(([k]) => k.length));
    for (const [k, v] of outputs) lines.push(`    ${k.padEnd(w)}: ${JSON.stringify(v)}`);
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
  return report.violations.some(isBlocking) ? 1 : 0;
}

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
    const { mandatory, advisory, exempted } = countFindings(report.violations);
    process.stderr.write(
      `policy pack ${info.name}@v${info.version}: ${mandatory} mandatory, ${advisory} advisory, ${exempted} exempted violations\n`,
    );
  } else {
    say(renderTree(report));
  }
}

/** Writes the SARIF log; every result is located in the stack's Pulumi.<stack>.yaml. */
function writeSarif(
  opts: PreviewOptions,
  r: {
    info: PackInfo;
    rootUrn: string;
    findings: Finding[];
    policyConfig?: Record<string, PolicyConfig>;
  },
) {
  const stackFile = opts.stackFile ?? path.join(opts.projectDir, `Pulumi.${opts.stack}.yaml`);
  const stacks = [{ artifact: relativeUri(stackFile), rootUrn: r.rootUrn, findings: r.findings }];
  const log = sarifLog(r.info, stacks, {
    category: `preview-offline/${opts.stack}/`,
    policyConfig: r.policyConfig,
  });
  fs.writeFileSync(opts.sarif!, `${JSON.stringify(log, null, 2)}\n`);
}

/** Runs the whole preview; returns the exit status. Writes only the chosen output to stdout. */
export async function main(argv: string[]): Promise<number> {
  let opts: PreviewOptions;
  let loaded: { config: Record<string, string>; secretKeys: string[] };
  let configFile: PolicyConfigFile | undefined;
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      say(HELP);
      return 0;
    }
    loaded = loadStackConfig(opts.stack, opts.projectDir, opts.stackFile);
    configFile = readPolicyConfigFile(opts.policyPackConfig);
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
    // Checked against the pack's policies, as the CLI does once the pack is up.
    const policyConfig = checkPolicyConfig(configFile, await pack.info());
    const view = engineView(run, config);
    const { resources } = view;
    const { info, diagnostics } = await analyzeRun(pack, run, view, {
      config,
      secretKeys: loaded.secretKeys,
      policyConfig,
    });
    const rootUrn = stackUrn(run.stack, run.project);
    const findings = toFindings(diagnostics, info, { rootUrn, policyConfig });
    const report = buildReport(run, resources, info, findings);
    console.log = realLog;
    console.info = realInfo;
    printReport(opts, run, resources, info, report);
    if (opts.sarif) writeSarif(opts, { info, rootUrn, findings, policyConfig });
    return exitCodeOf(report);
  } catch (err) {
    return fail((err as Error).message);
  } finally {
    await pack.stop();
  }
}

if (require.main === module) runMain(main);

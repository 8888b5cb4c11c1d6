/**
 * The delivery workflows, checked as data: each rule is a pure function over a parsed workflow
 * that returns its problems (empty when the rule holds). The checked-in workflows must have none,
 * and careless edits of them (an unpinned action, a preview without the pack, write-all
 * permissions, prod without its environment...) must each be reported. The org policy config
 * is checked against the pack's own policies and config schemas.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
const PACK_DIR = "policy-pack";
const ORG_CONFIG = "policy-pack/config/org-policy-config.json";
const STACKS = ["dev", "prod"];

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

/** Every job `jobId` waits for, directly or through other jobs. */
function upstreamOf(wf: WorkflowFile, jobId: string, seen = new Set<string>()): Set<string> {
  for (const need of needsOf(wf.workflow.jobs?.[jobId] ?? {})) {
    if (!seen.has(need)) {
      seen.add(need);
      upstreamOf(wf, need, seen);
    }
  }
  return seen;
}

function concurrencyOf(value: Job["concurrency"]): { group?: string; cancel: unknown } {
  if (typeof value === "string") return { group: value, cancel: false };
  if (value && typeof value === "object") {
    return { group: value.group, cancel: value["cancel-in-progress"] ?? false };
  }
  return { group: undefined, cancel: undefined };
}

function environmentOf(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

/** The values a matrix gives `key`: `matrix.<key>` lists and `include` entries. */
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

/** Index of the first `run` step of a job whose script matches, or -1. */
function runIndex(job: Job, pattern: RegExp): number {
  return stepsOf(job).findIndex((s) => typeof s.run === "string" && pattern.test(s.run));
}

function triggersOf(wf: WorkflowFile): Record<string, unknown> {
  const on = wf.workflow.on;
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((t) => [String(t), null]));
  return on && typeof on === "object" ? (on as Record<string, unknown>) : {};
}

// ---------------------------------------------------------------------------------------------
// Rules every workflow follows.

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

/** Scopes a job's permissions grant, as `scope: level`; `write-all`/`read-all` as such. */
function grants(permissions: unknown): string[] {
  if (typeof permissions === "string") return [permissions];
  if (permissions && typeof permissions === "object") {
    return Object.entries(permissions).map(([scope, level]) => `${scope}: ${String(level)}`);
  }
  return [];
}

/**
 * Least privilege: nothing granted at the top; each job states its permissions; beyond
 * `contents: read`, only `id-token: write` for jobs that use OIDC and `pull-requests: write`
 * for jobs that comment a preview; and jobs that need those have them.
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
    const steps = stepsOf(job);
    const usesOidc = steps.some((s) => OIDC_ACTIONS.some((a) => usesAction(s, a)));
    const comments = steps.some(
      (s) => usesAction(s, "pulumi/actions") && truthy(s.with?.["comment-on-pr"]),
    );
    const allowed = new Set(["contents: read"]);
    if (usesOidc) allowed.add("id-token: write");
    if (comments) allowed.add("pull-requests: write");
    const granted = grants(job.permissions);
    for (const grant of granted) {
      if (!allowed.has(grant))
        problems.push(`job '${jobId}' grants '${grant}', which it needs not`);
    }
    if (usesOidc && !granted.includes("id-token: write")) {
      problems.push(`job '${jobId}' uses OIDC without 'id-token: write'`);
    }
    if (comments && !granted.includes("pull-requests: write")) {
      problems.push(`job '${jobId}' comments on the pull request without 'pull-requests: write'`);
    }
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

/** Node 20 everywhere, the version the project pins (engines, @pulumi/pulumi 3.248). */
function nodeVersion(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of jobsOf(wf)) {
    const steps = stepsOf(job);
    steps.forEach((step, i) => {
      if (usesAction(step, "actions/setup-node") && String(step.with?.["node-version"]) !== "20") {
        problems.push(`${stepLabel(jobId, step, i)} sets node-version other than 20`);
      }
    });
    const usesNpm = scriptsOf(job).some((s) => /\bnpm\b/.test(s));
    if (usesNpm && !steps.some((s) => usesAction(s, "actions/setup-node"))) {
      problems.push(`job '${jobId}' runs npm without actions/setup-node`);
    }
  }
  return problems;
}

/** The checkout token is not left in .git/config for later steps (and the pack) to read. */
function checkoutWithoutCredentials(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of jobsOf(wf)) {
    stepsOf(job).forEach((step, i) => {
      if (usesAction(step, "actions/checkout") && step.with?.["persist-credentials"] !== false) {
        problems.push(`${stepLabel(jobId, step, i)} must set persist-credentials: false`);
      }
    });
  }
  return problems;
}

/** No `${{ }}` inside scripts: values reach scripts through env, so they cannot inject code. */
function noExpressionsInScripts(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of jobsOf(wf)) {
    stepsOf(job).forEach((step, i) => {
      if (typeof step.run === "string" && step.run.includes("${{")) {
        problems.push(`${stepLabel(jobId, step, i)} expands an expression in its script`);
      }
    });
  }
  return problems;
}

/**
 * Never two updates of one stack at once: every job that updates a stack is in a concurrency
 * group named after that stack (not after the run), one group per stack, never cancelled.
 */
function oneUpdatePerStack(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  const groups = new Map<string, Set<string>>();
  for (const run of pulumiRuns(wf)) {
    if (!UPDATES.has(run.command)) continue;
    const { group, cancel } = concurrencyOf(run.job.concurrency);
    if (!group) {
      problems.push(`job '${run.jobId}' updates a stack without a concurrency group`);
      continue;
    }
    if (/run_id|run_number|run_attempt|github\.sha/.test(group)) {
      problems.push(`job '${run.jobId}' concurrency group '${group}' differs per run`);
    }
    const perStack =
      run.stacks.length === 1 ? group.includes(run.stacks[0]) : /matrix\.stack/.test(group);
    if (!perStack) {
      problems.push(`job '${run.jobId}' concurrency group '${group}' does not name its stack`);
    }
    if (cancel !== false && cancel !== "false") {
      problems.push(`job '${run.jobId}' may cancel an update in progress (cancel-in-progress)`);
    }
    for (const stack of run.stacks) {
      groups.set(stack, (groups.get(stack) ?? new Set()).add(group));
    }
  }
  for (const [stack, names] of groups) {
    if (names.size > 1) {
      problems.push(`stack '${stack}' is updated from ${names.size} concurrency groups`);
    }
  }
  return problems;
}

/**
 * Prod is updated only in the "production" environment (whose required reviewers are set in
 * the repository settings), after dev.
 */
function prodBehindApproval(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  const runs = pulumiRuns(wf).filter((r) => UPDATES.has(r.command));
  const devJobs = new Set(runs.filter((r) => r.stacks.includes("dev")).map((r) => r.jobId));
  for (const run of runs.filter((r) => r.stacks.includes("prod"))) {
    if (environmentOf(run.job) !== "production") {
      problems.push(`job '${run.jobId}' updates prod outside the 'production' environment`);
    }
    if (run.stacks.length > 1) {
      problems.push(`job '${run.jobId}' updates prod and other stacks from one matrix`);
    }
    const upstream = upstreamOf(wf, run.jobId);
    if (![...devJobs].some((d) => upstream.has(d))) {
      problems.push(`job '${run.jobId}' updates prod without waiting for the dev update`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// What each workflow is for.

const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";

/** Pull requests: tests, the offline preview of both stacks, credentialed previews. */
function pullRequestWorkflow(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  const triggers = triggersOf(wf);
  const names = Object.keys(triggers);
  if (names.length !== 1 || names[0] !== "pull_request") {
    problems.push(`triggers are [${names.join(", ")}]: only pull_request (never _target)`);
  }
  const { group, cancel } = concurrencyOf(wf.workflow.concurrency);
  if (!group || !group.includes("github.event.pull_request.number") || !truthy(cancel)) {
    problems.push("no per-pull-request concurrency group with cancel-in-progress");
  }
  const jobs = jobsOf(wf);

  const tested = jobs.some(([, job]) => {
    const ci = runIndex(job, /\bnpm ci\b/);
    return ci >= 0 && runIndex(job, /\bnpm (run -s )?test\b/) > ci;
  });
  if (!tested) problems.push("no job runs npm ci then npm test");

  for (const stack of STACKS) {
    const offline = jobs.filter(([, job]) =>
      stepsOf(job).some((s) => {
        const script = typeof s.run === "string" ? s.run : "";
        if (!/npm run -s preview:offline -- --stack .*--json/.test(script)) return false;
        if (!script.includes("GITHUB_STEP_SUMMARY")) return false;
        if (!script.includes(`--policy-pack-config ${ORG_CONFIG}`)) return false;
        const direct = new RegExp(`--stack "?${stack}"?\\s`).test(script);
        const viaEnv = Object.entries(s.env ?? {}).some(
          ([name, value]) => script.includes(`"$${name}"`) && /matrix\.stack/.test(String(value)),
        );
        return direct || (viaEnv && matrixValues(job, "stack").includes(stack));
      }),
    );
    if (offline.length === 0) {
      problems.push(
        `no offline preview of '${stack}' with --json, the org config and a step summary`,
      );
    }
    for (const [jobId, job] of offline) {
      const extra = grants(job.permissions).filter((g) => g !== "contents: read");
      if (JSON.stringify(job).includes("secrets.") || extra.length > 0) {
        problems.push(`offline preview job '${jobId}' needs secrets or more than contents: read`);
      }
      if (job.if !== undefined) {
        problems.push(`offline preview job '${jobId}' is conditional: it must run on forks too`);
      }
    }
  }

  const previews = pulumiRuns(wf).filter((r) => r.command === "preview");
  for (const stack of STACKS) {
    if (!previews.some((r) => r.stacks.includes(stack))) {
      problems.push(`no pulumi/actions preview of '${stack}'`);
    }
  }
  for (const run of previews) {
    if (!truthy(run.step.with?.["comment-on-pr"])) {
      problems.push(`${run.label} does not comment on the pull request`);
    }
    if (run.stacks.length > 1 && matrixValues(run.job, "stack").length !== run.stacks.length) {
      problems.push(`${run.label} has an odd matrix`);
    }
    if (!String(run.job.if ?? "").includes(FORK_GUARD)) {
      problems.push(`job '${run.jobId}' needs credentials but is not skipped on forks`);
    }
    const steps = stepsOf(run.job);
    const aws = steps.findIndex((s) => usesAction(s, "aws-actions/configure-aws-credentials"));
    if (aws < 0 || aws > steps.indexOf(run.step)) {
      problems.push(`${run.label} runs before AWS credentials are configured`);
    }
    const { group: previewGroup } = concurrencyOf(run.job.concurrency);
    if (
      !previewGroup?.includes("github.event.pull_request.number") ||
      !/matrix\.stack/.test(previewGroup)
    ) {
      problems.push(`job '${run.jobId}' concurrency is not per pull request and stack`);
    }
  }
  if (pulumiRuns(wf).some((r) => UPDATES.has(r.command))) {
    problems.push("a pull request updates a stack");
  }
  return problems;
}

/** Pushes to main: tests, then up dev, then up prod behind the production environment. */
function deployWorkflow(wf: WorkflowFile): string[] {
  const problems: string[] = [];
  const triggers = triggersOf(wf);
  const push = triggers.push as { branches?: unknown; tags?: unknown } | undefined;
  if (Object.keys(triggers).join() !== "push" || listOf(push?.branches).join() !== "main") {
    problems.push(`triggers must be push to main only, not [${Object.keys(triggers).join(", ")}]`);
  }
  if (push?.tags !== undefined) problems.push("deploys on tags");
  const ups = pulumiRuns(wf).filter((r) => UPDATES.has(r.command));
  for (const stack of STACKS) {
    if (!ups.some((r) => r.stacks.includes(stack))) problems.push(`no update of '${stack}'`);
  }
  const testJobs = jobsOf(wf)
    .filter(([, job]) => runIndex(job, /\bnpm (run -s )?test\b/) >= 0)
    .map(([id]) => id);
  for (const run of ups) {
    const upstream = upstreamOf(wf, run.jobId);
    if (!testJobs.some((t) => upstream.has(t))) {
      problems.push(`job '${run.jobId}' updates '${run.stacks.join()}' before npm test passes`);
    }
  }
  if (!/required reviewers/i.test(wf.text)) {
    problems.push("no comment says the production environment's required reviewers are set");
  }
  return problems;
}

/**
 * `policy-v*` tags: test the pack, publish it to the org, enable it for a policy group with the
 * config file kept in the repository.
 */
function policyWorkflow(packName: string): Check {
  return (wf) => {
    const problems: string[] = [];
    const triggers = triggersOf(wf);
    const push = triggers.push as { branches?: unknown; tags?: unknown } | undefined;
    if (
      Object.keys(triggers).join() !== "push" ||
      listOf(push?.tags).join() !== "policy-v*" ||
      push?.branches !== undefined
    ) {
      problems.push("triggers must be push of policy-v* tags only");
    }
    const jobs = jobsOf(wf);
    const testJobs = jobs
      .filter(([, job]) => runIndex(job, /\bnpm (run -s )?test\b/) > runIndex(job, /\bnpm ci\b/))
      .filter(([, job]) => runIndex(job, /\bnpm ci\b/) >= 0)
      .map(([id]) => id);
    if (testJobs.length === 0) problems.push("no job runs npm ci then npm test");

    const publish = jobs.find(([, job]) => runIndex(job, /pulumi policy publish\b/) >= 0);
    if (!publish) {
      problems.push("no step runs pulumi policy publish");
      return problems;
    }
    const [jobId, job] = publish;
    const steps = stepsOf(job);
    const publishAt = runIndex(job, /pulumi policy publish\b/);
    const publishStep = steps[publishAt];
    if (!/pulumi policy publish\s+"?\$\{?PULUMI_ORG/.test(publishStep.run ?? "")) {
      problems.push("pulumi policy publish does not name the organization ($PULUMI_ORG)");
    }
    const inPack =
      publishStep["working-directory"] === PACK_DIR ||
      /cd\s+policy-pack\b/.test(publishStep.run ?? "");
    if (!inPack) problems.push("pulumi policy publish does not run in policy-pack/");
    const upstream = upstreamOf(wf, jobId);
    if (!testJobs.some((t) => t === jobId || upstream.has(t))) {
      problems.push(`job '${jobId}' publishes before the pack's tests pass`);
    }
    const enableAt = runIndex(job, /pulumi policy enable\b/);
    const enable = (steps[enableAt]?.run ?? "").replace(/\s+/g, " ");
    if (enableAt < publishAt) problems.push("no pulumi policy enable after the publish");
    const pack = `"$PULUMI_ORG/$PACK_NAME"`;
    if (!enable.includes(`pulumi policy enable ${pack} latest`)) {
      problems.push(`pulumi policy enable does not enable ${pack} latest`);
    }
    if (!/--policy-group "?\$\{?POLICY_GROUP/.test(enable)) {
      problems.push("pulumi policy enable has no --policy-group");
    }
    if (!enable.includes(`--config ${ORG_CONFIG}`)) {
      problems.push(`pulumi policy enable does not use --config ${ORG_CONFIG}`);
    }
    const env = { ...wf.workflow.env, ...job.env, ...steps[enableAt]?.env };
    if (env.PACK_NAME !== packName) {
      problems.push(`PACK_NAME is '${String(env.PACK_NAME)}', the pack is '${packName}'`);
    }
    return problems;
  };
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

const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

/** The problems of `value` against the JSON-schema subset policies use (type, enum, bounds). */
function schemaProblems(value: unknown, schema: unknown, where: string): string[] {
  if (!schema || typeof schema !== "object") return [];
  const s = schema as Record<string, unknown>;
  const problems: string[] = [];
  const kind = Array.isArray(value)
    ? "array"
    : value === null
      ? "null"
      : typeof value === "number" && Number.isInteger(value)
        ? "integer"
        : typeof value;
  const types = listOf(s.type);
  const typeOk =
    types.length === 0 || types.includes(kind) || (kind === "integer" && types.includes("number"));
  if (!typeOk) return [`${where} is ${kind}, the schema wants ${types.join(" or ")}`];
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${where} is ${JSON.stringify(value)}, not one of ${JSON.stringify(s.enum)}`);
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) problems.push(`${where} < minimum`);
    if (typeof s.maximum === "number" && value > s.maximum) problems.push(`${where} > maximum`);
  }
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && value.length < s.minLength) {
      problems.push(`${where} is shorter than ${s.minLength}`);
    }
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) {
      problems.push(`${where} does not match ${s.pattern}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) {
      problems.push(`${where} has fewer than ${s.minItems} items`);
    }
    if (typeof s.maxItems === "number" && value.length > s.maxItems) {
      problems.push(`${where} has more than ${s.maxItems} items`);
    }
    if (
      s.uniqueItems === true &&
      new Set(value.map((v) => JSON.stringify(v))).size < value.length
    ) {
      problems.push(`${where} has duplicate items`);
    }
    value.forEach((item, i) => problems.push(...schemaProblems(item, s.items, `${where}[${i}]`)));
  }
  if (kind === "object") {
    const record = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    for (const key of listOf(s.required)) {
      if (!(key in record)) problems.push(`${where}.${key} is required`);
    }
    for (const [key, item] of Object.entries(record)) {
      if (key in properties) {
        problems.push(...schemaProblems(item, properties[key], `${where}.${key}`));
      } else if (s.additionalProperties === false) {
        problems.push(`${where}.${key} is not allowed`);
      } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
        problems.push(...schemaProblems(item, s.additionalProperties, `${where}.${key}`));
      }
    }
  }
  return problems;
}

/**
 * The problems of a policy pack config: every key is a policy of the pack; every value an
 * enforcement level, or an object of `enforcementLevel` and settings of that policy's
 * `configSchema`, each valid against its schema; required settings present.
 */
function orgConfigProblems(config: unknown, policies: readonly PolicyShape[]): string[] {
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    return ["the config is not a JSON object"];
  }
  const byName = new Map(policies.map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const [name, value] of Object.entries(config)) {
    const policy = byName.get(name);
    if (!policy) {
      problems.push(`'${name}' is not a policy of the pack`);
      continue;
    }
    if (typeof value === "string") {
      if (!LEVELS.includes(value)) problems.push(`'${name}': '${value}' is no enforcement level`);
      continue;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      problems.push(`'${name}': expected an enforcement level or an object`);
      continue;
    }
    const { enforcementLevel, ...settings } = value as Record<string, unknown>;
    if (enforcementLevel !== undefined && !LEVELS.includes(String(enforcementLevel))) {
      problems.push(`'${name}': '${String(enforcementLevel)}' is no enforcement level`);
    }
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

function packName(): string {
  const source = fs.readFileSync(path.join(ROOT, PACK_DIR, "index.ts"), "utf8");
  const m = /new PolicyPack\(\s*"([^"]+)"/.exec(source);
  if (!m) throw new Error("policy-pack/index.ts constructs no PolicyPack with a literal name");
  return m[1];
}

const COMMON: [string, Check][] = [
  ["every action is pinned to a full commit SHA", pinnedActions],
  ["every pinned action carries a version comment", versionComments],
  ["permissions are least privilege, job by job", leastPermissions],
  ["AWS credentials come from OIDC roles, never stored keys", noLongLivedAwsKeys],
  ["every pulumi preview and up runs the SEC1 pack", packOnEveryPulumiRun],
  ["Node is 20 wherever npm runs", nodeVersion],
  ["checkout does not persist the token", checkoutWithoutCredentials],
  ["scripts take values from env, never from ${{ }} expansions", noExpressionsInScripts],
  ["a stack is never updated by two jobs at once", oneUpdatePerStack],
  ["prod is updated only after dev and behind the production environment", prodBehindApproval],
];

const WORKFLOWS: { file: string; purpose: string; check: Check }[] = [
  {
    file: "pull-request.yml",
    purpose: "tests, offline previews on forks, credentialed previews per stack",
    check: pullRequestWorkflow,
  },
  {
    file: "deploy.yml",
    purpose: "push to main: tests, up dev, then up prod",
    check: deployWorkflow,
  },
  {
    file: "policy.yml",
    purpose: "policy-v* tags: test, publish, enable with the org config",
    check: policyWorkflow(packName()),
  },
];

describe("delivery workflows", () => {
  for (const { file, purpose, check } of WORKFLOWS) {
    describe(file, () => {
      const wf = loadWorkflow(file);
      for (const [rule, ruleCheck] of COMMON) {
        it(rule, () => assert.deepStrictEqual(ruleCheck(wf), []));
      }
      it(`does its job: ${purpose}`, () => assert.deepStrictEqual(check(wf), []));
    });
  }

  it("the pack and the org config the workflows name exist", () => {
    assert.ok(fs.existsSync(path.join(ROOT, PACK_DIR, "PulumiPolicy.yaml")));
    assert.ok(fs.existsSync(path.join(ROOT, ORG_CONFIG)));
  });

  describe("careless edits are reported", () => {
    const MUTATIONS: {
      what: string;
      file: string;
      from: string | RegExp;
      to: string;
      check: Check;
      reports: RegExp;
    }[] = [
      {
        what: "an action pinned to a tag",
        file: "pull-request.yml",
        from: "actions/checkout@11d5960a326750d5838078e36cf38b85af677262",
        to: "actions/checkout@v4",
        check: pinnedActions,
        reports: /actions\/checkout@v4: pin it/,
      },
      {
        what: "a short SHA",
        file: "policy.yml",
        from: "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d",
        to: "pulumi/actions@8e5e406",
        check: pinnedActions,
        reports: /pulumi\/actions@8e5e406: pin it/,
      },
      {
        what: "a pin without its version comment",
        file: "deploy.yml",
        from: "7474bc4690e29a8392af63c5b98e7449536d5c3a # v4.3.1",
        to: "7474bc4690e29a8392af63c5b98e7449536d5c3a",
        check: versionComments,
        reports: /configure-aws-credentials@7474bc4.* without a version comment/,
      },
      {
        what: "a preview without the pack",
        file: "pull-request.yml",
        from: "          policyPacks: policy-pack\n",
        to: "",
        check: packOnEveryPulumiRun,
        reports: /runs 'preview' without policyPacks: policy-pack/,
      },
      {
        what: "an up without the pack",
        file: "deploy.yml",
        from: "          policyPacks: policy-pack\n",
        to: "          policyPacks: other-pack\n",
        check: packOnEveryPulumiRun,
        reports: /runs 'up' without policyPacks: policy-pack/,
      },
      {
        what: "a pulumi up script without the pack",
        file: "deploy.yml",
        from: "      - run: npm test\n",
        to: "      - run: npm test\n      - run: pulumi up --yes --stack dev\n",
        check: packOnEveryPulumiRun,
        reports: /without --policy-pack policy-pack/,
      },
      {
        what: "write-all permissions",
        file: "pull-request.yml",
        from: "permissions: {}",
        to: "permissions: write-all",
        check: leastPermissions,
        reports: /top-level permission 'write-all'/,
      },
      {
        what: "a write scope for a job that needs none",
        file: "pull-request.yml",
        from: "  test:\n    name: npm test\n    runs-on: ubuntu-latest\n    timeout-minutes: 20\n    permissions:\n      contents: read\n",
        to: "  test:\n    name: npm test\n    runs-on: ubuntu-latest\n    timeout-minutes: 20\n    permissions:\n      contents: write\n",
        check: leastPermissions,
        reports: /job 'test' grants 'contents: write'/,
      },
      {
        what: "pull-requests: write on a deploy",
        file: "deploy.yml",
        from: "      id-token: write # OIDC",
        to: "      pull-requests: write\n      id-token: write # OIDC",
        check: leastPermissions,
        reports: /job 'up-dev' grants 'pull-requests: write'/,
      },
      {
        what: "OIDC without id-token: write",
        file: "deploy.yml",
        from: "      id-token: write # OIDC: AWS role and Pulumi Cloud token, no long-lived keys\n",
        to: "",
        check: leastPermissions,
        reports: /job 'up-dev' uses OIDC without 'id-token: write'/,
      },
      {
        what: "a job that does not state its permissions",
        file: "policy.yml",
        from: "    permissions:\n      contents: read\n    steps:",
        to: "    steps:",
        check: leastPermissions,
        reports: /job 'test' does not state its permissions/,
      },
      {
        what: "stored AWS keys instead of a role",
        file: "pull-request.yml",
        from: "          role-to-assume: ${{ matrix.role-arn }}\n",
        to: "          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n",
        check: noLongLivedAwsKeys,
        reports: /no role-to-assume/,
      },
      {
        what: "AWS keys in a job's env",
        file: "deploy.yml",
        from: "    environment: production\n",
        to: "    environment: production\n    env:\n      AWS_SECRET_ACCESS_KEY: x\n",
        check: noLongLivedAwsKeys,
        reports: /job 'up-prod' sets AWS_SECRET_ACCESS_KEY/,
      },
      {
        what: "prod without its environment",
        file: "deploy.yml",
        from: "    environment: production\n",
        to: "",
        check: prodBehindApproval,
        reports: /job 'up-prod' updates prod outside the 'production' environment/,
      },
      {
        what: "prod in parallel with dev",
        file: "deploy.yml",
        from: "    needs: up-dev\n",
        to: "    needs: test\n",
        check: prodBehindApproval,
        reports: /updates prod without waiting for the dev update/,
      },
      {
        what: "a stack's concurrency group per run",
        file: "deploy.yml",
        from: "      group: pulumi-stack-prod\n",
        to: "      group: deploy-${{ github.run_id }}\n",
        check: oneUpdatePerStack,
        reports: /differs per run/,
      },
      {
        what: "an update that may be cancelled",
        file: "deploy.yml",
        from: "      group: pulumi-stack-dev\n      cancel-in-progress: false\n",
        to: "      group: pulumi-stack-dev\n      cancel-in-progress: true\n",
        check: oneUpdatePerStack,
        reports: /job 'up-dev' may cancel an update in progress/,
      },
      {
        what: "an update without a concurrency group",
        file: "deploy.yml",
        from: "    concurrency:\n      group: pulumi-stack-dev\n      cancel-in-progress: false\n",
        to: "",
        check: oneUpdatePerStack,
        reports: /job 'up-dev' updates a stack without a concurrency group/,
      },
      {
        what: "Node 18",
        file: "policy.yml",
        from: "node-version: 20",
        to: "node-version: 18",
        check: nodeVersion,
        reports: /node-version other than 20/,
      },
      {
        what: "a checkout that keeps the token",
        file: "deploy.yml",
        from: "          persist-credentials: false\n",
        to: "          fetch-depth: 1\n",
        check: checkoutWithoutCredentials,
        reports: /persist-credentials: false/,
      },
      {
        what: "an expression expanded in a script",
        file: "pull-request.yml",
        from: '--stack "$STACK" --json',
        to: "--stack ${{ matrix.stack }} --json",
        check: noExpressionsInScripts,
        reports: /expands an expression in its script/,
      },
      {
        what: "pull_request_target",
        file: "pull-request.yml",
        from: "  pull_request:\n",
        to: "  pull_request_target:\n",
        check: pullRequestWorkflow,
        reports: /only pull_request/,
      },
      {
        what: "no per-PR concurrency",
        file: "pull-request.yml",
        from: "  group: pull-request-${{ github.event.pull_request.number }}\n",
        to: "  group: pull-request-${{ github.ref }}\n",
        check: pullRequestWorkflow,
        reports: /no per-pull-request concurrency group/,
      },
      {
        what: "no npm test",
        file: "pull-request.yml",
        from: "      - run: npm test\n",
        to: "",
        check: pullRequestWorkflow,
        reports: /no job runs npm ci then npm test/,
      },
      {
        what: "an offline preview of dev only",
        file: "pull-request.yml",
        from: "        stack: [dev, prod]\n",
        to: "        stack: [dev]\n",
        check: pullRequestWorkflow,
        reports: /no offline preview of 'prod'/,
      },
      {
        what: "an offline preview without the step summary",
        file: "pull-request.yml",
        from: '>> "$GITHUB_STEP_SUMMARY"',
        to: "",
        check: pullRequestWorkflow,
        reports: /no offline preview of 'dev' with --json, the org config and a step summary/,
      },
      {
        what: "an offline preview without the org config",
        file: "pull-request.yml",
        from: " \\\n            --policy-pack-config policy-pack/config/org-policy-config.json",
        to: "",
        check: pullRequestWorkflow,
        reports: /no offline preview of 'dev' with --json, the org config and a step summary/,
      },
      {
        what: "an offline preview that needs a secret",
        file: "pull-request.yml",
        from: "          STACK: ${{ matrix.stack }}\n",
        to: "          STACK: ${{ matrix.stack }}\n          TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}\n",
        check: pullRequestWorkflow,
        reports: /offline preview job 'offline-preview' needs secrets/,
      },
      {
        what: "a credentialed preview that runs on forks",
        file: "pull-request.yml",
        from: "      github.event.pull_request.head.repo.full_name == github.repository &&\n",
        to: "",
        check: pullRequestWorkflow,
        reports: /job 'preview' needs credentials but is not skipped on forks/,
      },
      {
        what: "a preview that does not comment",
        file: "pull-request.yml",
        from: "          comment-on-pr: true\n",
        to: "",
        check: pullRequestWorkflow,
        reports: /does not comment on the pull request/,
      },
      {
        what: "a preview of dev only",
        file: "pull-request.yml",
        from: "          - stack: prod\n            role-arn: ${{ vars.AWS_PREVIEW_ROLE_ARN_PROD }}\n",
        to: "",
        check: pullRequestWorkflow,
        reports: /no pulumi\/actions preview of 'prod'/,
      },
      {
        what: "a deploy on pull requests",
        file: "deploy.yml",
        from: "on:\n  push:\n",
        to: "on:\n  pull_request:\n  push:\n",
        check: deployWorkflow,
        reports: /triggers must be push to main only/,
      },
      {
        what: "a deploy before the tests",
        file: "deploy.yml",
        from: "    needs: test\n",
        to: "",
        check: deployWorkflow,
        reports: /job 'up-dev' updates 'dev' before npm test passes/,
      },
      {
        what: "a policy release on every push to main",
        file: "policy.yml",
        from: '    tags: ["policy-v*"]\n',
        to: "    branches: [main]\n",
        check: policyWorkflow(packName()),
        reports: /push of policy-v\* tags only/,
      },
      {
        what: "a publish that does not wait for the tests",
        file: "policy.yml",
        from: "    needs: test\n",
        to: "",
        check: policyWorkflow(packName()),
        reports: /publishes before the pack's tests pass/,
      },
      {
        what: "an enable without the org config",
        file: "policy.yml",
        from: "          --config policy-pack/config/org-policy-config.json\n",
        to: "",
        check: policyWorkflow(packName()),
        reports: /does not use --config/,
      },
      {
        what: "an enable without a policy group",
        file: "policy.yml",
        from: '          --policy-group "$POLICY_GROUP"\n',
        to: "",
        check: policyWorkflow(packName()),
        reports: /has no --policy-group/,
      },
      {
        what: "a pack name that drifted from policy-pack/index.ts",
        file: "policy.yml",
        from: "      PACK_NAME: sec1-serverless-api-access\n",
        to: "      PACK_NAME: sec1-pack\n",
        check: policyWorkflow(packName()),
        reports: /PACK_NAME is 'sec1-pack'/,
      },
    ];

    for (const m of MUTATIONS) {
      it(`${m.file}: ${m.what}`, () => {
        const original = fs.readFileSync(path.join(WORKFLOW_DIR, m.file), "utf8");
        const edited = original.replace(m.from, m.to);
        assert.notStrictEqual(edited, original, `the edit must apply to ${m.file}`);
        const problems = m.check(loadWorkflow(m.file, edited));
        assert.ok(
          problems.some((p) => m.reports.test(p)),
          `expected a problem matching ${m.reports}, got ${JSON.stringify(problems)}`,
        );
      });
    }
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
        `run -s preview:offline -- --stack prod --json --policy-pack-config ${ORG_CONFIG}`,
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
      /'blocking' is no enforcement level/,
    ],
    [
      "an unknown enforcementLevel",
      { "sec1-e-tunable": { enforcementLevel: "strict" } },
      /'strict' is no enforcement level/,
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
      /expected an enforcement/,
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

/**
 * Calibration of a pack on labelled programs: which real holes its mandatory findings catch on
 * the right resource, and which correct programs they block.
 *
 * A labels file is a JSON list with one entry per program: `file` (the stack export's file
 * name), `source`, `note`, `expect` ("violation" or "clean"), for a violation its `culprits`
 * (resource names, the last part of the URN, where a mandatory finding is the right answer) and
 * for a clean program its `acceptMandatoryOn` (resources public by design, not declared so yet,
 * where a mandatory finding is acceptable) with `acceptWhy`.
 *
 * Definitions (docs/verdicts-on-real-programs.md publishes them):
 * - a hole is a violation program; it is caught when a mandatory finding lands on a culprit;
 *   recall = holes caught / holes;
 * - a clean program is blocked when a mandatory finding lands outside its acceptMandatoryOn;
 *   one inside it is "undeclared public";
 * - precision = mandatory findings on a culprit or on an accepted public-by-design resource /
 *   all mandatory findings on labelled programs (an exempted finding is not mandatory).
 */
import * as fs from "fs";
import { Finding, isBlocking } from "./findings";

/** One program's label. */
export interface Label {
  file: string;
  source: string;
  note: string;
  expect: "violation" | "clean";
  culprits: string[];
  acceptMandatoryOn: string[];
  acceptWhy: string;
}

/** A labels file that cannot be used; the message lists every problem. */
export class LabelsError extends Error {
  constructor(file: string, problems: string[]) {
    super(`--labels ${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "LabelsError";
  }
}

const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string");

/** Every problem with one entry (empty when it is usable). */
function entryProblems(e: unknown, at: string): string[] {
  if (e === null || typeof e !== "object" || Array.isArray(e)) return [`${at}: expected an object`];
  const o = e as Record<string, unknown>;
  const where = typeof o.file === "string" ? `${at} (${o.file})` : at;
  const problems: string[] = [];
  if (typeof o.file !== "string" || o.file === "") problems.push(`${where}: "file" is required`);
  if (o.expect !== "violation" && o.expect !== "clean") {
    problems.push(
      `${where}: "expect" must be "violation" or "clean", got ${JSON.stringify(o.expect)}`,
    );
  }
  if (o.expect === "violation" && (!isStringList(o.culprits) || o.culprits.length === 0)) {
    problems.push(`${where}: a violation needs "culprits", a non-empty list of resource names`);
  }
  if (o.acceptMandatoryOn !== undefined && !isStringList(o.acceptMandatoryOn)) {
    problems.push(`${where}: "acceptMandatoryOn" must be a list of resource names`);
  }
  return problems;
}

/** Reads and checks a labels file; throws {@link LabelsError} naming every problem. */
export function readLabels(file: string): Label[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LabelsError(file, [(err as Error).message]);
  }
  if (!Array.isArray(parsed)) throw new LabelsError(file, ["expected a list of program labels"]);
  const problems = parsed.flatMap((e, i) => entryProblems(e, `[${i}]`));
  const seen = new Set<string>();
  for (const e of parsed as Label[]) {
    if (seen.has(e.file)) problems.push(`"${e.file}" is labelled twice`);
    seen.add(e.file);
  }
  if (problems.length) throw new LabelsError(file, problems);
  return (parsed as Partial<Label>[]).map((e) => ({
    file: e.file!,
    source: e.source ?? "",
    note: e.note ?? "",
    expect: e.expect!,
    culprits: e.culprits ?? [],
    acceptMandatoryOn: e.acceptMandatoryOn ?? [],
    acceptWhy: e.acceptWhy ?? "",
  }));
}

/** What the pack said about one labelled program. */
export interface ProgramVerdict {
  label: Label;
  /** caught / missed (violations), passed / blocked (clean). */
  verdict: "caught" | "missed" | "passed" | "blocked";
  /** Mandatory findings on a culprit. */
  onCulprits: Finding[];
  /** Mandatory findings on a violation program outside its culprits. */
  offTarget: Finding[];
  /** Mandatory findings on a clean program's accepted public-by-design resources. */
  undeclaredPublic: Finding[];
  /** Mandatory findings that block a clean program. */
  blocking: Finding[];
}

/** The verdict on one program from its findings. */
export function judgeProgram(label: Label, findings: Finding[]): ProgramVerdict {
  const mandatory = findings.filter(isBlocking);
  const on = (names: string[]) => mandatory.filter((f) => f.urn !== null && names.includes(f.name));
  const off = (names: string[]) => mandatory.filter((f) => !on(names).includes(f));
  if (label.expect === "violation") {
    const onCulprits = on(label.culprits);
    return {
      label,
      verdict: onCulprits.length ? "caught" : "missed",
      onCulprits,
      offTarget: off(label.culprits),
      undeclaredPublic: [],
      blocking: [],
    };
  }
  const blocking = off(label.acceptMandatoryOn);
  return {
    label,
    verdict: blocking.length ? "blocked" : "passed",
    onCulprits: [],
    offTarget: [],
    undeclaredPublic: on(label.acceptMandatoryOn),
    blocking,
  };
}

/** One policy's record over the labelled programs. */
export interface PolicyRecord {
  policy: string;
  /** Mandatory findings on culprits, and the holes they catch. */
  onCulprits: number;
  holesCaught: number;
  offTarget: number;
  undeclaredPublic: number;
  /** Mandatory findings that block a correct program, and how many programs. */
  blocking: number;
  programsBlocked: number;
  mandatory: number;
}

/** Totals over the labelled programs. */
export interface Calibration {
  programs: ProgramVerdict[];
  policies: PolicyRecord[];
  holes: number;
  caught: number;
  clean: number;
  blocked: number;
  mandatory: number;
  /** Mandatory findings on culprits or accepted public-by-design resources. */
  rightful: number;
  /** caught / holes, or null with no hole. */
  recall: number | null;
  /** rightful / mandatory, or null with no mandatory finding. */
  precision: number | null;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** Per-policy records, by policy name. */
function policyRecords(programs: ProgramVerdict[]): PolicyRecord[] {
  const records = new Map<string, PolicyRecord>();
  const record = (policy: string) => {
    let r = records.get(policy);
    if (!r) {
      r = {
        policy,
        onCulprits: 0,
        holesCaught: 0,
        offTarget: 0,
        undeclaredPublic: 0,
        blocking: 0,
        programsBlocked: 0,
        mandatory: 0,
      };
      records.set(policy, r);
    }
    return r;
  };
  for (const p of programs) {
    for (const f of p.onCulprits) record(f.policy).onCulprits++;
    for (const f of p.offTarget) record(f.policy).offTarget++;
    for (const f of p.undeclaredPublic) record(f.policy).undeclaredPublic++;
    for (const f of p.blocking) record(f.policy).blocking++;
    for (const name of new Set(p.onCulprits.map((f) => f.policy))) record(name).holesCaught++;
    for (const name of new Set(p.blocking.map((f) => f.policy))) record(name).programsBlocked++;
  }
  for (const r of records.values()) {
    r.mandatory = r.onCulprits + r.offTarget + r.undeclaredPublic + r.blocking;
  }
  return [...records.values()].sort((a, b) => a.policy.localeCompare(b.policy));
}

/** Calibration over the programs' verdicts. */
export function calibrate(programs: ProgramVerdict[]): Calibration {
  const holes = programs.filter((p) => p.label.expect === "violation").length;
  const caught = programs.filter((p) => p.verdict === "caught").length;
  const clean = programs.length - holes;
  const blocked = programs.filter((p) => p.verdict === "blocked").length;
  const sum = (pick: (p: ProgramVerdict) => Finding[]) =>
    programs.reduce((n, p) => n + pick(p).length, 0);
  const rightful = sum((p) => p.onCulprits) + sum((p) => p.undeclaredPublic);
  const mandatory = rightful + sum((p) => p.offTarget) + sum((p) => p.blocking);
  return {
    programs,
    policies: policyRecords(programs),
    holes,
    caught,
    clean,
    blocked,
    mandatory,
    rightful,
    recall: ratio(caught, holes),
    precision: ratio(rightful, mandatory),
  };
}

/** Whether the calibration fails: a hole missed or a correct program blocked. */
export const calibrationFails = (c: Calibration): boolean => c.caught < c.holes || c.blocked > 0;

/** A ratio as a percentage with one decimal, or "n/a". */
export const percent = (r: number | null): string =>
  r === null ? "n/a" : `${(r * 100).toFixed(1)}%`;

const names = (fs: Finding[]) => [...new Set(fs.map((f) => `${f.name} (${f.policy})`))].join(", ");

/** One line per program: its label, verdict and the findings that decided it. */
function programLines(p: ProgramVerdict): string[] {
  const head = `  ${p.verdict.toUpperCase().padEnd(7)} ${p.label.file} (${p.label.expect})`;
  const lines = [head];
  if (p.onCulprits.length) lines.push(`      caught on: ${names(p.onCulprits)}`);
  if (p.verdict === "missed")
    lines.push(`      missed: no mandatory finding on ${p.label.culprits.join(", ")}`);
  if (p.offTarget.length) lines.push(`      also mandatory on: ${names(p.offTarget)}`);
  if (p.blocking.length) lines.push(`      blocked by: ${names(p.blocking)}`);
  if (p.undeclaredPublic.length) {
    lines.push(`      undeclared-public: ${names(p.undeclaredPublic)}`);
  }
  return lines;
}

/**
 * The calibration report: per program, per policy, then a summary whose last six lines say
 * everything that matters (recall, blocks, precision, what failed).
 */
export function renderCalibration(
  c: Calibration,
  unlabelled: string[],
  absent: string[],
): string[] {
  const lines = ["", `Calibration on ${c.programs.length} labelled programs:`];
  for (const p of c.programs) lines.push(...programLines(p));
  if (unlabelled.length) lines.push(`  not labelled (not counted): ${unlabelled.join(", ")}`);
  if (absent.length) lines.push(`  labelled but not analyzed: ${absent.join(", ")}`);
  lines.push("", "Per policy (mandatory findings):");
  const w = Math.max(6, ...c.policies.map((r) => r.policy.length));
  lines.push(
    `  ${"policy".padEnd(w)}  on culprits (holes)  off target  public  blocking (programs)`,
  );
  for (const r of c.policies) {
    lines.push(
      `  ${r.policy.padEnd(w)}  ${`${r.onCulprits} (${r.holesCaught})`.padEnd(19)}  ` +
        `${String(r.offTarget).padEnd(10)}  ${String(r.undeclaredPublic).padEnd(6)}  ` +
        `${r.blocking} (${r.programsBlocked})`,
    );
  }
  const missed = c.programs.filter((p) => p.verdict === "missed").map((p) => p.label.file);
  const blocked = c.programs.filter((p) => p.verdict === "blocked").map((p) => p.label.file);
  lines.push(
    "",
    `Recall: ${c.caught} of ${c.holes} holes caught on a culprit (${percent(c.recall)}); missed: ${missed.join(", ") || "none"}`,
    `Blocked: ${c.blocked} of ${c.clean} correct programs; ${blocked.join(", ") || "none"}`,
    `Precision: ${c.rightful} of ${c.mandatory} mandatory findings on a culprit or public by design (${percent(c.precision)})`,
    calibrationFails(c)
      ? `Calibration FAILED: ${c.holes - c.caught} hole(s) missed, ${c.blocked} correct program(s) blocked.`
      : "Calibration passed: every hole caught, no correct program blocked.",
  );
  return lines;
}

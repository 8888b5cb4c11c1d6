/**
 * `npm run analyze` over the labelled corpus of real programs, spawn to exit, as CI runs it
 * (`--labels`, every export, the pack started once). Its target is the wall time a developer
 * waits, 20 s for the whole corpus, so this one figure is a budget rather than a ratio to code
 * measured in the same run; beside it, the same command on one program of the corpus (process
 * and pack start-up) shows how much of that time the analysis itself takes, with no target.
 * Skipped, saying so, where the corpus is not beside the checkout.
 */
import { spawn } from "child_process";
import * as path from "path";
import { corpusFiles, corpusPresent, CORPUS_DIR, CORPUS_LABELS } from "../tools/real-programs";
import { Benchmark, Figure, lowerIsBetter, median, pairedNoTarget } from "./figure";

const REPO = path.resolve(__dirname, "..");
const ROUNDS = 3;
const BUDGET_MS = 20_000;

/** Runs analyze on `files` the way `npm run analyze` does; resolves with the wall time in ms. */
function timeAnalyze(files: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "-r",
        "./tools/esbuild-register.js",
        "tools/analyze.ts",
        "--labels",
        CORPUS_LABELS,
        ...files,
      ],
      { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      // 1 is a calibration that fails: still a complete run. 2 is bad input or no pack.
      if (code === 0 || code === 1) resolve(Number(process.hrtime.bigint() - started) / 1e6);
      else reject(new Error(`analyze exited ${code}: ${stderr}`));
    });
  });
}

const bench: Benchmark = {
  name: "analyze",
  async run(): Promise<Figure[]> {
    if (!corpusPresent()) {
      process.stderr.write(`bench analyze: skipped, no labelled corpus at ${CORPUS_DIR}\n`);
      return [];
    }
    const files = corpusFiles();
    const all: number[] = [];
    const one: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      all.push(await timeAnalyze(files));
      one.push(await timeAnalyze(files.slice(0, 1)));
    }
    return [
      lowerIsBetter(
        `npm run analyze --labels over the ${files.length} corpus programs vs its 20 s budget`,
        median(all),
        BUDGET_MS,
        1.0,
        "ms",
      ),
      pairedNoTarget(
        `  the same over ${files.length} programs vs over one (process and pack start-up)`,
        all,
        one,
        "ms",
      ),
    ];
  },
};

export default bench;

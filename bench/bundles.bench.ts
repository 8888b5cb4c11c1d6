/**
 * Handler bundles: size of every `handlers/<name>/index.ts` bundle (deployed options) against a
 * 100 KB budget, and the cold `require` of each bundle in a fresh node process against
 * requiring an empty module in the same run.
 *
 * The AWS SDK v3 is external (the Lambda runtime provides it), and requiring the DynamoDB
 * clients alone costs ~45-100 ms here whatever our code does. So each handler gets two require
 * figures: its own code (the SDK modules it imports are loaded first, untimed) against the empty
 * module, which is the ≤ 50 ms budget; and the whole require including the SDK against
 * requiring just those SDK modules, so what the SDK costs stays visible.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Benchmark, Figure, lowerIsBetter, median } from "./figure";
import { buildHandlers, BUNDLE_BUDGET_BYTES } from "../tools/build-handlers";

/** Fresh processes per measurement; the median is reported. */
const RUNS = 7;
/** The budget of a bundle's own cold require over the empty module, in ms. */
const REQUIRE_BUDGET_MS = 50;

// Runs in the child: require argv[2] (JSON list, untimed), then time requiring argv[1] (JSON list).
const CHILD = `
const [targets, pre] = process.argv.slice(1).map((a) => JSON.parse(a));
for (const m of pre) require(m);
const t = process.hrtime.bigint();
for (const m of targets) require(m);
process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));
`;

/** Milliseconds to require `targets` in a fresh node process, after requiring `preload`. */
function coldRequire(targets: string[], preload: string[], cwd: string): number {
  const args = ["--no-warnings", "-e", CHILD, JSON.stringify(targets), JSON.stringify(preload)];
  const out = spawnSync(process.execPath, args, {
    cwd,
    encoding: "utf8",
  });
  const ms = Number(out.stdout);
  if (out.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`cannot require ${targets.join(", ")}: ${out.stderr.slice(0, 500)}`);
  }
  return ms;
}

/** The external modules a bundle requires (the runtime-provided AWS SDK). */
export function externalsOf(bundle: string): string[] {
  const found = new Set<string>();
  for (const m of bundle.matchAll(/require\("((?:@aws-sdk|@smithy)\/[^"]+)"\)/g)) found.add(m[1]);
  return [...found].sort();
}

/** A "≤ baseline + budget" figure: the ratio is reported, the pass is on the difference. */
function overBaseline(name: string, value: number, baseline: number, budget: number): Figure {
  return {
    name,
    value,
    baseline,
    ratio: value / baseline,
    target: `<= baseline + ${budget} ms`,
    unit: "ms",
    pass: value - baseline <= budget,
  };
}

const bench: Benchmark = {
  name: "handler bundles",
  async run(): Promise<Figure[]> {
    const root = path.join(__dirname, "..");
    const built = buildHandlers();
    const figures: Figure[] = [];
    for (const b of built) {
      figures.push(
        lowerIsBetter(
          `bundle size ${b.name} (minified)`,
          b.bytes / 1024,
          BUNDLE_BUDGET_BYTES / 1024,
          1.0,
          "KB",
        ),
      );
    }

    // The baseline: what node pays to load any module at all (read, wrap, compile, run).
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-empty-")), "empty.js");
    fs.writeFileSync(empty, "");
    try {
      for (const b of built) {
        const externals = externalsOf(fs.readFileSync(b.file, "utf8"));
        const samples = {
          empty: [] as number[],
          own: [] as number[],
          sdk: [] as number[],
          total: [] as number[],
        };
        // Interleaved, so load from other processes on the machine hits every series alike.
        for (let i = 0; i < RUNS; i++) {
          samples.empty.push(coldRequire([empty], [], root));
          samples.own.push(coldRequire([b.file], externals, root));
          if (externals.length > 0) {
            samples.sdk.push(coldRequire(externals, [], root));
            samples.total.push(coldRequire([b.file], [], root));
          }
        }
        figures.push(
          overBaseline(
            `cold require ${b.name}: own code (runtime SDK preloaded) vs empty module`,
            median(samples.own),
            median(samples.empty),
            REQUIRE_BUDGET_MS,
          ),
        );
        if (externals.length > 0) {
          figures.push(
            overBaseline(
              `cold require ${b.name}: with AWS SDK (${externals.join(", ")}) vs the SDK alone`,
              median(samples.total),
              median(samples.sdk),
              REQUIRE_BUDGET_MS,
            ),
          );
        }
      }
    } finally {
      fs.rmSync(path.dirname(empty), { recursive: true, force: true });
    }
    return figures;
  },
};

export default bench;

/**
 * Runs every benchmark of the project (`bench/*.bench.ts`, default export a {@link Benchmark}) and
 * prints one table; `--json` prints exactly `{ "figures": [...] }` instead; `--only <name>` runs
 * the benchmarks whose name or file name matches. A missed target is marked, never an error:
 * the exit status is 0 unless a benchmark itself fails.
 *
 *   npm run -s bench [-- --json] [-- --only pack]
 */
import * as fs from "fs";
import * as path from "path";
import { Benchmark, Figure } from "./figure";

interface Options {
  json: boolean;
  only: string[];
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { json: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") opts.json = true;
    else if (arg === "--only" && argv[i + 1]) opts.only.push(argv[++i]);
    else if (arg.startsWith("--only=")) opts.only.push(arg.slice("--only=".length));
    else
      throw new Error(`unknown argument '${arg}' (usage: bench/run.ts [--json] [--only <name>])`);
  }
  return opts;
}

/** Every benchmark module in bench/, by file name, in alphabetical order. */
export function discover(dir = __dirname): { file: string; load: () => Benchmark }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort()
    .map((file) => ({
      file,
      load: () => {
        const mod = require(path.join(dir, file)) as { default?: Benchmark };
        if (!mod.default || typeof mod.default.run !== "function") {
          throw new Error(`${file} has no default export of type Benchmark`);
        }
        return mod.default;
      },
    }));
}

const fmt = (n: number) =>
  !Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2);

/** The human table: name, value, baseline, ratio, target, pass. */
export function table(figures: Figure[]): string {
  const rows = [
    ["name", "value", "baseline", "ratio", "target", "pass"],
    ...figures.map((f) => [
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      `${fmt(f.baseline)} ${f.unit}`,
      f.spread
        ? `${f.ratio.toFixed(2)}x (${f.spread[0].toFixed(2)}-${f.spread[1].toFixed(2)}, ${f.rounds} rounds)`
        : `${f.ratio.toFixed(2)}x`,
      f.target,
      f.noTarget ? "-" : f.pass ? "yes" : "NO (target missed)",
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [
    line(rows[0]),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.slice(1).map(line),
  ].join("\n");
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const figures: Figure[] = [];
  let failed = false;
  for (const { file, load } of discover()) {
    const base = file.replace(/\.bench\.ts$/, "");
    let bench: Benchmark;
    try {
      bench = load();
    } catch (err) {
      failed = true;
      process.stderr.write(`bench ${file}: ${(err as Error).message}\n`);
      continue;
    }
    if (opts.only.length && !opts.only.some((o) => o === bench.name || o === base)) continue;
    process.stderr.write(`bench: ${bench.name} ...\n`);
    const started = Date.now();
    try {
      figures.push(...(await bench.run()));
      process.stderr.write(
        `bench: ${bench.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    } catch (err) {
      failed = true;
      process.stderr.write(`bench ${bench.name} failed: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ figures }, null, 2)}\n`);
  else process.stdout.write(`${table(figures)}\n`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.stdout.write("", () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}

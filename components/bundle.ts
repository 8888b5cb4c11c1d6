/**
 * Bundling with esbuild, cached between runs: Lambda handlers, shared by the program
 * (components/function.ts), `npm run build:handlers` and the bundle benchmark, so measured sizes
 * are deployed sizes; and AppSync resolver files (components/appsync-api.ts).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { BuildFailure, BuildOptions } from "esbuild";

/** esbuild itself, loaded on the first cache miss only: a preview of an unchanged tree never needs it. */
function esbuild(): typeof import("esbuild") {
  return require("esbuild") as typeof import("esbuild");
}

/** esbuild's version (part of every cache key), read without loading esbuild. */
const esbuildVersion = (
  JSON.parse(fs.readFileSync(require.resolve("esbuild/package.json"), "utf8")) as {
    version: string;
  }
).version;

/** The folder that holds one sub-folder per handler. */
export const HANDLERS_DIR = path.join(__dirname, "..", "handlers");

/**
 * The esbuild options every handler is bundled with: the Lambda Node.js 22 runtime ships the
 * AWS SDK v3, so it stays external; everything else (zod, aws-jwt-verify, ...) is bundled.
 * `npm run build:handlers` uses the same options, so measured sizes are the deployed sizes.
 */
export const HANDLER_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  // Only the SDK clients the runtime ships stay out. @smithy/* packages a handler imports itself
  // (SigV4 signing) are bundled: the runtime's copies are internals of its SDK, not an API.
  external: ["@aws-sdk/*"],
  // ES module builds first, so esbuild can drop what a handler does not use (@smithy/core alone
  // is ~130 KB as CommonJS, ~5 KB of it is used).
  mainFields: ["module", "main"],
  logLevel: "silent",
};

/** Raised when a handler does not bundle; the message names each file, line and column. */
export class BundleError extends Error {
  /** `file:line:column` of each error esbuild reported (file relative to the working directory). */
  public readonly locations: string[];

  constructor(entry: string, failure: BuildFailure) {
    const locations: string[] = [];
    const where = failure.errors
      .map((e) => {
        if (!e.location) return e.text;
        // esbuild counts columns from 0; editors and compilers from 1.
        const at = `${e.location.file}:${e.location.line}:${e.location.column + 1}`;
        locations.push(at);
        return `${at}: ${e.text}`;
      })
      .join("\n  ");
    super(`cannot bundle ${path.relative(process.cwd(), entry)}:\n  ${where}`);
    this.name = "BundleError";
    this.locations = locations;
  }
}

/** The entry point of a handler folder: `handlers/<name>/index.ts`. */
export function handlerEntry(name: string): string {
  return path.join(HANDLERS_DIR, name, "index.ts");
}

/** Every handler folder under `dir` that has an `index.ts`, sorted by name. */
export function handlerNames(dir: string = HANDLERS_DIR): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "index.ts")))
    .map((d) => d.name)
    .sort();
}

/** Bundles kept between runs, keyed by entry and options, valid while no input file changed. */
const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "sec1-handler-bundles");

interface CachedBundle {
  /** Every file esbuild read, with the size and modification time it had. */
  inputs: Record<string, [number, number]>;
  text: string;
}

const memory = new Map<string, string>();

function cacheKey(entry: string, options: BuildOptions): string {
  return createHash("sha256")
    .update(JSON.stringify([path.resolve(entry), options, esbuildVersion]))
    .digest("hex")
    .slice(0, 32);
}

function stamp(file: string): [number, number] | undefined {
  try {
    const st = fs.statSync(file);
    return [st.size, st.mtimeMs];
  } catch {
    return undefined;
  }
}

function readCache(file: string): string | undefined {
  try {
    const cached = JSON.parse(fs.readFileSync(file, "utf8")) as CachedBundle;
    for (const [input, [size, mtime]] of Object.entries(cached.inputs)) {
      const now = stamp(input);
      if (!now || now[0] !== size || now[1] !== mtime) return undefined;
    }
    return cached.text;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, inputs: string[], text: string): void {
  const stamps: Record<string, [number, number]> = {};
  for (const input of inputs) {
    const s = stamp(input);
    if (!s) return; // a virtual or vanished input: do not cache what cannot be checked
    stamps[input] = s;
  }
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ inputs: stamps, text } satisfies CachedBundle));
    fs.renameSync(tmp, file);
  } catch {
    // A read-only tree just means no cache.
  }
}

/**
 * Bundles `entry` with `options` to one file and returns its text, reused (in memory, then from
 * node_modules/.cache) while none of the files esbuild read has changed size or modification
 * time: previews of an unchanged tree skip esbuild. Throws esbuild's BuildFailure.
 */
export function cachedBundle(entry: string, options: BuildOptions): string {
  const key = cacheKey(entry, options);
  const inMemory = memory.get(key);
  if (inMemory !== undefined) return inMemory;
  const file = path.join(CACHE_DIR, `${key}.json`);
  const onDisk = readCache(file);
  if (onDisk !== undefined) {
    memory.set(key, onDisk);
    return onDisk;
  }
  const result = esbuild().buildSync({
    ...options,
    entryPoints: [entry],
    write: false,
    metafile: true,
  });
  const text = result.outputFiles[0].text;
  // The metafile names inputs relative to the working directory esbuild ran in.
  const base = options.absWorkingDir ?? process.cwd();
  const inputs = Object.keys(result.metafile?.inputs ?? {}).map((i) => path.resolve(base, i));
  writeCache(file, inputs, text);
  memory.set(key, text);
  return text;
}

/**
 * Bundles one handler entry point to a single minified CommonJS file and returns its text.
 * Throws {@link BundleError} (file:line:column of every error) when it does not build.
 * A bundle is reused (in memory, then from node_modules/.cache) while none of the files esbuild
 * read has changed size or modification time: previews of an unchanged tree skip esbuild.
 */
export function bundleHandler(entry: string): string {
  try {
    return cachedBundle(entry, HANDLER_BUILD_OPTIONS);
  } catch (err) {
    if (err && typeof err === "object" && "errors" in err) {
      throw new BundleError(entry, err as BuildFailure);
    }
    throw err;
  }
}

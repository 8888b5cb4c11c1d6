/**
 * Bundling of Lambda handlers with esbuild, shared by the program (components/function.ts),
 * `npm run build:handlers` and the bundle benchmark, so measured sizes are deployed sizes.
 */
import * as fs from "fs";
import * as path from "path";
import { buildSync, BuildFailure, BuildOptions } from "esbuild";

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
  external: ["@aws-sdk/*", "@smithy/*"],
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

const cache = new Map<string, string>();

/**
 * Bundles one handler entry point to a single minified CommonJS file and returns its text.
 * Throws {@link BundleError} (file:line:column of every error) when it does not build.
 */
export function bundleHandler(entry: string): string {
  const cached = cache.get(entry);
  if (cached !== undefined) return cached;
  try {
    const result = buildSync({ ...HANDLER_BUILD_OPTIONS, entryPoints: [entry], write: false });
    const text = result.outputFiles[0].text;
    cache.set(entry, text);
    return text;
  } catch (err) {
    if (err && typeof err === "object" && "errors" in err) {
      throw new BundleError(entry, err as BuildFailure);
    }
    throw err;
  }
}

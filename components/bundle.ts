import * as path from "path";
import { buildSync, BuildFailure, BuildOptions } from "esbuild";

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
  constructor(entry: string, failure: BuildFailure) {
    const where = failure.errors
      .map((e) =>
        e.location
          ? `${path.relative(process.cwd(), e.location.file)}:${e.location.line}:${e.location.column}: ${e.text}`
          : e.text,
      )
      .join("\n  ");
    super(`cannot bundle ${path.relative(process.cwd(), entry)}:\n  ${where}`);
    this.name = "BundleError";
  }
}

const cache = new Map<string, string>();

/** Bundles one handler entry point to a single minified CommonJS file and returns its text. */
export function bundleHandler(entry: string): string {
  const cached = cache.get(entry);
  if (cached !== undefined) return cached;
  try {
    const result = buildSync({ ...HANDLER_BUILD_OPTIONS, entryPoints: [entry], write: false });
    const text = result.outputFiles[0].text;
    cache.set(entry, text);
    return text;
  } catch (err) {
    if (err && typeof err === "object" && "errors" in err) throw new BundleError(entry, err as BuildFailure);
    throw err;
  }
}

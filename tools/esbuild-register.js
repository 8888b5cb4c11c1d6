// Loads TypeScript through esbuild's transform: transpile only, no type checking (that is
// `npm test`'s job). Used by the offline preview and the benchmarks, where ts-node's TypeScript
// compiler and source-map-support cost more than the program itself.
// Each file carries an inline source map; run with NODE_OPTIONS=--enable-source-maps to see .ts
// lines in stack traces. It is off by default because Node then also parses the source maps of
// every SDK module it loads (about a quarter of a second for this program).
// Transpiled files are kept in node_modules/.cache/sec1-ts, keyed by a hash of the esbuild
// version, the options, the path and the source: a second run of an unchanged file reads one
// small file instead of a synchronous round trip to esbuild's service (and an unchanged tree
// never starts that service at all).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "sec1-ts");

const OPTIONS = {
  loader: "ts",
  format: "cjs",
  target: "node20",
  sourcemap: "inline",
  // As tsc does for CommonJS: import() becomes require(), so NODE_PATH and hooks apply.
  supported: { "dynamic-import": false },
};

let esbuild;
let keyPrefix;

/** esbuild's version without loading esbuild (its package.json), so a warm cache never loads it. */
function esbuildVersion() {
  try {
    return JSON.parse(fs.readFileSync(require.resolve("esbuild/package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

function cacheFile(filename, source) {
  keyPrefix ??= JSON.stringify([esbuildVersion(), OPTIONS]);
  const key = crypto
    .createHash("sha256")
    .update(keyPrefix)
    .update("\0")
    .update(filename)
    .update("\0")
    .update(source)
    .digest("hex")
    .slice(0, 40);
  return path.join(CACHE_DIR, `${key}.js`);
}

function transpile(filename, source) {
  const file = cacheFile(filename, source);
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    // not cached yet
  }
  esbuild ??= require("esbuild");
  const { code } = esbuild.transformSync(source, { ...OPTIONS, sourcefile: filename });
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file); // atomic: parallel test workers never read half a file
  } catch {
    // a read-only tree just means no cache
  }
  return code;
}

require.extensions[".ts"] = function loadTypeScript(module, filename) {
  module._compile(transpile(filename, fs.readFileSync(filename, "utf8")), filename);
};

// Loads TypeScript through esbuild's transform: transpile only, no type checking (that is
// `npm test`'s job). Used by the offline preview and the benchmarks, where ts-node's TypeScript
// compiler and source-map-support cost more than the program itself.
// Each file carries an inline source map; run with NODE_OPTIONS=--enable-source-maps to see .ts
// lines in stack traces. It is off by default because Node then also parses the source maps of
// every SDK module it loads (about a quarter of a second for this program).
"use strict";
const fs = require("fs");
const { transformSync } = require("esbuild");

require.extensions[".ts"] = function loadTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { code } = transformSync(source, {
    loader: "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
    sourcemap: "inline",
    // As tsc does for CommonJS: import() becomes require(), so NODE_PATH and hooks apply.
    supported: { "dynamic-import": false },
  });
  module._compile(code, filename);
};

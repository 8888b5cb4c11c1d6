/**
 * `npm run build:handlers`: bundles every `handlers/<name>/index.ts` with the options the
 * program deploys with (components/bundle.ts) to `dist/handlers/<name>/index.js` and prints the
 * sizes. Exits 1 when a handler does not bundle (naming file and line) or exceeds the budget.
 */
import * as fs from "fs";
import * as path from "path";
import { bundleHandler, handlerEntry, handlerNames } from "../components/bundle";

/** The size budget of one minified handler bundle, in bytes. */
export const BUNDLE_BUDGET_BYTES = 100 * 1024;

/** One built handler. */
export interface BuiltHandler {
  name: string;
  /** Where the bundle was written. */
  file: string;
  bytes: number;
}

/** Bundles every handler to `<outDir>/<name>/index.js`; throws the first bundling error. */
export function buildHandlers(
  outDir = path.join(__dirname, "..", "dist", "handlers"),
  names: string[] = handlerNames(),
): BuiltHandler[] {
  return names.map((name) => {
    const text = bundleHandler(handlerEntry(name));
    const file = path.join(outDir, name, "index.js");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return { name, file, bytes: Buffer.byteLength(text) };
  });
}

function main(): number {
  const outDir = path.join(__dirname, "..", "dist", "handlers");
  let status = 0;
  const rows: string[] = [];
  for (const name of handlerNames()) {
    try {
      const [built] = buildHandlers(outDir, [name]);
      const kb = built.bytes / 1024;
      const over = built.bytes > BUNDLE_BUDGET_BYTES;
      if (over) status = 1;
      rows.push(
        `${name.padEnd(24)} ${kb.toFixed(1).padStart(7)} KB  ${path.relative(process.cwd(), built.file)}${over ? "  OVER BUDGET (100 KB)" : ""}`,
      );
    } catch (err) {
      status = 1;
      rows.push(`${name.padEnd(24)}   FAILED  ${(err as Error).message}`);
    }
  }
  console.log(rows.join("\n"));
  return status;
}

if (require.main === module) process.exit(main());

/**
 * Keeps the README's "who may call what" diagram equal to what the offline preview draws for
 * the dev stack (`npm run -s preview:offline -- --stack dev --diagram mermaid`).
 *
 *   npm run readme:diagram            rewrite the block in README.md
 *   npm run readme:diagram -- --check exit 1 when README.md is out of date
 */
import * as fs from "fs";
import * as path from "path";
import { formatMarkdown } from "../policy-pack/scripts/markdown";
import { mermaidDiagram } from "./diagram";
import { loadStackConfig, runProgram } from "./mock-engine";

export const README = path.join(__dirname, "..", "README.md");
const START = "<!-- generated-diagram:start (npm run readme:diagram) -->";
const END = "<!-- generated-diagram:end -->";

/** The diagram of the dev stack, as the offline preview prints it. */
export async function devStackDiagram(): Promise<string> {
  const run = await runProgram({ stack: "dev", config: loadStackConfig("dev").config });
  return mermaidDiagram(run);
}

/** The README text with the generated block replaced by `diagram`. */
export function withDiagram(readme: string, diagram: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} block`);
  const block = `${START}\n\`\`\`mermaid\n${diagram.trimEnd()}\n\`\`\`\n${END}`;
  return readme.slice(0, start) + block + readme.slice(end + END.length);
}

async function main(check: boolean): Promise<number> {
  const current = fs.readFileSync(README, "utf8");
  const next = await formatMarkdown(README, withDiagram(current, await devStackDiagram()));
  if (next === current) return 0;
  if (check) {
    console.error("README.md's generated diagram is out of date: run `npm run readme:diagram`.");
    return 1;
  }
  fs.writeFileSync(README, next);
  console.log("README.md: diagram regenerated.");
  return 0;
}

if (require.main === module) {
  main(process.argv.includes("--check")).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}

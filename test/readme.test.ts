// The README's own checks; its generated diagram is checked with the other generated files
// (test/generated.test.ts).
import * as assert from "assert";
import * as fs from "fs";
import { CONFIG_KEYS } from "../config";
import { README, withDiagram } from "../tools/readme-diagram";

describe("README", () => {
  it("replaces only the generated block", () => {
    const text =
      "intro\n<!-- generated-diagram:start (npm run readme:diagram) -->\nold\n<!-- generated-diagram:end -->\noutro";
    assert.strictEqual(
      withDiagram(text, "flowchart LR\n  a --> b"),
      "intro\n<!-- generated-diagram:start (npm run readme:diagram) -->\n```mermaid\nflowchart LR\n  a --> b\n```\n<!-- generated-diagram:end -->\noutro",
    );
    assert.throws(() => withDiagram("no block", "x"), /no <!-- generated-diagram:start/);
  });

  it("documents in its Configuration table exactly the keys config.ts accepts", () => {
    const readme = fs.readFileSync(README, "utf8");
    const section = readme.slice(readme.indexOf("\n## Configuration\n"));
    const table = section.slice(0, section.indexOf("\n#", 1));
    const documented = table
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => [...line.split("|")[1].matchAll(/`(\w+)`/g)].map((m) => m[1]));
    assert.deepStrictEqual([...documented].sort(), [...CONFIG_KEYS].sort());
  });

  it("names the commands a new user types", () => {
    const readme = fs.readFileSync(README, "utf8");
    for (const command of ["npm ci", "npm test", "npm run preview:offline -- --stack dev"]) {
      assert.ok(readme.includes(command), `README.md lacks \`${command}\``);
    }
  });
});

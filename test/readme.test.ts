// The README's own checks; its generated diagram is checked with the other generated files
// (test/generated.test.ts).
import * as assert from "assert";
import * as fs from "fs";
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

  it("names the commands a new user types", () => {
    const readme = fs.readFileSync(README, "utf8");
    for (const command of ["npm ci", "npm test", "npm run preview:offline -- --stack dev"]) {
      assert.ok(readme.includes(command), `README.md lacks \`${command}\``);
    }
  });
});

import * as assert from "assert";
import * as fs from "fs";
import { devStackDiagram, README, withDiagram } from "../tools/readme-diagram";

describe("README", () => {
  it("shows the diagram the offline preview draws for the dev stack (npm run readme:diagram)", async () => {
    const readme = fs.readFileSync(README, "utf8");
    const expected = withDiagram(readme, await devStackDiagram());
    assert.ok(
      readme === expected,
      "README.md's generated diagram is out of date: run `npm run readme:diagram`",
    );
  });

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

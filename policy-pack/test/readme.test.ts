import * as assert from "assert";
import * as fs from "fs";
import { Policy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import { README_PATH, renderMarkdown, renderReadme } from "../scripts/readme";

describe("policy-pack/README.md", () => {
  it("is exactly what scripts/readme.ts generates (run it after changing a policy)", async () => {
    const checkedIn = fs.readFileSync(README_PATH, "utf8");
    assert.ok(
      checkedIn === (await renderReadme()),
      "README.md is out of date: run `npm run readme:pack`",
    );
  });

  it("lists every policy with its level, severity and config defaults", () => {
    const text = renderMarkdown();
    for (const p of allPolicies as Policy[]) {
      const row = text.split("\n").find((l) => l.includes(`\`${p.name}\``));
      assert.ok(row, `${p.name} is missing`);
      assert.ok(row.includes(`| ${p.enforcementLevel} |`), `${p.name}: level`);
      assert.ok(row.includes(`| ${p.severity} |`), `${p.name}: severity`);
      for (const key of Object.keys(p.configSchema?.properties ?? {})) {
        assert.ok(row.includes(`\`${key}\``), `${p.name}: config key ${key}`);
      }
    }
  });

  it("escapes table separators in descriptions", () => {
    const text = renderMarkdown([
      { name: "sec1-x-demo", description: "a | b", enforcementLevel: "advisory", tags: ["SEC1-X"] },
    ]);
    assert.match(text, /\| a \\\| b \|/);
  });
});

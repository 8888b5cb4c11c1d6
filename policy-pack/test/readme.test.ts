import * as assert from "assert";
import * as fs from "fs";
import { Policy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import { EXEMPTION_SETTINGS } from "../lib/exempting";
import { DECLARATIONS_POLICY } from "../lib/exemptions";
import { COVERAGE, README_PATH, renderMarkdown, renderReadme } from "../scripts/readme";

describe("policy-pack/README.md", () => {
  it("is exactly what scripts/readme.ts generates (run it after changing a policy)", async () => {
    const checkedIn = fs.readFileSync(README_PATH, "utf8");
    assert.ok(
      checkedIn === (await renderReadme()),
      "README.md is out of date: run `npm run readme` in policy-pack/",
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
        // The exemption settings every policy has are described once, in their own section.
        if (key in EXEMPTION_SETTINGS) continue;
        assert.ok(row.includes(`\`${key}\``), `${p.name}: config key ${key}`);
      }
    }
  });

  it("describes the exemption settings every policy takes, once", () => {
    const text = renderMarkdown();
    const section = text.slice(text.indexOf("## Exemptions"), text.indexOf("## Policies"));
    for (const key of Object.keys(EXEMPTION_SETTINGS)) {
      assert.ok(section.includes(`- \`${key}\` (default`), key);
      for (const p of allPolicies as Policy[]) {
        if (p.name === DECLARATIONS_POLICY) continue;
        assert.ok(key in (p.configSchema?.properties ?? {}), `${p.name} has no ${key}`);
      }
    }
  });

  it("maps every numbered check of the catalogue to policies that exist, and every policy to a check", () => {
    const names = new Set((allPolicies as Policy[]).map((p) => p.name));
    const checks = new Set(COVERAGE.map((row) => row.check));
    for (const [practice, count] of [
      ["A", 8],
      ["K", 4],
      ["E", 5],
      ["I", 3],
    ] as const) {
      for (let i = 1; i <= count; i++) assert.ok(checks.has(`${practice}${i}`), `${practice}${i}`);
    }
    assert.ok(checks.has("X"));
    const mapped = new Set(COVERAGE.flatMap((row) => row.policies));
    for (const name of mapped) assert.ok(names.has(name), `${name} is not a policy of the pack`);
    for (const name of names) assert.ok(mapped.has(name), `${name} covers no catalogue check`);
    for (const row of COVERAGE) {
      for (const name of row.policies) {
        const practice = /^sec1-([a-z])-/.exec(name)?.[1].toUpperCase();
        assert.strictEqual(practice, row.check[0], `${name} listed under ${row.check}`);
      }
    }
  });

  it("keeps asterisks in descriptions literal (a method path */* is not emphasis)", async () => {
    const text = await renderReadme([
      {
        name: "sec1-x-demo",
        description: "method settings for */* and `*/*` in code",
        enforcementLevel: "advisory",
        tags: ["SEC1-X"],
      },
    ]);
    const row = text.split("\n").find((l) => l.includes("`sec1-x-demo`"));
    assert.ok(row);
    assert.match(row, /method settings for \\\*\/\\\* and `\*\/\*` in code/);
    assert.doesNotMatch(row, /_\/_/);
  });

  it("escapes table separators in descriptions", () => {
    const text = renderMarkdown([
      { name: "sec1-x-demo", description: "a | b", enforcementLevel: "advisory", tags: ["SEC1-X"] },
    ]);
    assert.match(text, /\| a \\\| b \|/);
  });
});

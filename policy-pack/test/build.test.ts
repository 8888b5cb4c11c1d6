import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUNDLE_PATH, buildBundle } from "../scripts/build";

describe("policy-pack/dist/index.js (the compiled pack the CLI runs)", () => {
  it("is what scripts/build.ts compiles from the sources (run `npm run build` in policy-pack/)", async () => {
    const checkedIn = fs.readFileSync(BUNDLE_PATH, "utf8");
    assert.ok(
      checkedIn === (await buildBundle()),
      "dist/index.js is out of date: run `npm run build` in policy-pack/",
    );
  });

  it("is the pack's main, so run-policy-pack loads it without type-checking at every start", () => {
    const dir = path.resolve(__dirname, "..");
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      main: string;
    };
    assert.strictEqual(path.resolve(dir, pkg.main), BUNDLE_PATH);
  });

  it("leaves the SDKs to the pack's installed dependencies", async () => {
    const text = await buildBundle();
    for (const sdk of ["@pulumi/policy", "@pulumi/aws"]) {
      assert.ok(text.includes(`require("${sdk}")`), `${sdk} is required, not bundled`);
    }
    assert.ok(!text.includes("@cloud-copilot/iam-simulate"), "no AGPL test oracle in the pack");
  });

  it("holds the pack's own code only, the same bytes wherever its packages are installed", async () => {
    const text = await buildBundle();
    assert.doesNotMatch(text, /node_modules\//, "a package was bundled from node_modules");
    for (const name of ["yaml", "graphql/language/parser"]) {
      assert.ok(text.includes(`require("${name}")`), `${name} is required, not bundled`);
    }
  });
});

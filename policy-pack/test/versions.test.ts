import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { Policy } from "@pulumi/policy";
import { allPolicies } from "../policies";
import {
  packVersion,
  policyFingerprint,
  record,
  recordedFingerprints,
} from "../scripts/fingerprint";

const POLICIES = allPolicies as Policy[];

describe("pack versions (versions.json, CHANGELOG.md)", () => {
  it("records the policies of package.json's version: a change of policies needs a new version", () => {
    const version = packVersion();
    assert.strictEqual(
      recordedFingerprints()[version],
      policyFingerprint(POLICIES),
      `the policies' names, levels or config schemas differ from those of version ${version}: ` +
        'bump "version" in policy-pack/package.json, add its CHANGELOG.md entry, then run ' +
        "`npm run fingerprint` in policy-pack/",
    );
  });

  it("has a CHANGELOG.md entry for package.json's version", () => {
    const changelog = fs.readFileSync(path.resolve(__dirname, "..", "CHANGELOG.md"), "utf8");
    assert.match(changelog, new RegExp(`^## ${packVersion().replace(/\./g, "\\.")}\\b`, "m"));
  });

  describe("the fingerprint", () => {
    const base = policyFingerprint(POLICIES);
    const [first, ...rest] = POLICIES;

    it("changes with a policy's enforcement level", () => {
      const level = first.enforcementLevel === "mandatory" ? "advisory" : "mandatory";
      assert.notStrictEqual(
        policyFingerprint([{ ...first, enforcementLevel: level }, ...rest]),
        base,
      );
    });

    it("changes with a policy's config schema", () => {
      const configSchema = { properties: { newSetting: { type: "string" } } };
      assert.notStrictEqual(policyFingerprint([{ ...first, configSchema }, ...rest]), base);
    });

    it("changes with a policy added, removed or renamed", () => {
      assert.notStrictEqual(policyFingerprint(rest), base);
      assert.notStrictEqual(
        policyFingerprint([{ ...first, name: `${first.name}-2` }, ...rest]),
        base,
      );
    });

    it("does not change with the order of policies or of schema keys", () => {
      assert.strictEqual(policyFingerprint([...rest, first]), base);
      const schema = { properties: { b: { type: "string" }, a: { type: "number" } } };
      const reordered = { properties: { a: { type: "number" }, b: { type: "string" } } };
      assert.strictEqual(
        policyFingerprint([{ name: "p", configSchema: schema }]),
        policyFingerprint([{ name: "p", configSchema: reordered }]),
      );
    });
  });

  describe("npm run fingerprint", () => {
    it("records a new version beside the earlier ones", () => {
      assert.deepStrictEqual(record({ "0.1.0": "sha256:a" }, "0.2.0", "sha256:b"), {
        "0.1.0": "sha256:a",
        "0.2.0": "sha256:b",
      });
    });

    it("refuses to give a recorded version other policies, naming the version to bump", () => {
      assert.throws(
        () => record({ "0.1.0": "sha256:a" }, "0.1.0", "sha256:b"),
        /the policies changed since version 0\.1\.0 was recorded .*bump "version"/,
      );
    });
  });
});

/**
 * The pack beside the program: one license for both, the same versions of the packages they
 * share, and the same formatting and compiler settings, so the pack tested alone (its own
 * lock file, tsconfig and Prettier config) is the pack tested here.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const PACK = path.join(ROOT, "policy-pack");

interface Manifest {
  license?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, "utf8")) as T;
const root = readJson<Manifest>(path.join(ROOT, "package.json"));
const pack = readJson<Manifest>(path.join(PACK, "package.json"));

describe("policy-pack beside the root", () => {
  it("has the root's LICENSE, the Apache-2.0 both package.json files name", () => {
    const license = fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8");
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
    assert.strictEqual(fs.readFileSync(path.join(PACK, "LICENSE"), "utf8"), license);
    assert.strictEqual(root.license, "Apache-2.0");
    assert.strictEqual(pack.license, "Apache-2.0");
  });

  it("pins every package it shares with the root to the root's version", () => {
    const rootVersions: Record<string, string> = { ...root.dependencies, ...root.devDependencies };
    const shared = Object.entries({ ...pack.dependencies, ...pack.devDependencies }).filter(
      ([name]) => name in rootVersions,
    );
    assert.ok(shared.length >= 10, `only ${shared.length} shared packages`);
    for (const [name, version] of shared)
      assert.strictEqual(version, rootVersions[name], `${name}: pack ${version}, root's differs`);
  });

  it("formats and compiles with the root's settings", () => {
    assert.deepStrictEqual(
      readJson(path.join(PACK, ".prettierrc.json")),
      readJson(path.join(ROOT, ".prettierrc.json")),
    );
    const { outDir: _outDir, ...rootOptions } = readJson<{
      compilerOptions: Record<string, unknown>;
    }>(path.join(ROOT, "tsconfig.json")).compilerOptions;
    assert.deepStrictEqual(
      readJson<{ compilerOptions: unknown }>(path.join(PACK, "tsconfig.json")).compilerOptions,
      rootOptions,
    );
  });
});

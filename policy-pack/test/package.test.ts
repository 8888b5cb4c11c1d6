/**
 * The pack's package, as orgs receive and publish it: a package.json that npm and
 * `pulumi policy publish` accept, the files it ships, its license, and a lock file that matches
 * it (so `npm ci` in this folder alone installs exactly what the tests ran with).
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const PACK_DIR = path.resolve(__dirname, "..");

interface Manifest {
  name: string;
  version: string;
  license?: string;
  private?: boolean;
  main: string;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(PACK_DIR, file), "utf8")) as T;
}

const pkg = readJson<Manifest>("package.json");

describe("policy-pack/package.json (the published package)", () => {
  it("is publishable: a name, an exact version, a license and no private flag", () => {
    assert.match(pkg.name, /^[a-z0-9][a-z0-9-]*$/);
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    assert.strictEqual(pkg.license, "Apache-2.0");
    assert.notStrictEqual(pkg.private, true);
  });

  it("ships the compiled pack, PulumiPolicy.yaml, the org config, README, CHANGELOG and LICENSE", () => {
    const files = pkg.files ?? [];
    for (const file of [pkg.main, "PulumiPolicy.yaml", "README.md", "CHANGELOG.md", "LICENSE"]) {
      assert.ok(
        files.some((f) => path.normalize(f) === path.normalize(file)),
        `${file} is not in files`,
      );
    }
    for (const file of files) assert.ok(fs.existsSync(path.join(PACK_DIR, file)), `${file}`);
  });

  it("is Apache-2.0 licensed in its LICENSE file, as package.json says", () => {
    const text = fs.readFileSync(path.join(PACK_DIR, "LICENSE"), "utf8");
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
  });

  it("builds and tests with its own scripts, never with files outside this folder", () => {
    for (const script of ["build", "test", "readme", "fingerprint"]) {
      const command = pkg.scripts?.[script];
      assert.ok(command, `no ${script} script`);
      assert.doesNotMatch(command, /\.\.\//, `${script} reaches outside the folder`);
    }
  });

  it("pins every dependency to an exact version", () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    for (const [name, version] of Object.entries(all)) {
      assert.match(version, /^\d+\.\d+\.\d+$/, `${name}@${version}`);
    }
  });

  it("has a lock file that matches it, so npm ci installs exactly that", () => {
    const lock = readJson<{ packages: Record<string, Manifest> }>("package-lock.json");
    const root = lock.packages[""];
    // In a checkout of the whole repository, npm treats this folder as a workspace of the root
    // unless told otherwise: --workspaces=false updates this folder's own lock file.
    const fix =
      "package-lock.json is stale: run `npm install --package-lock-only --workspaces=false` here";
    assert.strictEqual(root.name, pkg.name, fix);
    assert.strictEqual(root.version, pkg.version, fix);
    assert.deepStrictEqual(root.dependencies ?? {}, pkg.dependencies ?? {}, fix);
    assert.deepStrictEqual(root.devDependencies ?? {}, pkg.devDependencies ?? {}, fix);
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }))
      assert.strictEqual(
        lock.packages[`node_modules/${name}`]?.version,
        version,
        `${name}: ${fix}`,
      );
  });

  it("packs only what it ships (npm pack --dry-run): no tests, sources or lock file", function () {
    this.timeout(60_000);
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)),
    );
    const run = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: PACK_DIR,
      env,
      encoding: "utf8",
    });
    assert.strictEqual(run.status, 0, run.stderr);
    const [packed] = JSON.parse(run.stdout) as { files: { path: string }[] }[];
    const paths = packed.files.map((f) => f.path);
    for (const file of [pkg.main, "PulumiPolicy.yaml", "package.json", "LICENSE"])
      assert.ok(paths.includes(file), `${file} is not packed`);
    for (const file of paths)
      assert.doesNotMatch(file, /^(test|lib|policies|scripts)\/|package-lock\.json$/, file);
  });
});

/**
 * The pack's policy fingerprint, recorded per version in versions.json.
 *
 * Why: a published pack version cannot be republished, and an org that enabled version N must be
 * able to trust that N means one set of policies. The fingerprint is a hash of what an org's
 * config and verdicts depend on: every policy's name, enforcement level and config schema.
 * test/versions.test.ts fails when the fingerprint of the sources differs from the one recorded
 * for package.json's version, so a change of policies needs a new version.
 *
 *   npm run fingerprint   (in policy-pack/; from the root: npm run -w policy-pack fingerprint)
 *
 * records the fingerprint of a version that has none yet, and refuses to overwrite the one of a
 * version already recorded: bump `version` (and add its CHANGELOG.md entry) instead.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { allPolicies } from "../policies";

/** The pack's folder. */
const PACK_DIR = path.resolve(__dirname, "..");

/** Version → fingerprint of every version recorded so far. */
export const VERSIONS_PATH = path.join(PACK_DIR, "versions.json");

/** What a fingerprint covers of one policy. */
interface PolicyShape {
  name: string;
  enforcementLevel?: string;
  configSchema?: unknown;
}

/** JSON with object keys sorted at every depth, so key order never changes a fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** `sha256:<hex>` of the policies' names, levels and config schemas, in name order. */
export function policyFingerprint(policies: readonly PolicyShape[]): string {
  const shapes = policies
    .map((p) => ({
      name: p.name,
      enforcementLevel: p.enforcementLevel ?? "advisory",
      configSchema: p.configSchema ?? null,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `sha256:${createHash("sha256").update(canonical(shapes)).digest("hex")}`;
}

/** The recorded fingerprints (version → fingerprint). */
export function recordedFingerprints(): Record<string, string> {
  return JSON.parse(fs.readFileSync(VERSIONS_PATH, "utf8")) as Record<string, string>;
}

/** package.json's version. */
export function packVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** What `npm run fingerprint` does: the new record, or an error saying why none is written. */
export function record(
  recorded: Record<string, string>,
  version: string,
  fingerprint: string,
): Record<string, string> {
  const existing = recorded[version];
  if (existing !== undefined && existing !== fingerprint) {
    throw new Error(
      `the policies changed since version ${version} was recorded (${existing}, now ` +
        `${fingerprint}): bump "version" in policy-pack/package.json, add its entry to ` +
        "CHANGELOG.md, then run `npm run fingerprint`",
    );
  }
  return { ...recorded, [version]: fingerprint };
}

if (require.main === module) {
  try {
    const next = record(recordedFingerprints(), packVersion(), policyFingerprint(allPolicies));
    fs.writeFileSync(VERSIONS_PATH, `${JSON.stringify(next, null, 2)}\n`);
    console.log(`versions.json: ${packVersion()} ${next[packVersion()]}`);
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

/**
 * Reads a `--policy-pack-config` file as the Pulumi CLI's flag of that name takes it
 * (pkg/resource/analyzer/config.go): a JSON object of policy name → level string or object.
 * The file is read before the pack starts; its entries are checked against the pack's policies
 * once the pack is up, so that every problem (bad levels and unknown names) shows at once.
 */
import * as fs from "fs";
import {
  normalisePolicyConfig,
  PackInfo,
  PolicyConfig,
  resolvePolicyConfig,
} from "./analyzer-client";
import { schemaProblems } from "./config-schema";

/** A policy config file that cannot be used; the message names the file and every problem. */
export class PolicyConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigFileError";
  }
}

/** A read `--policy-pack-config` file: its name and its entries as written. */
export interface PolicyConfigFile {
  file: string;
  entries: Record<string, unknown>;
}

/**
 * The file's JSON object, or undefined when no file is given or it holds nothing (the CLI
 * accepts an empty file and `null`). An unreadable file, bad JSON or a top level that is not an
 * object is an error naming the file.
 */
export function readPolicyConfigFile(file: string | undefined): PolicyConfigFile | undefined {
  if (!file) return undefined;
  let parsed: unknown;
  try {
    const text = fs.readFileSync(file, "utf8");
    if (text.trim() === "") return undefined;
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PolicyConfigFileError(`--policy-pack-config ${file}: ${(err as Error).message}`);
  }
  if (parsed === null) return undefined;
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new PolicyConfigFileError(
      `--policy-pack-config ${file}: expected an object of policy name → level or config`,
    );
  }
  return { file, entries: parsed as Record<string, unknown> };
}

/**
 * The problems of each policy's reconciled properties (schema defaults, the pack's initial
 * config, then `config`) against its config schema, as the CLI's validatePolicyPackConfig.
 */
function schemaViolations(pack: PackInfo, config: Record<string, PolicyConfig>): string[] {
  // Only the entries read without a problem: the others are reported already.
  const names = new Set(["all", ...pack.policies.map((p) => p.name)]);
  const valid = Object.fromEntries(Object.entries(config).filter(([name]) => names.has(name)));
  const resolved = resolvePolicyConfig(pack, valid);
  return pack.policies.flatMap((p) =>
    p.configSchema
      ? schemaProblems(
          resolved[p.name].properties,
          {
            type: "object",
            properties: p.configSchema.properties,
            required: p.configSchema.required,
          },
          `'${p.name}'`,
        )
      : [],
  );
}

/**
 * The file's config in object form (`{ enforcementLevel?, ...properties }` per name, `all`
 * kept), checked against the pack: each invalid level or value, each name the pack does not
 * have and each setting its policy's config schema rejects is listed in one error naming the
 * file.
 */
export function checkPolicyConfig(
  read: PolicyConfigFile | undefined,
  pack: PackInfo,
): Record<string, PolicyConfig> | undefined {
  if (!read) return undefined;
  const { config, problems } = normalisePolicyConfig(read.entries, pack);
  problems.push(...schemaViolations(pack, config));
  if (problems.length) {
    throw new PolicyConfigFileError(
      `--policy-pack-config ${read.file}: ${problems.length} problem(s):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
  return config;
}

/** Reads a `--policy-pack-config` file, as the Pulumi CLI's flag of that name takes it. */
import * as fs from "fs";
import { PolicyConfig } from "./analyzer-client";

/** A policy config file that cannot be read; the message names the file and the problem. */
export class PolicyConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigFileError";
  }
}

/** The JSON object of policy name → config in `file`, or undefined when no file is given. */
export function readPolicyConfigFile(
  file: string | undefined,
): Record<string, PolicyConfig> | undefined {
  if (!file) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PolicyConfigFileError(`--policy-pack-config ${file}: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new PolicyConfigFileError(
      `--policy-pack-config ${file}: expected an object of policy name → config`,
    );
  }
  return parsed as Record<string, PolicyConfig>;
}

/**
 * Policy config with defaults. The CLI fills schema defaults in before `Configure`, but direct
 * calls, older CLIs and hand-written config files may not: every policy reads its config through
 * `readConfig`, which starts from the defaults and keeps only values of the expected kind.
 */
import { PolicyConfigSchema } from "@pulumi/policy";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

/** One tunable setting: its JSON schema (with `default` and `description`). */
export type ConfigProperty = PolicyConfigJSONSchema & { default: unknown; description: string };

/** A policy's config schema built from its settings (every one has a default). */
export function configSchema(properties: Record<string, ConfigProperty>): PolicyConfigSchema {
  return { properties };
}

/** The defaults declared in a schema built by `configSchema`. */
export function defaultsOf<T>(schema: PolicyConfigSchema): T {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    defaults[key] = structuredClone(property.default);
  }
  return defaults as T;
}

function sameKind(value: unknown, fallback: unknown): boolean {
  if (Array.isArray(fallback)) {
    return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
  if (typeof fallback === "number") return typeof value === "number" && Number.isFinite(value);
  return typeof value === typeof fallback && value !== null;
}

/**
 * The policy's config: the defaults of its schema, overridden by each configured value of the
 * same kind (a wrong-typed value keeps the default instead of breaking the policy).
 */
export function readConfig<T>(
  args: { getConfig?: <U extends object>() => U },
  schema: PolicyConfigSchema,
): T {
  const config: Record<string, unknown> = defaultsOf<Record<string, unknown>>(schema);
  let given: Record<string, unknown> = {};
  try {
    const value: unknown = args.getConfig?.<Record<string, unknown>>();
    if (value !== null && typeof value === "object") given = value as Record<string, unknown>;
  } catch {
    // a broken config source reads as "no config": the defaults apply
  }
  for (const key of Object.keys(config)) {
    if (key in given && sameKind(given[key], config[key])) config[key] = given[key];
  }
  return config as T;
}

/** A list-of-strings setting (exempt methods, exempt logical names, allowed types, ...). */
export function stringListProperty(
  defaultValue: string[],
  description: string,
  allowed?: string[],
): ConfigProperty {
  return {
    type: "array",
    items: allowed ? { type: "string", enum: allowed } : { type: "string" },
    default: defaultValue,
    description,
  };
}

/** The usual CORS-preflight exemption: OPTIONS cannot carry credentials or a signature. */
export function exemptHttpMethodsProperty(description: string): ConfigProperty {
  return stringListProperty(["OPTIONS"], description);
}

/** Logical names (`*` wildcards) of resources a policy leaves alone. */
export function exemptResourcesProperty(what: string): ConfigProperty {
  return stringListProperty([], `Logical names of ${what} (\`*\` wildcards).`);
}

/**
 * The JSON-schema subset that policies' config schemas use (type, enum, bounds, lengths,
 * patterns, items, properties, required), checked as the Pulumi CLI checks reconciled policy
 * config against each policy's schema before it configures the pack.
 */

const listOf = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.map(String)
    : value === undefined || value === null
      ? []
      : [String(value)];

/** The problems of `value` against the JSON-schema subset policies use (type, enum, bounds). */
export function schemaProblems(value: unknown, schema: unknown, where: string): string[] {
  if (!schema || typeof schema !== "object") return [];
  const s = schema as Record<string, unknown>;
  const problems: string[] = [];
  const kind = Array.isArray(value)
    ? "array"
    : value === null
      ? "null"
      : typeof value === "number" && Number.isInteger(value)
        ? "integer"
        : typeof value;
  const types = listOf(s.type);
  const typeOk =
    types.length === 0 || types.includes(kind) || (kind === "integer" && types.includes("number"));
  if (!typeOk) return [`${where} is ${kind}, the schema wants ${types.join(" or ")}`];
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${where} is ${JSON.stringify(value)}, not one of ${JSON.stringify(s.enum)}`);
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) problems.push(`${where} < minimum`);
    if (typeof s.maximum === "number" && value > s.maximum) problems.push(`${where} > maximum`);
  }
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && value.length < s.minLength) {
      problems.push(`${where} is shorter than ${s.minLength}`);
    }
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) {
      problems.push(`${where} does not match ${s.pattern}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) {
      problems.push(`${where} has fewer than ${s.minItems} items`);
    }
    if (typeof s.maxItems === "number" && value.length > s.maxItems) {
      problems.push(`${where} has more than ${s.maxItems} items`);
    }
    if (
      s.uniqueItems === true &&
      new Set(value.map((v) => JSON.stringify(v))).size < value.length
    ) {
      problems.push(`${where} has duplicate items`);
    }
    value.forEach((item, i) => problems.push(...schemaProblems(item, s.items, `${where}[${i}]`)));
  }
  if (kind === "object") {
    const record = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    for (const key of listOf(s.required)) {
      if (!(key in record)) problems.push(`${where}.${key} is required`);
    }
    for (const [key, item] of Object.entries(record)) {
      if (key in properties) {
        problems.push(...schemaProblems(item, properties[key], `${where}.${key}`));
      } else if (s.additionalProperties === false) {
        problems.push(`${where}.${key} is not allowed`);
      } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
        problems.push(...schemaProblems(item, s.additionalProperties, `${where}.${key}`));
      }
    }
  }
  return problems;
}

/**
 * Input validation with zod/mini (about 18 KB bundled; the full `zod` import is ~90 KB and
 * `import { z }` pulls every locale). Failures become a 400 naming the first bad field.
 */
import * as z from "zod/mini";
import { badRequest } from "./errors";

/** One validation problem, as zod reports it (only the fields we read). */
interface Issue {
  code: string;
  path: PropertyKey[];
  expected?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  origin?: string;
  values?: unknown[];
  keys?: string[];
  format?: string;
}

/** Words for one problem, without echoing the caller's value back. */
export function describeIssue(issue: Issue): string {
  const unit = issue.origin === "string" ? " characters" : issue.origin === "array" ? " items" : "";
  switch (issue.code) {
    case "invalid_type":
      return issue.path.length > 0 || issue.expected !== "object"
        ? `expected ${String(issue.expected)}`
        : "expected a JSON object";
    case "too_small":
      return issue.origin === "string" && issue.minimum === 1
        ? "must not be empty"
        : `expected at least ${String(issue.minimum)}${unit}`;
    case "too_big":
      return `expected at most ${String(issue.maximum)}${unit}`;
    case "invalid_value":
      return `expected one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return "is not an accepted field";
    case "invalid_format":
      return "has an invalid format";
    default:
      return "is invalid";
  }
}

/** The dotted field name of an issue (`unrecognized_keys` names the first unexpected key). */
export function fieldOf(issue: Issue, prefix: string): string {
  const parts = [...issue.path.map(String)];
  if (issue.code === "unrecognized_keys" && issue.keys?.length) parts.push(issue.keys[0]);
  const path = parts.join(".");
  return prefix && path ? `${prefix}.${path}` : prefix || path || "body";
}

/**
 * Validates `value` against `schema` and returns the parsed value, or throws a 400 naming the
 * first bad field (prefixed with `prefix`, e.g. "body" or "pathParameters").
 */
export function parseInput<T extends z.ZodMiniType>(
  schema: T,
  value: unknown,
  prefix: string,
): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as unknown as Issue;
  throw badRequest(fieldOf(issue, prefix), describeIssue(issue));
}

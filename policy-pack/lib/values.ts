/**
 * Reading resource properties safely. During preview, values not yet known arrive as the
 * engine's unknown sentinel (or are missing); malformed stacks can hold any type anywhere.
 * Policies use these helpers and stay silent on "don't know" instead of guessing.
 */

/** The engine's sentinel for a value that is unknown during preview. */
export const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Every sentinel the engine uses for a value unknown during preview (one per value kind). */
const SENTINELS = new Set([
  UNKNOWN_SENTINEL, // string
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** True for any of the engine's unknown sentinels, or a string with an interpolated unknown. */
export function isUnknownValue(value: unknown): boolean {
  return typeof value === "string" && (SENTINELS.has(value) || value.includes(UNKNOWN_SENTINEL));
}

/** True when the value or anything nested in it is unknown, whatever its kind. */
export function hasUnknown(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (isUnknownValue(value)) return true;
  if (Array.isArray(value)) return value.some((v) => hasUnknown(v, depth + 1));
  const record = asRecord(value);
  return record !== undefined && Object.values(record).some((v) => hasUnknown(v, depth + 1));
}

/** A plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A finite number, or undefined. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** An array (a lone value becomes a one-element array); undefined for missing or unknown. */
export function asList(value: unknown): unknown[] | undefined {
  if (value === undefined || value === null || isUnknownValue(value)) return undefined;
  return Array.isArray(value) ? value : [value];
}

/** The resource's name for messages: its logical name when known. */
export function nameOf(args: { name?: unknown; urn?: unknown }): string {
  return typeof args.name === "string"
    ? args.name
    : typeof args.urn === "string"
      ? String(args.urn.split("::").pop())
      : "?";
}

/** A known string (not unknown); undefined otherwise. */
export function knownString(value: unknown): string | undefined {
  return typeof value === "string" && !isUnknownValue(value) ? value : undefined;
}

/** A known string, upper-cased (enum-like inputs such as "aws_iam"); undefined otherwise. */
export function upperString(value: unknown): string | undefined {
  return knownString(value)?.toUpperCase();
}

/** True for a string with something other than white space in it. */
export function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/** A list of known non-empty strings, undefined if the list (or any element) is unknown. */
export function knownStrings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (isUnknownValue(value)) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.some((v) => isUnknownValue(v))) return undefined;
  return list.filter(nonEmptyString);
}

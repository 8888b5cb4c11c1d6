/**
 * Reading resource properties safely. During preview, values not yet known arrive as the
 * engine's unknown sentinel (or are missing); malformed stacks can hold any type anywhere.
 * Policies use these helpers and stay silent on "don't know" instead of guessing.
 */

/** The engine's sentinel for a value that is unknown during preview. */
export const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True for the unknown sentinel, or for a string that contains it (interpolated unknowns). */
export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && value.includes(UNKNOWN_SENTINEL);
}

/** True when the value, or anything nested in it, is unknown. */
export function containsUnknown(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some((v) => containsUnknown(v, depth + 1));
  if (value !== null && typeof value === "object") {
    return Object.values(value as Record<string, unknown>).some((v) =>
      containsUnknown(v, depth + 1),
    );
  }
  return false;
}

/** A plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A known string, or undefined (unknown and non-strings are both "don't know"). */
export function asString(value: unknown): string | undefined {
  return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

/** A finite number, or undefined. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A boolean, or undefined. */
export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** An array (a lone value becomes a one-element array); undefined for missing or unknown. */
export function asList(value: unknown): unknown[] | undefined {
  if (value === undefined || value === null || isUnknown(value)) return undefined;
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

/**
 * The plain value behind the SDK's unknown-checking proxy. The analyzer server wraps `props`
 * (and every stack resource's props) in a proxy that THROWS when code touches an unknown value;
 * the server then reports an advisory "can't run policy during preview" instead of letting the
 * policy stay silent. Policies read `unwrapProps(args.props)` and test values with `isUnknown`
 * instead. Non-proxies are returned as they are.
 */
export function unwrapProps<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  const target = (value as Record<string, unknown>)["__getSpecialProxyTarget"];
  return target !== undefined && target !== null && typeof target === "object"
    ? (target as T)
    : value;
}

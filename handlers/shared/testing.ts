/**
 * Test helpers for handlers (never imported by a handler's index.ts, so never bundled):
 * a seeded random source and a generator of malformed events for fuzzing.
 */
import { seeded } from "../../test/helpers/random";

/** Values of the wrong type or shape, huge strings and hostile text. */
export const BAD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  1e308,
  Number.NaN,
  true,
  "",
  " ",
  "x".repeat(100_000),
  "é".repeat(70),
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "a\u0000b",
  "\ud800",
  "%E0%A4%A",
  "{}",
  "null",
  {},
  [],
  [1, 2, 3],
  { nested: { deeper: [null] } },
  { toString: "not a function" },
];

/** Request bodies that are not valid JSON objects of any schema. */
export const BAD_BODIES: unknown[] = [
  "{",
  "{'points': 1}",
  "not json at all",
  "[".repeat(10_000),
  '{"a":'.repeat(3_000),
  "null",
  "[]",
  "42",
  '"a string"',
  "true",
  JSON.stringify({ points: "x".repeat(200_000) }),
  Buffer.from("\u00ff\u00fe garbage").toString("base64"),
  "\u0000\u0001\u0002",
  '{"__proto__":{"admin":true},"points":5}',
  123,
  { already: "an object" },
];

/** A deep copy of a JSON-like event (functions and undefined dropped). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

/** Sets (or, for `undefined`, deletes) a dotted path, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== "object") node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/**
 * `count` malformed variants of `valid`: each sets one to three of `paths` to a bad value or
 * replaces the body, and a few are not objects at all. Deterministic for a seed.
 */
export function malformedEvents(
  valid: Record<string, unknown>,
  paths: string[],
  bodyFields: string[],
  count: number,
  seed = 7,
): unknown[] {
  const rand = seeded(seed);
  const events: unknown[] = [null, undefined, "event", 42, [], {}];
  while (events.length < count) {
    const ev = clone(valid);
    const kind = rand();
    if (kind < 0.45) {
      const n = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < n; i++) setPath(ev, pick(rand, paths), pick(rand, BAD_VALUES));
    } else if (kind < 0.7) {
      ev.body = pick(rand, BAD_BODIES);
      if (rand() < 0.2) ev.isBase64Encoded = true;
    } else {
      // A body that is JSON, with one field wrong, missing or added.
      const body = JSON.parse(typeof valid.body === "string" ? valid.body : "{}") as Record<
        string,
        unknown
      >;
      const field = pick(rand, [...bodyFields, "customerId", "extra"]);
      const bad = pick(rand, BAD_VALUES);
      if (bad === undefined) delete body[field];
      else body[field] = bad;
      ev.body = JSON.stringify(body);
    }
    events.push(ev);
  }
  return events;
}

/**
 * Runs `fn` with `process.stdout.write` captured: the lines a Lambda entry point logs (its
 * module-scope logger writes to stdout) come back for assertions instead of cluttering the test
 * output.
 */
export async function captureStdout<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((l) => l.length > 0),
    );
    const done = rest.find((r): r is () => void => typeof r === "function");
    done?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: await fn(), lines };
  } finally {
    process.stdout.write = original;
  }
}

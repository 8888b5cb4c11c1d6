/**
 * ARN and IAM wildcard matching, as IAM does it: `*` matches any run of characters (including
 * none, and across `:` and `/`), `?` exactly one. Action names compare case-insensitively,
 * resource ARNs case-sensitively. Compiled patterns are cached because a stack can hold
 * thousands of policy documents.
 */

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 5_000;

function compile(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? "i" : "s"}:${pattern}`;
  let re = cache.get(key);
  if (!re) {
    const body = pattern
      .split("")
      .map((c) =>
        c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&"),
      )
      .join("");
    re = new RegExp(`^${body}$`, ignoreCase ? "i" : "");
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/** True when `value` matches the IAM wildcard `pattern` (`*`, `?`). */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*") && !pattern.includes("?")) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return compile(pattern, ignoreCase).test(value);
}

/** True when the string holds an IAM wildcard. */
export function hasWildcard(value: string): boolean {
  return value.includes("*") || value.includes("?");
}

/** The six parts of an ARN; `resource` keeps any further `:` or `/`. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits an ARN into its parts, or undefined when it is not `arn:p:s:r:a:resource`. */
export function parseArn(value: string): Arn | undefined {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition, service, region, account, ...rest] = parts;
  return { partition, service, region, account, resource: rest.join(":") };
}

/**
 * ArnLike / ArnEquals: each of the six colon-separated parts matched separately, with wildcards.
 * (IAM treats ArnEquals like ArnLike.)
 */
export function arnLike(pattern: string, value: string): boolean {
  const p = parseArn(pattern);
  const v = parseArn(value);
  if (!p || !v) return pattern === "*" || wildcardMatch(pattern, value);
  return (
    wildcardMatch(p.partition, v.partition) &&
    wildcardMatch(p.service, v.service) &&
    wildcardMatch(p.region, v.region) &&
    wildcardMatch(p.account, v.account) &&
    wildcardMatch(p.resource, v.resource)
  );
}

/** An `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>` ARN. */
export interface ExecuteApiArn extends Arn {
  apiId: string;
  /** What follows `<apiId>/`, undefined when nothing does. */
  rest?: string;
}

/** Parses an execute-api ARN (service part matched exactly), or undefined. */
export function parseExecuteApiArn(value: string): ExecuteApiArn | undefined {
  const arn = parseArn(value);
  if (!arn || arn.service !== "execute-api") return undefined;
  const slash = arn.resource.indexOf("/");
  return slash < 0
    ? { ...arn, apiId: arn.resource }
    : { ...arn, apiId: arn.resource.slice(0, slash), rest: arn.resource.slice(slash + 1) };
}

/** The account of an IAM principal ARN (user, role, assumed role, root), or undefined. */
export function accountOfArn(value: string): string | undefined {
  const arn = parseArn(value);
  return arn && /^\d{12}$/.test(arn.account) ? arn.account : undefined;
}

/**
 * The role ARN behind an STS assumed-role session ARN
 * (`arn:aws:sts::123456789012:assumed-role/Role/session` → `arn:aws:iam::123456789012:role/Role`);
 * any other ARN is returned unchanged. Resource policies name roles, requests carry sessions.
 */
export function roleArnOfSession(value: string): string {
  const arn = parseArn(value);
  if (!arn || arn.service !== "sts" || !arn.resource.startsWith("assumed-role/")) return value;
  const role = arn.resource.split("/")[1];
  return `arn:${arn.partition}:iam::${arn.account}:role/${role}`;
}

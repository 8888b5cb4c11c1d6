/**
 * Who a token's caller is and what it may do: one rule for every API, read from the claims of a
 * token that AppSync or API Gateway already verified. The APPSYNC_JS resolvers bundle this file
 * into their code, and the Lambda handlers import it, so the GraphQL fields, the loyalty resolver
 * and the HTTP authorizer decide alike.
 *
 * Written in the part of JavaScript that APPSYNC_JS runs (no try/catch/throw, no `in`, no `++`,
 * no `for (;;)`, `while` or `continue`, no regular expressions): the functions return decisions
 * and each caller refuses in its own way (`util.unauthorized()`, a thrown error).
 * https://docs.aws.amazon.com/appsync/latest/devguide/supported-features.html
 */

/** The rule, built from the stack's config and the app contract when the program runs. */
export interface CallerRule {
  /**
   * The one issuer (`iss`, exact match) whose tokens may name admins; empty: nobody is an admin.
   * AppSync and API Gateway already verify that a token comes from the stack's issuer; pinning
   * it here keeps a claim of another issuer (another user pool's `cognito:groups`) from counting.
   */
  issuer: string;
  /** The claim that lists a user's groups (`cognito:groups`, or `oidcGroupsClaim`); empty: no admins. */
  groupsClaim: string;
  /** The groups whose members are admins. */
  adminGroups: string[];
  /**
   * The `token_use` every token must carry (`access` with a Cognito user pool, whose ID tokens
   * carry no scopes); empty: not checked (an external issuer's tokens have no such claim).
   */
  tokenUse: string;
  /**
   * Per operation ("Mutation.createBooking"), the scopes of which a token must carry at least
   * one: the scopes of the HTTP route that does the same. An operation not named needs none.
   */
  operationScopes: Record<string, string[]>;
}

/** Why a token is refused: the wrong kind of token, or a missing scope. */
export type Refusal = "" | "token_use" | "scope";

type Claims = Record<string, unknown>;

const isClaims = (value: unknown): value is Claims =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The claims of an AppSync identity (`identity.claims`), or none. */
export function claimsOf(identity: unknown): Claims {
  if (!isClaims(identity)) return {};
  return isClaims(identity.claims) ? identity.claims : {};
}

/** A claim that holds a list: an array of strings, or a space- or comma-separated string. */
function listClaim(value: unknown, separators: string[]): string[] {
  if (Array.isArray(value)) return value.filter((v) => typeof v === "string" && v !== "");
  if (typeof value !== "string") return [];
  let parts = [value];
  for (const sep of separators) {
    let next: string[] = [];
    for (const part of parts) next = next.concat(part.split(sep));
    parts = next;
  }
  return parts.filter((p) => p !== "");
}

/** The scopes a token carries: `scope` (space-separated, RFC 8693) or `scp` (Okta, Entra ID). */
export function scopesOf(claims: Claims): string[] {
  return listClaim(claims.scope, [" "]).concat(listClaim(claims.scp, [" "]));
}

/**
 * Whether the token may call `operation`: the token kind the rule requires (Cognito ID tokens
 * carry no `scope` and are refused; access tokens carry `token_use: access`), then one of the
 * operation's scopes. "" when it may.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 */
export function refusalOf(rule: CallerRule, operation: string, claims: Claims): Refusal {
  if (rule.tokenUse !== "" && claims.token_use !== rule.tokenUse) return "token_use";
  const needed = Object.hasOwn(rule.operationScopes, operation)
    ? rule.operationScopes[operation]
    : [];
  if (needed.length === 0) return "";
  const granted = scopesOf(claims);
  return needed.some((s) => granted.includes(s)) ? "" : "scope";
}

/**
 * Whether the token names an admin: issued by the rule's issuer (exact `iss`) and listing an
 * admin group in the rule's groups claim, and in no other claim (`groups`, `cognito:groups` of
 * an external issuer that happens to be a user pool).
 */
export function isAdmin(rule: CallerRule, claims: Claims): boolean {
  if (rule.issuer === "" || rule.groupsClaim === "") return false;
  if (claims.iss !== rule.issuer) return false;
  const groups = listClaim(claims[rule.groupsClaim], [" ", ","]);
  return groups.some((g) => rule.adminGroups.includes(g));
}

/** Every problem of a rule read from configuration (e.g. a function's environment). */
export function callerRuleProblems(rule: unknown): string[] {
  if (!isClaims(rule)) return ["expected an object"];
  const problems: string[] = [];
  for (const key of ["issuer", "groupsClaim", "tokenUse"])
    if (typeof rule[key] !== "string") problems.push(`${key}: expected a string`);
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
  if (!strings(rule.adminGroups)) problems.push("adminGroups: expected a list of strings");
  const ops = rule.operationScopes;
  if (!isClaims(ops) || !Object.values(ops).every(strings))
    problems.push("operationScopes: expected operation → list of scopes");
  return problems;
}

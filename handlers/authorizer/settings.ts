/**
 * The authorizer's settings, read from its environment once per cold start.
 *
 * Contract (its environment, set by the HttpApi component in Lambda authorizer mode):
 * - `JWT_ISSUER`: one https issuer URL, or several separated by commas.
 * - `JWT_AUDIENCE`: comma-separated audiences / client ids (a token's `aud`, or `client_id` for
 *   Cognito access tokens, must name one of them).
 * - `JWT_REQUIRED_SCOPES` (optional): space-separated scopes that every token must carry, all of them.
 * - `JWKS_URI` (optional): the key set URL; default `<issuer>/.well-known/jwks.json`. With several
 *   issuers, give one URL per issuer, comma-separated, in the same order.
 * - `JWT_ROUTE_SCOPES` (optional): JSON object from route key ("GET /bookings") to scopes; the
 *   token must carry at least one of its route's scopes (the rule of API Gateway's JWT
 *   authorizer, so both authorizer modes let the same callers in). When set, a route it does not
 *   name is denied: a new route cannot slip through without scopes.
 */

/** One trusted issuer and where its signing keys are published. */
export interface IssuerSettings {
  /** The exact `iss` claim value. */
  issuer: string;
  /** Where the issuer's JWKS is published. */
  jwksUri: string;
  /** Set when the issuer is a Cognito user pool (its tokens are checked the Cognito way). */
  cognitoUserPoolId?: string;
}

/** Everything the authorizer checks, decoded and validated. */
export interface AuthorizerSettings {
  issuers: IssuerSettings[];
  audiences: string[];
  /** Scopes every token must carry (all of them). */
  requiredScopes: string[];
  /** Per route key, the scopes of which a token must carry at least one; undefined: no route rule. */
  routeScopes?: Record<string, string[]>;
}

/** Raised for a bad environment; the message names every bad variable. */
export class AuthorizerConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid authorizer environment: ${problems.join("; ")}`);
    this.name = "AuthorizerConfigError";
  }
}

/** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`, the issuer of a Cognito user pool. */
const COGNITO_ISSUER =
  /^https:\/\/cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/(\1_[0-9A-Za-z]+)$/;

const list = (value: string | undefined, separator: RegExp): string[] =>
  (value ?? "")
    .split(separator)
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** The Cognito user pool id of an issuer URL, or undefined for any other issuer. */
export function cognitoUserPoolIdOf(issuer: string): string | undefined {
  return COGNITO_ISSUER.exec(issuer)?.[2];
}

/**
 * Decodes and validates the authorizer's environment. Throws {@link AuthorizerConfigError}
 * listing every problem at once.
 */
export function parseAuthorizerEnv(env: Record<string, string | undefined>): AuthorizerSettings {
  const problems: string[] = [];
  const issuerUrls = list(env.JWT_ISSUER, /,/);
  const audiences = list(env.JWT_AUDIENCE, /,/);
  const requiredScopes = list(env.JWT_REQUIRED_SCOPES, /\s+/);
  const jwksUris = list(env.JWKS_URI, /,/);

  if (issuerUrls.length === 0)
    problems.push("JWT_ISSUER is required (https issuer URLs, comma-separated)");
  for (const issuer of issuerUrls) {
    if (!isHttpsUrl(issuer))
      problems.push(`JWT_ISSUER: expected an https:// URL, found '${issuer}'`);
  }
  if (new Set(issuerUrls).size !== issuerUrls.length) problems.push("JWT_ISSUER: duplicate issuer");
  if (audiences.length === 0) problems.push("JWT_AUDIENCE is required (comma-separated audiences)");
  if (jwksUris.length > 0 && jwksUris.length !== issuerUrls.length) {
    problems.push(
      `JWKS_URI: expected one URL per issuer (${issuerUrls.length}), found ${jwksUris.length}`,
    );
  }
  for (const uri of jwksUris) {
    if (!isHttpsUrl(uri)) problems.push(`JWKS_URI: expected an https:// URL, found '${uri}'`);
  }

  const issuers: IssuerSettings[] = issuerUrls.map((issuer, i) => {
    const defaultJwksUri = `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`;
    const jwksUri = jwksUris[i] ?? defaultJwksUri;
    const cognitoUserPoolId = cognitoUserPoolIdOf(issuer);
    if (cognitoUserPoolId && jwksUri !== defaultJwksUri) {
      problems.push(
        `JWKS_URI: a Cognito user pool publishes its keys at ${defaultJwksUri}, found '${jwksUri}'`,
      );
    }
    return cognitoUserPoolId ? { issuer, jwksUri, cognitoUserPoolId } : { issuer, jwksUri };
  });

  let routeScopes: Record<string, string[]> | undefined;
  if (env.JWT_ROUTE_SCOPES !== undefined && env.JWT_ROUTE_SCOPES.trim() !== "") {
    routeScopes = parseRouteScopes(env.JWT_ROUTE_SCOPES, problems);
  }

  if (problems.length > 0) throw new AuthorizerConfigError(problems);
  return routeScopes
    ? { issuers, audiences, requiredScopes, routeScopes }
    : { issuers, audiences, requiredScopes };
}

function parseRouteScopes(text: string, problems: string[]): Record<string, string[]> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push("JWT_ROUTE_SCOPES: expected a JSON object of route key to scopes");
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push("JWT_ROUTE_SCOPES: expected a JSON object of route key to scopes");
    return undefined;
  }
  const out: Record<string, string[]> = {};
  for (const [route, scopes] of Object.entries(value)) {
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string" && s.length > 0)) {
      problems.push(`JWT_ROUTE_SCOPES['${route}']: expected an array of scope names`);
      continue;
    }
    out[route] = scopes as string[];
  }
  return out;
}

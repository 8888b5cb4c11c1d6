/**
 * Token verification on aws-jwt-verify: the signature with the issuer's keys, and the `iss`,
 * `aud` (or Cognito's `client_id`), `exp` and `nbf` claims.
 */
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import type { Jwks, JwksCache } from "aws-jwt-verify/jwk";
import { decomposeUnverifiedJwt } from "aws-jwt-verify/jwt";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { AuthorizerSettings, IssuerSettings } from "./settings";

/** What the authorizer needs from a verifier: a verified payload, or a rejection. */
export interface TokenVerifier {
  /** Resolves to the verified payload; rejects for any invalid token. */
  verify(token: string): Promise<JwtPayload>;
}

/** A {@link TokenVerifier} whose key cache can be primed (tests, benchmarks, warm starts). */
export interface IssuerVerifiers extends TokenVerifier {
  /** Puts an issuer's JWKS in its verifier's cache, so no download is needed for its keys. */
  cacheJwks(issuer: string, jwks: Jwks): void;
}

/** The part of an aws-jwt-verify verifier (single or multi issuer) used here. */
interface Library {
  verify(token: string): Promise<JwtPayload>;
  cacheJwks(jwks: Jwks, issuerOrUserPoolId: string): void;
}

/**
 * Builds the verifiers for every trusted issuer. Create once per cold start (module scope): each
 * verifier keeps its JWKS and the derived public keys cached across invocations, and fetches a
 * key set again only for an unknown `kid` (key rotation), rate-limited by aws-jwt-verify's
 * penalty box. Pass `jwksCache` to control fetching (tests use one whose fetcher fails fast).
 *
 * Cognito user pools get aws-jwt-verify's Cognito verifier (access tokens: `token_use` and
 * `client_id` checked, since Cognito access tokens have no `aud`); other issuers the generic
 * one (`aud` checked). Each library verifier handles all its issuers and decomposes the token
 * once; only a mix of both kinds needs the token's `iss` read up front to pick one.
 */
export function createTokenVerifier(
  settings: Pick<AuthorizerSettings, "issuers" | "audiences">,
  options: { jwksCache?: JwksCache } = {},
): IssuerVerifiers {
  const extra = options.jwksCache ? { jwksCache: options.jwksCache } : undefined;
  const audiences = settings.audiences;
  const cognito = settings.issuers.filter((i) => i.cognitoUserPoolId !== undefined);
  const generic = settings.issuers.filter((i) => i.cognitoUserPoolId === undefined);

  const cognitoLib =
    cognito.length === 0
      ? undefined
      : (CognitoJwtVerifier.create(
          cognito.map((i: IssuerSettings) => ({
            userPoolId: i.cognitoUserPoolId as string,
            // APIs accept access tokens only: ID tokens carry no scopes and are meant for the
            // client, not for resource servers.
            tokenUse: "access" as const,
            clientId: audiences,
          })),
          extra,
        ) as unknown as Library);
  const genericLib =
    generic.length === 0
      ? undefined
      : (JwtVerifier.create(
          generic.map((i) => ({ issuer: i.issuer, audience: audiences, jwksUri: i.jwksUri })),
          extra,
        ) as unknown as Library);

  const cognitoIssuers = new Set(cognito.map((i) => i.issuer));
  let verify: (token: string) => Promise<JwtPayload>;
  if (cognitoLib && genericLib) {
    verify = (token) => {
      // Throws JwtParseError for anything that is not a well-formed JWT.
      const { payload } = decomposeUnverifiedJwt(token);
      const lib =
        typeof payload.iss === "string" && cognitoIssuers.has(payload.iss)
          ? cognitoLib
          : genericLib;
      return lib.verify(token);
    };
  } else {
    const lib = (cognitoLib ?? genericLib) as Library;
    verify = lib.verify.bind(lib);
  }

  return {
    // A token of an issuer not configured is rejected by the library with a
    // ParameterValidationError ("issuer not configured"), or a JwtInvalidIssuerError.
    verify,
    cacheJwks(issuer: string, jwks: Jwks): void {
      const pool = cognito.find((i) => i.issuer === issuer);
      if (pool && cognitoLib) return cognitoLib.cacheJwks(jwks, pool.cognitoUserPoolId as string);
      if (generic.some((i) => i.issuer === issuer) && genericLib) {
        return genericLib.cacheJwks(jwks, issuer);
      }
      throw new Error(`not a configured issuer: ${issuer}`);
    },
  };
}

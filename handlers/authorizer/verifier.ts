/**
 * Token verification on aws-jwt-verify: one verifier per trusted issuer, chosen by the token's
 * (not yet trusted) `iss` claim and then checked by that issuer's verifier, which verifies the
 * signature with the issuer's keys and the `iss`, `aud`/`client_id`, `exp` and `nbf` claims.
 */
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import { JwtInvalidIssuerError } from "aws-jwt-verify/error";
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

interface OneIssuer {
  verify(token: string): Promise<JwtPayload>;
  cacheJwks(jwks: Jwks): void;
}

function verifierFor(
  issuer: IssuerSettings,
  audiences: string[],
  jwksCache: JwksCache | undefined,
): OneIssuer {
  const extra = jwksCache ? { jwksCache } : undefined;
  if (issuer.cognitoUserPoolId) {
    // Cognito access tokens carry the app client in `client_id` and have no `aud`; the Cognito
    // verifier checks `client_id` and `token_use`. APIs accept access tokens only: ID tokens
    // carry no scopes and are meant for the client, not for resource servers.
    const v = CognitoJwtVerifier.create(
      { userPoolId: issuer.cognitoUserPoolId, tokenUse: "access", clientId: audiences },
      extra,
    );
    return { verify: (token) => v.verify(token), cacheJwks: (jwks) => v.cacheJwks(jwks) };
  }
  const v = JwtVerifier.create(
    { issuer: issuer.issuer, audience: audiences, jwksUri: issuer.jwksUri },
    extra,
  );
  return { verify: (token) => v.verify(token), cacheJwks: (jwks) => v.cacheJwks(jwks) };
}

/**
 * Builds the verifiers for every trusted issuer. Create once per cold start (module scope): each
 * verifier keeps its JWKS and the derived public keys cached across invocations, and fetches a
 * key set again only for an unknown `kid` (key rotation), rate-limited by aws-jwt-verify's
 * penalty box. Pass `jwksCache` to control fetching (tests use one whose fetcher fails fast).
 */
export function createTokenVerifier(
  settings: Pick<AuthorizerSettings, "issuers" | "audiences">,
  options: { jwksCache?: JwksCache } = {},
): IssuerVerifiers {
  const byIssuer = new Map<string, OneIssuer>();
  for (const issuer of settings.issuers) {
    byIssuer.set(issuer.issuer, verifierFor(issuer, settings.audiences, options.jwksCache));
  }
  return {
    async verify(token: string): Promise<JwtPayload> {
      // Throws JwtParseError for anything that is not a well-formed JWT.
      const { payload } = decomposeUnverifiedJwt(token);
      const verifier = typeof payload.iss === "string" ? byIssuer.get(payload.iss) : undefined;
      if (!verifier) {
        throw new JwtInvalidIssuerError("Issuer not allowed", payload.iss ?? null, [
          ...byIssuer.keys(),
        ]);
      }
      return verifier.verify(token);
    },
    cacheJwks(issuer: string, jwks: Jwks): void {
      const verifier = byIssuer.get(issuer);
      if (!verifier) throw new Error(`not a configured issuer: ${issuer}`);
      verifier.cacheJwks(jwks);
    },
  };
}

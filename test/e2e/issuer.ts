/**
 * A local token issuer: an RSA key, its JWKS served on 127.0.0.1, and RS256 tokens for any `iss`
 * (the stack's issuer URL, which the suite cannot serve itself). Verification goes through
 * aws-jwt-verify with a fetcher that reads the JWKS from the local server, as API Gateway's JWT
 * authorizer and AppSync read the real issuer's.
 */
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

/** The issuer: sign tokens, verify them for an issuer, stop the JWKS server. */
export interface Issuer {
  sign(claims: Record<string, unknown>): string;
  /** The verified payload, or undefined for a token that does not verify for `issuer`. */
  verify(token: string, issuer: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
  /** The local server's JWKS URL (http://127.0.0.1:<port>/.well-known/jwks.json). */
  jwksUrl: string;
}

/** Starts the JWKS server on 127.0.0.1 (stopped by `close`). */
export async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwks = {
    keys: [{ ...publicKey.export({ format: "jwk" }), kid: "e2e-1", alg: "RS256", use: "sig" }],
  };
  const server = http.createServer((_, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  // Whatever https JWKS URI the verifier asks for, the keys come from the local server.
  const jwksCache = new SimpleJwksCache({
    fetcher: { fetch: async () => (await fetch(local)).arrayBuffer() },
  });
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return {
    sign(claims) {
      const now = Math.floor(Date.now() / 1000);
      const head = `${b64({ alg: "RS256", kid: "e2e-1", typ: "JWT" })}.${b64({ iat: now, exp: now + 600, ...claims })}`;
      const signature = crypto.sign("RSA-SHA256", Buffer.from(head), privateKey);
      return `${head}.${signature.toString("base64url")}`;
    },
    async verify(token, issuer) {
      const verifier = JwtVerifier.create(
        { issuer, audience: null, jwksUri: `${issuer}/.well-known/jwks.json` },
        { jwksCache },
      );
      try {
        return (await verifier.verify(token)) as unknown as Record<string, unknown>;
      } catch {
        return undefined;
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    jwksUrl: local,
  };
}

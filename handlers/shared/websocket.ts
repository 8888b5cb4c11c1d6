/**
 * What the WebSocket authorizer and the `$connect` handler both read from a connection request:
 * the offered subprotocols (the `Sec-WebSocket-Protocol` header, where a browser client puts its
 * access token, since `new WebSocket(url, protocols)` cannot set `Authorization`) and whether the
 * query string carries a token (refused: URLs end up in access logs, proxies and browser
 * history).
 */
import { header } from "./http";

/** Query-string parameters that would carry a credential. */
const CREDENTIAL_PARAMETERS = new Set([
  "token",
  "access_token",
  "id_token",
  "authorization",
  "auth",
  "jwt",
  "bearer",
]);

/** A compact JWS: three base64url parts. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** True for a string shaped like a JWT (three dot-separated base64url parts). */
export const looksLikeJwt = (value: string): boolean => value.length > 16 && JWT_SHAPE.test(value);

/** The subprotocols a client offers, in its order (`Sec-WebSocket-Protocol: a, b`). */
export function offeredProtocols(
  headers: Record<string, string | undefined> | null | undefined,
): string[] {
  const value = header(headers, "sec-websocket-protocol") ?? "";
  return value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * True when the query string carries a credential: a parameter named like one, or any value
 * shaped like a JWT.
 */
export function queryCarriesToken(
  query: Record<string, string | undefined> | null | undefined,
): boolean {
  if (!query || typeof query !== "object") return false;
  return Object.entries(query).some(
    ([key, value]) =>
      CREDENTIAL_PARAMETERS.has(key.toLowerCase()) ||
      (typeof value === "string" && looksLikeJwt(value)),
  );
}

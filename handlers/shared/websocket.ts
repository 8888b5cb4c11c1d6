/**
 * What the WebSocket authorizer and the `$connect` handler both read from a connection request:
 * the offered subprotocols (the `Sec-WebSocket-Protocol` header, where a browser client puts its
 * access token, since `new WebSocket(url, protocols)` cannot set `Authorization`) and whether the
 * query string carries a token (refused: URLs end up in access logs, proxies and browser
 * history).
 */
import { header } from "./http";
import { hasJwtShape } from "./jwt";

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

/** True for a string shaped like a JWT (three dot-separated parts, no blanks). */
export const looksLikeJwt = (value: string): boolean => value.length > 16 && hasJwtShape(value);

const isBlank = (code: number) => code === 32 || code === 9;

/**
 * The subprotocols a client offers, in its order (`Sec-WebSocket-Protocol: a, b`). Scanned by
 * hand: every `$connect` pays for it, and split/trim/filter cost as much as the rest of the
 * decision around the token verification.
 */
export function offeredProtocols(
  headers: Record<string, string | undefined> | null | undefined,
): string[] {
  // API Gateway passes the header as the client spelled it; the usual spelling needs no scan.
  const value =
    headers?.["Sec-WebSocket-Protocol"] ??
    headers?.["sec-websocket-protocol"] ??
    header(headers, "sec-websocket-protocol") ??
    "";
  const out: string[] = [];
  if (typeof value !== "string") return out;
  for (let start = 0; start < value.length;) {
    let end = value.indexOf(",", start);
    if (end === -1) end = value.length;
    let a = start;
    let b = end;
    while (a < b && isBlank(value.charCodeAt(a))) a++;
    while (b > a && isBlank(value.charCodeAt(b - 1))) b--;
    if (b > a) out.push(value.slice(a, b));
    start = end + 1;
  }
  return out;
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

/**
 * The WebSocket API's own routes, as pure functions of the event, the settings and a narrow
 * connections store:
 * - `$connect` (after the authorizer allowed it): records the connection with its user's `sub`
 *   and an expiry, and echoes the app subprotocol (a browser drops a connection whose response
 *   does not name one of the subprotocols it offered, RFC 6455 section 4.1).
 * - `$disconnect`: forgets the connection.
 * - `$default`: every client message. Only `{"action":"ping"}` is accepted (answered with a
 *   pong on the same connection); the API carries updates from the server to its clients, and no
 *   client can address another connection.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from "aws-lambda";
import type { Logger } from "../shared/logger";
import { offeredProtocols, queryCarriesToken } from "../shared/websocket";

/** A connection as stored: id, owner, expiry (epoch seconds, the table's TTL attribute). */
export interface ConnectionRecord {
  connectionId: string;
  sub: string;
  expiresAt: number;
}

/** The narrow store the routes need. */
export interface ConnectionStore {
  put(record: ConnectionRecord): Promise<void>;
  remove(connectionId: string): Promise<void>;
}

export interface ConnectionSettings {
  /** The subprotocol echoed on `$connect`. */
  subprotocol: string;
  /** How long a connection record lives (API Gateway closes a connection after 2 hours anyway). */
  ttlSeconds: number;
}

export interface ConnectionDeps {
  store: ConnectionStore;
  settings: ConnectionSettings;
  logger: Logger;
  now: () => number;
}

/** The `$connect` event: its authorizer context and headers (absent from the v2 type). */
type ConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  requestContext: { authorizer?: { sub?: unknown } };
};

const reply = (statusCode: number, body?: unknown, headers?: Record<string, string>) => ({
  statusCode,
  ...(headers ? { headers } : {}),
  body: body === undefined ? "" : JSON.stringify(body),
});

const ONLY_PING = {
  error: "unsupported_message",
  message: 'only {"action":"ping"} is accepted; updates are sent by the server',
};

/** True for the one message a client may send. */
export function isPing(body: unknown): boolean {
  if (typeof body !== "string" || body.length > 256) return false;
  try {
    const parsed = JSON.parse(body) as unknown;
    return (
      typeof parsed === "object" &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      Object.keys(parsed).length === 1 &&
      (parsed as { action?: unknown }).action === "ping"
    );
  } catch {
    return false;
  }
}

async function connect(event: ConnectEvent, deps: ConnectionDeps): Promise<APIGatewayProxyResult> {
  const sub = event.requestContext.authorizer?.sub;
  const { subprotocol, ttlSeconds } = deps.settings;
  // The authorizer refuses these already; a second look costs nothing and keeps a cached Allow
  // from letting a query-string token through.
  if (typeof sub !== "string" || sub === "" || queryCarriesToken(event.queryStringParameters)) {
    deps.logger.warn("connect refused", { reason: "no authorized sub or token in query" });
    return reply(403);
  }
  if (!offeredProtocols(event.headers).includes(subprotocol)) return reply(400);
  const expiresAt = Math.floor(deps.now() / 1000) + ttlSeconds;
  await deps.store.put({ connectionId: event.requestContext.connectionId, sub, expiresAt });
  deps.logger.info("connected", { connectionId: event.requestContext.connectionId, sub });
  return reply(200, undefined, { "Sec-WebSocket-Protocol": subprotocol });
}

/** Routes one event by its route key; unknown routes are refused. */
export async function route(
  event: APIGatewayProxyWebsocketEventV2,
  deps: ConnectionDeps,
): Promise<APIGatewayProxyResult> {
  const routeKey = event?.requestContext?.routeKey;
  if (routeKey === "$connect") return connect(event as ConnectEvent, deps);
  if (routeKey === "$disconnect") {
    await deps.store.remove(event.requestContext.connectionId);
    return reply(200);
  }
  if (routeKey === "$default") {
    if (isPing(event.body)) return reply(200, { type: "pong" });
    deps.logger.info("message refused", { connectionId: event.requestContext.connectionId });
    return reply(400, ONLY_PING);
  }
  return reply(404);
}

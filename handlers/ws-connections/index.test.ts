import * as assert from "assert";
import type { APIGatewayProxyWebsocketEventV2 } from "aws-lambda";
import { createLogger } from "../shared/logger";
import { ConnectionDeps, ConnectionRecord, isPing, route } from "./connections";

const PROTOCOL = "sec1.bookings.v1";
const NOW = 1_800_000_000_000;

function deps(): ConnectionDeps & { items: Map<string, ConnectionRecord> } {
  const items = new Map<string, ConnectionRecord>();
  return {
    items,
    store: {
      put: async (r) => void items.set(r.connectionId, r),
      remove: async (id) => void items.delete(id),
    },
    settings: { subprotocol: PROTOCOL, ttlSeconds: 3 * 3600 },
    logger: createLogger({}, { write: () => undefined }),
    now: () => NOW,
  };
}

function event(
  routeKey: string,
  extra: { body?: string; sub?: string; protocols?: string; query?: Record<string, string> } = {},
): APIGatewayProxyWebsocketEventV2 {
  return {
    requestContext: {
      routeKey,
      connectionId: "conn-1",
      ...(extra.sub ? { authorizer: { sub: extra.sub } } : {}),
    },
    headers: { "Sec-WebSocket-Protocol": extra.protocols ?? `${PROTOCOL}, eyJ.a.b` },
    queryStringParameters: extra.query,
    body: extra.body,
  } as unknown as APIGatewayProxyWebsocketEventV2;
}

describe("ws-connections: $connect, $disconnect, $default", () => {
  it("$connect records the connection with its sub and TTL and echoes only the app subprotocol", async () => {
    const d = deps();
    const result = await route(event("$connect", { sub: "user-a" }), d);
    assert.strictEqual(result.statusCode, 200);
    assert.deepStrictEqual(result.headers, { "Sec-WebSocket-Protocol": PROTOCOL });
    assert.deepStrictEqual(d.items.get("conn-1"), {
      connectionId: "conn-1",
      sub: "user-a",
      expiresAt: NOW / 1000 + 3 * 3600,
    });
  });

  it("$connect refuses a connection without an authorized sub or with a query-string token", async () => {
    const d = deps();
    assert.strictEqual((await route(event("$connect"), d)).statusCode, 403);
    const query = { token: "eyJhbGciOi.eyJzdWIiOi.c2ln" };
    assert.strictEqual((await route(event("$connect", { sub: "a", query }), d)).statusCode, 403);
    const noProtocol = event("$connect", { sub: "a", protocols: "chat" });
    assert.strictEqual((await route(noProtocol, d)).statusCode, 400);
    assert.strictEqual(d.items.size, 0);
  });

  it("$disconnect forgets the connection", async () => {
    const d = deps();
    await route(event("$connect", { sub: "user-a" }), d);
    assert.strictEqual((await route(event("$disconnect"), d)).statusCode, 200);
    assert.strictEqual(d.items.size, 0);
  });

  it("$default answers a ping and refuses every other message", async () => {
    const d = deps();
    const pong = await route(event("$default", { body: '{"action":"ping"}' }), d);
    assert.deepStrictEqual([pong.statusCode, JSON.parse(pong.body)], [200, { type: "pong" }]);
    for (const body of [
      '{"action":"sendmessage","connectionId":"conn-2","data":"hi"}',
      '{"action":"ping","to":"conn-2"}',
      "ping",
      "",
      "x".repeat(10_000),
    ]) {
      const refused = await route(event("$default", { body }), d);
      assert.strictEqual(refused.statusCode, 400, body.slice(0, 40));
      assert.strictEqual(JSON.parse(refused.body).error, "unsupported_message");
    }
    assert.strictEqual(isPing(undefined), false);
  });

  it("refuses unknown routes", async () =>
    assert.strictEqual((await route(event("sendmessage"), deps())).statusCode, 404));
});

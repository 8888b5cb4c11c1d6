/**
 * The WebSocket API end to end on the dev and prod stacks as checked in: the bundled `$connect`
 * authorizer decides on real tokens from the local issuer, the bundled routes function keeps
 * connections in dynalite, and the bundled notifier, with the real SDK clients, posts a booking
 * change to a local `@connections` endpoint: to its owner's connections only, removing the gone.
 */
import * as assert from "assert";
import { saveEnv, stackModel, StackModel } from "./harness";
import { Issuer, startIssuer } from "./issuer";
import { SUB } from "./matrix";
import { WS_OPERATIONS, wsCallers, wsMatrix, wsPlant, WsPlant } from "./websocket";

type Rows = { caller: string; cells: string[] }[];

const cell = (rows: Rows, caller: string, op: (typeof WS_OPERATIONS)[number]) => {
  const row = rows.find((r) => r.caller === caller);
  assert.ok(row, `no row for ${caller}`);
  return row.cells[WS_OPERATIONS.indexOf(op)];
};

describe("e2e: the WebSocket API (bundled authorizer, routes and notifier on dynalite)", function () {
  this.timeout(120_000);
  let issuer: Issuer;
  let restoreEnv: () => void;
  const models: Record<string, StackModel> = {};
  const rows: Record<string, Rows> = {};

  before(async () => {
    restoreEnv = saveEnv();
    issuer = await startIssuer();
    for (const stack of ["dev", "prod"]) {
      models[stack] = await stackModel(stack);
      rows[stack] = await wsMatrix(models[stack], issuer);
    }
  });
  after(async () => {
    await issuer.close();
    restoreEnv();
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: the authorizer lets in access tokens of the web client with bookings.read, and nothing else`, () => {
      const r = rows[stack];
      assert.match(cell(r, "user A (access token)", "WS $connect"), /^✔ \(sec1\.bookings\.v1\)$/);
      assert.match(cell(r, "user B (access token)", "WS $connect"), /^✔/);
      for (const refused of [
        "user A's ID token",
        "user A, expired token",
        "another client's token",
        "token without bookings.read",
        "no token (subprotocol only)",
        "token in the query string",
      ])
        assert.strictEqual(cell(r, refused, "WS $connect"), "✘ 403", refused);
      assert.strictEqual(
        cell(r, "no Sec-WebSocket-Protocol", "WS $connect"),
        "✘ 401 (no Sec-WebSocket-Protocol)",
      );
    });

    it(`${stack}: a booking change reaches only its owner's connections, and no client can send to another`, () => {
      const r = rows[stack];
      assert.strictEqual(cell(r, "user A (access token)", "gets A's booking change"), "✔");
      assert.strictEqual(cell(r, "user A (access token)", "gets B's booking change"), "✘ not sent");
      assert.strictEqual(cell(r, "user B (access token)", "gets B's booking change"), "✔");
      assert.strictEqual(cell(r, "user B (access token)", "gets A's booking change"), "✘ not sent");
      for (const row of r)
        assert.ok(
          !row.cells[WS_OPERATIONS.indexOf("sends to another connection")].startsWith("✔"),
          row.caller,
        );
    });
  }

  describe("dev, step by step", () => {
    let plant: WsPlant;
    let callers: ReturnType<typeof wsCallers>;
    before(async () => {
      const model = models.dev;
      const subprotocol = model.fn("ws-connections").environment.WS_SUBPROTOCOL;
      callers = wsCallers(model, issuer, subprotocol);
      plant = await wsPlant(model, issuer);
    });
    after(() => plant.close());

    it("A's two connections get A's change with the booking's listed fields; B's and a gone one do not; the gone one is removed", async () => {
      const [a, b] = callers;
      for (const id of ["a-phone", "a-laptop", "a-stale"])
        assert.match(await plant.connect(id, a.protocols), /^✔/);
      assert.match(await plant.connect("b-phone", b.protocols), /^✔/);
      plant.endpoint.gone.add("a-stale");
      const { failures } = await plant.changeBooking(SUB.A, "bk-1");
      assert.deepStrictEqual(failures, []);
      assert.deepStrictEqual(plant.endpoint.posts.map((p) => p.connectionId).sort(), [
        "a-laptop",
        "a-phone",
      ]);
      assert.deepStrictEqual(plant.endpoint.posts[0].data, {
        type: "change",
        event: "MODIFY",
        keys: { customerId: SUB.A, bookingId: "bk-1" },
        item: {
          customerId: SUB.A,
          bookingId: "bk-1",
          flightId: "LH400",
          seatClass: "economy",
          status: "CONFIRMED",
          createdAt: "2026-12-08T02:00:00Z",
        },
      });
      assert.deepStrictEqual(await plant.connections(), ["a-laptop", "a-phone", "b-phone"]);
    });

    it("$default answers a ping and refuses a message addressed to another connection", async () => {
      const pong = await plant.send("a-phone", JSON.stringify({ action: "ping" }));
      assert.deepStrictEqual([pong.statusCode, JSON.parse(pong.body)], [200, { type: "pong" }]);
      const before = plant.endpoint.posts.length;
      const refused = await plant.send(
        "a-phone",
        JSON.stringify({ action: "sendmessage", connectionId: "b-phone", data: "hi" }),
      );
      assert.strictEqual(refused.statusCode, 400);
      assert.strictEqual(plant.endpoint.posts.length, before, "nothing reached b-phone");
    });
  });
});

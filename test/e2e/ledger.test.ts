/**
 * The loyalty ledger on a real DynamoDB engine: the bundled loyalty function, with the
 * environment the dev stack gives it, against dynalite holding the stack's tables. What the
 * issue asks of credits: none without a key, none for a key past its retry window, one per key
 * also under a race, none lost under concurrency, and a customer's item that does not grow with
 * the number of credits (partial failures: ledger-faults.test.ts).
 */
import * as assert from "assert";
import { ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyResult } from "aws-lambda";
import {
  Bundle,
  createTables,
  creditEvent,
  Engine,
  FunctionSpec,
  itemOf,
  loadBundle,
  saveEnv,
  stackModel,
  StackModel,
  startEngine,
  TableSpec,
} from "./harness";

/**
 * Credits the 10,000-credit check applies. DynamoDB work is about 2 ms per request on dynalite
 * here and a credit is four writes (claim the key, credit and mark, complete the key, clear the
 * mark), so the full 10,000 take about a minute: `npm test` runs 100 (the item's size is independent of the count, which the test
 * checks), `LEDGER_CREDITS=10000 npm run test:e2e` runs them all.
 */
const CREDITS = Number(process.env.LEDGER_CREDITS) || 100;

/** DynamoDB's item size: attribute names plus values (numbers about 1 byte per 2 digits). */
function itemSize(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (typeof value === "number") bytes += Math.ceil(String(value).length / 2) + 1;
    else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

describe("e2e: the loyalty ledger on dynalite (bundled loyalty function, dev stack's environment)", function () {
  // The full 10,000-credit run takes minutes on a shared machine.
  this.timeout(Math.max(120_000, CREDITS * 60));
  let engine: Engine;
  let restoreEnv: () => void;
  let model: StackModel;
  let fn: FunctionSpec;
  let loyalty: Bundle;
  let loyaltyTable: TableSpec;
  let idempotencyTable: TableSpec;
  let requests = 0;

  before(async () => {
    restoreEnv = saveEnv();
    model = await stackModel("dev");
    engine = await startEngine();
    await createTables(engine, model.tables);
    fn = model.fn("loyalty");
    loyaltyTable = model.tableOf(fn, "LOYALTY_TABLE_NAME");
    idempotencyTable = model.tableOf(fn, "IDEMPOTENCY_TABLE_NAME");
    loyalty = loadBundle(fn, engine);
  });
  after(async () => {
    await engine?.close();
    restoreEnv?.();
  });

  /** When the client created its keys (a retry keeps the key and this time). */
  const createdAt = new Date().toISOString();

  /**
   * POST /loyalty/{customerId}/points as API Gateway hands it to the function (AWS_IAM caller);
   * a body with a key and no creation time gets the suite's.
   */
  function credit(customerId: string, body: unknown): Promise<APIGatewayProxyResult> {
    requests++;
    const sent =
      typeof body === "object" && body && "idempotencyKey" in body
        ? { idempotencyKeyCreatedAt: createdAt, ...body }
        : body;
    const event = creditEvent(customerId, sent, `req-${requests}`);
    return loyalty.handler(event, {
      awsRequestId: `aws-${requests}`,
      getRemainingTimeInMillis: () => 10_000,
    });
  }
  const pointsOf = (customerId: string) => itemOf(engine, loyaltyTable, { customerId });
  /** Every idempotency record (a Scan answers at most 1 MB a page). */
  const records = async () => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await engine.doc.send(
        new ScanCommand({ TableName: idempotencyTable.name, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  it("runs against the tables the program declares: records keyed by id, with TTL on expiration", () => {
    assert.strictEqual(idempotencyTable.hashKey, "id");
    assert.strictEqual(idempotencyTable.ttlAttribute, "expiration");
    assert.notStrictEqual(idempotencyTable.name, loyaltyTable.name);
  });

  it("refuses a credit without idempotencyKey: 400, no points, no record", async () => {
    const res = await credit("c-nokey", { points: 10 });
    assert.strictEqual(res.statusCode, 400);
    assert.strictEqual(JSON.parse(res.body).field, "body.idempotencyKey");
    assert.strictEqual(await pointsOf("c-nokey"), undefined);
    assert.strictEqual((await records()).length, 0);
  });

  it("credits a key once: a replay answers the stored result", async () => {
    const body = { points: 250, reason: "flight LH400", idempotencyKey: "replay-0001" };
    const first = await credit("c-replay", body);
    const again = await credit("c-replay", body);
    assert.deepStrictEqual([first.statusCode, again.statusCode], [200, 200]);
    assert.deepStrictEqual(JSON.parse(again.body), JSON.parse(first.body));
    assert.strictEqual((await pointsOf("c-replay"))?.points, 250);
  });

  it("refuses a key created more than 24 hours ago: 400 retry_window_passed, no points, no record", async () => {
    const old = new Date(Date.now() - 24 * 3600 * 1000 - 1000).toISOString();
    const body = { points: 10, idempotencyKey: "window-0001", idempotencyKeyCreatedAt: old };
    const res = await credit("c-window", body);
    assert.strictEqual(res.statusCode, 400);
    assert.deepStrictEqual(
      [JSON.parse(res.body).error, JSON.parse(res.body).field],
      ["retry_window_passed", "body.idempotencyKeyCreatedAt"],
    );
    assert.strictEqual(await pointsOf("c-window"), undefined);
    assert.ok(!(await records()).some((r) => String(r.id).includes("window-0001")));
  });

  it("clears a mark a dead attempt left past the key horizon with the next credit", async () => {
    // What an invocation that died after crediting leaves, for a key created 25 hours ago.
    const stale = `credit#${Date.now() - 25 * 3600 * 1000}#dead-attempt-key`;
    await engine.doc.send(
      new UpdateCommand({
        TableName: loyaltyTable.name,
        Key: { customerId: "c-stale" },
        UpdateExpression: "SET #points = :p, #stale = :p",
        ExpressionAttributeNames: { "#points": "points", "#stale": stale },
        ExpressionAttributeValues: { ":p": 40 },
      }),
    );
    const res = await credit("c-stale", { points: 2, idempotencyKey: "stale-0001" });
    assert.strictEqual(res.statusCode, 200, res.body);
    const item = await pointsOf("c-stale");
    assert.strictEqual(item?.points, 42);
    assert.deepStrictEqual(Object.keys(item ?? {}).sort(), ["customerId", "points", "updatedAt"]);
  });

  it("credits a key once when 20 identical requests race (the others: 409 in progress or 200)", async () => {
    const body = { points: 500, idempotencyKey: "race-0001" };
    const results = await Promise.all(Array.from({ length: 20 }, () => credit("c-race", body)));
    const statuses = results.map((r) => r.statusCode);
    assert.ok(
      statuses.every((s) => s === 200 || s === 409),
      statuses.join(","),
    );
    assert.ok(statuses.includes(200), statuses.join(","));
    assert.strictEqual((await pointsOf("c-race"))?.points, 500);
  });

  it("refuses the same key with another body (409) without crediting", async () => {
    await credit("c-body", { points: 5, idempotencyKey: "body-0001" });
    const res = await credit("c-body", { points: 5000, idempotencyKey: "body-0001" });
    assert.strictEqual(res.statusCode, 409);
    assert.strictEqual((await pointsOf("c-body"))?.points, 5);
  });

  it("lands all of 50 concurrent credits with distinct keys", async () => {
    await credit("c-many", { points: 1, idempotencyKey: "many-seed" });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        credit("c-many", { points: i + 1, idempotencyKey: `many-${String(i).padStart(4, "0")}` }),
      ),
    );
    assert.deepStrictEqual(new Set(results.map((r) => r.statusCode)), new Set([200]));
    assert.strictEqual((await pointsOf("c-many"))?.points, 1 + (50 * 51) / 2);
  });

  it(`keeps the customer's item under 4 KB and the same size after ${CREDITS} credits; each key is its own expiring record`, async () => {
    const reason = "r".repeat(200);
    const sizes: number[] = [];
    for (let done = 0; done < CREDITS;) {
      const batch = Math.min(50, CREDITS - done);
      const results = await Promise.all(
        Array.from({ length: batch }, (_, i) =>
          credit("c-size", {
            points: 100_000,
            reason,
            idempotencyKey: `size-${String(done + i).padStart(6, "0")}`,
          }),
        ),
      );
      const failed = results.filter((r) => r.statusCode !== 200);
      assert.deepStrictEqual(failed, [], `credits ${done}-${done + batch}`);
      done += batch;
      if (done === batch || done === CREDITS) sizes.push(itemSize((await pointsOf("c-size"))!));
    }
    const item = (await pointsOf("c-size"))!;
    assert.strictEqual(item.points, CREDITS * 100_000);
    assert.deepStrictEqual(Object.keys(item).sort(), [
      "customerId",
      "lastReason",
      "points",
      "updatedAt",
    ]);
    assert.ok(sizes[1] < 4096, `${sizes[1]} bytes`);
    // Only the points' digits may differ between the first batch and the last.
    assert.ok(sizes[1] - sizes[0] <= 4, sizes.join(" -> "));
    const mine = (await records()).filter((r) => String(r.id).includes("loyalty-credit"));
    const now = Date.now() / 1000;
    // Kept through the key's retry window (24 h from its creation) and the longest invocation
    // that may still be finishing a request accepted at its end (15 min), then expired by TTL.
    const horizon = Math.ceil(Date.parse(createdAt) / 1000) + 86_400 + 15 * 60;
    assert.ok(mine.length >= CREDITS, `${mine.length} records`);
    for (const r of mine) {
      assert.ok(typeof r.expiration === "number" && r.expiration > now, String(r.expiration));
      assert.strictEqual(r.expiration, horizon);
      assert.strictEqual(r.status, "COMPLETED");
    }
  });
});

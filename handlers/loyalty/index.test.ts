import * as assert from "assert";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from "@aws-lambda-powertools/idempotency";
import {
  BasePersistenceLayer,
  IdempotencyRecord,
} from "@aws-lambda-powertools/idempotency/persistence";
import { mockClient } from "aws-sdk-client-mock";
import { createLogger } from "../shared/logger";
import { captureStdout, malformedEvents } from "../shared/testing";
import {
  Credit,
  creditIdempotencyConfig,
  handle,
  handler,
  idempotencyRefusal,
  idempotentCredit,
  remainingPointsFor,
  tierFor,
} from "./index";

/**
 * Powertools' persistence contract kept in a Map, for unit tests only (the suite in test/e2e runs
 * the DynamoDB persistence layer on dynalite): a put over a live record fails as DynamoDB's
 * conditional put does.
 */
class MemoryStore extends BasePersistenceLayer {
  public readonly records = new Map<string, IdempotencyRecord>();
  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const record = this.records.get(key);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }
  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    if (existing && !existing.isExpired())
      throw new IdempotencyItemAlreadyExistsError("exists", existing);
    this.records.set(record.idempotencyKey, record);
  }
  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }
  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

const TABLE = "loyalty-table";
const ddb = mockClient(DynamoDBDocumentClient);
const caller = "arn:aws:sts::123456789012:assumed-role/appsync-loyalty-resolver/session";

/** A valid GET /loyalty/{customerId} event from an IAM-authenticated caller. */
function getEvent(): APIGatewayProxyEvent {
  return {
    resource: "/loyalty/{customerId}",
    path: "/loyalty/cust-1",
    httpMethod: "GET",
    headers: { "X-Correlation-Id": "corr-123" },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { customerId: "cust-1" },
    stageVariables: null,
    requestContext: {
      requestId: "req-1",
      identity: { userArn: caller, caller: "AROAEXAMPLE:session" },
    } as unknown as APIGatewayProxyEvent["requestContext"],
    body: null,
    isBase64Encoded: false,
  };
}

/** A valid POST /loyalty/{customerId}/points event. */
function postEvent(
  body: unknown = { points: 500, reason: "flight LH123", idempotencyKey: "accrual-2026-01-01" },
): APIGatewayProxyEvent {
  return {
    ...getEvent(),
    resource: "/loyalty/{customerId}/points",
    path: "/loyalty/cust-1/points",
    httpMethod: "POST",
    body: JSON.stringify(body),
  };
}

/** The credit settings as in Lambda, where the entry point registers the invocation's context. */
function invocationConfig() {
  const config = creditIdempotencyConfig();
  config.registerLambdaContext({ getRemainingTimeInMillis: () => 10_000 } as Context);
  return config;
}

let logs: string[] = [];
let store = new MemoryStore();
function deps() {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" }));
  return {
    db,
    tableName: TABLE,
    credit: idempotentCredit(db, TABLE, store, invocationConfig(), () => new Date("2026-01-01")),
    logger: createLogger({ service: "loyalty" }, { write: (l) => logs.push(l), level: "DEBUG" }),
  };
}
const KEY = "accrual-2026-01-01";
const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, unknown>;

describe("handlers/loyalty", () => {
  beforeEach(() => {
    ddb.reset();
    logs = [];
    store = new MemoryStore();
  });

  it("derives the tier from points at the silver and gold thresholds", () => {
    assert.deepStrictEqual([0, 49_999, 50_000, 99_999, 100_000].map(tierFor), [
      "bronze",
      "bronze",
      "silver",
      "silver",
      "gold",
    ]);
  });

  it("counts the points still needed for the next tier, none at gold", () => {
    assert.deepStrictEqual([0, 49_999, 50_000, 99_999, 100_000, 250_000].map(remainingPointsFor), [
      50_000,
      1,
      50_000,
      1,
      null,
      null,
    ]);
  });

  it("answers GET with the customer's points and tier, reading the key from the path", async () => {
    ddb.on(GetCommand).resolves({ Item: { customerId: "cust-1", points: 62_000 } });
    const res = await handle(getEvent(), deps());
    assert.strictEqual(res.statusCode, 200);
    assert.deepStrictEqual(bodyOf(res), {
      customerId: "cust-1",
      points: 62_000,
      tier: "silver",
      remainingPoints: 38_000,
    });
    const input = ddb.commandCalls(GetCommand)[0].args[0].input;
    assert.strictEqual(input.TableName, TABLE);
    assert.deepStrictEqual(input.Key, { customerId: "cust-1" });
  });

  it("answers 404 for a customer with no loyalty record", async () => {
    ddb.on(GetCommand).resolves({});
    const res = await handle(getEvent(), deps());
    assert.strictEqual(res.statusCode, 404);
  });

  it("adds points with an atomic ADD and returns the new total", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { customerId: "cust-1", points: 100_400 } });
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 200);
    assert.deepStrictEqual(bodyOf(res), {
      customerId: "cust-1",
      points: 100_400,
      tier: "gold",
      remainingPoints: null,
    });
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    assert.strictEqual(input.TableName, TABLE);
    assert.deepStrictEqual(input.Key, { customerId: "cust-1" });
    assert.match(String(input.UpdateExpression), /^ADD #points :points/);
    assert.strictEqual(input.ExpressionAttributeValues?.[":points"], 500);
  });

  it("writes no idempotency data into the customer's item (its size must not grow per credit)", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { points: 500 } });
    await handle(postEvent(), deps());
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    assert.deepStrictEqual(Object.values(input.ExpressionAttributeNames ?? {}).sort(), [
      "lastReason",
      "points",
      "updatedAt",
    ]);
    assert.strictEqual(input.ConditionExpression, undefined);
    assert.strictEqual(store.records.size, 1);
  });

  it("answers a replayed key with the stored result and credits once", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { points: 500 } });
    const d = deps();
    const first = await handle(postEvent(), d);
    const again = await handle(postEvent(), d);
    assert.strictEqual(first.statusCode, 200);
    assert.strictEqual(again.statusCode, 200);
    assert.deepStrictEqual(bodyOf(again), bodyOf(first));
    assert.strictEqual(ddb.commandCalls(UpdateCommand).length, 1);
  });

  it("keys records by customer and key: the same key credits two customers once each", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { points: 500 } });
    const d = deps();
    const other = postEvent();
    other.pathParameters = { customerId: "cust-2" };
    assert.strictEqual((await handle(postEvent(), d)).statusCode, 200);
    assert.strictEqual((await handle(other, d)).statusCode, 200);
    assert.strictEqual(ddb.commandCalls(UpdateCommand).length, 2);
  });

  it("answers 409 when a key is reused with another body, without crediting", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { points: 500 } });
    const d = deps();
    await handle(postEvent(), d);
    const res = await handle(
      postEvent({ points: 9_999, reason: "flight LH123", idempotencyKey: KEY }),
      d,
    );
    assert.strictEqual(res.statusCode, 409);
    assert.match(String(bodyOf(res).message), /another body/);
    assert.strictEqual(ddb.commandCalls(UpdateCommand).length, 1);
  });

  it("answers 409 while the same key is still in progress", async () => {
    let release: () => void = () => undefined;
    ddb
      .on(UpdateCommand)
      .callsFake(() => new Promise((r) => (release = () => r({ Attributes: { points: 500 } }))));
    const d = deps();
    const first = handle(postEvent(), d);
    // Let the first request save its "in progress" record and reach the table.
    while (ddb.commandCalls(UpdateCommand).length === 0) await new Promise(setImmediate);
    const second = await handle(postEvent(), d);
    release();
    assert.strictEqual(second.statusCode, 409);
    assert.match(String(bodyOf(second).message), /in progress/);
    assert.strictEqual((await first).statusCode, 200);
  });

  it("forgets a key whose credit failed, so the client's retry credits", async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new Error("boom"))
      .resolves({ Attributes: { points: 5 } });
    const d = deps();
    assert.strictEqual((await handle(postEvent(), d)).statusCode, 500);
    assert.strictEqual((await handle(postEvent(), d)).statusCode, 200);
    assert.strictEqual(ddb.commandCalls(UpdateCommand).length, 2);
  });

  it("refuses a credit without idempotencyKey with 400, before any write", async () => {
    const res = await handle(postEvent({ points: 5 }), deps());
    assert.strictEqual(res.statusCode, 400);
    assert.strictEqual(bodyOf(res).field, "body.idempotencyKey");
    assert.strictEqual(ddb.calls().length, 0);
    assert.strictEqual(store.records.size, 0);
  });

  it("never records a credit keyed by the customer alone, even if the schema let one through", async () => {
    const credit = idempotentCredit(
      { send: async () => ({ Attributes: { points: 1 } }) },
      TABLE,
      store,
      invocationConfig(),
    );
    await assert.rejects(
      credit({ customerId: "cust-1", points: 1 } as Credit),
      (err: Error) => idempotencyRefusal(err)?.statusCode === 400,
    );
    assert.strictEqual(store.records.size, 0);
  });

  for (const [what, body, field] of [
    ["zero points", { points: 0, idempotencyKey: KEY }, "body.points"],
    ["more than 100000 points", { points: 100_001, idempotencyKey: KEY }, "body.points"],
    ["fractional points", { points: 1.5, idempotencyKey: KEY }, "body.points"],
    ["points as a string", { points: "10", idempotencyKey: KEY }, "body.points"],
    [
      "a reason over 200 characters",
      { points: 1, reason: "r".repeat(201), idempotencyKey: KEY },
      "body.reason",
    ],
    [
      "an unknown field",
      { points: 1, customerId: "someone-else", idempotencyKey: KEY },
      "body.customerId",
    ],
    ["a malformed idempotency key", { points: 1, idempotencyKey: "a b" }, "body.idempotencyKey"],
    ["no idempotency key", { points: 1 }, "body.idempotencyKey"],
  ] as const) {
    it(`answers 400 naming ${field} for ${what}, without touching the table`, async () => {
      const res = await handle(postEvent(body), deps());
      assert.strictEqual(res.statusCode, 400);
      assert.strictEqual(bodyOf(res).field, field);
      assert.strictEqual(ddb.calls().length, 0);
      assert.strictEqual(store.records.size, 0);
    });
  }

  it("answers 400 naming pathParameters.customerId for a malformed customer id", async () => {
    const ev = getEvent();
    ev.pathParameters = { customerId: "cust/../1" };
    const res = await handle(ev, deps());
    assert.strictEqual(res.statusCode, 400);
    assert.strictEqual(bodyOf(res).field, "pathParameters.customerId");
  });

  it("answers 400 naming body for a body that is not JSON", async () => {
    const ev = postEvent();
    ev.body = "{points: 5";
    const res = await handle(ev, deps());
    assert.strictEqual(res.statusCode, 400);
    assert.strictEqual(bodyOf(res).field, "body");
  });

  it("answers 403 when the request carries no IAM caller (the method is not AWS_IAM)", async () => {
    const ev = getEvent();
    (ev.requestContext as unknown as { identity: object }).identity = {};
    const res = await handle(ev, deps());
    assert.strictEqual(res.statusCode, 403);
    assert.strictEqual(ddb.calls().length, 0);
  });

  it("answers 500 with no internals when DynamoDB fails, and logs the error", async () => {
    ddb.on(GetCommand).rejects(new Error("AccessDeniedException: arn:aws:dynamodb:secret-table"));
    const res = await handle(getEvent(), deps());
    assert.strictEqual(res.statusCode, 500);
    assert.deepStrictEqual(bodyOf(res), { error: "internal", message: "internal error" });
    assert.ok(logs.some((l) => l.includes("secret-table") && JSON.parse(l).level === "ERROR"));
  });

  it("answers 503 when DynamoDB throttles", async () => {
    ddb
      .on(GetCommand)
      .rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));
    const res = await handle(getEvent(), deps());
    assert.strictEqual(res.statusCode, 503);
  });

  it("echoes a well-formed correlation id and logs it on every line", async () => {
    ddb.on(GetCommand).resolves({ Item: { points: 1 } });
    const res = await handle(getEvent(), deps());
    assert.strictEqual(res.headers?.["x-correlation-id"], "corr-123");
    assert.ok(logs.length > 0);
    for (const line of logs) assert.strictEqual(JSON.parse(line).correlationId, "corr-123");
  });

  it("replaces a malformed correlation id by the request id", async () => {
    const ev = getEvent();
    ev.headers = { "x-correlation-id": "evil\nINJECTED log line" };
    ddb.on(GetCommand).resolves({});
    const res = await handle(ev, deps());
    assert.strictEqual(res.headers?.["x-correlation-id"], "req-1");
  });

  it("reads its table from LOYALTY_TABLE_NAME in the Lambda entry point", async () => {
    const before = process.env.LOYALTY_TABLE_NAME;
    process.env.LOYALTY_TABLE_NAME = "from-env";
    try {
      ddb.on(GetCommand).resolves({ Item: { points: 3 } });
      const { result: res, lines } = await captureStdout(() =>
        handler(getEvent(), { awsRequestId: "aws-1" }),
      );
      assert.strictEqual(res.statusCode, 200);
      assert.strictEqual(ddb.commandCalls(GetCommand)[0].args[0].input.TableName, "from-env");
      // The module-scope logger writes one JSON line per entry to stdout, with the ids.
      assert.ok(lines.length > 0);
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        assert.strictEqual(entry.service, "loyalty");
        assert.strictEqual(entry.awsRequestId, "aws-1");
        assert.strictEqual(entry.correlationId, "corr-123");
      }
    } finally {
      if (before === undefined) delete process.env.LOYALTY_TABLE_NAME;
      else process.env.LOYALTY_TABLE_NAME = before;
    }
  });

  it("answers every one of 400 malformed events without throwing and without a 500", async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { points: 1 } });
    const paths = [
      "httpMethod",
      "resource",
      "headers",
      "pathParameters",
      "pathParameters.customerId",
      "requestContext",
      "requestContext.identity",
      "requestContext.identity.userArn",
      "requestContext.requestId",
      "isBase64Encoded",
      "body",
    ];
    const events = [
      ...malformedEvents(getEvent() as never, paths, [], 150, 11),
      ...malformedEvents(
        postEvent() as never,
        paths,
        ["points", "reason", "idempotencyKey"],
        250,
        13,
      ),
    ];
    assert.strictEqual(events.length, 400);
    const statuses = new Map<number, number>();
    for (const ev of events) {
      const res = await handle(ev as APIGatewayProxyEvent, deps());
      assert.ok(
        res.statusCode < 500,
        `status ${res.statusCode} for ${JSON.stringify(ev)?.slice(0, 300)}`,
      );
      assert.doesNotThrow(() => JSON.parse(res.body));
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }
    // The fuzz really exercised refusals, not just lucky valid events.
    assert.ok((statuses.get(400) ?? 0) > 150, JSON.stringify([...statuses]));
    assert.ok((statuses.get(403) ?? 0) > 10, JSON.stringify([...statuses]));
    // Every key that reached DynamoDB was a valid customer id.
    for (const call of ddb.calls()) {
      const key = (call.args[0].input as { Key: { customerId: unknown } }).Key;
      assert.match(String(key.customerId), /^[A-Za-z0-9_-]{1,64}$/);
    }
  });
});

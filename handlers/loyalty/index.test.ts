import * as assert from "assert";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createLogger } from "../shared/logger";
import { captureStdout, malformedEvents } from "../shared/testing";
import { KEY_HORIZON_SECONDS, LEASE_MARGIN_MS, RETRY_WINDOW_SECONDS, staleMarks } from "./credits";
import { handle, handler, remainingPointsFor, tierFor } from "./index";

const TABLE = "loyalty-table";
const KEYS = "loyalty-idempotency-table";
/** The service's clock in these tests, and a key created a minute before. */
const NOW = Date.parse("2026-01-01T12:00:00Z");
const CREATED_AT = "2026-01-01T11:59:00.000Z";
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
  body: unknown = {
    points: 500,
    reason: "flight LH123",
    idempotencyKey: "accrual-2026-01-01",
    idempotencyKeyCreatedAt: CREATED_AT,
  },
): APIGatewayProxyEvent {
  return {
    ...getEvent(),
    resource: "/loyalty/{customerId}/points",
    path: "/loyalty/cust-1/points",
    httpMethod: "POST",
    body: JSON.stringify(body),
  };
}

let logs: string[] = [];
function deps() {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" }));
  return {
    db,
    tableName: TABLE,
    keyTableName: KEYS,
    leaseMs: 10_000,
    token: "attempt-1",
    now: () => NOW,
    logger: createLogger({ service: "loyalty" }, { write: (l) => logs.push(l), level: "DEBUG" }),
  };
}
const KEY = "accrual-2026-01-01";
const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, unknown>;
const MARK = `credit#${Date.parse(CREATED_AT)}#${KEY}`;
const ccf = () =>
  Object.assign(new Error("The conditional request failed"), {
    name: "ConditionalCheckFailedException",
  });

/** Every write succeeds; the credit's answer holds its mark (whatever key it was given). */
function creditPath(pointsAfter = 500) {
  ddb.on(UpdateCommand).resolves({});
  ddb
    .on(UpdateCommand, { ConditionExpression: "attribute_not_exists(#mark)" })
    .callsFake((input: { ExpressionAttributeNames: Record<string, string> }) => ({
      Attributes: { points: pointsAfter, [input.ExpressionAttributeNames["#mark"]]: pointsAfter },
    }));
}
const updates = () => ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
/** The writes that add points to a customer's item. */
const credits = () =>
  updates().filter((u) => u.ConditionExpression === "attribute_not_exists(#mark)");
/** The key's record as the default body binds it. */
const record = (status: string, extra: Record<string, unknown> = {}) => ({
  id: `loyalty-credit#cust-1#${KEY}`,
  status,
  request: JSON.stringify([500, "flight LH123", Date.parse(CREATED_AT)]),
  ...extra,
});

describe("handlers/loyalty", () => {
  beforeEach(() => {
    ddb.reset();
    logs = [];
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

  it("credits with one conditional UpdateItem that adds the points and marks the key", async () => {
    creditPath(100_400);
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 200, res.body);
    assert.deepStrictEqual(bodyOf(res), {
      customerId: "cust-1",
      points: 100_400,
      tier: "gold",
      remainingPoints: null,
    });
    // Claim the key, credit and mark, complete the key, clear the mark.
    assert.deepStrictEqual(
      updates().map((u) => u.TableName),
      [KEYS, TABLE, KEYS, TABLE],
    );
    const credit = updates()[1];
    assert.deepStrictEqual(credit.Key, { customerId: "cust-1" });
    assert.strictEqual(credit.ConditionExpression, "attribute_not_exists(#mark)");
    assert.strictEqual(credit.ExpressionAttributeNames?.["#mark"], MARK);
    assert.match(
      String(credit.UpdateExpression),
      /#points = if_not_exists\(#points, :zero\) \+ :points/,
    );
    assert.match(
      String(credit.UpdateExpression),
      /#mark = if_not_exists\(#points, :zero\) \+ :points/,
    );
    assert.strictEqual(credit.ExpressionAttributeValues?.[":points"], 500);
    assert.strictEqual(updates()[2].ExpressionAttributeValues?.[":result"], 100_400);
  });

  it("removes the mark last, never creating the customer's item", async () => {
    creditPath();
    await handle(postEvent(), deps());
    const clear = updates()[3];
    assert.strictEqual(clear.UpdateExpression, "REMOVE #m0");
    assert.strictEqual(clear.ExpressionAttributeNames?.["#m0"], MARK);
    assert.strictEqual(clear.ConditionExpression, "attribute_exists(#customerId)");
  });

  it("claims the key for this attempt until its deadline, and a re-send of the claim passes", async () => {
    creditPath();
    await handle(postEvent(), deps());
    const claim = updates()[0];
    assert.deepStrictEqual(claim.Key, { id: `loyalty-credit#cust-1#${KEY}` });
    assert.match(String(claim.ConditionExpression), /#owner = :owner/);
    assert.strictEqual(claim.ExpressionAttributeValues?.[":owner"], "attempt-1");
    assert.strictEqual(
      claim.ExpressionAttributeValues?.[":leaseUntil"],
      NOW + 10_000 + LEASE_MARGIN_MS,
    );
    // Kept past the retry window, then expired by the table's TTL.
    assert.strictEqual(
      claim.ExpressionAttributeValues?.[":expiration"],
      Date.parse(CREATED_AT) / 1000 + KEY_HORIZON_SECONDS,
    );
  });

  it("answers a completed key with its stored result and credits nothing", async () => {
    creditPath();
    ddb
      .on(UpdateCommand, { TableName: KEYS, Key: { id: `loyalty-credit#cust-1#${KEY}` } })
      .rejects(ccf());
    ddb
      .on(GetCommand, { TableName: KEYS })
      .resolves({ Item: record("COMPLETED", { result: 777 }) });
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 200, res.body);
    assert.strictEqual(bodyOf(res).points, 777);
    assert.strictEqual(credits().length, 0);
  });

  it("keys records by customer and key: the same key credits two customers once each", async () => {
    creditPath();
    const other = postEvent();
    other.pathParameters = { customerId: "cust-2" };
    assert.strictEqual((await handle(postEvent(), deps())).statusCode, 200);
    assert.strictEqual((await handle(other, deps())).statusCode, 200);
    assert.deepStrictEqual(
      credits().map((c) => c.Key),
      [{ customerId: "cust-1" }, { customerId: "cust-2" }],
    );
    assert.notDeepStrictEqual(updates()[0].Key, updates()[4].Key);
  });

  it("answers 409 when a key is reused with another body, without crediting", async () => {
    creditPath();
    ddb.on(UpdateCommand, { TableName: KEYS }).rejects(ccf());
    ddb.on(GetCommand, { TableName: KEYS }).resolves({
      Item: { ...record("COMPLETED", { result: 1 }), request: "[9999,null,0]" },
    });
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 409);
    assert.match(String(bodyOf(res).message), /another body/);
    assert.strictEqual(credits().length, 0);
  });

  it("answers 409 while another attempt holds the key, without crediting", async () => {
    creditPath();
    ddb.on(UpdateCommand, { TableName: KEYS }).rejects(ccf());
    ddb.on(GetCommand, { TableName: KEYS }).resolves({ Item: record("PENDING") });
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 409);
    assert.match(String(bodyOf(res).message), /in progress/);
    assert.strictEqual(credits().length, 0);
  });

  it("takes the balance from the mark when the credit was already applied (a re-sent write)", async () => {
    creditPath();
    ddb
      .on(UpdateCommand, { TableName: TABLE, ConditionExpression: "attribute_not_exists(#mark)" })
      .rejects(ccf());
    ddb.on(GetCommand, { TableName: TABLE }).resolves({ Item: { [MARK]: 4_242 } });
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 200, res.body);
    assert.strictEqual(bodyOf(res).points, 4_242);
    assert.strictEqual(credits().length, 1);
    assert.strictEqual(updates()[2].ExpressionAttributeValues?.[":result"], 4_242);
    assert.strictEqual(ddb.commandCalls(GetCommand)[0].args[0].input.ConsistentRead, true);
  });

  it("answers 500 when a write fails and releases its claim, so the client's retry need not wait", async () => {
    creditPath();
    ddb
      .on(UpdateCommand, {
        TableName: KEYS,
        ExpressionAttributeValues: { ":completed": "COMPLETED" },
      })
      .rejects(new Error("boom"));
    const res = await handle(postEvent(), deps());
    assert.deepStrictEqual(
      [res.statusCode, bodyOf(res)],
      [500, { error: "internal", message: "internal error" }],
    );
    const release = updates().at(-1);
    assert.strictEqual(release?.UpdateExpression, "SET #leaseUntil = :zero");
    assert.strictEqual(release?.ExpressionAttributeValues?.[":owner"], "attempt-1");
  });

  it("answers 409 and leaves the mark when another attempt took the key over before it completed", async () => {
    creditPath();
    ddb
      .on(UpdateCommand, {
        TableName: KEYS,
        ExpressionAttributeValues: { ":completed": "COMPLETED" },
      })
      .rejects(ccf());
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 409);
    assert.match(String(bodyOf(res).message), /in progress/);
    // The attempt that owns the key completes it and clears the mark; this one must not.
    assert.ok(!updates().some((u) => String(u.UpdateExpression).startsWith("REMOVE")));
  });

  it("answers the credit when only clearing the mark fails, and logs a warning", async () => {
    creditPath(600);
    ddb
      .on(UpdateCommand, { TableName: TABLE, UpdateExpression: "REMOVE #m0" })
      .rejects(new Error("boom"));
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 200, res.body);
    assert.strictEqual(bodyOf(res).points, 600);
    assert.ok(logs.some((l) => JSON.parse(l).level === "WARN" && l.includes("not cleared")));
  });

  it("refuses a key created more than 24 hours ago with 400 retry_window_passed, before any write", async () => {
    creditPath();
    const old = new Date(NOW - RETRY_WINDOW_SECONDS * 1000 - 1).toISOString();
    const res = await handle(
      postEvent({ points: 5, idempotencyKey: KEY, idempotencyKeyCreatedAt: old }),
      deps(),
    );
    assert.strictEqual(res.statusCode, 400);
    assert.strictEqual(bodyOf(res).error, "retry_window_passed");
    assert.strictEqual(bodyOf(res).field, "body.idempotencyKeyCreatedAt");
    assert.strictEqual(ddb.calls().length, 0);
  });

  it("accepts a key at the last millisecond of its window and up to 5 minutes ahead", async () => {
    creditPath();
    for (const at of [NOW - RETRY_WINDOW_SECONDS * 1000, NOW + 5 * 60 * 1000]) {
      const body = {
        points: 5,
        idempotencyKey: KEY,
        idempotencyKeyCreatedAt: new Date(at).toISOString(),
      };
      assert.strictEqual((await handle(postEvent(body), deps())).statusCode, 200);
    }
  });

  it("refuses a key created more than 5 minutes ahead of the service's clock", async () => {
    const ahead = new Date(NOW + 5 * 60 * 1000 + 1).toISOString();
    const res = await handle(
      postEvent({ points: 5, idempotencyKey: KEY, idempotencyKeyCreatedAt: ahead }),
      deps(),
    );
    assert.strictEqual(res.statusCode, 400);
    assert.strictEqual(bodyOf(res).field, "body.idempotencyKeyCreatedAt");
    assert.strictEqual(ddb.calls().length, 0);
  });

  it("clears marks older than the key horizon along with its own, never younger ones", () => {
    const at = (ms: number) => `credit#${ms}#some-key-${ms}`;
    const horizon = KEY_HORIZON_SECONDS * 1000;
    const item = {
      customerId: "c",
      points: 1,
      [at(NOW - horizon - 2)]: 1,
      [at(NOW - horizon + 1)]: 2,
      [at(NOW - horizon - 1)]: 3,
    };
    assert.deepStrictEqual(staleMarks(item, NOW), [at(NOW - horizon - 2), at(NOW - horizon - 1)]);
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
    ["no key creation time", { points: 1, idempotencyKey: KEY }, "body.idempotencyKeyCreatedAt"],
    [
      "a key creation time with an offset",
      { points: 1, idempotencyKey: KEY, idempotencyKeyCreatedAt: "2026-01-01T12:00:00+01:00" },
      "body.idempotencyKeyCreatedAt",
    ],
    [
      "a key creation time that is no calendar date",
      { points: 1, idempotencyKey: KEY, idempotencyKeyCreatedAt: "2026-02-30T25:00:00Z" },
      "body.idempotencyKeyCreatedAt",
    ],
  ] as const) {
    it(`answers 400 naming ${field} for ${what}, without touching the table`, async () => {
      // Every other field valid: the refusal is for this one.
      const sent =
        what === "no key creation time" ? body : { idempotencyKeyCreatedAt: CREATED_AT, ...body };
      const res = await handle(postEvent(sent), deps());
      assert.strictEqual(res.statusCode, 400);
      assert.strictEqual(bodyOf(res).field, field);
      assert.strictEqual(ddb.calls().length, 0);
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
    creditPath(1);
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
        ["points", "reason", "idempotencyKey", "idempotencyKeyCreatedAt"],
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

import * as assert from "assert";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createLogger } from "../shared/logger";
import { captureStdout, malformedEvents } from "../shared/testing";
import { handle, handler, remainingPointsFor, tierFor } from "./index";

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
function postEvent(body: unknown = { points: 500, reason: "flight LH123" }): APIGatewayProxyEvent {
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
  return {
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" })),
    tableName: TABLE,
    logger: createLogger({ service: "loyalty" }, { write: (l) => logs.push(l), level: "DEBUG" }),
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
}
const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, unknown>;
const conditionFailed = () =>
  Object.assign(new Error("The conditional request failed"), {
    name: "ConditionalCheckFailedException",
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
    assert.strictEqual(input.ConditionExpression, undefined);
  });

  it("makes the write conditional on an idempotency key not yet applied", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { points: 500 } });
    await handle(postEvent({ points: 500, idempotencyKey: "accrual-2026-01-01" }), deps());
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    assert.match(String(input.ConditionExpression), /NOT contains\(#keys, :key\)/);
    assert.deepStrictEqual(
      input.ExpressionAttributeValues?.[":keySet"],
      new Set(["accrual-2026-01-01"]),
    );
  });

  it("answers 409 when the idempotency key was already applied", async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const res = await handle(
      postEvent({ points: 5, idempotencyKey: "accrual-2026-01-01" }),
      deps(),
    );
    assert.strictEqual(res.statusCode, 409);
    assert.strictEqual(bodyOf(res).error, "conflict");
  });

  for (const [what, body, field] of [
    ["zero points", { points: 0 }, "body.points"],
    ["more than 100000 points", { points: 100_001 }, "body.points"],
    ["fractional points", { points: 1.5 }, "body.points"],
    ["points as a string", { points: "10" }, "body.points"],
    ["a reason over 200 characters", { points: 1, reason: "r".repeat(201) }, "body.reason"],
    ["an unknown field", { points: 1, customerId: "someone-else" }, "body.customerId"],
    ["a malformed idempotency key", { points: 1, idempotencyKey: "a b" }, "body.idempotencyKey"],
  ] as const) {
    it(`answers 400 naming ${field} for ${what}, without touching the table`, async () => {
      const res = await handle(postEvent(body), deps());
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

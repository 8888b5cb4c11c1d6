import * as assert from "assert";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createLogger } from "../shared/logger";
import { captureStdout, malformedEvents } from "../shared/testing";
import { BookingsEvent, handle, handler, requestHashOf } from "./index";

const TABLE = "bookings-table";
const SUB = "7f3c2a10-0000-4000-8000-00000000abcd";
const ddb = mockClient(DynamoDBDocumentClient);

/** A valid event from the HTTP API with a JWT authorizer. */
function jwtEvent(
  routeKey = "GET /bookings",
  extra: Partial<APIGatewayProxyEventV2WithJWTAuthorizer> = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const [method, path] = routeKey.split(" ");
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers: { "x-correlation-id": "corr-9" },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
      requestId: "req-9",
      routeKey,
      stage: "$default",
      time: "01/Jan/2026:00:00:00 +0000",
      timeEpoch: 1767225600000,
      authorizer: {
        principalId: "",
        integrationLatency: 0,
        jwt: { claims: { sub: SUB, scope: "bookings/read bookings/write" }, scopes: [] },
      },
    },
    isBase64Encoded: false,
    ...extra,
  };
}

const postEvent = (body: unknown = { flightId: "LH-400", seatClass: "business", passengers: 2 }) =>
  jwtEvent("POST /bookings", { body: JSON.stringify(body) });
const getOneEvent = (bookingId = "b-1") => {
  const ev = jwtEvent("GET /bookings/{bookingId}", { pathParameters: { bookingId } });
  ev.rawPath = `/bookings/${bookingId}`;
  return ev;
};

/** The same request as a Lambda authorizer would pass it (context under authorizer.lambda). */
function lambdaAuthorizerEvent(sub: unknown): BookingsEvent {
  const ev = jwtEvent() as unknown as { requestContext: { authorizer: unknown } };
  ev.requestContext.authorizer = { lambda: { sub, scope: "bookings/read" } };
  return ev as unknown as BookingsEvent;
}

let logs: string[] = [];
function deps() {
  return {
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" })),
    tableName: TABLE,
    logger: createLogger({ service: "bookings" }, { write: (l) => logs.push(l) }),
    now: () => new Date("2026-01-01T00:00:00Z"),
    newId: () => "11111111-2222-4333-8444-555555555555",
  };
}
const bodyOf = (r: { body: string }) => JSON.parse(r.body) as Record<string, any>;

describe("handlers/bookings", () => {
  beforeEach(() => {
    ddb.reset();
    logs = [];
  });

  it("lists only the caller's bookings, querying by the JWT sub", async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          customerId: SUB,
          bookingId: "b-1",
          flightId: "LH-400",
          seatClass: "first",
          passengers: 1,
        },
      ],
    });
    const res = await handle(jwtEvent(), deps());
    assert.strictEqual(res.statusCode, 200);
    assert.strictEqual(bodyOf(res).items.length, 1);
    const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
    assert.strictEqual(input.TableName, TABLE);
    assert.deepStrictEqual(input.ExpressionAttributeValues, { ":sub": SUB });
  });

  it("pages with a next token that cannot leave the caller's partition", async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [], LastEvaluatedKey: { customerId: SUB, bookingId: "b-7" } });
    const first = bodyOf(await handle(jwtEvent(), deps()));
    assert.ok(first.nextToken);
    const ev = jwtEvent();
    ev.queryStringParameters = { nextToken: first.nextToken, limit: "10" };
    await handle(ev, deps());
    const input = ddb.commandCalls(QueryCommand)[1].args[0].input;
    assert.deepStrictEqual(input.ExclusiveStartKey, { customerId: SUB, bookingId: "b-7" });
    assert.strictEqual(input.Limit, 10);
  });

  it("takes the caller from a Lambda authorizer's context as well", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const res = await handle(lambdaAuthorizerEvent("auth0|user-42"), deps());
    assert.strictEqual(res.statusCode, 200);
    const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
    assert.deepStrictEqual(input.ExpressionAttributeValues, { ":sub": "auth0|user-42" });
  });

  it("gets one booking by the caller's key, so another customer's booking is a 404", async () => {
    ddb.on(GetCommand).resolves({});
    const res = await handle(getOneEvent("b-of-someone-else"), deps());
    assert.strictEqual(res.statusCode, 404);
    const input = ddb.commandCalls(GetCommand)[0].args[0].input;
    assert.deepStrictEqual(input.Key, { customerId: SUB, bookingId: "b-of-someone-else" });
  });

  it("returns a booking that exists", async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        customerId: SUB,
        bookingId: "b-1",
        flightId: "LH-400",
        seatClass: "economy",
        passengers: 3,
      },
    });
    const res = await handle(getOneEvent("b-1"), deps());
    assert.strictEqual(res.statusCode, 200);
    assert.strictEqual(bodyOf(res).bookingId, "b-1");
  });

  it("routes a $default route by method and path", async () => {
    ddb.on(GetCommand).resolves({});
    const ev = getOneEvent("b-2");
    ev.routeKey = "$default";
    const res = await handle(ev, deps());
    assert.strictEqual(res.statusCode, 404);
    assert.strictEqual(ddb.commandCalls(GetCommand)[0].args[0].input.Key?.bookingId, "b-2");
  });

  it("creates a booking with a conditional put and answers 201", async () => {
    ddb.on(PutCommand).resolves({});
    const res = await handle(postEvent(), deps());
    assert.strictEqual(res.statusCode, 201);
    const booking = bodyOf(res);
    assert.deepStrictEqual(booking, {
      customerId: SUB,
      bookingId: "11111111-2222-4333-8444-555555555555",
      flightId: "LH-400",
      seatClass: "business",
      passengers: 2,
      status: "CONFIRMED",
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    const input = ddb.commandCalls(PutCommand)[0].args[0].input;
    assert.strictEqual(input.TableName, TABLE);
    assert.strictEqual(input.ConditionExpression, "attribute_not_exists(#bookingId)");
    assert.strictEqual(input.Item?.customerId, SUB);
  });

  const conditionFailed = () =>
    Object.assign(new Error("The conditional request failed"), {
      name: "ConditionalCheckFailedException",
    });

  it("stores the body's hash with an idempotent booking", async () => {
    ddb.on(PutCommand).resolves({});
    const ev = postEvent();
    ev.headers["idempotency-key"] = "checkout-2026-0001";
    await handle(ev, deps());
    const item = ddb.commandCalls(PutCommand)[0].args[0].input.Item ?? {};
    assert.strictEqual(item.requestHash, requestHashOf(JSON.parse(ev.body as string)));
    assert.ok(!("requestHash" in bodyOf(await handle(ev, deps()))));
  });

  it("answers a retried key with the same body with the stored booking (200), booking once", async () => {
    const ev = postEvent();
    ev.headers["idempotency-key"] = "checkout-2026-0001";
    const stored = {
      ...JSON.parse(ev.body as string),
      customerId: SUB,
      bookingId: "b-stored",
      status: "CONFIRMED",
      createdAt: "2025-12-31T00:00:00.000Z",
      requestHash: requestHashOf(JSON.parse(ev.body as string)),
    };
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: stored });
    const res = await handle(ev, deps());
    assert.strictEqual(res.statusCode, 200);
    assert.strictEqual(bodyOf(res).createdAt, "2025-12-31T00:00:00.000Z");
    assert.strictEqual(ddb.commandCalls(GetCommand)[0].args[0].input.Key?.customerId, SUB);
  });

  it("answers 409 when the key was used with another body", async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({
      Item: {
        customerId: SUB,
        bookingId: "b",
        requestHash: requestHashOf({
          flightId: "LH-999",
          seatClass: "first",
          passengers: 9,
        }),
      },
    });
    const ev = postEvent();
    ev.headers["idempotency-key"] = "checkout-2026-0001";
    const res = await handle(ev, deps());
    assert.strictEqual(res.statusCode, 409);
    assert.match(String(bodyOf(res).message), /another body/);
  });

  it("derives the same booking id from the same caller and idempotency key", async () => {
    ddb.on(PutCommand).resolves({});
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ev = postEvent();
      ev.headers["idempotency-key"] = "checkout-2026-0001";
      ids.push(bodyOf(await handle(ev, deps())).bookingId);
    }
    assert.strictEqual(ids[0], ids[1]);
    assert.notStrictEqual(ids[0], "11111111-2222-4333-8444-555555555555");
  });

  it("refuses a customerId in the body with 400 rather than booking for someone else", async () => {
    const res = await handle(
      postEvent({ flightId: "LH-400", seatClass: "first", passengers: 1, customerId: "victim" }),
      deps(),
    );
    assert.strictEqual(res.statusCode, 400);
    assert.strictEqual(bodyOf(res).field, "body.customerId");
    assert.strictEqual(ddb.calls().length, 0);
  });

  for (const [what, body, field] of [
    ["no passengers", { flightId: "LH-400", seatClass: "first", passengers: 0 }, "body.passengers"],
    [
      "ten passengers",
      { flightId: "LH-400", seatClass: "first", passengers: 10 },
      "body.passengers",
    ],
    [
      "an unknown seat class",
      { flightId: "LH-400", seatClass: "premium", passengers: 1 },
      "body.seatClass",
    ],
    ["a missing flightId", { seatClass: "first", passengers: 1 }, "body.flightId"],
    [
      "a huge flightId",
      { flightId: "F".repeat(5000), seatClass: "first", passengers: 1 },
      "body.flightId",
    ],
  ] as const) {
    it(`answers 400 naming ${field} for ${what}`, async () => {
      const res = await handle(postEvent(body), deps());
      assert.strictEqual(res.statusCode, 400);
      assert.strictEqual(bodyOf(res).field, field);
      assert.strictEqual(ddb.calls().length, 0);
    });
  }

  it("answers 403 without touching the table when there is no authorizer context", async () => {
    const ev = jwtEvent() as unknown as { requestContext: Record<string, unknown> };
    delete ev.requestContext.authorizer;
    const res = await handle(ev as unknown as BookingsEvent, deps());
    assert.strictEqual(res.statusCode, 403);
    assert.strictEqual(ddb.calls().length, 0);
  });

  it("answers 403 for a Lambda authorizer context whose sub is not a string", async () => {
    const res = await handle(lambdaAuthorizerEvent({ admin: true }), deps());
    assert.strictEqual(res.statusCode, 403);
  });

  it("answers 500 with no internals when DynamoDB fails", async () => {
    ddb
      .on(QueryCommand)
      .rejects(
        new Error("ResourceNotFoundException: Requested resource not found: Table: bookings-table"),
      );
    const res = await handle(jwtEvent(), deps());
    assert.strictEqual(res.statusCode, 500);
    assert.ok(!res.body.includes("bookings-table"));
    assert.ok(logs.some((l) => JSON.parse(l).level === "ERROR" && l.includes("bookings-table")));
  });

  it("reads its table from BOOKINGS_TABLE_NAME in the Lambda entry point", async () => {
    const before = process.env.BOOKINGS_TABLE_NAME;
    process.env.BOOKINGS_TABLE_NAME = "from-env";
    try {
      ddb.on(QueryCommand).resolves({ Items: [] });
      const { result: res, lines } = await captureStdout(() =>
        handler(jwtEvent(), { awsRequestId: "aws-9" }),
      );
      assert.strictEqual(typeof res === "object" && res.statusCode, 200);
      assert.strictEqual(ddb.commandCalls(QueryCommand)[0].args[0].input.TableName, "from-env");
      // The module-scope logger writes one JSON line per entry to stdout, with the ids.
      assert.ok(lines.length > 0);
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        assert.strictEqual(entry.service, "bookings");
        assert.strictEqual(entry.awsRequestId, "aws-9");
        assert.strictEqual(entry.correlationId, "corr-9");
      }
    } finally {
      if (before === undefined) delete process.env.BOOKINGS_TABLE_NAME;
      else process.env.BOOKINGS_TABLE_NAME = before;
    }
  });

  it("answers every one of 400 malformed events without throwing and without a 500", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const paths = [
      "routeKey",
      "rawPath",
      "headers",
      "headers.idempotency-key",
      "queryStringParameters",
      "queryStringParameters.limit",
      "queryStringParameters.nextToken",
      "pathParameters",
      "pathParameters.bookingId",
      "requestContext",
      "requestContext.http",
      "requestContext.http.method",
      "requestContext.authorizer",
      "requestContext.authorizer.jwt",
      "requestContext.authorizer.jwt.claims",
      "requestContext.authorizer.jwt.claims.sub",
      "requestContext.authorizer.lambda",
      "requestContext.requestId",
      "isBase64Encoded",
      "body",
    ];
    const events = [
      ...malformedEvents(jwtEvent() as never, paths, [], 100, 21),
      ...malformedEvents(getOneEvent() as never, paths, [], 100, 22),
      ...malformedEvents(
        postEvent() as never,
        paths,
        ["flightId", "seatClass", "passengers"],
        200,
        23,
      ),
    ];
    assert.strictEqual(events.length, 400);
    const statuses = new Map<number, number>();
    for (const ev of events) {
      ddb.resetHistory();
      const res = await handle(ev as BookingsEvent, deps());
      assert.ok(
        res.statusCode < 500,
        `status ${res.statusCode} for ${JSON.stringify(ev)?.slice(0, 300)}`,
      );
      assert.doesNotThrow(() => JSON.parse(res.body));
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      // Whatever else the event said, every read and write was keyed by the authorizer's sub.
      const authorizer = (ev as any)?.requestContext?.authorizer;
      const sub = authorizer?.jwt?.claims?.sub ?? authorizer?.lambda?.sub;
      for (const call of ddb.calls()) {
        const input = call.args[0].input as Record<string, any>;
        const customer =
          input.Key?.customerId ??
          input.Item?.customerId ??
          input.ExpressionAttributeValues?.[":sub"];
        assert.strictEqual(customer, sub);
      }
    }
    assert.ok((statuses.get(400) ?? 0) > 100, JSON.stringify([...statuses]));
    assert.ok((statuses.get(403) ?? 0) > 10, JSON.stringify([...statuses]));
  });
});

/**
 * Bookings service behind the public HTTP API (payload 2.0). The caller is the `sub` of the
 * JWT authorizer's claims or of a Lambda authorizer's context, never anything in the request
 * body: every read and write is keyed by it, so a caller only ever sees their own bookings.
 * GET /bookings, GET /bookings/{bookingId}, POST /bookings. A POST with an `idempotency-key`
 * header books once: the key (with the caller) names the booking, and the booking stores a hash of
 * the request body, so a retry with the same body answers the stored booking (200) and the same
 * key with another body answers 409.
 * Table: BOOKINGS_TABLE_NAME, partition key `customerId`, sort key `bookingId` (strings).
 */
import { createHash, randomUUID } from "crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyResultV2,
  Context,
} from "aws-lambda";
import * as z from "zod/mini";
import { conflict, forbidden, HttpError, isConditionFailed, notFound } from "../shared/errors";
import {
  correlationIdOf,
  errorResponse,
  header,
  json,
  JsonResponse,
  parseJsonBody,
  requestIdOf,
  text,
} from "../shared/http";
import { createLogger, Logger } from "../shared/logger";
import { parseInput } from "../shared/validation";

/** The events this handler accepts: JWT authorizer, or a Lambda authorizer with `sub` in its context. */
export type BookingsEvent =
  | APIGatewayProxyEventV2WithJWTAuthorizer
  | APIGatewayProxyEventV2WithLambdaAuthorizer<{ sub?: unknown }>;

const SUB = /^[A-Za-z0-9_.@|:+-]{1,128}$/;
const BOOKING_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The body of POST /bookings. Strict: a `customerId` in the body is refused, not ignored. */
export const createBookingSchema = z.strictObject({
  flightId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
  seatClass: z.enum(["economy", "business", "first"]),
  passengers: z.int().check(z.minimum(1), z.maximum(9)),
});

/** A validated booking request. */
export type CreateBooking = z.infer<typeof createBookingSchema>;

/** `{bookingId}` in the path. */
export const bookingPathSchema = z.object({ bookingId: z.string().check(z.regex(BOOKING_ID)) });

/** Query string of GET /bookings. */
export const listQuerySchema = z.object({
  limit: z.optional(z.string().check(z.regex(/^([1-9]|[1-9]\d|100)$/))),
  nextToken: z.optional(z.string().check(z.maxLength(200))),
});

/** A stored booking. */
export interface Booking {
  customerId: string;
  bookingId: string;
  flightId: string;
  seatClass: CreateBooking["seatClass"];
  passengers: number;
  status: "CONFIRMED";
  createdAt: string;
}

/** The narrow DynamoDB client the handler needs (a DynamoDBDocumentClient, or a test double). */
export interface BookingsDb {
  send(command: GetCommand | PutCommand | QueryCommand): Promise<{
    Item?: Record<string, unknown>;
    Items?: Record<string, unknown>[];
    LastEvaluatedKey?: Record<string, unknown>;
  }>;
}

/** What {@link handle} needs besides the event. */
export interface BookingsDeps {
  db: BookingsDb;
  tableName: string;
  logger: Logger;
  now?: () => Date;
  newId?: () => string;
}

/**
 * The caller's identity from the authorizer: JWT claims (`authorizer.jwt.claims.sub`) or a
 * Lambda authorizer's context (`authorizer.lambda.sub`). Missing or malformed → 403.
 */
export function callerOf(event: Partial<BookingsEvent>): string {
  const authorizer = (event.requestContext as { authorizer?: unknown } | undefined)?.authorizer as
    { jwt?: { claims?: Record<string, unknown> }; lambda?: Record<string, unknown> } | undefined;
  const sub = authorizer?.jwt?.claims?.sub ?? authorizer?.lambda?.sub;
  if (typeof sub !== "string" || !SUB.test(sub)) throw forbidden();
  return sub;
}

/** The hash bound to an idempotent booking: SHA-256 of the validated body, keys in fixed order. */
export function requestHashOf(input: CreateBooking): string {
  const canonical = JSON.stringify([input.flightId, input.seatClass, input.passengers]);
  return createHash("sha256").update(canonical).digest("hex");
}

/**
 * The booking id: derived from the caller and their `idempotency-key` header when given, so a
 * retried POST writes the same key and the conditional put answers 409 instead of booking twice.
 */
export function bookingIdFor(
  sub: string,
  idempotencyKey: string | undefined,
  newId: () => string,
): string {
  if (idempotencyKey === undefined) return newId();
  const h = createHash("sha256").update(`${sub}\n${idempotencyKey}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The route of a v2 event: its routeKey, or method and path under a `$default` route. */
export function routeOf(event: Partial<BookingsEvent>): { route: string; bookingId?: string } {
  const key = typeof event.routeKey === "string" ? event.routeKey : "";
  if (key && key !== "$default") {
    return { route: key, bookingId: event.pathParameters?.bookingId };
  }
  const method = text(event.requestContext?.http?.method);
  const path = text(event.rawPath);
  if (path === "/bookings") return { route: `${method} /bookings` };
  const m = /^\/bookings\/([^/]+)$/.exec(path);
  if (m)
    return { route: `${method} /bookings/{bookingId}`, bookingId: decodeURIComponentSafe(m[1]) };
  return { route: `${method} ${path}` };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Strips storage-only attributes (such as `requestHash`) from an item. */
export function bookingOf(item: Record<string, unknown>): Booking {
  const { customerId, bookingId, flightId, seatClass, passengers, status, createdAt } = item;
  return { customerId, bookingId, flightId, seatClass, passengers, status, createdAt } as Booking;
}

async function listBookings(
  event: Partial<BookingsEvent>,
  sub: string,
  deps: BookingsDeps,
): Promise<{ items: Booking[]; nextToken?: string }> {
  const query = parseInput(
    listQuerySchema,
    event.queryStringParameters ?? {},
    "queryStringParameters",
  );
  let exclusiveStartKey: Record<string, string> | undefined;
  if (query.nextToken !== undefined) {
    // The token carries only the last booking id; the caller part of the key is always `sub`,
    // so a forged token cannot page through someone else's bookings.
    const bookingId = Buffer.from(query.nextToken, "base64url").toString("utf8");
    if (!BOOKING_ID.test(bookingId)) {
      throw new HttpError(
        400,
        "invalid_request",
        "queryStringParameters.nextToken: is invalid",
        "queryStringParameters.nextToken",
      );
    }
    exclusiveStartKey = { customerId: sub, bookingId };
  }
  const out = await deps.db.send(
    new QueryCommand({
      TableName: deps.tableName,
      KeyConditionExpression: "#customerId = :sub",
      ExpressionAttributeNames: { "#customerId": "customerId" },
      ExpressionAttributeValues: { ":sub": sub },
      Limit: query.limit === undefined ? 25 : Number(query.limit),
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const items = (out.Items ?? []).map(bookingOf);
  const last = out.LastEvaluatedKey?.bookingId;
  return typeof last === "string"
    ? { items, nextToken: Buffer.from(last, "utf8").toString("base64url") }
    : { items };
}

/**
 * The stored booking for a retried idempotent POST: the same body (same hash) gets it back; the
 * same key with another body, or a booking stored without a hash, is a 409.
 */
async function replayed(booking: Booking, requestHash: string, deps: BookingsDeps) {
  const out = await deps.db.send(
    new GetCommand({
      TableName: deps.tableName,
      Key: { customerId: booking.customerId, bookingId: booking.bookingId },
      ConsistentRead: true,
    }),
  );
  if (!out.Item || out.Item.requestHash !== requestHash)
    throw conflict(`idempotency-key was used for booking ${booking.bookingId} with another body`);
  return bookingOf(out.Item);
}

/** Handles one request; never throws. */
export async function handle(event: BookingsEvent, deps: BookingsDeps): Promise<JsonResponse> {
  const ev = (event ?? {}) as Partial<BookingsEvent>;
  const requestId = requestIdOf(ev.requestContext);
  const correlationId = correlationIdOf(ev.headers, requestId);
  const logger = deps.logger.child({ correlationId, requestId });
  try {
    const sub = callerOf(ev);
    const { route, bookingId } = routeOf(ev);
    logger.info("request", { route, sub });
    if (!deps.tableName) throw new Error("BOOKINGS_TABLE_NAME is not set");

    switch (route) {
      case "GET /bookings":
        return json(200, await listBookings(ev, sub, deps), correlationId);
      case "GET /bookings/{bookingId}": {
        const path = parseInput(bookingPathSchema, { bookingId }, "pathParameters");
        const out = await deps.db.send(
          new GetCommand({
            TableName: deps.tableName,
            Key: { customerId: sub, bookingId: path.bookingId },
          }),
        );
        if (!out.Item) throw notFound(`booking ${path.bookingId}`);
        return json(200, bookingOf(out.Item), correlationId);
      }
      case "POST /bookings": {
        const input = parseInput(
          createBookingSchema,
          parseJsonBody(ev.body, ev.isBase64Encoded),
          "body",
        );
        const key = header(ev.headers, "idempotency-key");
        if (key !== undefined && !/^[A-Za-z0-9_.:-]{8,64}$/.test(key)) {
          throw new HttpError(
            400,
            "invalid_request",
            "headers.idempotency-key: has an invalid format",
            "headers.idempotency-key",
          );
        }
        const booking: Booking = {
          customerId: sub,
          bookingId: bookingIdFor(sub, key, deps.newId ?? randomUUID),
          flightId: input.flightId,
          seatClass: input.seatClass,
          passengers: input.passengers,
          status: "CONFIRMED",
          createdAt: (deps.now ?? (() => new Date()))().toISOString(),
        };
        const requestHash = requestHashOf(input);
        try {
          await deps.db.send(
            new PutCommand({
              TableName: deps.tableName,
              Item: { ...booking, requestHash },
              ConditionExpression: "attribute_not_exists(#bookingId)",
              ExpressionAttributeNames: { "#bookingId": "bookingId" },
            }),
          );
        } catch (err) {
          if (!isConditionFailed(err)) throw err;
          return json(200, await replayed(booking, requestHash, deps), correlationId);
        }
        logger.info("booking created", {
          bookingId: booking.bookingId,
          flightId: booking.flightId,
        });
        return json(201, booking, correlationId);
      }
      default:
        throw new HttpError(404, "not_found", "no such route");
    }
  } catch (err) {
    return errorResponse(err, logger, correlationId);
  }
}

// Created once per execution environment and reused across invocations.
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const baseLogger = createLogger({ service: "bookings" });

/** The Lambda entry point. */
export const handler = (
  event: BookingsEvent,
  context?: Pick<Context, "awsRequestId">,
): Promise<APIGatewayProxyResultV2> =>
  handle(event, {
    db: client,
    tableName: process.env.BOOKINGS_TABLE_NAME ?? "",
    logger: context?.awsRequestId
      ? baseLogger.child({ awsRequestId: context.awsRequestId })
      : baseLogger,
  });

/**
 * Loyalty service behind the PRIVATE REST API (AWS_IAM auth, Lambda proxy integration, payload
 * v1): GET /loyalty/{customerId} answers points and tier; POST /loyalty/{customerId}/points adds
 * points atomically (UpdateItem ADD), exactly once per `idempotencyKey` (required).
 *
 * Idempotency is Powertools' (`@aws-lambda-powertools/idempotency`, DynamoDB persistence layer):
 * each key is its own item in IDEMPOTENCY_TABLE_NAME (partition key `id`, TTL attribute
 * `expiration`), never an attribute of the customer's item, so the customer's item keeps the same
 * size however many credits it receives. A replayed key answers the stored result (200); a key
 * still in progress, or reused with another body, answers 409.
 * Tables: LOYALTY_TABLE_NAME (partition key `customerId`), IDEMPOTENCY_TABLE_NAME.
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import * as z from "zod/mini";
import { badRequest, conflict, forbidden, HttpError, notFound } from "../shared/errors";
import {
  correlationIdOf,
  errorResponse,
  json,
  parseJsonBody,
  requestIdOf,
  text,
} from "../shared/http";
import { CUSTOMER_ID } from "../shared/ids";
import { createLogger, Logger } from "../shared/logger";
import { parseInput } from "../shared/validation";

/** Tiers by points: gold from 100,000, silver from 50,000, bronze below. */
export const TIER_THRESHOLDS = { silver: 50_000, gold: 100_000 } as const;

/** A customer's tier. */
export type Tier = "bronze" | "silver" | "gold";

/** The tier a points balance earns. */
export function tierFor(points: number): Tier {
  if (points >= TIER_THRESHOLDS.gold) return "gold";
  if (points >= TIER_THRESHOLDS.silver) return "silver";
  return "bronze";
}

/** An idempotency key: 8-64 letters, digits and `_ . : -` (a UUID fits). */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,64}$/;

/** How long a key is remembered: a retry within a day answers the stored result. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** The most points one request may add. */
export const MAX_POINTS_PER_REQUEST = 100_000;

const customerId = z.string().check(z.regex(CUSTOMER_ID));

/** An IAM caller ARN as API Gateway reports it (user, role, assumed-role session). */
const IAM_CALLER = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]{1,512}$/;

/** `{customerId}` in the path. */
export const pathSchema = z.object({ customerId });

/** The body of POST /loyalty/{customerId}/points. */
export const addPointsSchema = z.strictObject({
  points: z.int().check(z.positive(), z.maximum(MAX_POINTS_PER_REQUEST)),
  reason: z.optional(z.string().check(z.maxLength(200))),
  // Required: without a key a retried request (client, API Gateway, network) credits again.
  idempotencyKey: z.string().check(z.regex(IDEMPOTENCY_KEY)),
});

/** A validated add-points request. */
export type AddPoints = z.infer<typeof addPointsSchema>;

/** What the service answers for a customer. */
export interface LoyaltyView {
  customerId: string;
  points: number;
  tier: Tier;
  /** Points still needed for the next tier; null at the top tier (GraphQL `remainingPoints`). */
  remainingPoints: number | null;
}

/** Points still needed for the next tier, or null when there is none (gold). */
export function remainingPointsFor(points: number): number | null {
  if (points >= TIER_THRESHOLDS.gold) return null;
  return (
    (points >= TIER_THRESHOLDS.silver ? TIER_THRESHOLDS.gold : TIER_THRESHOLDS.silver) - points
  );
}

/** The narrow DynamoDB client the handler needs (a DynamoDBDocumentClient, or a test double). */
export interface LoyaltyDb {
  send(
    command: GetCommand | UpdateCommand,
  ): Promise<{ Item?: Record<string, unknown>; Attributes?: Record<string, unknown> }>;
}

/** What {@link handle} needs besides the event. */
export interface LoyaltyDeps {
  db: LoyaltyDb;
  tableName: string;
  /** The idempotent credit (see {@link idempotentCredit}). */
  credit: CreditFn;
  logger: Logger;
}

/** The view of a stored item (points default to 0 for a malformed item). */
export function viewOf(id: string, item: Record<string, unknown>): LoyaltyView {
  const points = typeof item.points === "number" && Number.isFinite(item.points) ? item.points : 0;
  return {
    customerId: id,
    points,
    tier: tierFor(points),
    remainingPoints: remainingPointsFor(points),
  };
}

/**
 * The UpdateItem that adds points: `ADD` is atomic, so concurrent credits never lose points. It
 * writes only fixed attributes (points, updatedAt, lastReason): whatever makes a credit
 * idempotent lives in the idempotency table, so the item does not grow with every credit.
 */
export function addPointsCommand(
  tableName: string,
  id: string,
  input: Pick<AddPoints, "points" | "reason">,
  now: Date,
): UpdateCommand {
  const names: Record<string, string> = { "#points": "points", "#updatedAt": "updatedAt" };
  const values: Record<string, unknown> = { ":points": input.points, ":now": now.toISOString() };
  let update = "ADD #points :points SET #updatedAt = :now";
  if (input.reason !== undefined) {
    names["#lastReason"] = "lastReason";
    values[":reason"] = input.reason;
    update += ", #lastReason = :reason";
  }
  return new UpdateCommand({
    TableName: tableName,
    Key: { customerId: id },
    UpdateExpression: update,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: "ALL_NEW",
  });
}

/** One credit, as the idempotent function sees it: who, how much, and the caller's key. */
export interface Credit {
  customerId: string;
  idempotencyKey: string;
  points: number;
  reason?: string;
}

/** Applies one credit (not idempotent by itself). */
export type CreditFn = (credit: Credit) => Promise<LoyaltyView>;

/**
 * Powertools' settings for credits. The record's key hashes customer and key (one key may be
 * used by two customers); the payload hash covers points and reason, so a key reused with
 * another body is refused instead of answering the first body's result. `idempotencyKey && ...`
 * makes a missing key an error, never a record keyed by the customer alone.
 */
export function creditIdempotencyConfig(): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: "idempotencyKey && [customerId, idempotencyKey]",
    payloadValidationJmesPath: "[points, reason]",
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
  });
}

/**
 * The credit function made idempotent with Powertools: the first request for a key saves an
 * "in progress" record (a conditional PutItem), runs the credit and stores its answer; a replay
 * gets the stored answer without crediting; a concurrent duplicate gets
 * IdempotencyAlreadyInProgressError.
 */
export function idempotentCredit(
  db: LoyaltyDb,
  tableName: string,
  persistenceStore: BasePersistenceLayer,
  config: IdempotencyConfig = creditIdempotencyConfig(),
  now: () => Date = () => new Date(),
): CreditFn {
  const credit: CreditFn = async (c) => {
    const out = await db.send(addPointsCommand(tableName, c.customerId, c, now()));
    return viewOf(c.customerId, out.Attributes ?? {});
  };
  return makeIdempotent(credit, { persistenceStore, config, keyPrefix: "loyalty-credit" });
}

/** Powertools errors by name (their classes may come from another copy of the library). */
const IDEMPOTENCY_CONFLICTS: Record<string, string> = {
  IdempotencyAlreadyInProgressError: "a request with this idempotencyKey is still in progress",
  IdempotencyValidationError: "this idempotencyKey was used with another body",
};

/** The 4xx an idempotency error stands for, or undefined (a fault: 500). */
export function idempotencyRefusal(err: unknown): HttpError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 3; depth++) {
    const name = (e as { name?: unknown }).name;
    if (typeof name === "string" && name in IDEMPOTENCY_CONFLICTS)
      return conflict(IDEMPOTENCY_CONFLICTS[name]);
    if (name === "IdempotencyKeyError") return badRequest("body.idempotencyKey", "required");
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The route of a v1 proxy event: "METHOD /resource/{template}". */
export function routeOf(event: Partial<APIGatewayProxyEvent>): string {
  return `${text(event.httpMethod)} ${text(event.resource)}`;
}

/** Handles one request; never throws. */
export async function handle(
  event: APIGatewayProxyEvent,
  deps: LoyaltyDeps,
): Promise<APIGatewayProxyResult> {
  const ev = (event ?? {}) as Partial<APIGatewayProxyEvent>;
  const requestId = requestIdOf(ev.requestContext);
  const correlationId = correlationIdOf(ev.headers, requestId);
  const logger = deps.logger.child({ correlationId, requestId });
  try {
    // The API uses AWS_IAM auth, so API Gateway always fills the caller's ARN. Without it the
    // method was misconfigured (e.g. auth NONE): refuse rather than serve anonymous callers.
    const caller = ev.requestContext?.identity?.userArn;
    if (typeof caller !== "string" || !IAM_CALLER.test(caller)) throw forbidden();
    const route = routeOf(ev);
    logger.info("request", { route, caller });
    if (!deps.tableName) throw new Error("LOYALTY_TABLE_NAME is not set");

    switch (route) {
      case "GET /loyalty/{customerId}": {
        const { customerId: id } = parseInput(pathSchema, ev.pathParameters, "pathParameters");
        const out = await deps.db.send(
          new GetCommand({
            TableName: deps.tableName,
            Key: { customerId: id },
            ProjectionExpression: "#points",
            ExpressionAttributeNames: { "#points": "points" },
          }),
        );
        if (!out.Item) throw notFound(`customer ${id}`);
        return json(200, viewOf(id, out.Item), correlationId);
      }
      case "POST /loyalty/{customerId}/points": {
        const { customerId: id } = parseInput(pathSchema, ev.pathParameters, "pathParameters");
        const input = parseInput(
          addPointsSchema,
          parseJsonBody(ev.body, ev.isBase64Encoded),
          "body",
        );
        let view: LoyaltyView;
        try {
          view = await deps.credit({ customerId: id, ...input });
        } catch (err) {
          throw idempotencyRefusal(err) ?? err;
        }
        logger.info("points added", { customerId: id, points: input.points });
        return json(200, view, correlationId);
      }
      default:
        throw new HttpError(404, "not_found", "no such route");
    }
  } catch (err) {
    return errorResponse(err, logger, correlationId);
  }
}

// Created once per execution environment and reused across invocations.
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const baseLogger = createLogger({ service: "loyalty" });
const config = creditIdempotencyConfig();
let coldStart: { tableName: string; credit: CreditFn } | undefined;

/** Reads the environment once, at the first invocation of the execution environment. */
function fromEnvironment(): { tableName: string; credit: CreditFn } {
  const tableName = process.env.LOYALTY_TABLE_NAME ?? "";
  // Records: partition key `id`, TTL attribute `expiration` (the library's defaults).
  const store = new DynamoDBPersistenceLayer({
    tableName: process.env.IDEMPOTENCY_TABLE_NAME ?? "",
  });
  return { tableName, credit: idempotentCredit(client, tableName, store, config) };
}

/** The Lambda entry point. */
export const handler = (
  event: APIGatewayProxyEvent,
  context?: Partial<Context>,
): Promise<APIGatewayProxyResult> => {
  coldStart ??= fromEnvironment();
  // An "in progress" record then expires with the invocation, so a timed-out credit can retry.
  if (typeof context?.getRemainingTimeInMillis === "function")
    config.registerLambdaContext(context as Context);
  return handle(event, {
    db: client,
    ...coldStart,
    logger: context?.awsRequestId
      ? baseLogger.child({ awsRequestId: context.awsRequestId })
      : baseLogger,
  });
};

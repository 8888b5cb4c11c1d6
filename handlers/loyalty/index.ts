/**
 * Loyalty service behind the PRIVATE REST API (AWS_IAM auth, Lambda proxy integration, payload
 * v1): GET /loyalty/{customerId} answers points and tier; POST /loyalty/{customerId}/points adds
 * points exactly once per `idempotencyKey` (required, with the time the client created it).
 *
 * Exactly once also under partial failure (a failed write, a lost answer the SDK re-sends, a
 * crash between writes): see ./credits. Each key has its own record in IDEMPOTENCY_TABLE_NAME
 * (partition key `id`, TTL attribute `expiration`); the customer's item holds a mark only while
 * a credit is in flight, so it keeps its size however many credits it receives. A retry of a
 * key answers the original result (200); a key still in progress, or reused with another body,
 * answers 409; a key created more than 24 hours ago answers 400 `retry_window_passed`.
 * Tables: LOYALTY_TABLE_NAME (partition key `customerId`), IDEMPOTENCY_TABLE_NAME.
 */
import { randomUUID } from "crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import * as z from "zod/mini";
import { forbidden, HttpError, notFound } from "../shared/errors";
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
import { checkRetryWindow, creditOnce, LedgerDb } from "./credits";

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

/** When a key was created: UTC, to the second or finer, e.g. `2026-12-08T01:30:00.000Z`. */
export const KEY_CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

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
  // Required: it bounds the retry window (24 hours from it), after which the key is refused.
  idempotencyKeyCreatedAt: z.string().check(
    z.regex(KEY_CREATED_AT),
    z.refine((t) => Number.isFinite(Date.parse(t)), "not a calendar date and time"),
  ),
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

/** What {@link handle} needs besides the event. */
export interface LoyaltyDeps {
  /** The narrow DynamoDB client (a DynamoDBDocumentClient, or a test double). */
  db: LedgerDb;
  tableName: string;
  /** The table of idempotency key records (IDEMPOTENCY_TABLE_NAME). */
  keyTableName: string;
  logger: Logger;
  /** How long this invocation may still run (ms): how long it holds a key it claims. */
  leaseMs: number;
  /** A token no other invocation uses: owns the keys this one claims. */
  token?: string;
  /** The clock (epoch ms). */
  now?: () => number;
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

/** POST /loyalty/{customerId}/points: the credit, once per key, or its original answer. */
async function addPoints(
  ev: Partial<APIGatewayProxyEvent>,
  deps: LoyaltyDeps,
  logger: Logger,
): Promise<LoyaltyView> {
  const { customerId: id } = parseInput(pathSchema, ev.pathParameters, "pathParameters");
  const input = parseInput(addPointsSchema, parseJsonBody(ev.body, ev.isBase64Encoded), "body");
  const now = (deps.now ?? Date.now)();
  const createdAt = Date.parse(input.idempotencyKeyCreatedAt);
  checkRetryWindow(createdAt, now);
  if (!deps.keyTableName) throw new Error("IDEMPOTENCY_TABLE_NAME is not set");
  const ledger = {
    db: deps.db,
    loyaltyTable: deps.tableName,
    keyTable: deps.keyTableName,
    warn: (message: string, detail: Record<string, unknown>) => logger.warn(message, detail),
  };
  const points = await creditOnce(
    ledger,
    {
      customerId: id,
      idempotencyKey: input.idempotencyKey,
      createdAt,
      points: input.points,
      reason: input.reason,
    },
    { token: deps.token ?? randomUUID(), now, leaseMs: deps.leaseMs },
  );
  logger.info("points added", { customerId: id, points: input.points });
  return viewOf(id, { points });
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
      case "POST /loyalty/{customerId}/points":
        return json(200, await addPoints(ev, deps, logger), correlationId);
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

/** How long an invocation holds a key when it cannot tell its deadline (API Gateway's 29 s). */
export const DEFAULT_LEASE_MS = 30_000;

/** The Lambda entry point. */
export const handler = (
  event: APIGatewayProxyEvent,
  context?: Partial<Context>,
): Promise<APIGatewayProxyResult> => {
  // Lambda ends the invocation at its deadline, so a claim lapses with it and a retry may go on.
  const remaining = context?.getRemainingTimeInMillis?.();
  return handle(event, {
    db: client,
    tableName: process.env.LOYALTY_TABLE_NAME ?? "",
    keyTableName: process.env.IDEMPOTENCY_TABLE_NAME ?? "",
    leaseMs: typeof remaining === "number" && remaining >= 0 ? remaining : DEFAULT_LEASE_MS,
    logger: context?.awsRequestId
      ? baseLogger.child({ awsRequestId: context.awsRequestId })
      : baseLogger,
  });
};

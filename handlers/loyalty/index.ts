/**
 * Loyalty service behind the PRIVATE REST API (AWS_IAM auth, Lambda proxy integration, payload
 * v1): GET /loyalty/{customerId} answers points and tier; POST /loyalty/{customerId}/points adds
 * points atomically (UpdateItem ADD), refusing a repeated idempotency key with 409.
 * Table: LOYALTY_TABLE_NAME, partition key `customerId` (string).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import * as z from "zod/mini";
import { conflict, forbidden, HttpError, isConditionFailed, notFound } from "../shared/errors";
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
  idempotencyKey: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.:-]{8,64}$/))),
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
  logger: Logger;
  now?: () => Date;
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
 * The UpdateItem that adds points: `ADD` is atomic, so concurrent requests never lose points.
 * With an idempotency key the key joins a string set in the same write, conditioned on not being
 * in it yet, so a retried request cannot apply twice.
 */
export function addPointsCommand(
  tableName: string,
  id: string,
  input: AddPoints,
  now: Date,
): UpdateCommand {
  const names: Record<string, string> = { "#points": "points", "#updatedAt": "updatedAt" };
  const values: Record<string, unknown> = { ":points": input.points, ":now": now.toISOString() };
  let update = "ADD #points :points SET #updatedAt = :now";
  let condition: string | undefined;
  if (input.reason !== undefined) {
    names["#lastReason"] = "lastReason";
    values[":reason"] = input.reason;
    update += ", #lastReason = :reason";
  }
  if (input.idempotencyKey !== undefined) {
    names["#keys"] = "idempotencyKeys";
    values[":key"] = input.idempotencyKey;
    values[":keySet"] = new Set([input.idempotencyKey]);
    update = update.replace("ADD #points :points", "ADD #points :points, #keys :keySet");
    condition = "attribute_not_exists(#keys) OR NOT contains(#keys, :key)";
  }
  return new UpdateCommand({
    TableName: tableName,
    Key: { customerId: id },
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: "ALL_NEW",
  });
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
        const now = (deps.now ?? (() => new Date()))();
        let out;
        try {
          out = await deps.db.send(addPointsCommand(deps.tableName, id, input, now));
        } catch (err) {
          if (isConditionFailed(err)) {
            throw conflict(`idempotencyKey ${input.idempotencyKey} was already applied`);
          }
          throw err;
        }
        logger.info("points added", { customerId: id, points: input.points });
        return json(200, viewOf(id, out.Attributes ?? {}), correlationId);
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

/** The Lambda entry point. */
export const handler = (
  event: APIGatewayProxyEvent,
  context?: Pick<Context, "awsRequestId">,
): Promise<APIGatewayProxyResult> =>
  handle(event, {
    db: client,
    tableName: process.env.LOYALTY_TABLE_NAME ?? "",
    logger: context?.awsRequestId
      ? baseLogger.child({ awsRequestId: context.awsRequestId })
      : baseLogger,
  });

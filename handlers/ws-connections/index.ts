/**
 * The WebSocket API's `$connect`, `$disconnect` and `$default` routes (./connections.ts).
 * Environment: `CONNECTIONS_TABLE_NAME` (partition key `connectionId`, TTL on `expiresAt`),
 * `WS_SUBPROTOCOL`, `CONNECTION_TTL_SECONDS`. Its role may put and delete connection items and
 * nothing else: it cannot post to any connection.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { createLogger } from "../shared/logger";
import { ConnectionDeps, ConnectionStore, route } from "./connections";

const logger = createLogger({ service: "websocket-connections" });

/** The store on DynamoDB. */
export function dynamoStore(doc: DynamoDBDocumentClient, tableName: string): ConnectionStore {
  return {
    put: async (record) =>
      void (await doc.send(new PutCommand({ TableName: tableName, Item: record }))),
    remove: async (connectionId) =>
      void (await doc.send(new DeleteCommand({ TableName: tableName, Key: { connectionId } }))),
  };
}

let deps: ConnectionDeps | undefined;

function moduleDeps(): ConnectionDeps {
  if (deps) return deps;
  const tableName = process.env.CONNECTIONS_TABLE_NAME ?? "";
  const subprotocol = process.env.WS_SUBPROTOCOL ?? "";
  const ttlSeconds = Number(process.env.CONNECTION_TTL_SECONDS ?? "");
  const problems = [
    tableName === "" ? "CONNECTIONS_TABLE_NAME is required" : "",
    subprotocol === "" ? "WS_SUBPROTOCOL is required" : "",
    Number.isInteger(ttlSeconds) && ttlSeconds > 0
      ? ""
      : "CONNECTION_TTL_SECONDS: expected seconds",
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`invalid environment: ${problems.join("; ")}`);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  deps = {
    store: dynamoStore(doc, tableName),
    settings: { subprotocol, ttlSeconds },
    logger,
    now: Date.now,
  };
  return deps;
}

/** The Lambda entry point. */
export async function handler(
  event: APIGatewayProxyWebsocketEventV2,
): Promise<APIGatewayProxyResult> {
  try {
    return await route(event, moduleDeps());
  } catch (err) {
    logger.error("route failed", { error: err });
    return { statusCode: 500, body: "" };
  }
}

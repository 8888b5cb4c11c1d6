/**
 * The notifier: a DynamoDB stream consumer that posts each change to its owner's WebSocket
 * connections through the `@connections` API (./notify.ts). Environment:
 * `CONNECTIONS_TABLE_NAME`, `CONNECTIONS_BY_SUB_INDEX` (the index by `sub`),
 * `CONNECTIONS_ENDPOINT` (`https://<api id>.execute-api.<region>.amazonaws.com/<stage>`),
 * `OWNER_ATTRIBUTE`, `NOTIFY_ATTRIBUTES` (comma-separated).
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { createLogger } from "../shared/logger";
import { NotifierClients, NotifierDeps, notify } from "./notify";

const logger = createLogger({ service: "websocket-notifier" });

/** The clients on DynamoDB and the `@connections` API. */
export function awsClients(
  doc: DynamoDBDocumentClient,
  api: ApiGatewayManagementApiClient,
  table: { name: string; bySubIndex: string },
): NotifierClients {
  return {
    async connectionsOf(sub) {
      const ids: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName: table.name,
            IndexName: table.bySubIndex,
            KeyConditionExpression: "#sub = :sub",
            ExpressionAttributeNames: { "#sub": "sub" },
            ExpressionAttributeValues: { ":sub": sub },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) ids.push(String(item.connectionId));
        start = out.LastEvaluatedKey;
      } while (start);
      return ids;
    },
    async post(connectionId, data) {
      try {
        await api.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data) }),
        );
        return "sent";
      } catch (err) {
        if (
          err instanceof GoneException ||
          (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 410
        )
          return "gone";
        throw err;
      }
    },
    remove: async (connectionId) =>
      void (await doc.send(new DeleteCommand({ TableName: table.name, Key: { connectionId } }))),
  };
}

let deps: NotifierDeps | undefined;

function moduleDeps(): NotifierDeps {
  if (deps) return deps;
  const env = process.env;
  const required = [
    "CONNECTIONS_TABLE_NAME",
    "CONNECTIONS_BY_SUB_INDEX",
    "CONNECTIONS_ENDPOINT",
    "OWNER_ATTRIBUTE",
  ];
  const missing = required.filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`invalid environment: ${missing.join(", ")} required`);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const api = new ApiGatewayManagementApiClient({ endpoint: env.CONNECTIONS_ENDPOINT });
  deps = {
    clients: awsClients(doc, api, {
      name: env.CONNECTIONS_TABLE_NAME as string,
      bySubIndex: env.CONNECTIONS_BY_SUB_INDEX as string,
    }),
    settings: {
      ownerAttribute: env.OWNER_ATTRIBUTE as string,
      attributes: (env.NOTIFY_ATTRIBUTES ?? "").split(",").filter(Boolean),
    },
    logger,
  };
  return deps;
}

/** The Lambda entry point (stream batches, ReportBatchItemFailures). */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return notify(event, moduleDeps());
}

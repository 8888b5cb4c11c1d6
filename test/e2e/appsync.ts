/**
 * Runs the program's APPSYNC_JS resolvers outside AppSync: the code the program uploads (the
 * Resolver resource's `code`), with a small shim of the `util` functions those resolvers use,
 * and the DynamoDB request each returns sent to dynalite, as AppSync's DynamoDB data source does.
 *
 * The shim (only what app/airline/resolvers uses; anything else is undefined and fails loudly):
 * - `util.error(message, type)`: throws an {@link AppSyncError} with that message and type;
 * - `util.unauthorized()`: throws an {@link AppSyncError} "Unauthorized";
 * - `util.dynamodb.toMapValues(object)`: DynamoDB attribute values (`marshall` of the SDK);
 * - `util.matches(pattern, text)`: the whole text matches the regular expression;
 * - `util.autoId()`: a random UUID; `util.time.nowISO8601()`: the current time, ISO 8601.
 * Requests: `Query` (query.expression/expressionNames/expressionValues, limit, nextToken,
 * scanIndexForward), `GetItem` (key), `PutItem` (key, attributeValues, condition); results
 * come back unmarshalled, as `ctx.result` in AppSync (a Query as `{ items, nextToken }`).
 */
import { randomUUID } from "crypto";
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { transformSync } from "esbuild";

/** What `util.error` and `util.unauthorized` raise: the GraphQL error AppSync returns. */
export class AppSyncError extends Error {
  constructor(
    message: string,
    public readonly errorType: string,
  ) {
    super(message);
  }
}

/** The `util` shim. */
export const util = {
  error(message: string, type = "Error"): never {
    throw new AppSyncError(message, type);
  },
  unauthorized(): never {
    throw new AppSyncError("Not Authorized to access this field", "Unauthorized");
  },
  matches: (pattern: string, text: string) => new RegExp(`^(?:${pattern})$`).test(String(text)),
  autoId: () => randomUUID(),
  time: { nowISO8601: () => new Date().toISOString() },
  dynamodb: {
    toMapValues: (value: Record<string, unknown>) =>
      marshall(value, { removeUndefinedValues: true }),
  },
};

/** A loaded resolver: its request and response functions. */
export interface JsResolver {
  request(ctx: Record<string, unknown>): Record<string, any>;
  response(ctx: Record<string, unknown>): unknown;
}

/** Loads an APPSYNC_JS resolver from the code the program uploads (an ES module). */
export function loadResolver(code: string): JsResolver {
  const cjs = transformSync(code, { format: "cjs", loader: "js" }).code;
  const module = { exports: {} as Record<string, unknown> };
  const requireShim = (name: string) => {
    if (name === "@aws-appsync/utils") return { util };
    throw new Error(`an APPSYNC_JS resolver cannot import ${name}`);
  };
  new Function("require", "module", "exports", cjs)(requireShim, module, module.exports);
  return module.exports as unknown as JsResolver;
}

/** Sends a resolver's DynamoDB request to the engine, as the AppSync data source would. */
async function send(client: DynamoDBClient, table: string, req: Record<string, any>) {
  switch (req.operation) {
    case "Query": {
      const out = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: req.query.expression,
          ExpressionAttributeNames: req.query.expressionNames,
          ExpressionAttributeValues: req.query.expressionValues,
          Limit: req.limit,
          ScanIndexForward: req.scanIndexForward,
          ExclusiveStartKey: req.nextToken ? JSON.parse(req.nextToken) : undefined,
        }),
      );
      return {
        items: (out.Items ?? []).map((i) => unmarshall(i)),
        nextToken: out.LastEvaluatedKey ? JSON.stringify(out.LastEvaluatedKey) : null,
      };
    }
    case "GetItem": {
      const out = await client.send(new GetItemCommand({ TableName: table, Key: req.key }));
      return out.Item ? unmarshall(out.Item) : null;
    }
    case "PutItem": {
      const item = { ...req.key, ...req.attributeValues };
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: item,
          ConditionExpression: req.condition?.expression,
          ExpressionAttributeNames: req.condition?.expressionNames,
          ExpressionAttributeValues: req.condition?.expressionValues,
        }),
      );
      return unmarshall(item);
    }
    default:
      throw new Error(`the shim does not send ${String(req.operation)}`);
  }
}

/** Runs one field: request → DynamoDB → response, with AppSync's `ctx` (args, identity, info). */
export async function resolve(
  resolver: JsResolver,
  ctx: {
    args: Record<string, unknown>;
    identity: unknown;
    info: { fieldName: string; parentTypeName: string };
  },
  client: DynamoDBClient,
  table: string,
): Promise<unknown> {
  const context: Record<string, unknown> = { ...ctx, arguments: ctx.args, stash: {} };
  const request = resolver.request(context);
  try {
    context.result = await send(client, table, request);
  } catch (err) {
    context.error = { message: (err as Error).message, type: (err as Error).name };
  }
  return resolver.response(context);
}

/**
 * The end-to-end harness: a real DynamoDB engine (dynalite, in memory, on 127.0.0.1), the
 * program's own description of each function and table (one run under the mock engine per
 * stack), and the bundled handlers from dist/handlers loaded with the environment the program
 * gives each function. Nothing here retypes what the program decides: table names, key schemas
 * and environment variables are read from the registered resources.
 */
import * as fs from "fs";
import * as path from "path";
import { AddressInfo } from "net";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  KeySchemaElement,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { buildHandlers } from "../../tools/build-handlers";
import { ofType, ProgramRun, RegisteredResource, runKey, runStack } from "../helpers/harness";

// dynalite has no type declarations; this is the part of its API the suite uses.

const dynalite = require("dynalite") as (options: Record<string, unknown>) => import("http").Server;

/** Where the bundles are: what `npm run build:handlers` writes. */
export const DIST = path.join(__dirname, "..", "..", "dist", "handlers");

/** Credentials and region every SDK client of the suite (and of the bundles) uses. */
export const AWS_ENV = {
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "AKIAE2ETESTKEY000000",
  AWS_SECRET_ACCESS_KEY: "e2e-test-secret-key-not-a-real-one",
};

/** A dynalite server: its endpoint, a document client on it, and how to stop it. */
export interface Engine {
  endpoint: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/** Starts dynalite in memory on 127.0.0.1 (a free port); `close` stops it and its store. */
export async function startEngine(): Promise<Engine> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  });
  return {
    endpoint,
    client,
    doc: DynamoDBDocumentClient.from(client),
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A table as the program declares it: its physical name and key schema. */
export interface TableSpec {
  /** The registered resource's name, e.g. `loyalty-table`. */
  resource: string;
  /** The table's name (what functions get in their *_TABLE_NAME variables). */
  name: string;
  hashKey: string;
  rangeKey?: string;
  attributes: { name: string; type: "S" | "N" | "B" }[];
  /** The TTL attribute, when TTL is enabled. */
  ttlAttribute?: string;
  /** Its global secondary indexes (name, keys, projection). */
  indexes: { name: string; hashKey: string; rangeKey?: string; projectionType: string }[];
}

/** A function as the program declares it: which bundle it runs and its environment. */
export interface FunctionSpec {
  /** The registered resource's name, e.g. `loyalty-function`. */
  resource: string;
  /** The function's name (Lambda sets AWS_LAMBDA_FUNCTION_NAME to it). */
  name: string;
  arn: string;
  /** The handler folder whose bundle is the function's code. */
  handler: string;
  environment: Record<string, string>;
}

/** What the suite needs from one run of the program for a stack. */
export interface StackModel {
  stack: string;
  run: ProgramRun;
  tables: TableSpec[];
  functions: FunctionSpec[];
  /** The function running handlers/<handler>; throws when there is not exactly one. */
  fn(handler: string): FunctionSpec;
  /** The table a function's environment variable names. */
  tableOf(fn: FunctionSpec, variable: string): TableSpec;
}

function tableSpec(r: RegisteredResource): TableSpec {
  const i = r.inputs as Record<string, any>;
  const ttl = i.ttl as { attributeName?: string; enabled?: boolean } | undefined;
  return {
    resource: r.name,
    name: String(r.id),
    hashKey: i.hashKey,
    rangeKey: i.rangeKey,
    attributes: i.attributes,
    ttlAttribute: ttl?.enabled ? ttl.attributeName : undefined,
    indexes: (i.globalSecondaryIndexes ?? []) as TableSpec["indexes"],
  };
}

/**
 * The handler a function runs: the one whose bundle is, byte for byte, the function's code
 * archive (the program and `build:handlers` bundle with the same options).
 */
function handlerOf(r: RegisteredResource, bundles: Map<string, string>): string {
  const code = JSON.stringify(r.wireInputs.code ?? null);
  const found = [...bundles].filter(([, text]) => code.includes(JSON.stringify(text)));
  if (found.length !== 1)
    throw new Error(`${r.name}: its code matches ${found.length} bundles in dist/handlers`);
  return found[0][0];
}

const models = new Map<string, Promise<StackModel>>();

/**
 * The program run for a stack (once per process) and what it says about tables and functions.
 * Bundles the handlers to dist/handlers first (cached bundles make this cheap).
 */
export function stackModel(
  stack: string,
  overrides: Record<string, unknown> = {},
): Promise<StackModel> {
  const key = runKey(stack, overrides);
  let model = models.get(key);
  if (!model) {
    model = (async () => {
      const built = buildHandlers();
      const bundles = new Map(built.map((b) => [b.name, fs.readFileSync(b.file, "utf8")]));
      const run = await runStack(stack, overrides);
      const tables = ofType(run, "aws:dynamodb/table:Table").map(tableSpec);
      const functions = ofType(run, "aws:lambda/function:Function").map((r) => ({
        resource: r.name,
        name: String(r.id),
        arn: String(r.arn),
        handler: handlerOf(r, bundles),
        environment: ((r.inputs.environment as { variables?: Record<string, string> })?.variables ??
          {}) as Record<string, string>,
      }));
      return {
        stack,
        run,
        tables,
        functions,
        fn(handler) {
          const found = functions.filter((f) => f.handler === handler);
          if (found.length !== 1) throw new Error(`${found.length} functions run ${handler}`);
          return found[0];
        },
        tableOf(fn, variable) {
          const table = tables.find((t) => t.name === fn.environment[variable]);
          if (!table) throw new Error(`${fn.resource}: ${variable} names no table of the stack`);
          return table;
        },
      };
    })();
    models.set(key, model);
  }
  return model;
}

/** Creates the program's tables in the engine, with the key schemas the program gives them. */
export async function createTables(engine: Engine, tables: TableSpec[]): Promise<void> {
  for (const t of tables) {
    const keys: KeySchemaElement[] = [{ AttributeName: t.hashKey, KeyType: "HASH" }];
    if (t.rangeKey) keys.push({ AttributeName: t.rangeKey, KeyType: "RANGE" });
    await engine.client.send(
      new CreateTableCommand({
        TableName: t.name,
        KeySchema: keys,
        AttributeDefinitions: t.attributes.map((a) => ({
          AttributeName: a.name,
          AttributeType: a.type,
        })),
        BillingMode: "PAY_PER_REQUEST",
        GlobalSecondaryIndexes: t.indexes.length
          ? t.indexes.map((ix) => ({
              IndexName: ix.name,
              KeySchema: [
                { AttributeName: ix.hashKey, KeyType: "HASH" as const },
                ...(ix.rangeKey ? [{ AttributeName: ix.rangeKey, KeyType: "RANGE" as const }] : []),
              ],
              Projection: { ProjectionType: ix.projectionType as "KEYS_ONLY" | "ALL" },
            }))
          : undefined,
      }),
    );
  }
  // dynalite makes a table ACTIVE on the next tick; wait for it rather than sleeping.
  for (const t of tables) {
    for (;;) {
      const out = await engine.client.send(new DescribeTableCommand({ TableName: t.name }));
      if (out.Table?.TableStatus === "ACTIVE") break;
      await new Promise(setImmediate);
    }
  }
}

/** A bundled handler module: its exports (`handler` and the rest). */
export type Bundle = Record<string, any>;

/**
 * Loads dist/handlers/<fn.handler>/index.js as Lambda would start it: a fresh module, with the
 * function's environment, its name, the region, credentials and the engine's endpoint in
 * process.env (kept there while the suite runs; {@link restoreEnv} puts the old values back).
 */
export function loadBundle(fn: FunctionSpec, engine: Engine, extra: Record<string, string> = {}) {
  const file = path.join(DIST, fn.handler, "index.js");
  Object.assign(process.env, AWS_ENV, fn.environment, extra, {
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
    AWS_LAMBDA_LOG_LEVEL: "ERROR",
  });
  delete require.cache[require.resolve(file)];

  return require(file) as Bundle;
}

/** Snapshot of process.env, to restore after a suite. */
export function saveEnv(): () => void {
  const saved = { ...process.env };
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}

/** The batch role's session ARN, as API Gateway reports an AWS_IAM caller. */
const ACCRUAL_CALLER = "arn:aws:sts::111122223333:assumed-role/points-accrual-batch/s";

/** POST /loyalty/{customerId}/points as API Gateway hands it to the function (AWS_IAM caller). */
export function creditEvent(customerId: string, body: unknown, requestId: string) {
  return {
    resource: "/loyalty/{customerId}/points",
    path: `/loyalty/${customerId}/points`,
    httpMethod: "POST",
    headers: {},
    pathParameters: { customerId },
    requestContext: { requestId, identity: { userArn: ACCRUAL_CALLER } },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** An item read straight from the engine (consistently: it must see the last write). */
export async function itemOf(
  engine: Engine,
  table: TableSpec,
  key: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  return (
    await engine.doc.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }))
  ).Item;
}

/**
 * The WebSocket API end to end, with the bundled handlers as the program deploys them: the
 * `$connect` authorizer (its JWKS read from the local issuer), the routes function and the
 * notifier on dynalite with the real SDK clients, and a local `@connections` endpoint on
 * 127.0.0.1 standing in for API Gateway's management API (POST `/<stage>/@connections/<id>`,
 * 410 GoneException for a connection that is gone). API Gateway's own part is modelled here and
 * only here: a missing identity source is a 401 before the authorizer runs; an allowed
 * `$connect` reaches the routes function with the authorizer's context.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 */
import * as http from "http";
import { AddressInfo } from "net";
import { GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { ofType } from "../helpers/harness";
import {
  Bundle,
  createTables,
  Engine,
  FunctionSpec,
  loadBundle,
  StackModel,
  startEngine,
} from "./harness";
import { Issuer } from "./issuer";
import { SUB } from "./matrix";

/** What the local `@connections` endpoint received, and which connections it calls gone. */
export interface ConnectionsEndpoint {
  url: string;
  posts: { connectionId: string; data: unknown }[];
  gone: Set<string>;
  close(): Promise<void>;
}

/** Starts the endpoint: 200 for a live connection, 410 GoneException for one in `gone`. */
export async function startConnectionsEndpoint(stage: string): Promise<ConnectionsEndpoint> {
  const posts: ConnectionsEndpoint["posts"] = [];
  const gone = new Set<string>();
  const prefix = `/${stage}/@connections/`;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "";
      const id = decodeURIComponent(url.slice(prefix.length));
      const signed = /^AWS4-HMAC-SHA256 /.test(String(req.headers.authorization));
      if (req.method !== "POST" || !url.startsWith(prefix) || !signed) {
        res.writeHead(403, { "x-amzn-errortype": "ForbiddenException" }).end("{}");
      } else if (gone.has(id)) {
        res.writeHead(410, {
          "x-amzn-errortype": "GoneException",
          "content-type": "application/json",
        });
        res.end(JSON.stringify({ message: "Gone" }));
      } else {
        posts.push({ connectionId: id, data: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
        res.writeHead(200).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/${stage}`,
    posts,
    gone,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends the bundles' JWKS downloads (aws-jwt-verify's https GET of `<issuer>/.well-known/jwks.json`)
 * to the local issuer; returns how to put https.request back.
 */
export function routeJwksTo(issuer: Issuer): () => void {
  // The module object itself (the one the bundles' require("https") returns), not an ES namespace.
  const https = require("https") as { request: unknown };
  const real = https.request;
  https.request = (uri: unknown, ...rest: unknown[]) =>
    String(uri).endsWith("/.well-known/jwks.json")
      ? (http.request as (...a: unknown[]) => http.ClientRequest)(issuer.jwksUrl, ...rest)
      : (real as (...a: unknown[]) => http.ClientRequest)(uri, ...rest);
  return () => {
    https.request = real;
  };
}

/** The WebSocket API of a stack, running: connect, send, change a booking, see who got what. */
export interface WsPlant {
  stage: string;
  endpoint: ConnectionsEndpoint;
  engine: Engine;
  /** `$connect` as API Gateway runs it: the authorizer's decision, then the routes function. */
  connect(
    connectionId: string,
    protocols?: string,
    query?: Record<string, string>,
  ): Promise<string>;
  /** A client frame on `$default`: the routes function's status and body. */
  send(connectionId: string, body: string): Promise<{ statusCode: number; body: string }>;
  /** Writes a booking of `sub` to the bookings table and delivers its stream record. */
  changeBooking(sub: string, bookingId: string): Promise<{ failures: unknown[] }>;
  /** The connection ids in the connections table. */
  connections(): Promise<string[]>;
  close(): Promise<void>;
}

interface Parts {
  model: StackModel;
  engine: Engine;
  endpoint: ConnectionsEndpoint;
  bundles: { authorizer: Bundle; routes: Bundle; notifier: Bundle };
  authorizerFn: FunctionSpec;
}

/** The `$connect` authorizer event API Gateway sends (REQUEST, WebSocket). */
function authorizerEvent(
  p: Parts,
  stage: string,
  connectionId: string,
  headers: Record<string, string>,
  query?: Record<string, string>,
) {
  const api = ofType(p.model.run, "aws:apigatewayv2/api:Api").find(
    (r) => r.name === "live-updates-api",
  );
  return {
    type: "REQUEST",
    methodArn: `${String(api?.wireOutputs.executionArn)}/${stage}/$connect`,
    headers,
    queryStringParameters: query ?? null,
    requestContext: {
      routeKey: "$connect",
      eventType: "CONNECT",
      connectionId,
      requestId: `req-${connectionId}`,
      identity: { sourceIp: "198.51.100.7" },
    },
  };
}

async function connectThrough(
  p: Parts,
  stage: string,
  connectionId: string,
  protocols: string | undefined,
  query: Record<string, string> | undefined,
): Promise<string> {
  // API Gateway: without the identity source the authorizer is not called; the client gets 401.
  if (protocols === undefined) return "✘ 401 (no Sec-WebSocket-Protocol)";
  const headers = { "Sec-WebSocket-Protocol": protocols };
  const decision = await p.bundles.authorizer.handler(
    authorizerEvent(p, stage, connectionId, headers, query),
  );
  if (decision.policyDocument.Statement[0].Effect !== "Allow") return "✘ 403";
  const result = await p.bundles.routes.handler({
    headers,
    queryStringParameters: query,
    requestContext: {
      routeKey: "$connect",
      eventType: "CONNECT",
      connectionId,
      authorizer: decision.context,
    },
  });
  if (result.statusCode !== 200) return `✘ ${result.statusCode}`;
  return `✔ (${result.headers["Sec-WebSocket-Protocol"]})`;
}

/** Writes a booking to dynalite and hands the notifier the stream record of that write. */
async function changeBooking(
  parts: Parts,
  table: string,
  sub: string,
  bookingId: string,
): Promise<{ failures: unknown[] }> {
  const { engine } = parts;
  const item = {
    customerId: sub,
    bookingId,
    flightId: "LH400",
    seatClass: "economy",
    status: "CONFIRMED",
    createdAt: "2026-12-08T02:00:00Z",
    requestHash: "h",
  };
  await engine.doc.send(new PutCommand({ TableName: table, Item: item }));
  const key = { customerId: sub, bookingId };
  const stored = (await engine.doc.send(new GetCommand({ TableName: table, Key: key }))).Item!;
  // The record DynamoDB Streams hands Lambda for this write (view NEW_IMAGE).
  const record = {
    eventID: `ev-${bookingId}`,
    eventName: "MODIFY",
    eventSource: "aws:dynamodb",
    dynamodb: {
      Keys: marshall(key),
      NewImage: marshall(stored),
      SequenceNumber: `${Date.now()}`,
      StreamViewType: "NEW_IMAGE",
    },
  };
  const out = await parts.bundles.notifier.handler({ Records: [record] });
  return { failures: out.batchItemFailures };
}

/** Starts the plant of a stack's WebSocket API on a fresh dynalite. */
export async function wsPlant(model: StackModel, issuer: Issuer): Promise<WsPlant> {
  const stage = one(model, "aws:apigatewayv2/stage:Stage", "live-updates-stage").inputs
    .name as string;
  const engine = await startEngine();
  const endpoint = await startConnectionsEndpoint(stage);
  const restoreHttps = routeJwksTo(issuer);
  const closeAll = async () => {
    restoreHttps();
    await endpoint.close();
    await engine.close();
  };
  const notifierFn = model.fn("ws-notifier");
  let parts: Parts;
  try {
    await createTables(engine, model.tables);
    parts = {
      model,
      engine,
      endpoint,
      authorizerFn: model.fn("ws-authorizer"),
      bundles: {
        authorizer: loadBundle(model.fn("ws-authorizer"), engine),
        routes: loadBundle(model.fn("ws-connections"), engine),
        // The management API client talks to the local endpoint instead of execute-api.
        notifier: loadBundle(notifierFn, engine, { CONNECTIONS_ENDPOINT: endpoint.url }),
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
  const bookings = model.tables.find((t) => t.resource === "bookings-table")!;
  const connectionsTable = model.tableOf(notifierFn, "CONNECTIONS_TABLE_NAME");
  return {
    stage,
    endpoint,
    engine,
    connect: (id, protocols, query) => connectThrough(parts, stage, id, protocols, query),
    send: (connectionId, body) =>
      parts.bundles.routes.handler({
        body,
        requestContext: { routeKey: "$default", eventType: "MESSAGE", connectionId },
      }),
    changeBooking: (sub, bookingId) => changeBooking(parts, bookings.name, sub, bookingId),
    async connections() {
      const out = await engine.doc.send(new ScanCommand({ TableName: connectionsTable.name }));
      return (out.Items ?? []).map((i) => String(i.connectionId)).sort();
    },
    close: closeAll,
  };
}

function one(model: StackModel, type: string, name: string) {
  const found = ofType(model.run, type).find((r) => r.name === name);
  if (!found) throw new Error(`${model.stack}: no ${type} ${name}`);
  return found;
}

/** The callers of the WebSocket rows: a label, the Sec-WebSocket-Protocol value, a query. */
export interface WsCaller {
  label: string;
  protocols?: string;
  query?: Record<string, string>;
}

/** The callers, with tokens from the local issuer for the stack's identity tier. */
export function wsCallers(model: StackModel, issuer: Issuer, subprotocol: string): WsCaller[] {
  const out = model.run.outputs as Record<string, any>;
  const cognito = typeof out.userPoolId === "string";
  const scopes = out.identityScopes as Record<string, string>;
  const access = (sub: string, extra: Record<string, unknown> = {}) =>
    issuer.sign({
      iss: out.identityIssuerUrl,
      sub,
      scope: scopes["bookings.read"],
      ...(cognito
        ? { client_id: out.webClientId, token_use: "access" }
        : { aud: out.identityAudiences[0] }),
      ...extra,
    });
  const idToken = cognito
    ? access(SUB.A, {
        token_use: "id",
        aud: out.webClientId,
        client_id: undefined,
        scope: undefined,
      })
    : access(SUB.A, { aud: "web-app-client", scope: undefined, nonce: "n" });
  const otherClient = cognito ? { client_id: "another-app-client" } : { aud: "api://another-api" };
  const offer = (token: string) => `${subprotocol}, ${token}`;
  return [
    { label: "user A (access token)", protocols: offer(access(SUB.A)) },
    { label: "user B (access token)", protocols: offer(access(SUB.B)) },
    { label: "user A's ID token", protocols: offer(idToken) },
    {
      label: "user A, expired token",
      protocols: offer(access(SUB.A, { iat: 1_700_000_000, exp: 1_700_000_600 })),
    },
    { label: "another client's token", protocols: offer(access(SUB.A, otherClient)) },
    {
      label: "token without bookings.read",
      protocols: offer(access(SUB.A, { scope: scopes["bookings.write"] })),
    },
    { label: "no token (subprotocol only)", protocols: subprotocol },
    { label: "no Sec-WebSocket-Protocol" },
    {
      label: "token in the query string",
      protocols: subprotocol,
      query: { access_token: access(SUB.A) },
    },
  ];
}

/** The operations of the WebSocket rows, in column order. */
export const WS_OPERATIONS = [
  "WS $connect",
  "gets A's booking change",
  "gets B's booking change",
  "sends to another connection",
] as const;

/** One row per caller, measured on a fresh plant of the stack. */
export async function wsMatrix(
  model: StackModel,
  issuer: Issuer,
): Promise<{ caller: string; cells: string[] }[]> {
  const subprotocol = model.fn("ws-connections").environment.WS_SUBPROTOCOL;
  const plant = await wsPlant(model, issuer);
  try {
    const callers = wsCallers(model, issuer, subprotocol);
    const connected = new Map<string, string>();
    const rows = [];
    for (const [i, caller] of callers.entries()) {
      const id = `conn-${i}`;
      const cell = await plant.connect(id, caller.protocols, caller.query);
      if (cell.startsWith("✔")) connected.set(id, caller.label);
      rows.push({ caller: caller.label, id, cells: [cell] });
    }
    plant.endpoint.posts.length = 0;
    await plant.changeBooking(SUB.A, "bk-a");
    const gotA = new Set(plant.endpoint.posts.map((p) => p.connectionId));
    plant.endpoint.posts.length = 0;
    await plant.changeBooking(SUB.B, "bk-b");
    const gotB = new Set(plant.endpoint.posts.map((p) => p.connectionId));
    for (const row of rows) {
      const live = connected.has(row.id);
      row.cells.push(live ? (gotA.has(row.id) ? "✔" : "✘ not sent") : "✘ not connected");
      row.cells.push(live ? (gotB.has(row.id) ? "✔" : "✘ not sent") : "✘ not connected");
      if (!live) row.cells.push("✘ not connected");
      else {
        const target = [...connected.keys()].find((k) => k !== row.id) ?? "conn-x";
        const before = plant.endpoint.posts.length;
        const sent = await plant.send(
          row.id,
          JSON.stringify({ action: "sendmessage", connectionId: target, data: "hi" }),
        );
        const reached = plant.endpoint.posts.length > before;
        row.cells.push(reached ? "✔" : `✘ ${sent.statusCode} (only ping)`);
      }
    }
    return rows.map(({ caller, cells }) => ({ caller, cells }));
  } finally {
    await plant.close();
  }
}

/** The rows as a Markdown table. */
export function wsMarkdown(rows: { caller: string; cells: string[] }[]): string {
  const head = `| WebSocket caller | ${WS_OPERATIONS.join(" | ")} |`;
  const rule = `|${" --- |".repeat(WS_OPERATIONS.length + 1)}`;
  return [head, rule, ...rows.map((r) => `| ${r.caller} | ${r.cells.join(" | ")} |`)].join("\n");
}

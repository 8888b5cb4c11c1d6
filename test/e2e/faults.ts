/**
 * A fault-injecting proxy on 127.0.0.1 in front of the DynamoDB engine, for the ledger's
 * partial-failure tests. A function's SDK client points at the proxy; every request is forwarded
 * unchanged unless the armed plan picks it. A write is one SDK call (PutItem, UpdateItem,
 * DeleteItem, BatchWriteItem, TransactWriteItems) named by its `amz-sdk-invocation-id` header,
 * which the SDK keeps on its own retries, so "the k-th write" means the k-th call, and its
 * re-sends are recognised as the same write.
 *
 * Faults, as DynamoDB and the network produce them:
 * - `refuse`: answer 500 InternalServerError without forwarding (the write never reached the
 *   table); the SDK retries 500s.
 * - `drop`: forward, wait for the engine's full answer (the write is applied), then destroy the
 *   connection without answering: DynamoDB applied the write and the caller never heard. The
 *   SDK retries the dropped connection, re-sending the same write.
 * With `crash`, the function dies at the fault: every later request of the run is refused
 * without being forwarded, so nothing it would have written after that point reaches the table.
 */
import * as http from "http";
import { AddressInfo } from "net";

/** What happens to a picked send of a write. */
export type Fault = "refuse" | "drop";

/** Which write to fault, how, and how often. */
export interface Plan {
  /** The write to fault, counted from 1 since {@link FaultProxy.arm}. */
  write: number;
  fault: Fault;
  /** How many sends of that write to fault: 1 lets the SDK's own retry through. */
  sends: number;
  /** The function dies at the fault: every later request is refused, never forwarded. */
  crash?: boolean;
}

/** A write the proxy saw: the operation and the table. */
export interface WriteSeen {
  op: string;
  table: string;
}

/** The proxy: its endpoint, what it saw since the last arm, and how to stop it. */
export interface FaultProxy {
  endpoint: string;
  /** The distinct writes since the last arm, in order (re-sends are not counted again). */
  writes: WriteSeen[];
  /** How many sends were faulted since the last arm. */
  injected: number;
  /** Starts counting writes afresh under `plan` (none: forward everything). */
  arm(plan?: Plan): void;
  close(): Promise<void>;
}

const WRITES = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

const INTERNAL_ERROR = JSON.stringify({
  __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
  message: "Internal server error (injected by the test proxy)",
});

function refuse(res: http.ServerResponse): void {
  res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
  res.end(INTERNAL_ERROR);
}

/** Forwards a request to the engine; resolves with its status, headers and whole body. */
function forward(
  target: URL,
  req: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const up = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 500,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    up.on("error", reject);
    up.end(body);
  });
}

/** Starts the proxy in front of `engineEndpoint` on a free port of 127.0.0.1. */
export async function startFaultProxy(engineEndpoint: string): Promise<FaultProxy> {
  const target = new URL(engineEndpoint);
  let plan: Plan | undefined;
  let invocations: string[] = [];
  let faulted = 0;
  let dead = false;
  const proxy: FaultProxy = {
    endpoint: "",
    writes: [],
    injected: 0,
    arm(next) {
      plan = next;
      invocations = [];
      faulted = 0;
      dead = false;
      proxy.writes = [];
      proxy.injected = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  /** The fault for this request, if the plan picks it (and records the write). */
  function pick(req: http.IncomingMessage, body: Buffer): Fault | undefined {
    const op = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
    if (!WRITES.has(op)) return undefined;
    const id = String(req.headers["amz-sdk-invocation-id"] ?? `anonymous-${invocations.length}`);
    if (!invocations.includes(id)) {
      invocations.push(id);
      const table = String(
        (JSON.parse(body.toString("utf8")) as { TableName?: unknown }).TableName,
      );
      proxy.writes.push({ op, table });
    }
    if (!plan || invocations.indexOf(id) + 1 !== plan.write || faulted >= plan.sends)
      return undefined;
    faulted++;
    proxy.injected++;
    if (plan.crash) dead = true;
    return plan.fault;
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
    if (dead) return refuse(res);
    const fault = pick(req, body);
    if (fault === "refuse") return refuse(res);
    const answer = await forward(target, req, body);
    if (fault === "drop") {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      serve(req, res, Buffer.concat(chunks)).catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/**
 * The loyalty ledger under partial failure: the bundled loyalty function, with the dev stack's
 * environment, talks to dynalite through a fault-injecting proxy (./faults). For each write of
 * the credit path, each fault (refused before it reaches the table; applied with its answer
 * lost) and each way a failure plays out (the SDK's own retry heals it; every send fails and the
 * function answers an error; the function dies at that write), a client retrying the same key
 * sees the balance move by the credit exactly once and gets the original answer.
 */
import * as assert from "assert";
import type { APIGatewayProxyResult } from "aws-lambda";
import { captureStdout } from "../../handlers/shared/testing";
import { FaultProxy, Fault, Plan, startFaultProxy } from "./faults";
import {
  Bundle,
  createTables,
  creditEvent,
  Engine,
  FunctionSpec,
  itemOf,
  loadBundle,
  saveEnv,
  stackModel,
  startEngine,
  TableSpec,
} from "./harness";

/** The attributes a customer's item holds once no credit is in flight. */
const SETTLED_ATTRIBUTES = ["customerId", "lastReason", "points", "updatedAt"];

/** What the points of a seeded customer are before the faulted credit, and that credit. */
const SEED = 1_000;
const POINTS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("e2e: the loyalty ledger under faults (bundled loyalty function, dynalite behind a fault-injecting proxy)", function () {
  this.timeout(60_000);
  let engine: Engine;
  let proxy: FaultProxy;
  let restoreEnv: () => void;
  let fn: FunctionSpec;
  let loyaltyTable: TableSpec;
  let idempotencyTable: TableSpec;
  let requests = 0;

  before(async () => {
    restoreEnv = saveEnv();
    const model = await stackModel("dev");
    engine = await startEngine();
    await createTables(engine, model.tables);
    fn = model.fn("loyalty");
    loyaltyTable = model.tableOf(fn, "LOYALTY_TABLE_NAME");
    idempotencyTable = model.tableOf(fn, "IDEMPOTENCY_TABLE_NAME");
    proxy = await startFaultProxy(engine.endpoint);
  });
  after(async () => {
    await proxy?.close();
    await engine?.close();
    restoreEnv?.();
  });

  /** A fresh execution environment (module, SDK client and its retry quota) on the proxy. */
  const coldStart = (): Bundle => loadBundle(fn, { ...engine, endpoint: proxy.endpoint });

  /** The body of a credit whose key was created now (the client keeps it for its retries). */
  const creditBody = (idempotencyKey: string, points = POINTS) => ({
    points,
    reason: "flight LH400",
    idempotencyKey,
    idempotencyKeyCreatedAt: new Date().toISOString(),
  });

  /** POST /loyalty/{customerId}/points as API Gateway hands it to the function. */
  async function credit(
    bundle: Bundle,
    customerId: string,
    body: unknown,
    remainingMs = 10_000,
  ): Promise<APIGatewayProxyResult> {
    requests++;
    const event = creditEvent(customerId, body, `fault-req-${requests}`);
    // The function's log lines (an ERROR for each fault it answers 500 to) stay out of the
    // test output.
    const { result } = await captureStdout((): Promise<APIGatewayProxyResult> =>
      bundle.handler(event, {
        awsRequestId: `fault-aws-${requests}`,
        getRemainingTimeInMillis: () => remainingMs,
      }),
    );
    return result;
  }

  const customerItem = (customerId: string) => itemOf(engine, loyaltyTable, { customerId });

  /** Retries as a client does: again after a 409 "in progress" or a 5xx, 100 ms apart. */
  async function retryUntilSettled(send: () => Promise<APIGatewayProxyResult>) {
    const seen: APIGatewayProxyResult[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await send();
      seen.push(res);
      if (res.statusCode !== 409 && res.statusCode < 500) break;
      await sleep(100);
    }
    return seen;
  }

  /** A customer with SEED points (credited without faults) and the key of the faulted credit. */
  async function seeded(customerId: string): Promise<{ key: string; body: unknown }> {
    proxy.arm();
    const res = await credit(coldStart(), customerId, creditBody(`${customerId}-seed`, SEED));
    assert.strictEqual(res.statusCode, 200, res.body);
    const body = creditBody(`${customerId}-credit`);
    return { key: body.idempotencyKey, body };
  }

  /**
   * After the faulted call (`first`) and the client's retries: each answer was the original
   * answer or a retryable refusal, the last is the original answer, a replay answers it again,
   * the balance moved by POINTS exactly once and no in-flight state is left on the item.
   */
  async function assertCreditedOnce(
    customerId: string,
    body: unknown,
    answers: APIGatewayProxyResult[],
  ) {
    const expected = { customerId, points: SEED + POINTS };
    const last = answers[answers.length - 1];
    for (const res of answers) {
      if (res.statusCode === 200)
        assert.deepStrictEqual(JSON.parse(res.body), JSON.parse(last.body));
      else if (res.statusCode === 409) assert.match(JSON.parse(res.body).message, /in progress/);
      // A fault: 500, nothing of the internals.
      else
        assert.deepStrictEqual(
          [res.statusCode, JSON.parse(res.body)],
          [500, { error: "internal", message: "internal error" }],
        );
    }
    assert.strictEqual(
      last.statusCode,
      200,
      answers.map((r) => `${r.statusCode} ${r.body}`).join("\n"),
    );
    const answer = JSON.parse(last.body);
    assert.deepStrictEqual({ customerId: answer.customerId, points: answer.points }, expected);
    proxy.arm();
    const replay = await credit(coldStart(), customerId, body);
    assert.strictEqual(replay.statusCode, 200, replay.body);
    assert.deepStrictEqual(JSON.parse(replay.body), answer);
    const item = await customerItem(customerId);
    assert.strictEqual(item?.points, SEED + POINTS);
    assert.deepStrictEqual(Object.keys(item ?? {}).sort(), SETTLED_ATTRIBUTES);
  }

  it("makes four writes per credit: claim the key, credit and mark, complete the key, clear the mark", async () => {
    proxy.arm();
    const res = await credit(coldStart(), "c-path", creditBody("c-path-credit"));
    assert.strictEqual(res.statusCode, 200, res.body);
    assert.deepStrictEqual(proxy.writes, [
      { op: "UpdateItem", table: idempotencyTable.name },
      { op: "UpdateItem", table: loyaltyTable.name },
      { op: "UpdateItem", table: idempotencyTable.name },
      { op: "UpdateItem", table: loyaltyTable.name },
    ]);
  });

  const WRITES = ["claims the key", "credits and marks", "completes the key", "clears the mark"];
  const FAULTS: [Fault, string][] = [
    ["refuse", "refused before it reaches the table"],
    ["drop", "applied with its answer lost"],
  ];
  WRITES.forEach((what, i) => {
    const write = i + 1;
    for (const [fault, how] of FAULTS) {
      const id = `c-w${write}-${fault}`;
      it(`write ${write} (${what}) ${how} once: the SDK's retry answers the credit, applied once`, async () => {
        const { body } = await seeded(`${id}-sdk`);
        const plan: Plan = { write, fault, sends: 1 };
        proxy.arm(plan);
        const res = await credit(coldStart(), `${id}-sdk`, body);
        assert.strictEqual(proxy.injected, 1, "the fault was injected");
        assert.strictEqual(res.statusCode, 200, res.body);
        await assertCreditedOnce(`${id}-sdk`, body, [res]);
      });

      it(`write ${write} (${what}) ${how} on every send: the client's retries get the original answer, applied once`, async () => {
        const { body } = await seeded(`${id}-all`);
        proxy.arm({ write, fault, sends: Infinity });
        const first = await credit(coldStart(), `${id}-all`, body);
        assert.ok(proxy.injected >= 1, "the fault was injected");
        proxy.arm();
        const bundle = coldStart();
        const retries = await retryUntilSettled(() => credit(bundle, `${id}-all`, body));
        await assertCreditedOnce(`${id}-all`, body, [first, ...retries]);
      });

      it(`write ${write} (${what}) ${how}, and the function dies there: the client's retries get the original answer, applied once`, async () => {
        const { body } = await seeded(`${id}-crash`);
        proxy.arm({ write, fault, sends: 1, crash: true });
        // The dying invocation's deadline is now: its hold on the key lapses soonest.
        const first = await credit(coldStart(), `${id}-crash`, body, 0);
        assert.strictEqual(proxy.injected, 1, "the fault was injected");
        proxy.arm();
        const bundle = coldStart();
        const retries = await retryUntilSettled(() => credit(bundle, `${id}-crash`, body));
        await assertCreditedOnce(`${id}-crash`, body, [first, ...retries]);
      });
    }
  });
});

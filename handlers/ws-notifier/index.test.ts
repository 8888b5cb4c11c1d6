import * as assert from "assert";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { createLogger } from "../shared/logger";
import { messageOf, notify, NotifierDeps } from "./notify";

const SETTINGS = { ownerAttribute: "customerId", attributes: ["status", "flightId"] };

function record(owner: string, bookingId: string, eventName = "MODIFY", seq = "1") {
  return {
    eventID: `e-${seq}`,
    eventName,
    dynamodb: {
      SequenceNumber: seq,
      Keys: { customerId: { S: owner }, bookingId: { S: bookingId } },
      NewImage: {
        customerId: { S: owner },
        bookingId: { S: bookingId },
        status: { S: "CONFIRMED" },
        flightId: { S: "LH400" },
        passengers: { N: "2" },
        requestHash: { S: "secret-ish" },
      },
    },
  };
}

function deps(connections: Record<string, string[]>, gone: string[] = [], failing: string[] = []) {
  const posts: { connectionId: string; data: unknown }[] = [];
  const removed: string[] = [];
  const d: NotifierDeps = {
    clients: {
      connectionsOf: async (sub) => (connections[sub] ?? []).filter((c) => !removed.includes(c)),
      post: async (connectionId, data) => {
        if (failing.includes(connectionId)) throw new Error("500 from API Gateway");
        if (gone.includes(connectionId)) return "gone";
        posts.push({ connectionId, data: JSON.parse(data) });
        return "sent";
      },
      remove: async (id) => void removed.push(id),
    },
    settings: SETTINGS,
    logger: createLogger({}, { write: () => undefined }),
  };
  return { d, posts, removed };
}

const batch = (...records: unknown[]) => ({ Records: records }) as unknown as DynamoDBStreamEvent;

describe("ws-notifier: each change to its owner's connections only", () => {
  it("posts A's change to A's connections and to no one else's", async () => {
    const { d, posts } = deps({ A: ["a1", "a2"], B: ["b1"] });
    const out = await notify(batch(record("A", "bk-1")), d);
    assert.deepStrictEqual(out.batchItemFailures, []);
    assert.deepStrictEqual(
      posts.map((p) => p.connectionId),
      ["a1", "a2"],
    );
    assert.deepStrictEqual(posts[0].data, {
      type: "change",
      event: "MODIFY",
      keys: { customerId: "A", bookingId: "bk-1" },
      item: { status: "CONFIRMED", flightId: "LH400", customerId: "A", bookingId: "bk-1" },
    });
  });

  it("removes a gone connection (410) and still reaches the others", async () => {
    const { d, posts, removed } = deps({ A: ["a1", "a2"] }, ["a1"]);
    await notify(batch(record("A", "bk-1")), d);
    assert.deepStrictEqual(removed, ["a1"]);
    assert.deepStrictEqual(
      posts.map((p) => p.connectionId),
      ["a2"],
    );
  });

  it("reports the first failed record so Lambda retries from it", async () => {
    const { d, posts } = deps({ A: ["a1"], B: ["b1"] }, [], ["a1"]);
    const out = await notify(
      batch(
        record("B", "bk-2", "INSERT", "7"),
        record("A", "bk-1", "MODIFY", "8"),
        record("B", "bk-3", "MODIFY", "9"),
      ),
      d,
    );
    assert.deepStrictEqual(out.batchItemFailures, [{ itemIdentifier: "8" }]);
    assert.deepStrictEqual(
      posts.map((p) => p.connectionId),
      ["b1"],
    );
  });

  it("sends a removal without the item, and skips a change without an owner", () => {
    const removal = messageOf(record("A", "bk-1", "REMOVE") as never, SETTINGS);
    assert.deepStrictEqual(JSON.parse(removal!.data), {
      type: "change",
      event: "REMOVE",
      keys: { customerId: "A", bookingId: "bk-1" },
    });
    const ownerless = { eventName: "INSERT", dynamodb: { Keys: { bookingId: { S: "x" } } } };
    assert.strictEqual(messageOf(ownerless as never, SETTINGS), undefined);
  });
});

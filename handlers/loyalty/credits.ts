/**
 * Exactly-once points credits, on plain conditional writes (no TransactWriteItems).
 *
 * A credit and the record of its idempotency key cannot be one write: they live in two tables,
 * and the customer's item must not keep every key it was credited under. So each step is a
 * conditional UpdateItem that is itself idempotent (the SDK re-sends a write whose answer was
 * lost, and DynamoDB may have applied it), and the steps are ordered so that a retry finds out
 * what an earlier attempt did:
 *
 * 1. claim: the key's record (idempotency table, one item per customer and key) becomes PENDING
 *    and owned by this attempt until its lease ends. Refused if the record is COMPLETED (the
 *    retry answers the stored result), bound to another body (409) or held by a live attempt
 *    (409, retry later); a re-send of our own claim passes (same owner).
 * 2. credit: one UpdateItem on the customer's item adds the points and sets a mark
 *    `credit#<createdAt>#<key>` holding the balance after this credit, on condition that the
 *    mark is absent. The points and the mark land together or not at all; a re-send, or a later
 *    attempt, finds the mark and takes the balance from it instead of adding again.
 * 3. complete: the record becomes COMPLETED with that balance, on condition that this attempt
 *    still owns it (an attempt whose lease ran out cannot complete over the one that took over).
 * 4. clear: the mark is removed from the customer's item, with any mark older than the key
 *    horizon. Only after 3: from then on the COMPLETED record answers every retry.
 *
 * The marks on a customer's item are the credits between steps 2 and 4: in flight, or left by
 * an attempt that died there (cleared by the key's retry, or after the horizon by any credit).
 */
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { conflict, HttpError, isConditionFailed } from "../shared/errors";

/** How long a client may retry a credit: from the key's creation time, 24 hours. */
export const RETRY_WINDOW_SECONDS = 24 * 60 * 60;

/** How far ahead of the service's clock a key's creation time may be. */
export const CLOCK_SKEW_SECONDS = 5 * 60;

/** The longest a Lambda invocation runs: an accepted request's writes end within it. */
const MAX_INVOCATION_SECONDS = 15 * 60;

/**
 * How long after its creation time a key's record and mark are kept: past the window, no
 * request with the key is accepted, and an accepted one has finished by then.
 */
export const KEY_HORIZON_SECONDS = RETRY_WINDOW_SECONDS + MAX_INVOCATION_SECONDS;

/** Added to an attempt's deadline before another attempt may take its claim over. */
export const LEASE_MARGIN_MS = 1_000;

/** The prefix of a credit's mark on the customer's item. */
export const MARK_PREFIX = "credit#";

/** One credit: who, how much, the caller's key and when the caller created it (epoch ms). */
export interface Credit {
  customerId: string;
  idempotencyKey: string;
  createdAt: number;
  points: number;
  reason?: string;
}

/** The narrow DynamoDB client the ledger needs (a DynamoDBDocumentClient, or a test double). */
export interface LedgerDb {
  send(
    command: GetCommand | UpdateCommand,
  ): Promise<{ Item?: Record<string, unknown>; Attributes?: Record<string, unknown> }>;
}

/** Where credits and key records live, and where to report a mark that could not be cleared. */
export interface Ledger {
  db: LedgerDb;
  loyaltyTable: string;
  keyTable: string;
  warn(message: string, detail: Record<string, unknown>): void;
}

/** One attempt at a credit: its owner token, its clock (epoch ms) and how long it may run. */
export interface Attempt {
  token: string;
  now: number;
  leaseMs: number;
}

const PENDING = "PENDING";
const COMPLETED = "COMPLETED";

/**
 * Refuses a key outside its retry window: created more than {@link RETRY_WINDOW_SECONDS} ago
 * (its record may be gone, so crediting could apply it twice) or too far in the future.
 */
export function checkRetryWindow(createdAt: number, now: number): void {
  const field = "body.idempotencyKeyCreatedAt";
  if (createdAt > now + CLOCK_SKEW_SECONDS * 1000)
    throw new HttpError(400, "invalid_request", `${field}: more than 5 minutes ahead`, field);
  if (now > createdAt + RETRY_WINDOW_SECONDS * 1000)
    throw new HttpError(
      400,
      "retry_window_passed",
      `${field}: this idempotencyKey is older than the 24-hour retry window and can no longer ` +
        "credit; read the balance before crediting again under a new key",
      field,
    );
}

/** The key's record: one per customer and key (one key may be used by two customers). */
export const recordId = (c: Credit) => `loyalty-credit#${c.customerId}#${c.idempotencyKey}`;

/** The credit's mark on the customer's item (its creation time tells its age). */
export const markOf = (c: Credit) => `${MARK_PREFIX}${c.createdAt}#${c.idempotencyKey}`;

/** What a key is bound to: a retry must carry the same points, reason and creation time. */
export const requestOf = (c: Credit) => JSON.stringify([c.points, c.reason ?? null, c.createdAt]);

/** Step 1: claim the key's record for this attempt (see the module comment). */
export function claimCommand(table: string, c: Credit, a: Attempt): UpdateCommand {
  return new UpdateCommand({
    TableName: table,
    Key: { id: recordId(c) },
    UpdateExpression:
      "SET #status = :pending, #request = :request, #expiration = :expiration, " +
      "#leaseUntil = :leaseUntil, #owner = :owner",
    ConditionExpression:
      "attribute_not_exists(#id) OR #expiration < :nowSeconds OR (#status = :pending AND " +
      "#request = :request AND (#leaseUntil < :now OR #owner = :owner))",
    ExpressionAttributeNames: {
      "#id": "id",
      "#status": "status",
      "#request": "request",
      "#expiration": "expiration",
      "#leaseUntil": "leaseUntil",
      "#owner": "owner",
    },
    ExpressionAttributeValues: {
      ":pending": PENDING,
      ":request": requestOf(c),
      // The table's TTL attribute: DynamoDB deletes the record some time after the horizon.
      ":expiration": Math.ceil(c.createdAt / 1000) + KEY_HORIZON_SECONDS,
      ":leaseUntil": a.now + a.leaseMs + LEASE_MARGIN_MS,
      ":owner": a.token,
      ":now": a.now,
      ":nowSeconds": Math.floor(a.now / 1000),
    },
  });
}

/**
 * Step 2: add the points and set the mark in one conditional UpdateItem. Both SET operands read
 * the item before the update, so the mark holds the balance after this credit.
 */
export function creditCommand(table: string, c: Credit, a: Attempt): UpdateCommand {
  const names: Record<string, string> = {
    "#points": "points",
    "#updatedAt": "updatedAt",
    "#mark": markOf(c),
  };
  const values: Record<string, unknown> = {
    ":points": c.points,
    ":zero": 0,
    ":now": new Date(a.now).toISOString(),
  };
  let update =
    "SET #points = if_not_exists(#points, :zero) + :points, " +
    "#mark = if_not_exists(#points, :zero) + :points, #updatedAt = :now";
  if (c.reason !== undefined) {
    names["#lastReason"] = "lastReason";
    values[":reason"] = c.reason;
    update += ", #lastReason = :reason";
  }
  return new UpdateCommand({
    TableName: table,
    Key: { customerId: c.customerId },
    UpdateExpression: update,
    ConditionExpression: "attribute_not_exists(#mark)",
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: "ALL_NEW",
  });
}

/** Step 3: the record becomes COMPLETED with the balance, if this attempt still owns it. */
export function completeCommand(table: string, c: Credit, a: Attempt, points: number) {
  return new UpdateCommand({
    TableName: table,
    Key: { id: recordId(c) },
    UpdateExpression: "SET #status = :completed, #result = :result",
    ConditionExpression: "#owner = :owner AND #request = :request",
    ExpressionAttributeNames: {
      "#status": "status",
      "#result": "result",
      "#owner": "owner",
      "#request": "request",
    },
    ExpressionAttributeValues: {
      ":completed": COMPLETED,
      ":result": points,
      ":owner": a.token,
      ":request": requestOf(c),
    },
  });
}

/** After a failure: end this attempt's lease at once, so the client's retry need not wait. */
export function releaseCommand(table: string, c: Credit, a: Attempt): UpdateCommand {
  return new UpdateCommand({
    TableName: table,
    Key: { id: recordId(c) },
    UpdateExpression: "SET #leaseUntil = :zero",
    ConditionExpression: "#owner = :owner AND #status = :pending",
    ExpressionAttributeNames: {
      "#leaseUntil": "leaseUntil",
      "#owner": "owner",
      "#status": "status",
    },
    ExpressionAttributeValues: { ":zero": 0, ":owner": a.token, ":pending": PENDING },
  });
}

/** Step 4: remove marks from the customer's item (never creating the item). */
export function clearCommand(table: string, customerId: string, marks: string[]): UpdateCommand {
  const names: Record<string, string> = { "#customerId": "customerId" };
  marks.forEach((m, i) => (names[`#m${i}`] = m));
  return new UpdateCommand({
    TableName: table,
    Key: { customerId },
    UpdateExpression: `REMOVE ${marks.map((_, i) => `#m${i}`).join(", ")}`,
    ConditionExpression: "attribute_exists(#customerId)",
    ExpressionAttributeNames: names,
  });
}

/** Marks of an item older than the key horizon (at most 20 at a time, oldest first). */
export function staleMarks(item: Record<string, unknown>, now: number): string[] {
  return Object.keys(item)
    .filter((name) => name.startsWith(MARK_PREFIX))
    .map((name) => ({ name, createdAt: Number(name.slice(MARK_PREFIX.length).split("#")[0]) }))
    .filter((m) => Number.isFinite(m.createdAt) && m.createdAt + KEY_HORIZON_SECONDS * 1000 < now)
    .sort((x, y) => x.createdAt - y.createdAt)
    .slice(0, 20)
    .map((m) => m.name);
}

/** The key's record, read consistently (a retry must see the last write). */
async function recordOf(l: Ledger, c: Credit): Promise<Record<string, unknown> | undefined> {
  const out = await l.db.send(
    new GetCommand({ TableName: l.keyTable, Key: { id: recordId(c) }, ConsistentRead: true }),
  );
  return out.Item;
}

/** Step 1; answers the stored balance when the key is already COMPLETED. */
async function claim(l: Ledger, c: Credit, a: Attempt): Promise<number | undefined> {
  try {
    await l.db.send(claimCommand(l.keyTable, c, a));
    return undefined;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
  const record = await recordOf(l, c);
  if (!record) throw new Error("the key's record vanished after its claim was refused");
  if (record.request !== requestOf(c))
    throw conflict("this idempotencyKey was used with another body");
  if (record.status === COMPLETED && typeof record.result === "number") return record.result;
  throw conflict("a request with this idempotencyKey is still in progress; retry later");
}

/** Step 2; the balance after the credit, and marks to clear with ours. */
async function applyCredit(l: Ledger, c: Credit, a: Attempt) {
  const mark = markOf(c);
  try {
    const out = await l.db.send(creditCommand(l.loyaltyTable, c, a));
    const item = out.Attributes ?? {};
    if (typeof item[mark] !== "number") throw new Error("the credit's answer has no mark");
    return { points: item[mark], stale: staleMarks(item, a.now) };
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
  // The mark is there: an earlier send or attempt applied this credit. Answer its balance.
  const out = await l.db.send(
    new GetCommand({
      TableName: l.loyaltyTable,
      Key: { customerId: c.customerId },
      ProjectionExpression: "#mark",
      ExpressionAttributeNames: { "#mark": mark },
      ConsistentRead: true,
    }),
  );
  const points = out.Item?.[mark];
  if (typeof points !== "number") throw new Error("the credit's mark vanished during its claim");
  return { points, stale: [] as string[] };
}

/** Step 4, best effort: a mark left behind is cleared by the key's retry or after the horizon. */
async function clear(l: Ledger, c: Credit, stale: string[]): Promise<void> {
  try {
    await l.db.send(clearCommand(l.loyaltyTable, c.customerId, [markOf(c), ...stale]));
  } catch (err) {
    if (!isConditionFailed(err))
      l.warn("credit mark not cleared", { customerId: c.customerId, error: String(err) });
  }
}

/**
 * Applies a credit exactly once per customer and key; answers the balance after it (the same
 * number on every retry). Throws 409s for a key in progress or bound to another body.
 */
export async function creditOnce(l: Ledger, c: Credit, a: Attempt): Promise<number> {
  const release = () => l.db.send(releaseCommand(l.keyTable, c, a)).catch(() => undefined);
  // A claim that failed may still have been applied (a lost answer): release it too.
  const stored = await claim(l, c, a).catch(async (err: unknown) => {
    if (!(err instanceof HttpError)) await release();
    throw err;
  });
  if (stored !== undefined) {
    await clear(l, c, []);
    return stored;
  }
  let applied: { points: number; stale: string[] };
  try {
    applied = await applyCredit(l, c, a);
    await l.db.send(completeCommand(l.keyTable, c, a, applied.points)).catch((err: unknown) => {
      if (!isConditionFailed(err)) throw err;
      throw conflict("a request with this idempotencyKey is still in progress; retry later");
    });
  } catch (err) {
    // Nothing of this attempt is in flight any more: let the retry take over now.
    await release();
    throw err;
  }
  await clear(l, c, applied.stale);
  return applied.points;
}

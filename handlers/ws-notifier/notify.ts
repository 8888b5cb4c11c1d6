/**
 * The notifier's work, as a pure function of a DynamoDB stream batch and narrow clients: each
 * change goes to the connections of the item's owner (the owner attribute of its key, a user's
 * `sub`) and to no one else; a connection API Gateway reports gone (410 GoneException) is
 * removed from the connections table.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 */
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import type { Logger } from "../shared/logger";

/** The narrow clients: who is connected, post to one connection, forget one. */
export interface NotifierClients {
  connectionsOf(sub: string): Promise<string[]>;
  /** Resolves to "gone" when API Gateway answers 410 for the connection. */
  post(connectionId: string, data: string): Promise<"sent" | "gone">;
  remove(connectionId: string): Promise<void>;
}

export interface NotifierSettings {
  /** The key attribute naming the item's owner (the user's `sub`), e.g. `customerId`. */
  ownerAttribute: string;
  /** The attributes of the new image a message carries (always with the key attributes). */
  attributes: string[];
}

export interface NotifierDeps {
  clients: NotifierClients;
  settings: NotifierSettings;
  logger: Logger;
}

type Image = Record<string, AttributeValue> | undefined;

/** A stream image's scalar attributes as plain values (sets and lists as arrays). */
export function plain(image: Image, names?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image ?? {})) {
    if (names && !names.includes(name)) continue;
    const v = value as Record<string, unknown>;
    if (v.S !== undefined) out[name] = v.S;
    else if (v.N !== undefined) out[name] = Number(v.N);
    else if (v.BOOL !== undefined) out[name] = v.BOOL;
    else if (v.NULL !== undefined) out[name] = null;
    else if (v.SS !== undefined) out[name] = v.SS;
    else if (v.NS !== undefined) out[name] = (v.NS as string[]).map(Number);
  }
  return out;
}

/** The message of one change: what happened, the item's key and its listed attributes. */
export function messageOf(
  record: DynamoDBStreamEvent["Records"][number],
  settings: NotifierSettings,
): { owner: string; data: string } | undefined {
  const keys = plain(record.dynamodb?.Keys);
  const owner = keys[settings.ownerAttribute];
  if (typeof owner !== "string" || owner === "") return undefined;
  const item =
    record.eventName === "REMOVE"
      ? undefined
      : { ...plain(record.dynamodb?.NewImage, settings.attributes), ...keys };
  return {
    owner,
    data: JSON.stringify({
      type: "change",
      event: record.eventName,
      keys,
      ...(item ? { item } : {}),
    }),
  };
}

/** Sends one change to its owner's connections; removes the gone ones. */
async function deliver(owner: string, data: string, deps: NotifierDeps): Promise<number> {
  let gone = 0;
  for (const connectionId of await deps.clients.connectionsOf(owner)) {
    if ((await deps.clients.post(connectionId, data)) === "gone") {
      await deps.clients.remove(connectionId);
      gone++;
    }
  }
  return gone;
}

/**
 * Handles one batch. A record that fails (a throttled query, a 5xx from API Gateway) is
 * reported in `batchItemFailures`, so Lambda retries from it and no later change overtakes it.
 */
export async function notify(
  event: DynamoDBStreamEvent,
  deps: NotifierDeps,
): Promise<DynamoDBBatchResponse> {
  for (const record of event?.Records ?? []) {
    const message = messageOf(record, deps.settings);
    if (!message) {
      deps.logger.warn("change without an owner skipped", { eventId: record.eventID });
      continue;
    }
    try {
      const gone = await deliver(message.owner, message.data, deps);
      deps.logger.info("change delivered", { eventId: record.eventID, gone });
    } catch (err) {
      deps.logger.error("change not delivered", { eventId: record.eventID, error: err });
      const id = record.dynamodb?.SequenceNumber ?? "";
      return { batchItemFailures: [{ itemIdentifier: id }] };
    }
  }
  return { batchItemFailures: [] };
}

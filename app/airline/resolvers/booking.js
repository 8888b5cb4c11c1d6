// Query.booking: one booking of the caller (APPSYNC_JS, bookings table).
import { util } from "@aws-appsync/utils";
import { caller, failIfError, PK, SK, toBooking } from "./bookings-table";

// The key includes the caller's sub, so another customer's booking is simply not found.
export function request(ctx) {
  const key = {};
  key[PK] = caller(ctx);
  key[SK] = ctx.args.id;
  return { operation: "GetItem", key: util.dynamodb.toMapValues(key) };
}

export function response(ctx) {
  failIfError(ctx);
  return ctx.result ? toBooking(ctx.result) : null;
}

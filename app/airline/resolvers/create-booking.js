// Mutation.createBooking: books a flight for the caller, who is always the customer
// (APPSYNC_JS, bookings table).
import { util } from "@aws-appsync/utils";
import { caller, failIfError, PK, SK, toBooking } from "./bookings-table";

export function request(ctx) {
  // Who may book comes first: a refused token learns nothing about the input rules.
  const customerId = caller(ctx);
  const input = ctx.args.input;
  if (!util.matches("^[A-Za-z0-9-]{1,64}$", input.flightId))
    util.error("flightId must be 1-64 letters, digits or dashes", "BadRequest");
  if (input.passengers < 1 || input.passengers > 9)
    util.error("passengers must be 1-9", "BadRequest");
  const key = {};
  key[PK] = customerId;
  key[SK] = util.autoId();
  return {
    operation: "PutItem",
    key: util.dynamodb.toMapValues(key),
    attributeValues: util.dynamodb.toMapValues({
      flightId: input.flightId,
      passengers: input.passengers,
      seatClass: input.seatClass.toLowerCase(),
      status: "CONFIRMED",
      createdAt: util.time.nowISO8601(),
    }),
    condition: { expression: "attribute_not_exists(#sk)", expressionNames: { "#sk": SK } },
  };
}

export function response(ctx) {
  failIfError(ctx);
  return toBooking(ctx.result);
}

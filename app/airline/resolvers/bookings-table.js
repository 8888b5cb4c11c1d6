// Helpers shared by the bookings resolvers (APPSYNC_JS, runtime 1.0.0) on the bookings table.
// AppSync runs one file per resolver: the AppSyncApi component bundles each resolver file with
// esbuild, so these helpers are inlined into every resolver that imports them.
import { util } from "@aws-appsync/utils";

/** Partition key attribute: the customer (the caller's `sub`). */
export const PK = "customerId";
/** Sort key attribute: the booking id. */
export const SK = "bookingId";

// Items are shared with the bookings REST handler, which stores seatClass in lower case.
export function toBooking(item) {
  return {
    id: item[SK],
    customerId: item[PK],
    flightId: item.flightId,
    passengers: item.passengers,
    seatClass: item.seatClass ? item.seatClass.toUpperCase() : null,
    status: item.status,
    createdAt: item.createdAt,
  };
}

// DynamoDB's error details stay in the API's logs; the caller gets a fixed message.
export function failIfError(ctx) {
  if (ctx.error) util.error("Bookings service unavailable", "ServiceUnavailable");
}

export function caller(ctx) {
  if (!ctx.identity || !ctx.identity.sub) util.unauthorized();
  return ctx.identity.sub;
}

export function byCustomer(customerId, args) {
  const limit = args.limit && args.limit > 0 ? Math.min(args.limit, 100) : 20;
  const values = {};
  values[":pk"] = customerId;
  return {
    operation: "Query",
    limit: limit,
    nextToken: args.nextToken || null,
    scanIndexForward: false,
    query: {
      expression: "#pk = :pk",
      expressionNames: { "#pk": PK },
      expressionValues: util.dynamodb.toMapValues(values),
    },
  };
}

export function page(ctx) {
  failIfError(ctx);
  return { items: ctx.result.items.map(toBooking), nextToken: ctx.result.nextToken || null };
}

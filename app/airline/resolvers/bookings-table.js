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

/** The user-pool group whose members may read any customer's bookings. */
export const ADMIN_GROUP = "admin";

/**
 * Refuses every caller but a user-pool admin: a user (a `sub`) whose token comes from a Cognito
 * user pool and whose `cognito:groups` claim holds the admin group. IAM callers have no `sub`;
 * an external OIDC issuer's tokens are never read for groups (config names no claim here, as
 * AppSync environment variables are not available to this program), so nobody is an admin there.
 */
export function adminOnly(ctx) {
  const identity = ctx.identity;
  if (!identity || !identity.sub || !identity.issuer) util.unauthorized();
  if (!identity.issuer.startsWith("https://cognito-idp.")) util.unauthorized();
  const claims = identity.claims || {};
  const groups = claims["cognito:groups"];
  if (!Array.isArray(groups) || !groups.includes(ADMIN_GROUP)) util.unauthorized();
}

/** The caller's `sub`; IAM callers (no `sub`) are refused. */
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

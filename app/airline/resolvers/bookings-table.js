// Helpers shared by the bookings resolvers (APPSYNC_JS, runtime 1.0.0) on the bookings table.
// AppSync runs one file per resolver: the AppSyncApi component bundles each resolver file with
// esbuild, so these helpers are inlined into every resolver that imports them.
import { util } from "@aws-appsync/utils";
import { claimsOf, isAdmin, refusalOf } from "../../../handlers/shared/caller-rule";

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

/**
 * The caller rule (handlers/shared/caller-rule.ts), the same one the Lambda handlers apply: the
 * AppSyncApi component declares `CALLER_RULE` in each resolver's bundled code, with the
 * values the program builds from the stack's config and the app contract (AppSync JS resolvers
 * have no configuration of their own that the provider can set).
 */
/* global CALLER_RULE */

/** The operation AppSync is resolving, as the rule names it: "Mutation.createBooking". */
function operationOf(ctx) {
  return `${ctx.info.parentTypeName}.${ctx.info.fieldName}`;
}

/**
 * The caller's `sub`, when its token may call this operation: a user (IAM callers have no
 * `sub`), with the kind of token the rule takes (a user pool's access token, never its ID
 * token) and one of the operation's scopes (the HTTP route's for the same operation).
 */
export function caller(ctx) {
  if (!ctx.identity || !ctx.identity.sub) util.unauthorized();
  const operation = operationOf(ctx);
  const refusal = refusalOf(CALLER_RULE, operation, claimsOf(ctx.identity));
  if (refusal === "token_use")
    util.error(`${operation} takes ${CALLER_RULE.tokenUse} tokens only`, "Unauthorized");
  if (refusal === "scope")
    util.error(
      `${operation} needs the scope ${CALLER_RULE.operationScopes[operation].join(" or ")}`,
      "Unauthorized",
    );
  return ctx.identity.sub;
}

/**
 * Refuses every caller but an admin: a user {@link caller} admits whose token is of the rule's
 * issuer (exact match) and lists an admin group in the rule's groups claim (`cognito:groups`
 * with the user pool, `oidcGroupsClaim` with an external issuer; none set: nobody).
 */
export function adminOnly(ctx) {
  caller(ctx);
  if (!isAdmin(CALLER_RULE, claimsOf(ctx.identity))) util.unauthorized();
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

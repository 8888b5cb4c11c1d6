/**
 * The airline's app contract: everything app-specific the generic components are given. The
 * private loyalty REST API's routes and body schema, the public bookings HTTP API's routes and
 * scopes, the GraphQL schema with its resolvers, the internal caller the GraphQL loyalty resolver
 * runs as, and the handlers. `index.ts` wires it into the components, `config.ts` validates the
 * stack's keys against it (route throttles, callers' routes, usage tiers' method throttles) and
 * the tests read it, so no list is kept twice.
 */
import * as path from "path";
import type { AppSyncResolver } from "../../components/appsync-api";
import type { HttpRoute } from "../../components/http-api";
import type { PrivateRouteSpec } from "../../components/private-rest-api";
import type { CallerRule } from "../../handlers/shared/caller-rule";

/**
 * Body of `POST /loyalty/{customerId}/points`, the same contract as the loyalty handler's
 * `addPointsSchema` (handlers/loyalty): API Gateway turns bad bodies away with 400 before the
 * function runs; the handler still validates (defence in depth, and for direct invocations).
 */
export const LOYALTY_POINTS_BODY_SCHEMA: Record<string, unknown> = {
  $schema: "http://json-schema.org/draft-04/schema#",
  title: "AddLoyaltyPoints",
  type: "object",
  properties: {
    points: { type: "integer", minimum: 1, maximum: 100000 },
    reason: { type: "string", maxLength: 200 },
    idempotencyKey: { type: "string", pattern: "^[A-Za-z0-9_.:-]{8,64}$" },
    idempotencyKeyCreatedAt: {
      type: "string",
      pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$",
    },
  },
  // A credit without a key would apply again on every retry; the key's creation time bounds
  // how long it may be retried (24 hours).
  required: ["points", "idempotencyKey", "idempotencyKeyCreatedAt"],
  additionalProperties: false,
};

/** The private loyalty REST API (AWS_IAM, reachable only through the VPC endpoint). */
export const LOYALTY_API = {
  description: "Private loyalty API for internal callers (SigV4 only)",
  /** Its routes with their request validation; callers are granted some of these. */
  routes: [
    { route: "GET /loyalty/{customerId}" },
    { route: "POST /loyalty/{customerId}/points", bodySchema: LOYALTY_POINTS_BODY_SCHEMA },
  ] satisfies PrivateRouteSpec[] as PrivateRouteSpec[],
};

/** The loyalty API's route keys ("METHOD /path"): what callers and tiers may name. */
export const LOYALTY_ROUTE_KEYS: readonly string[] = LOYALTY_API.routes.map((r) => r.route);

/** The public bookings HTTP API (JWT with scopes on every route). */
export const BOOKINGS_API = {
  description: "Public bookings API (JWT-authorized routes with scopes)",
  /** Every route, its handler key and the scope names it needs (keys of Identity.scopes). */
  routes: [
    { method: "GET", path: "/bookings", handler: "bookings", scopes: ["bookings.read"] },
    {
      method: "GET",
      path: "/bookings/{bookingId}",
      handler: "bookings",
      scopes: ["bookings.read"],
    },
    { method: "POST", path: "/bookings", handler: "bookings", scopes: ["bookings.write"] },
  ] satisfies HttpRoute[] as HttpRoute[],
  /**
   * The request headers a browser may send: the bearer token, the JSON body's type, and the two
   * headers the bookings handler reads (`idempotency-key` on POST, `x-correlation-id` on every
   * route; handlers/bookings, handlers/shared/http.ts).
   */
  corsAllowHeaders: ["authorization", "content-type", "idempotency-key", "x-correlation-id"],
  /** The response headers a browser script may read: the correlation id every answer carries. */
  corsExposeHeaders: ["x-correlation-id"],
};

/** The bookings API's route keys ("METHOD /path"): what route throttles may name. */
export const BOOKINGS_ROUTE_KEYS: readonly string[] = BOOKINGS_API.routes.map(
  (r) => `${r.method} ${r.path}`,
);

/** Where the GraphQL resolver code lives (APPSYNC_JS files, bundled by the component). */
const RESOLVERS_DIR = path.join(__dirname, "resolvers");

/** The public GraphQL API: its schema file and a resolver for every root field. */
export const GRAPHQL_API = {
  /** Field-level auth lives in the schema (written for Cognito; rewritten for OIDC). */
  schemaFile: path.join(__dirname, "schema.graphql"),
  /**
   * Root field → data source and, for table resolvers, its APPSYNC_JS code. `loyalty` is the
   * loyalty resolver function (a direct Lambda resolver), `bookings` the bookings table.
   */
  resolvers: {
    "Query.myLoyalty": { dataSource: "loyalty" },
    "Query.loyalty": { dataSource: "loyalty" },
    "Query.myBookings": {
      dataSource: "bookings",
      codeFile: path.join(RESOLVERS_DIR, "my-bookings.js"),
    },
    "Query.booking": { dataSource: "bookings", codeFile: path.join(RESOLVERS_DIR, "booking.js") },
    "Query.customerBookings": {
      dataSource: "bookings",
      codeFile: path.join(RESOLVERS_DIR, "customer-bookings.js"),
    },
    "Mutation.createBooking": {
      dataSource: "bookings",
      codeFile: path.join(RESOLVERS_DIR, "create-booking.js"),
    },
  } satisfies Record<string, AppSyncResolver> as Record<string, AppSyncResolver>,
  /** The DynamoDB actions the bookings resolvers send (Query, GetItem, PutItem). */
  bookingsTableActions: ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
  /** The user group whose members may read any customer's bookings and loyalty. */
  adminGroup: "admin",
  /**
   * The HTTP route each GraphQL field does the same as: the field needs that route's scopes
   * (BOOKINGS_API.routes), so an operation needs one scope whichever API it is called through.
   * The loyalty fields have no public HTTP route and need no scope (only an access token).
   */
  sameAsRoute: {
    "Query.myBookings": "GET /bookings",
    "Query.booking": "GET /bookings/{bookingId}",
    "Query.customerBookings": "GET /bookings",
    "Mutation.createBooking": "POST /bookings",
  } as Record<string, string>,
};

/**
 * The internal caller the GraphQL loyalty resolver runs as: its invoker role is the resolver
 * function's execution role, so the stack's `internalCallers` must have it, as a Lambda service
 * principal granted the read route.
 */
export const LOYALTY_RESOLVER_CALLER = {
  name: "appsync-loyalty-resolver",
  service: "lambda.amazonaws.com",
  route: "GET /loyalty/{customerId}",
} as const;

/**
 * The airline's OAuth scopes (Cognito's resource server `airline`, tokens carry
 * `airline/bookings.read`): the web app books for its signed-in customer, the machine client
 * (client credentials) reads loyalty data and nothing else.
 */
export const API_SCOPES = {
  resourceServer: "airline",
  scopes: {
    "bookings.read": "Read the caller's bookings",
    "bookings.write": "Create and change the caller's bookings",
    "loyalty.read": "Read loyalty points",
  },
  webClient: ["bookings.read", "bookings.write"],
  machineClient: ["loyalty.read"],
};

/**
 * The caller rule every API applies (handlers/shared/caller-rule.ts), for the stack's identity
 * tier: with a Cognito user pool, access tokens only (ID tokens carry no scopes) and admins from
 * `cognito:groups`; with an external issuer, any token of it and admins only from the claim
 * config names (`oidcGroupsClaim`; none: no admins). Either way admin claims count only from the
 * stack's issuer, and each GraphQL field needs the scopes of its HTTP route. `scopes` are the
 * full scope strings by name (Identity.scopes, e.g. `airline/bookings.read` with Cognito).
 */
export function callerRuleFor(tier: {
  provider: "cognito" | "oidc";
  issuer: string;
  oidcGroupsClaim?: string;
  scopes: Record<string, string>;
}): CallerRule {
  const operationScopes: Record<string, string[]> = {};
  for (const [operation, routeKey] of Object.entries(GRAPHQL_API.sameAsRoute)) {
    const route = BOOKINGS_API.routes.find((r) => `${r.method} ${r.path}` === routeKey);
    if (!route) throw new Error(`GRAPHQL_API.sameAsRoute: ${routeKey} is no route of BOOKINGS_API`);
    operationScopes[operation] = (route.scopes ?? []).map((name) => {
      if (tier.scopes[name] === undefined) throw new Error(`scopes: no scope named ${name}`);
      return tier.scopes[name];
    });
  }
  const cognito = tier.provider === "cognito";
  return {
    issuer: tier.issuer,
    groupsClaim: cognito ? "cognito:groups" : (tier.oidcGroupsClaim ?? ""),
    adminGroups: [GRAPHQL_API.adminGroup],
    tokenUse: cognito ? "access" : "",
    operationScopes,
  };
}

/** The handlers (folders under handlers/) whose reserved concurrency the stack config may set. */
export const HANDLER_NAMES = ["loyalty", "bookings", "loyalty-resolver", "authorizer"] as const;

/**
 * Live booking updates over the WebSocket API: who may connect (an access token of the web
 * client with bookings.read), the subprotocol the app offers beside its token, and what each
 * message carries (the bookings table's key is customerId, the traveller's sub).
 */
export const LIVE_UPDATES = {
  description: "Live booking updates for signed-in travellers (seat confirmed, gate change)",
  requiredScopes: ["bookings.read"],
  subprotocol: "sec1.bookings.v1",
  ownerAttribute: "customerId",
  attributes: ["flightId", "seatClass", "status", "createdAt"],
};

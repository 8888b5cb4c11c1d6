/**
 * Identifier formats shared by handlers that talk to each other: the loyalty resolver must only
 * send customer ids the loyalty service accepts, or a caller's bad input would surface as a
 * fault of the service (a 400 from the API read as "service unavailable").
 */

/** A loyalty customer id: the `{customerId}` path parameter of the private REST API. */
export const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** How {@link CUSTOMER_ID} is described to a caller. */
export const CUSTOMER_ID_RULE = "1-64 letters, digits, '-' or '_'";

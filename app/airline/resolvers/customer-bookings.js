// Query.customerBookings: any customer's bookings, for user-pool admins only; every other caller
// (users outside the admin group, OIDC users, IAM principals) is refused before the table is
// read (APPSYNC_JS, bookings table).
import { adminOnly, byCustomer, page } from "./bookings-table";

export function request(ctx) {
  adminOnly(ctx);
  return byCustomer(ctx.args.customerId, ctx.args);
}

export function response(ctx) {
  return page(ctx);
}

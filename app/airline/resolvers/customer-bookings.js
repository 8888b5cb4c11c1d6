// Query.customerBookings: any customer's bookings, for admins only (the caller rule: the admin
// group in the configured groups claim of the stack's issuer, with an access token carrying the
// read scope); every other caller (users outside the group, an external issuer's users unless
// config names its groups claim, IAM principals) is refused before the table is read
// (APPSYNC_JS, bookings table).
import { adminOnly, byCustomer, page } from "./bookings-table";

export function request(ctx) {
  adminOnly(ctx);
  return byCustomer(ctx.args.customerId, ctx.args);
}

export function response(ctx) {
  return page(ctx);
}

// Query.customerBookings: any customer's bookings; the schema lets only admins and IAM callers
// reach this field (APPSYNC_JS, bookings table).
import { byCustomer, page } from "./bookings-table";

export function request(ctx) {
  return byCustomer(ctx.args.customerId, ctx.args);
}

export function response(ctx) {
  return page(ctx);
}

// Query.myBookings: the caller's bookings, newest first (APPSYNC_JS, bookings table).
import { byCustomer, caller, page } from "./bookings-table";

export function request(ctx) {
  return byCustomer(caller(ctx), ctx.args);
}

export function response(ctx) {
  return page(ctx);
}

/**
 * Errors a handler maps to HTTP status codes. Caller mistakes become 4xx with the bad field
 * named; anything else becomes a 500 whose body says nothing about the internals.
 */

/** An error whose status and message are safe to show to the caller. */
export class HttpError extends Error {
  constructor(
    /** The HTTP status code. */
    public readonly statusCode: number,
    /** A short machine-readable code, e.g. "invalid_request". */
    public readonly code: string,
    message: string,
    /** The request field at fault (dotted path), for 400s. */
    public readonly field?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }

  /** The response body: never more than code, message and field. */
  body(): { error: string; message: string; field?: string } {
    return this.field === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, field: this.field };
  }
}

/** 400: the request is malformed; `field` names what is wrong. */
export const badRequest = (field: string, problem: string) =>
  new HttpError(400, "invalid_request", `${field}: ${problem}`, field);

/** 403: the caller's identity is missing or not allowed. */
export const forbidden = (message = "the request carries no caller identity") =>
  new HttpError(403, "forbidden", message);

/** 404: the resource does not exist (or does not belong to the caller). */
export const notFound = (what: string) => new HttpError(404, "not_found", `${what} not found`);

/** 409: a conditional write found the item in a conflicting state. */
export const conflict = (message: string) => new HttpError(409, "conflict", message);

/** 503: DynamoDB throttled the request; the caller may retry. */
export const unavailable = () =>
  new HttpError(503, "unavailable", "the service is busy, retry later");

/** The error names the AWS SDK uses for throttling, mapped to 503 rather than 500. */
const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/** True when an AWS SDK error is a failed condition expression. */
export function isConditionFailed(err: unknown): boolean {
  return (
    typeof err === "object" &&
    err !== null &&
    (err as { name?: unknown }).name === "ConditionalCheckFailedException"
  );
}

/** True when an AWS SDK error is throttling. */
export function isThrottled(err: unknown): boolean {
  const name = typeof err === "object" && err !== null ? (err as { name?: unknown }).name : "";
  return typeof name === "string" && THROTTLING.has(name);
}

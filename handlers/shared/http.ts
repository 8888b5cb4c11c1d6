/**
 * HTTP helpers shared by the proxy-integration handlers (REST v1 and HTTP API v2 events return
 * the same result shape): correlation ids, JSON bodies in and out, error responses.
 */
import { HttpError, badRequest, isThrottled, unavailable } from "./errors";
import type { Logger } from "./logger";

/** The response both payload formats accept. */
export interface JsonResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Request bodies larger than this are refused before parsing (the APIs cap them lower). */
export const MAX_BODY_BYTES = 16 * 1024;

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** `value` when it is a string, else `fallback`: event fields may hold anything. */
export function text(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

/** The API Gateway request id of an event, or "unknown" when absent or malformed. */
export function requestIdOf(requestContext: unknown): string {
  const id = text((requestContext as { requestId?: unknown } | null | undefined)?.requestId);
  return CORRELATION_ID.test(id) ? id : "unknown";
}

/** Looks a header up case-insensitively (REST v1 keeps the caller's case, v2 lowercases). */
export function header(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === "string") return value;
  }
  return undefined;
}

/**
 * The caller's `x-correlation-id` when it is well formed, else the request id: a caller cannot
 * inject arbitrary text into our logs or response headers through it.
 */
export function correlationIdOf(
  headers: Record<string, string | undefined> | null | undefined,
  requestId: string,
): string {
  const given = header(headers, "x-correlation-id");
  return given !== undefined && CORRELATION_ID.test(given) ? given : requestId;
}

/** A JSON response with the headers every answer carries. */
export function json(statusCode: number, body: unknown, correlationId: string): JsonResponse {
  return {
    statusCode,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-correlation-id": correlationId,
    },
    body: JSON.stringify(body),
  };
}

/**
 * Parses a JSON request body. Missing, oversized, undecodable or non-JSON bodies are a 400 on
 * the field `body`.
 */
export function parseJsonBody(body: unknown, isBase64Encoded: unknown): unknown {
  if (body === null || body === undefined || body === "") {
    throw badRequest("body", "expected a JSON object");
  }
  if (typeof body !== "string") throw badRequest("body", "expected a JSON object");
  const text = isBase64Encoded === true ? Buffer.from(body, "base64").toString("utf8") : body;
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) {
    throw badRequest("body", `expected at most ${MAX_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest("body", "expected valid JSON");
  }
}

/**
 * Turns any error into a response: an {@link HttpError} as it is, throttling as 503, anything
 * else logged in full and answered with a bare 500.
 */
export function errorResponse(err: unknown, logger: Logger, correlationId: string): JsonResponse {
  const mapped = err instanceof HttpError ? err : isThrottled(err) ? unavailable() : undefined;
  if (mapped) {
    const level = mapped.statusCode >= 500 ? "warn" : "info";
    logger[level]("request refused", {
      statusCode: mapped.statusCode,
      error: mapped.code,
      field: mapped.field,
    });
    return json(mapped.statusCode, mapped.body(), correlationId);
  }
  logger.error("unhandled error", { error: err });
  return json(500, { error: "internal", message: "internal error" }, correlationId);
}

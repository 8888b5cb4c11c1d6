/**
 * A small structured logger for Lambda: one JSON object per line on stdout, with `level`,
 * `timestamp` (RFC 3339), `service`, `correlationId` and `requestId`. Lambda's JSON log format
 * takes such lines as they are and filters them by their `level` key, so the function's
 * `applicationLogLevel` works without a logging library (Powertools would add ~23 KB per bundle).
 */

/** Log levels, in increasing severity. */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

const SEVERITY: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/** Extra fields for one log line. Errors are reduced to name, message and stack. */
export type LogFields = Record<string, unknown>;

/** What handlers log with. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry these fields too (e.g. the correlation id of one request). */
  child(fields: LogFields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The lowest level written (default: `AWS_LAMBDA_LOG_LEVEL`, `LOG_LEVEL`, else INFO). */
  level?: LogLevel;
  /** Where lines go (default: stdout). Tests capture lines here. */
  write?: (line: string) => void;
  /** The clock (tests). */
  now?: () => Date;
}

/** Reads a level name the way Lambda spells it (`TRACE` and `FATAL` map to the nearest level). */
export function levelFrom(value: string | undefined): LogLevel | undefined {
  switch ((value ?? "").toUpperCase()) {
    case "TRACE":
    case "DEBUG":
      return "DEBUG";
    case "INFO":
      return "INFO";
    case "WARN":
      return "WARN";
    case "ERROR":
    case "FATAL":
      return "ERROR";
    default:
      return undefined;
  }
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return value;
}

/** Creates a logger whose every line carries `base` (service name, correlation id, ...). */
export function createLogger(base: LogFields = {}, options: LoggerOptions = {}): Logger {
  const threshold =
    SEVERITY[
      options.level ??
        levelFrom(process.env.AWS_LAMBDA_LOG_LEVEL) ??
        levelFrom(process.env.LOG_LEVEL) ??
        "INFO"
    ];
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());

  const log = (level: LogLevel, message: string, fields?: LogFields) => {
    if (SEVERITY[level] < threshold) return;
    const entry: LogFields = { level, timestamp: now().toISOString(), message, ...base };
    for (const [key, value] of Object.entries(fields ?? {})) entry[key] = serialise(value);
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      // A circular or BigInt field must not turn a log call into a failed request.
      line = JSON.stringify({ level, timestamp: entry.timestamp, message, ...base });
    }
    write(line);
  };

  return {
    debug: (m, f) => log("DEBUG", m, f),
    info: (m, f) => log("INFO", m, f),
    warn: (m, f) => log("WARN", m, f),
    error: (m, f) => log("ERROR", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, { ...options, write, now }),
  };
}

import { pino, type DestinationStream } from "pino";
/**
 * Structured logging for the relay. Fields are flat primitives on purpose: an
 * envelope or payload object cannot be passed by accident, so ciphertext and
 * message bodies never reach a log line. Addresses are logged as short
 * prefixes only (`addressPrefix`).
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  /** Per-message detail: off at the default level, since one line per envelope costs the relay a tenth of its time. */
  debug(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
}

/** Enough of an address to correlate log lines, too little to identify anyone across relays. */
export const ADDRESS_PREFIX_CHARS = 8;

export function addressPrefix(address: string): string {
  return address.slice(0, ADDRESS_PREFIX_CHARS);
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * pino, writing one JSON object per line to stdout (the format log collectors
 * expect), with ISO times and `msg` for the message. Only the levels the
 * relay uses are exposed, through `Logger`, so the flat-fields rule holds.
 */
export function pinoLogger(level: LogLevel = "info", destination?: DestinationStream): Logger {
  const log = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      // "info" rather than 30: what people grep for and log collectors map.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    debug: (fields, msg) => log.debug(fields, msg),
    info: (fields, msg) => log.info(fields, msg),
    warn: (fields, msg) => log.warn(fields, msg),
  };
}

/** Names the kind of failure and where, without the message text, which may quote input. */
export function describeFailure(error: unknown): LogFields {
  if (!(error instanceof Error)) return { errorType: typeof error };
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .slice(0, 3)
    .map((line) => line.trim())
    .join(" | ");
  return { errorName: error.name, errorAt: frames };
}

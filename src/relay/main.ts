import { DEFAULT_MAX_CONNECTIONS_PER_IP } from "../protocol/limits";
import { LOG_LEVELS, pinoLogger, type LogLevel } from "./logger";
import { DEFAULT_MEMORY_MAILBOX_LIMITS } from "./mailbox";
import { startServer } from "./server";

/**
 * The composition root: configuration comes only from the environment
 * (documented in docs/self-hosting.md). A bad value stops the process at
 * start-up with a message naming the variable, rather than running with a
 * guess.
 */
const env = process.env;

function fail(message: string): never {
  console.error(`main: ${message}`);
  process.exit(1);
}

function integer(name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function logLevel(): LogLevel {
  const raw = env["LOG_LEVEL"] ?? "info";
  const level = LOG_LEVELS.find((known) => known === raw);
  return level ?? fail(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(raw)}`);
}

function redisUrl(): string | undefined {
  const raw = env["REDIS_URL"];
  if (raw === undefined || raw === "") return undefined;
  if (!/^rediss?:\/\//.test(raw)) fail(`REDIS_URL must start with redis:// or rediss://, got a value that does not`);
  return raw;
}

const optional = (name: string): string | undefined => (env[name] ? env[name] : undefined);
const port = integer("PORT", 3000, 0, 65_535);
const allowedOrigins = env["ALLOWED_ORIGINS"]
  ?.split(",")
  .map((origin) => origin.trim())
  .filter(Boolean);
const graceMs = integer("SHUTDOWN_GRACE_MS", 10_000, 0, 600_000);
const logger = pinoLogger(logLevel());
const redis = redisUrl();
const staticDir = optional("STATIC_DIR");
const publicOrigin = optional("PUBLIC_ORIGIN");
const metricsToken = optional("METRICS_TOKEN");

const server = await startServer({
  port,
  host: env["HOST"] ?? "0.0.0.0",
  ...(staticDir === undefined ? {} : { staticDir }),
  ...(publicOrigin === undefined ? {} : { publicOrigin }),
  ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
  ...(redis === undefined ? {} : { redisUrl: redis }),
  ...(metricsToken === undefined ? {} : { metricsToken }),
  maxConnectionsPerIp: integer("MAX_CONNECTIONS_PER_IP", DEFAULT_MAX_CONNECTIONS_PER_IP, 1, 1_000_000),
  trustProxyHops: integer("TRUST_PROXY_HOPS", 0, 0, 10),
  mailboxLimits: {
    maxTotalEnvelopes: integer("RELAY_MAX_TOTAL_ENVELOPES", DEFAULT_MEMORY_MAILBOX_LIMITS.maxTotalEnvelopes, 1, 1e9),
    maxTotalChars: integer("RELAY_MAX_TOTAL_CHARS", DEFAULT_MEMORY_MAILBOX_LIMITS.maxTotalChars, 1, 2 ** 40),
  },
  logger,
});
logger.info(
  { event: "listening", url: server.url, port: server.port, mode: redis === undefined ? "embedded" : "scaled" },
  `Parley is running at ${server.url}`,
);

// Graceful drain: /readyz turns 503, no new connections, in-flight events finish, then sockets close (clients
// reconnect to another instance) and the process exits. A second signal forces it.
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) process.exit(1);
  stopping = true;
  logger.info({ event: "stopping", signal, graceMs }, "draining before exit");
  setTimeout(() => process.exit(1), graceMs + 5_000).unref();
  server.drain(graceMs).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));

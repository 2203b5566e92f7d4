import { jsonLineLogger } from "./logger";
import { startServer } from "./server";

/**
 * The composition root: configuration comes only from the environment.
 *   PORT (3000), HOST (0.0.0.0, so a container's published port reaches it; use 127.0.0.1 to stay local),
 *   PUBLIC_ORIGIN (the origin clients sign, e.g. https://parley.example; set it in production),
 *   ALLOWED_ORIGINS (comma-separated browser origins; unset allows any), STATIC_DIR (default src/web/out).
 */
const env = process.env;
const port = Number(env["PORT"] ?? "3000");
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`main: PORT must be an integer from 0 to 65535, got ${JSON.stringify(env["PORT"])}`);
  process.exit(1);
}
const allowedOrigins = env["ALLOWED_ORIGINS"]
  ?.split(",")
  .map((origin) => origin.trim())
  .filter(Boolean);
const logger = jsonLineLogger();
const server = await startServer({
  port,
  host: env["HOST"] ?? "0.0.0.0",
  ...(env["STATIC_DIR"] ? { staticDir: env["STATIC_DIR"] } : {}),
  ...(env["PUBLIC_ORIGIN"] ? { publicOrigin: env["PUBLIC_ORIGIN"] } : {}),
  ...(allowedOrigins ? { allowedOrigins } : {}),
  logger,
});
logger.info({ event: "listening", url: server.url }, `Parley is running at ${server.url}`);

// Graceful drain: stop accepting, disconnect sockets (clients reconnect elsewhere), then exit. A second signal forces it.
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) process.exit(1);
  stopping = true;
  logger.info({ event: "stopping", signal }, "shutting down");
  setTimeout(() => process.exit(1), 10_000).unref();
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import { createRelay, type Relay } from "./create-relay";
import type { MemoryMailboxLimits } from "./mailbox";
import type { Logger } from "./logger";
import { createStaticHandler, SECURITY_HEADERS } from "./static";
import { WEB_BUILD_DIR } from "./web-build";

export type StartServerOptions = {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** The web app's static export; defaults to src/web/out. */
  readonly staticDir?: string;
  readonly publicOrigin?: string;
  readonly allowedOrigins?: readonly string[];
  readonly logger?: Logger;
  /** Scaled mode (see `RelayDeps.redisUrl`). */
  readonly redisUrl?: string;
  readonly maxConnectionsPerIp?: number;
  readonly trustProxyHops?: number;
  readonly mailboxLimits?: Partial<MemoryMailboxLimits>;
  /** When set, /metrics answers only `Authorization: Bearer <token>`. */
  readonly metricsToken?: string;
};

export type RunningServer = {
  /** Where a browser on this machine reaches the server, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly port: number;
  readonly relay: Relay;
  /** Stops taking connections, lets in-flight events finish (at most `graceMs`), then closes. */
  drain(graceMs: number): Promise<void>;
  close(): Promise<void>;
};

export const DEFAULT_STATIC_DIR = WEB_BUILD_DIR;

function reply(response: ServerResponse, status: number, body: string, type: string): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Cache-Control": "no-store",
    "Content-Length": String(Buffer.byteLength(body)),
  });
  response.end(body);
}

const json = (response: ServerResponse, status: number, value: unknown): void =>
  reply(response, status, JSON.stringify(value), "application/json; charset=utf-8");

function bearerMatches(request: IncomingMessage, token: string): boolean {
  const given = Buffer.from(request.headers.authorization ?? "");
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** /healthz: the process answers. /readyz: send traffic here. /metrics: Prometheus. Undefined: not ours. */
function operations(
  relay: () => Relay | undefined,
  metricsToken: string | undefined,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (path === "/healthz") {
      json(response, 200, { status: "ok" });
      return true;
    }
    if (path === "/readyz") {
      const ready = relay()?.ready() ?? false;
      json(response, ready ? 200 : 503, { status: ready ? "ready" : "not-ready" });
      return true;
    }
    if (path === "/metrics") {
      const current = relay();
      if (metricsToken !== undefined && !bearerMatches(request, metricsToken)) {
        json(response, 401, { status: "unauthorized" });
      } else if (current === undefined) {
        json(response, 503, { status: "starting" });
      } else {
        current.metrics.registry.metrics().then(
          (text) => reply(response, 200, text, current.metrics.registry.contentType),
          () => json(response, 500, { status: "metrics-failed" }),
        );
      }
      return true;
    }
    return false;
  };
}

/** A wildcard bind address is not somewhere a browser can go; its loopback is. */
function reachableHost(host: string): string {
  // The README promises http://localhost:3000; localhost is also a secure context, so the clipboard API works there.
  if (host === "0.0.0.0" || host === "") return "localhost";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** One process serving the web app and the relay on one origin: what `npm start` and the browser tests run. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const serveStatic = createStaticHandler(options.staticDir ?? DEFAULT_STATIC_DIR);
  // The handler exists before the relay it reports on; requests come only once the server listens, after both.
  const attached: { relay?: Relay } = {};
  const operate = operations(() => attached.relay, options.metricsToken);
  const httpServer = createServer((request: IncomingMessage, response: ServerResponse) => {
    // socket.io answers its own path before this handler runs.
    if (!operate(request, response)) serveStatic(request, response);
  });
  const { port: _port, host: _host, staticDir: _staticDir, metricsToken: _token, ...relayOptions } = options;
  const relay = await createRelay({ httpServer, ...relayOptions });
  attached.relay = relay;

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(options.port, options.host, () => {
        httpServer.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await relay.close();
    throw new Error(`startServer: cannot listen on ${options.host}:${options.port}`, { cause: error });
  }

  const address = httpServer.address();
  if (address === null || typeof address === "string") throw new Error("startServer: server has no TCP address");
  const port = (address satisfies AddressInfo).port;
  return {
    url: `http://${reachableHost(options.host)}:${port}`,
    port,
    relay,
    drain: async (graceMs) => {
      const draining = relay.drain(graceMs);
      httpServer.closeIdleConnections();
      await draining;
    },
    close: async () => {
      const closing = relay.close();
      // Idle keep-alive connections would otherwise hold the close open.
      httpServer.closeIdleConnections();
      await closing;
    },
  };
}

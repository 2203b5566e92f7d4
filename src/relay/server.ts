import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRelay } from "./create-relay";
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
};

export type RunningServer = {
  /** Where a browser on this machine reaches the server, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
};

export const DEFAULT_STATIC_DIR = WEB_BUILD_DIR;

function health(response: ServerResponse): void {
  const body = JSON.stringify({ status: "ok" });
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Length": String(Buffer.byteLength(body)),
  });
  response.end(body);
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
  const httpServer = createServer((request: IncomingMessage, response: ServerResponse) => {
    // socket.io answers its own path before this handler runs.
    if ((request.url ?? "").split("?")[0] === "/healthz") return health(response);
    serveStatic(request, response);
  });
  const relay = await createRelay({
    httpServer,
    ...(options.publicOrigin === undefined ? {} : { publicOrigin: options.publicOrigin }),
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });

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
    close: async () => {
      const closing = relay.close();
      // Idle keep-alive connections would otherwise hold the close open.
      httpServer.closeIdleConnections();
      await closing;
    },
  };
}

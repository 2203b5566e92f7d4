/**
 * One server under test, in its own process (so its RSS and CPU are its own):
 *   ws     — the physical baseline: a minimal `ws` forwarder. A client
 *            registers an id in its URL; a text frame {to, id, …} is
 *            forwarded as is to the socket registered as `to`, and the sender
 *            gets {ok, id, status} back.
 *   sio    — plain Socket.io doing what excalidraw-room does: the handshake
 *            names a room, `send` is emitted to room `to` and acked. Same
 *            server options as Parley (WebSocket only, no compression).
 *   parley — Parley's relay through `startServer`, as `main.ts` runs it: pino
 *            at the given level writing to stdout (here /dev/null), metrics on.
 * With a Redis URL, sio uses @socket.io/redis-adapter and Parley runs in
 * scaled mode (Redis Streams mailboxes and the same adapter).
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session, type Profiler } from "node:inspector/promises";
import { SourceMap } from "node:module";
import { writeHeapSnapshot } from "node:v8";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { WebSocketServer, type WebSocket } from "ws";
import { MAX_FRAME_BYTES } from "../../../src/protocol/limits";
import { pinoLogger } from "../../../src/relay/logger";
import type { RelayDeps } from "../../../src/relay/create-relay";
import { startServer, type StartServerOptions } from "../../../src/relay/server";
import { recordGcPauses } from "./gc-pauses";
import { emitEvent, serveRpc } from "./ipc";
import { BENCH_LIMITS, type ServerConfig } from "./workload";

type Running = { readonly port: number; connections(): number; close(): Promise<void> };

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function startWs(): Promise<Running> {
  const httpServer = createServer();
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
  const registered = new Map<string, WebSocket>();
  wss.on("connection", (socket, request) => {
    const id = new URL(request.url ?? "/", "http://x").searchParams.get("id") ?? "";
    registered.set(id, socket);
    socket.on("close", () => {
      if (registered.get(id) === socket) registered.delete(id);
    });
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { to: string; id: string };
      registered.get(message.to)?.send(data, { binary: false });
      socket.send(JSON.stringify({ ok: true, id: message.id, status: "stored" }));
    });
  });
  const port = await listen(httpServer);
  return {
    port,
    connections: () => wss.clients.size,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

async function startSocketIo(redisUrl: string | undefined): Promise<Running> {
  const httpServer = createServer();
  const io = new Server(httpServer, {
    serveClient: false,
    transports: ["websocket"],
    maxHttpBufferSize: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
  });
  let clients: Redis[] = [];
  if (redisUrl !== undefined) {
    const pub = new Redis(redisUrl);
    const sub = pub.duplicate();
    clients = [pub, sub];
    await Promise.all(clients.map((client) => new Promise((resolve) => client.once("ready", resolve))));
    io.adapter(createAdapter(pub, sub));
  }
  io.on("connection", (socket) => {
    const auth: unknown = socket.handshake.auth;
    const room = typeof auth === "object" && auth !== null && "id" in auth ? String(auth.id) : socket.id;
    void socket.join(room);
    socket.on("send", (envelope: { to: string; id: string }, reply?: (result: unknown) => void) => {
      io.to(envelope.to).emit("envelope", envelope);
      reply?.({ ok: true, id: envelope.id, status: "stored" });
    });
  });
  const port = await listen(httpServer);
  return {
    port,
    connections: () => io.engine.clientsCount,
    close: async () => {
      await io.close();
      await Promise.allSettled(clients.map((client) => client.quit()));
    },
  };
}

async function startParley(config: ServerConfig): Promise<Running> {
  const staticDir = mkdtempSync(path.join(tmpdir(), "parley-bench-static-"));
  // startServer passes everything but its own options on to createRelay (RelayDeps), limits included.
  const options: StartServerOptions & Pick<RelayDeps, "rateLimit" | "addressRateLimit"> = {
    port: 0,
    host: "127.0.0.1",
    staticDir,
    logger: pinoLogger(config.logLevel ?? "info"),
    ...BENCH_LIMITS,
    ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
  };
  const server = await startServer(options);
  const deadline = Date.now() + 10_000;
  while (!server.relay.ready()) {
    if (Date.now() > deadline) throw new Error("parley: not ready (Redis?) within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    port: server.port,
    connections: () => server.relay.io.engine.clientsCount,
    close: async () => {
      await server.close();
      rmSync(staticDir, { recursive: true, force: true });
    },
  };
}

const config = JSON.parse(process.argv[2] ?? "{}") as ServerConfig;
const running =
  config.kind === "ws"
    ? await startWs()
    : config.kind === "sio"
      ? await startSocketIo(config.redisUrl)
      : await startParley(config);

type ProfileNode = Profiler.ProfileNode;

let profiler: Session | undefined;

/**
 * tsx runs Parley's TypeScript compiled to one line per file, so profile positions say little. Each compiled
 * script carries an inline source map: rewrite the positions of our own files to their TypeScript lines.
 * (The debugger is enabled only after profiling, so it cannot slow the profiled run.)
 */
async function originalPositions(session: Session, nodes: readonly ProfileNode[]): Promise<void> {
  const scripts = new Map<string, string>();
  const onParsed = (message: { params: { scriptId: string; url: string } }): void => {
    scripts.set(message.params.scriptId, message.params.url);
  };
  session.on("Debugger.scriptParsed", onParsed);
  await session.post("Debugger.enable");
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = async (scriptId: string): Promise<SourceMap | undefined> => {
    if (!maps.has(scriptId)) {
      const { scriptSource } = await session.post("Debugger.getScriptSource", { scriptId });
      const marker = "sourceMappingURL=data:application/json;base64,";
      const at = scriptSource.lastIndexOf(marker);
      maps.set(
        scriptId,
        at < 0
          ? undefined
          : new SourceMap(JSON.parse(Buffer.from(scriptSource.slice(at + marker.length), "base64").toString())),
      );
    }
    return maps.get(scriptId);
  };
  for (const { callFrame } of nodes) {
    if (!callFrame.url.startsWith("file://") || callFrame.url.includes("/node_modules/")) continue;
    if (!scripts.has(callFrame.scriptId)) continue;
    const entry = (await mapOf(callFrame.scriptId))?.findEntry(callFrame.lineNumber, callFrame.columnNumber);
    if (entry !== undefined && "originalLine" in entry) {
      callFrame.lineNumber = entry.originalLine;
      callFrame.columnNumber = entry.originalColumn;
    }
  }
  await session.post("Debugger.disable");
  session.off("Debugger.scriptParsed", onParsed);
}

const gcPauses = recordGcPauses();

serveRpc({
  connections: () => Promise.resolve(running.connections()),
  /** Garbage collection pauses since the last call. */
  gcPauses: () => Promise.resolve(gcPauses.take()),
  /** After a full collection: what the process holds, not what it has yet to free. */
  memory: async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 2; i++) {
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return process.memoryUsage();
  },
  /** A V8 heap snapshot, after a full collection. */
  heapSnapshot: async (params) => {
    const { file } = params as { file: string };
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    return writeHeapSnapshot(file);
  },
  profileStart: async (params) => {
    const { intervalUs } = params as { intervalUs: number };
    profiler = new Session();
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.setSamplingInterval", { interval: intervalUs });
    await profiler.post("Profiler.start");
    return null;
  },
  profileStop: async (params) => {
    const { file } = params as { file: string };
    if (profiler === undefined) throw new Error("profileStop: no profile running");
    const { profile } = await profiler.post("Profiler.stop");
    await originalPositions(profiler, profile.nodes);
    profiler.disconnect();
    profiler = undefined;
    writeFileSync(file, JSON.stringify(profile));
    return file;
  },
  stop: async () => {
    await Promise.race([running.close(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    setImmediate(() => process.exit(0));
    return null;
  },
});
emitEvent("ready", { port: running.port, pid: process.pid });

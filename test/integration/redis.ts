import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A real redis-server for tests, on 127.0.0.1 and a free port, in its own
 * temporary directory; stopped (by its pid) and removed by `stop()`.
 * `.ci/run` installs redis-server on a fresh machine.
 */
export type RedisProcess = {
  readonly url: string;
  readonly port: number;
  /** Stops the server: SIGTERM flushes the append-only file, SIGKILL does not. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (its data comes back from the append-only file). */
  restart(): Promise<void>;
  /** Stops it for good and deletes its directory. */
  dispose(): Promise<void>;
};

export function requireRedisServer(): void {
  const found = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  if (found.error !== undefined || found.status !== 0) {
    throw new Error("redis-server is not installed: `apt-get install redis-server` (.ci/run does this)");
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once the server answers PING; fails after `ms`. */
async function answersPing(port: number, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const pong = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" });
      socket.setTimeout(200, () => socket.destroy());
      socket.once("error", () => resolve(false));
      socket.once("close", () => resolve(false));
      socket.once("data", (data) => {
        resolve(data.toString().startsWith("+PONG"));
        socket.destroy();
      });
      socket.once("connect", () => socket.write("PING\r\n"));
    });
    if (pong) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every redis-server this process started and has not seen exit: killed with it, whatever the tests did. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startRedis(options: { persistent?: boolean } = {}): Promise<RedisProcess> {
  requireRedisServer();
  const dir = mkdtempSync(path.join(tmpdir(), "parley-redis-"));
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--dir",
    dir,
    "--appendonly",
    options.persistent === true ? "yes" : "no",
    // Every write on disk before Redis answers: what the test of "no acknowledged envelope is lost" needs.
    "--appendfsync",
    "always",
    "--protected-mode",
    "no",
  ];
  let child: ChildProcess | undefined;
  /** This server's processes, the one before a restart included until it has exited. */
  const mine = new Set<ChildProcess>();

  const launch = async (): Promise<void> => {
    const started = spawn("redis-server", args, { stdio: "ignore" });
    for (const set of [running, mine]) {
      set.add(started);
      started.once("exit", () => set.delete(started));
    }
    child = started;
    await answersPing(port);
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill(signal);
    await exited;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    restart: launch,
    dispose: async () => {
      await stop("SIGKILL");
      // One that a failed restart left running, or that was stopped but not yet seen to exit.
      for (const other of mine) other.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

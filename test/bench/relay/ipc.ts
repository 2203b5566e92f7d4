import { fork, type ChildProcess } from "node:child_process";

/**
 * Request/response over Node's IPC channel between the benchmark's
 * orchestrator and its child processes (servers under test, load
 * generators). Children also push events (`ready`, `window-start`, …).
 */

type Request = { readonly rpc: number; readonly method: string; readonly params: unknown };
type Reply = { readonly rpc: number; readonly result?: unknown; readonly error?: string };
type Event = { readonly event: string; readonly data?: unknown };

export type Handlers = Record<string, (params: unknown) => Promise<unknown>>;

function isRequest(message: unknown): message is Request {
  return typeof message === "object" && message !== null && "rpc" in message && "method" in message;
}

/** Child side: answers the parent's calls; exits when the parent goes away, so no child outlives a crash. */
export function serveRpc(handlers: Handlers): void {
  process.on("message", (message: unknown) => {
    if (!isRequest(message)) return;
    const handler = handlers[message.method];
    const answer = (reply: Reply): void => {
      if (process.connected) process.send?.(reply);
    };
    if (handler === undefined) return answer({ rpc: message.rpc, error: `no method ${message.method}` });
    handler(message.params).then(
      (result) => answer({ rpc: message.rpc, result: result ?? null }),
      (error: unknown) =>
        answer({ rpc: message.rpc, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}

/** Child side: tells the parent something happened. */
export function emitEvent(event: string, data?: unknown): void {
  if (process.connected) process.send?.({ event, data } satisfies Event);
}

export type ChildHandle = {
  readonly name: string;
  readonly pid: number;
  call<T>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  /** The next `event` from the child. */
  next<T>(event: string, timeoutMs?: number): Promise<T>;
  on(event: string, listener: (data: unknown) => void): void;
  /** The end of the child's stderr, for error reports. */
  stderrTail(): string;
  readonly exited: Promise<void>;
  /** Asks the child to stop (method `stop`), then kills it by pid if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
};

const live = new Map<number, string>();

/** Every child still running, by pid (for the final clean-up and error reports). */
export function liveChildren(): ReadonlyMap<number, string> {
  return live;
}

/** Registers a process the benchmark started some other way (redis-server), so `killAll` ends it too. */
export function track(pid: number, name: string): () => void {
  live.set(pid, name);
  return () => live.delete(pid);
}

/** Kills every process this run started, one by one, by pid. */
export function killAll(): void {
  for (const pid of [...live.keys()]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    live.delete(pid);
  }
}

const TSX_IMPORT = ["--import", "tsx"];

/** Runs `entry` (TypeScript, through tsx) as a child process with an IPC channel. */
export function spawnChild(
  name: string,
  entry: string,
  args: readonly string[],
  options: { readonly nodeFlags?: readonly string[]; readonly env?: NodeJS.ProcessEnv } = {},
): ChildHandle {
  const child: ChildProcess = fork(entry, [...args], {
    execArgv: [...TSX_IMPORT, ...(options.nodeFlags ?? [])],
    // stdout to /dev/null: the relay logs there, as main.ts does to stdout. stderr kept for error reports.
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    env: { ...process.env, ...options.env },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start`);
  live.set(pid, name);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      live.delete(pid);
      resolve();
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));

  let nextRpc = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Map<string, ((data: unknown) => void)[]>();
  child.on("message", (message: unknown) => {
    if (typeof message !== "object" || message === null) return;
    if ("rpc" in message) {
      const reply = message as Reply;
      const waiting = pending.get(reply.rpc);
      pending.delete(reply.rpc);
      if (reply.error !== undefined) waiting?.reject(new Error(`${name}: ${reply.error}`));
      else waiting?.resolve(reply.result);
    } else if ("event" in message) {
      const event = message as Event;
      for (const listener of listeners.get(event.event) ?? []) listener(event.data);
    }
  });
  void exited.then(() => {
    for (const waiting of pending.values()) {
      waiting.reject(new Error(`${name} exited (code ${child.exitCode}); stderr:\n${stderr}`));
    }
    pending.clear();
  });

  const on = (event: string, listener: (data: unknown) => void): void => {
    listeners.set(event, [...(listeners.get(event) ?? []), listener]);
  };
  const off = (event: string, listener: (data: unknown) => void): void => {
    listeners.set(
      event,
      (listeners.get(event) ?? []).filter((l) => l !== listener),
    );
  };

  return {
    name,
    pid,
    exited,
    on,
    stderrTail: () => stderr,
    call<T>(method: string, params?: unknown, timeoutMs = 60_000): Promise<T> {
      if (gone) return Promise.reject(new Error(`${name} has exited; stderr:\n${stderr}`));
      const rpc = nextRpc++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(rpc);
          reject(new Error(`${name}: ${method} took over ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(rpc, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ rpc, method, params: params ?? null } satisfies Request);
      });
    },
    next<T>(event: string, timeoutMs = 60_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          off(event, listener);
          reject(new Error(`${name}: no "${event}" within ${timeoutMs} ms; stderr:\n${stderr}`));
        }, timeoutMs);
        const listener = (data: unknown): void => {
          clearTimeout(timer);
          off(event, listener);
          resolve(data as T);
        };
        on(event, listener);
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`${name} exited before "${event}"; stderr:\n${stderr}`));
        });
      });
    },
    async stop(graceMs = 5_000): Promise<void> {
      if (gone) return;
      const stopping = this.call("stop", null, graceMs).catch(() => undefined);
      const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([Promise.all([stopping, exited]), timer]);
      if (!gone) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
        await exited;
      }
    },
  };
}

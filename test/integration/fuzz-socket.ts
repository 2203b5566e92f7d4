import type { DisconnectReason } from "socket.io";
import type { RandomBytes } from "../../src/protocol/crypto";
import type { Envelope } from "../../src/protocol/envelope";
import type { ServerToClientEvents } from "../../src/protocol/events";
import type { Logger } from "../../src/relay/logger";
import type { Mailbox } from "../../src/relay/mailbox";
import type { RelayMetrics } from "../../src/relay/metrics";
import { createAddressLimiter, type AddressLimiter, type RateLimit } from "../../src/relay/rate-limit";
import type { RelayServer, RelaySocket, SessionContext } from "../../src/relay/session";

/**
 * In-process stand-ins for the socket.io objects `startSession` touches, so a
 * fuzzer can push hundreds of thousands of events through the relay's real
 * session code in seconds, without a network. Each fake implements only the
 * slice of the real API the session uses (checked against socket.io's types
 * below) and throws on any other property, so a session that starts to use
 * more of the socket fails loudly here instead of being tested against a
 * fake that quietly does nothing.
 */

type CloseListener = (reason: DisconnectReason) => void;

/** What `startSession` uses of its socket, with socket.io's own types; the `this` it returns for chaining is unused. */
export interface SessionSocket {
  readonly disconnected: boolean;
  onAny(listener: (...args: unknown[]) => void): unknown;
  emit<Ev extends keyof ServerToClientEvents>(event: Ev, ...args: Parameters<ServerToClientEvents[Ev]>): boolean;
  on(event: "disconnect", listener: CloseListener): unknown;
  join(room: string): Promise<void> | void;
  disconnect(close?: boolean): unknown;
}

/** What `startSession` uses of the server: the local room sizes and a broadcast of a batch of envelopes to a room. */
export interface SessionServer {
  readonly sockets: { readonly adapter: { readonly rooms: ReadonlyMap<string, ReadonlySet<string>> } };
  to(room: string): RoomBroadcast;
}

export type RoomBroadcast = { emit(event: "envelopes", envelopes: readonly Envelope[]): boolean };

// The fakes' surfaces are slices of the real ones: a real socket and server would do wherever these are used.
const _realSocketFits: (socket: RelaySocket) => SessionSocket = (socket) => socket;
const _realServerFits: (io: RelayServer) => SessionServer = (io) => io;

/** `target` behind a proxy that throws on any property outside `allowed`. */
function strictSurface<T extends object>(target: T, what: string, allowed: readonly string[]): T {
  return new Proxy(target, {
    get(object, key) {
      if (typeof key === "string" && !allowed.includes(key)) {
        throw new Error(`${what}.${key} is used by the session but not implemented by the fuzz fake`);
      }
      // Methods and getters run on the fake itself, so its own fields are not checked against the list.
      const value = Reflect.get(object, key, object) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/**
 * Everything sent to a socket, also after it closed (which socket.io would drop); `room` when it came as a
 * broadcast to that room through the server rather than from the session to this socket.
 */
export type Emitted = { readonly event: string; readonly args: readonly unknown[]; readonly room?: string };

export class FakeSocket implements SessionSocket {
  readonly emitted: Emitted[] = [];
  /** Rooms joined, and whether a join came after the socket was closed (socket.io would still add it: a leak). */
  readonly rooms = new Set<string>();
  joinedAfterClose = false;
  /** Times the session's `onAny` listener was called. */
  fired = 0;
  private connected = true;
  private listener: ((...args: unknown[]) => void) | undefined;
  private readonly closeListeners: CloseListener[] = [];

  constructor(
    readonly id: string,
    private readonly server: FakeServer,
    /** A Redis-style adapter answers `join` with a promise; the in-memory one returns at once. */
    private readonly asyncJoin: boolean,
  ) {}

  get disconnected(): boolean {
    return !this.connected;
  }

  onAny(listener: (...args: unknown[]) => void): this {
    if (this.listener !== undefined) throw new Error("FakeSocket: the session registered a second onAny listener");
    this.listener = listener;
    return this;
  }

  emit<Ev extends keyof ServerToClientEvents>(event: Ev, ...args: Parameters<ServerToClientEvents[Ev]>): boolean {
    this.emitted.push({ event, args });
    return true;
  }

  on(event: "disconnect", listener: CloseListener): this {
    if (event !== "disconnect") throw new Error(`FakeSocket: unexpected listener for ${String(event)}`);
    this.closeListeners.push(listener);
    return this;
  }

  join(room: string): Promise<void> | void {
    if (!this.connected) this.joinedAfterClose = true;
    this.rooms.add(room);
    this.server.enter(room, this);
    return this.asyncJoin ? Promise.resolve() : undefined;
  }

  /** The session always closes the underlying connection too (`true`); either way the socket is gone. */
  disconnect(_close?: boolean): this {
    this.close("server namespace disconnect");
    return this;
  }

  /** The client hangs up. */
  hangUp(): void {
    this.close("client namespace disconnect");
  }

  /**
   * An incoming packet, as socket.io hands it to `onAny` listeners: also after the socket closed. Returns what
   * the listener threw, if anything (nothing may escape it).
   */
  fire(event: unknown, args: readonly unknown[]): { readonly threw: boolean; readonly error?: unknown } {
    const listener = this.listener;
    if (listener === undefined) throw new Error("FakeSocket: the session registered no onAny listener");
    this.fired += 1;
    try {
      listener(event, ...args);
      return { threw: false };
    } catch (error) {
      return { threw: true, error };
    }
  }

  /** The surface handed to `startSession`: this object, refusing anything it does not implement. */
  asRelaySocket(): RelaySocket {
    const surface: SessionSocket = strictSurface<SessionSocket>(this, "socket", [
      "disconnected",
      "onAny",
      "emit",
      "on",
      "join",
      "disconnect",
    ]);
    // The session uses only `SessionSocket`, a slice of RelaySocket (checked above) that the proxy enforces.
    return surface as unknown as RelaySocket;
  }

  private close(reason: DisconnectReason): void {
    if (!this.connected) return;
    this.connected = false;
    // socket.io leaves every room before the `disconnect` listeners run.
    for (const room of this.rooms) this.server.leave(room, this);
    this.rooms.clear();
    for (const listener of this.closeListeners) listener(reason);
  }
}

/** One broadcast to a room, with the list as it was when emitted (socket.io encodes it at once). */
export type Push = { readonly room: string; readonly envelopes: readonly Envelope[] };

export class FakeServer implements SessionServer {
  private readonly members = new Map<string, Set<FakeSocket>>();
  readonly roomIds = new Map<string, Set<string>>();
  readonly pushes: Push[] = [];
  readonly sockets = { adapter: { rooms: this.roomIds } };

  to(room: string): RoomBroadcast {
    return {
      emit: (event, envelopes) => {
        const sent = [...envelopes];
        this.pushes.push({ room, envelopes: sent });
        for (const socket of this.members.get(room) ?? []) socket.emitted.push({ event, args: [sent], room });
        return true;
      },
    };
  }

  enter(room: string, socket: FakeSocket): void {
    const members = this.members.get(room) ?? new Set<FakeSocket>();
    members.add(socket);
    this.members.set(room, members);
    this.roomIds.set(room, new Set([...members].map((member) => member.id)));
  }

  leave(room: string, socket: FakeSocket): void {
    const members = this.members.get(room);
    if (members === undefined) return;
    members.delete(socket);
    if (members.size === 0) {
      this.members.delete(room);
      this.roomIds.delete(room);
    } else {
      this.roomIds.set(room, new Set([...members].map((member) => member.id)));
    }
  }

  asRelayServer(): RelayServer {
    const surface: SessionServer = strictSurface<SessionServer>(this, "io", ["sockets", "to"]);
    // As for sockets: `SessionServer` is the slice of RelayServer the session uses.
    return surface as unknown as RelayServer;
  }
}

/** The session's handlers in flight, noting each that rejects: the session's own catch should leave none. */
export class ObservedInFlight extends Set<Promise<void>> {
  readonly rejections: unknown[] = [];

  override add(handler: Promise<void>): this {
    handler.catch((error: unknown) => this.rejections.push(error));
    return super.add(handler);
  }
}

/** A context like `createRelay`'s, around fakes and a clock the fuzzer moves. */
export function fuzzContext(options: {
  readonly server: FakeServer;
  readonly mailbox: Mailbox;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
  readonly randomBytes: RandomBytes;
  readonly rateLimit: RateLimit;
  readonly addressRateLimit: RateLimit;
  readonly authTimeoutMs: number;
  /** What a scaled relay waits for after joining a room (Redis subscribing to it); at once by default. */
  readonly routed?: () => Promise<void>;
}): SessionContext & { readonly addressLimiter: AddressLimiter; readonly inFlight: ObservedInFlight } {
  return {
    io: options.server.asRelayServer(),
    mailbox: options.mailbox,
    logger: options.logger,
    now: options.now,
    randomBytes: options.randomBytes,
    rateLimit: options.rateLimit,
    addressLimiter: createAddressLimiter(options.addressRateLimit, options.now),
    authTimeoutMs: options.authTimeoutMs,
    metrics: options.metrics,
    inFlight: new ObservedInFlight(),
    routed: options.routed ?? (() => Promise.resolve()),
  };
}

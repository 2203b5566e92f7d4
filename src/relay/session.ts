import type { Server, Socket } from "socket.io";
import type { Address } from "../protocol/address";
import { AUTH_CHALLENGE_BYTES, authMessage } from "../protocol/auth";
import { signingKeyOfAddress, verifyEd25519, type RandomBytes } from "../protocol/crypto";
import { encodeBase64Url } from "../protocol/encoding";
import { groupByRecipient } from "../protocol/batch";
import { envelopeRelayError, validateEnvelope, type Envelope } from "../protocol/envelope";
import { relayError, type RelayError } from "../protocol/errors";
import {
  CLIENT_EVENTS,
  type AuthResult,
  type ClientEventName,
  type SendBatchResult,
  type SendResult,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from "../protocol/events";
import { envelopeIdOf, parseAckIds, parseAuthResponse, parseSendBatch } from "../protocol/validate";
import { RELAY_EVENTS_VERSION } from "../protocol/version";
import { deliverWaiting } from "./delivery";
import { singlePayload, splitEvent, type InboundEvent } from "./inbound";
import { addressPrefix, describeFailure, type Logger } from "./logger";
import type { Mailbox } from "./mailbox";
import type { RelayMetrics } from "./metrics";
import { createTokenBucket, type AddressLimiter, type RateLimit, type TokenBucket } from "./rate-limit";

export type RelayServer = Server<ClientToServerEvents, ServerToClientEvents>;

/** An incoming event and whether it has been answered yet (see `answerable`). */
type Answerable = { -readonly [K in keyof InboundEvent]: InboundEvent[K] } & { answered: boolean };
export type RelaySocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export type SessionContext = {
  readonly io: RelayServer;
  readonly mailbox: Mailbox;
  readonly logger: Logger;
  readonly now: () => number;
  readonly randomBytes: RandomBytes;
  readonly rateLimit: RateLimit;
  readonly addressLimiter: AddressLimiter;
  readonly authTimeoutMs: number;
  readonly metrics: RelayMetrics;
  /** Handlers still running, so a drain can let them finish. */
  readonly inFlight: Set<Promise<void>>;
  /** Resolves once pushes to the rooms this instance has joined so far reach it (scaled mode subscribes per room). */
  readonly routed: () => Promise<void>;
};

/** A flooding socket is told (and logged) at most this often; events with a callback are always answered. */
const RATE_LIMIT_NOTICE_MS = 1_000;

function isClientEvent(name: string): name is ClientEventName {
  return CLIENT_EVENTS.some((event) => event === name);
}

/**
 * One socket's life: challenge, authentication, then send/ack. All input
 * enters through one `onAny` listener, which rate-limits, rejects unknown and
 * unauthenticated events, and catches every failure, so nothing a client sends
 * can throw past it. The only state is this socket's: its challenge, address
 * and token bucket. A class rather than closures: with tens of thousands of
 * idle sockets, handlers on the prototype cost memory once, not per socket.
 */
export function startSession(ctx: SessionContext, socket: RelaySocket, origin: string): void {
  new Session(ctx, socket, origin).start();
}

class Session {
  private readonly bucket: TokenBucket;
  private address: Address | undefined;
  private nonce: string | undefined;
  private lastRateNoticeAt = Number.NEGATIVE_INFINITY;
  private lastRateLogAt = Number.NEGATIVE_INFINITY;
  private authTimer: ReturnType<typeof setTimeout> | undefined;
  private releaseAddress: (() => void) | undefined;

  constructor(
    private readonly ctx: SessionContext,
    private readonly socket: RelaySocket,
    private readonly origin: string,
  ) {
    this.bucket = createTokenBucket(ctx.rateLimit, ctx.now);
  }

  start(): void {
    const { ctx, socket } = this;
    const nonce = encodeBase64Url(ctx.randomBytes(AUTH_CHALLENGE_BYTES));
    this.nonce = nonce;
    this.authTimer = setTimeout(() => this.authTimedOut(), ctx.authTimeoutMs);
    socket.on("disconnect", () => this.closed());
    socket.onAny((eventName: unknown, ...args: unknown[]) => this.received(eventName, args));
    socket.emit("challenge", { v: RELAY_EVENTS_VERSION, nonce, origin: this.origin });
  }

  private authTimedOut(): void {
    this.authTimer = undefined;
    if (this.address !== undefined) return;
    this.ctx.logger.info({ event: "auth-timeout" }, "socket did not authenticate in time");
    this.socket.emit("relay:error", relayError("unauthenticated", "authentication timed out"));
    this.socket.disconnect(true);
  }

  private closed(): void {
    this.clearAuthTimer();
    this.releaseAddress?.();
    this.releaseAddress = undefined;
  }

  private clearAuthTimer(): void {
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    // Dropped, not only cleared: an idle socket should not keep its timer object alive.
    this.authTimer = undefined;
  }

  private received(eventName: unknown, args: unknown[]): void {
    try {
      this.dispatch(this.answerable(splitEvent(eventName, args)));
    } catch (error) {
      this.ctx.logger.warn({ event: "dispatch-failed", ...describeFailure(error) }, "event dispatch failed");
      try {
        this.socket.emit("relay:error", relayError("unavailable", "the relay could not handle this event"));
      } catch {
        // Nothing more can be done for this socket; the relay and its other sockets carry on.
      }
    }
  }

  /**
   * An event whose callback runs at most once and never throws into the relay:
   * a handler that fails after answering must not answer again (ER1), and a
   * callback that throws must not become a second failure.
   */
  private answerable(event: InboundEvent): Answerable {
    const guarded: Answerable = { ...event, answered: false };
    const reply = event.reply;
    if (reply === undefined) return guarded;
    const logger = this.ctx.logger;
    guarded.reply = (result) => {
      if (guarded.answered) return;
      guarded.answered = true;
      try {
        reply(result);
      } catch (error) {
        logger.warn({ event: "reply-failed", ...describeFailure(error) }, "a client's callback threw");
      }
    };
    return guarded;
  }

  /** Every rejection is answered once: through the callback when the client asked for one, else as `relay:error`. */
  private reject(event: Answerable, error: RelayError): void {
    if (event.answered) return;
    // Unknown event names are chosen by the client, so they are not copied into logs.
    const name = isClientEvent(event.name) ? event.name : "other";
    this.ctx.logger.info({ event: "rejected", code: error.code, name }, "event refused");
    this.ctx.metrics.rejections.inc({ reason: error.code });
    if (event.reply !== undefined) return event.reply({ ok: false, error });
    event.answered = true;
    this.socket.emit("relay:error", error);
  }

  private async onAuth(event: Answerable, payload: unknown): Promise<void> {
    const { ctx, socket } = this;
    if (this.address !== undefined) {
      return this.reject(
        event,
        relayError("already-authenticated", "this socket is already authenticated", { event: "auth" }),
      );
    }
    // One attempt per connection: the nonce is spent whatever the outcome, and a failure closes the socket.
    const challenge = this.nonce;
    this.nonce = undefined;
    const fail = (error: RelayError): void => {
      this.reject(event, error);
      socket.disconnect(true);
    };
    const parsed = parseAuthResponse(payload);
    if (!parsed.ok) return fail(parsed.error);
    const key = signingKeyOfAddress(parsed.value.address);
    if (challenge === undefined || key === undefined) {
      return fail(relayError("auth-failed", "no challenge is outstanding", { event: "auth" }));
    }
    if (!verifyEd25519(key, authMessage(this.origin, challenge), parsed.value.signature)) {
      return fail(
        relayError("auth-failed", "signature does not verify for this challenge and origin", { event: "auth" }),
      );
    }
    // Set before any await, so a second `auth` racing this one is refused as already-authenticated.
    const owner = parsed.value.address;
    this.address = owner;
    this.clearAuthTimer();
    this.releaseAddress = ctx.addressLimiter.attach(owner);
    try {
      await socket.join(owner);
      await ctx.routed();
      const result: AuthResult = { ok: true, address: owner };
      event.reply?.(result);
      ctx.logger.info({ event: "auth", address: addressPrefix(owner) }, "socket authenticated");
      // Gone while Redis confirmed (a reconnecting crowd): nobody to drain to.
      if (socket.disconnected) return;
      // Joined (and routed here) first, then drained: an envelope arriving in between may come twice, never zero times.
      deliverWaiting(socket, await ctx.mailbox.list(owner), ctx.metrics);
    } catch (error) {
      // A socket that could not join its room or drain its mailbox would wait in vain: close it so the client reconnects.
      socket.disconnect(true);
      throw error;
    }
  }

  /**
   * A batch of envelopes: each is validated, rate-limited and answered on its own, the valid ones stored in one
   * mailbox call, and each recipient's share pushed as one `envelopes` event.
   */
  private async onSend(event: Answerable, payload: unknown): Promise<void> {
    const batch = parseSendBatch(payload);
    if (!batch.ok) return this.reject(event, batch.error);
    const results: SendResult[] = [];
    try {
      await this.storeBatch(event, batch.value, results);
    } finally {
      // Also when storage failed and the event is refused whole: what was counted is logged (OP2).
      this.logRefusals(results);
    }
  }

  /** Answers into `results` as it goes, so the refusals made before a failure are still logged. */
  private async storeBatch(event: Answerable, candidates: readonly unknown[], results: SendResult[]): Promise<void> {
    const { ctx, address } = this;
    /** Valid envelopes with a token, and where each one's answer goes in `results`. */
    const accepted: { readonly envelope: Envelope; readonly slot: number }[] = [];
    for (const candidate of candidates) {
      const checked = validateEnvelope(candidate);
      if (!checked.ok) {
        results.push(this.refusal(envelopeRelayError(checked.error, envelopeIdOf(candidate))));
        continue;
      }
      const envelope = checked.value;
      if (address !== undefined && !ctx.addressLimiter.take(address)) {
        const error = relayError("rate-limited", "this address is sending too fast; slow down", {
          event: "send",
          id: envelope.id,
        });
        results.push(this.refusal(error));
        continue;
      }
      accepted.push({ envelope, slot: results.length });
      results.push({ ok: true, id: envelope.id, status: "stored" });
    }
    const outcomes = accepted.length === 0 ? [] : await ctx.mailbox.put(accepted.map((item) => item.envelope));
    const delivered: Envelope[] = [];
    let stored = 0;
    for (const [i, { envelope, slot }] of accepted.entries()) {
      const outcome = outcomes[i];
      if (outcome === undefined || !outcome.ok) {
        const message =
          outcome?.error.scope === "address" ? "the recipient's mailbox is full" : "the relay's storage is full";
        results[slot] = this.refusal(relayError("mailbox-full", message, { event: "send", id: envelope.id }));
        continue;
      }
      if (outcome.value === "stored") stored += 1;
      delivered.push(envelope);
    }
    ctx.metrics.stored.inc(stored);
    // Pushed before the sender hears "stored", and pushed again for a duplicate: a sender retries only when it did
    // not hear back, which may be because the instance that stored it died before pushing. The recipient drops
    // the copies by id; without this, an envelope could wait in the mailbox until its recipient reconnects.
    // Counted where it can be seen: sockets on this instance. Other instances' sockets get it through the adapter.
    // A mailbox that pushes on put (scaled mode) has already published them, with the store itself.
    for (const [to, envelopes] of groupByRecipient(delivered)) {
      ctx.metrics.delivered.inc(envelopes.length * (ctx.io.sockets.adapter.rooms.get(to)?.size ?? 0));
      if (!ctx.mailbox.pushesOnPut) ctx.io.to(to).emit("envelopes", envelopes);
    }
    const answer: SendBatchResult = { ok: true, results };
    event.reply?.(answer);
    // Recipients are deliberately not logged per message: logs would outlive the mailbox TTL.
    ctx.logger.debug(
      { event: "send", envelopes: candidates.length, accepted: accepted.length, stored },
      "envelopes stored",
    );
  }

  /** One envelope's refusal inside an answered batch: counted like any other, logged with its batch (ER1, OP2). */
  private refusal(error: RelayError): SendResult {
    this.ctx.metrics.rejections.inc({ reason: error.code });
    return { ok: false, error };
  }

  /** A line per refusal code in a batch, not per envelope: a full mailbox refuses a whole batch of 32 at once. */
  private logRefusals(results: readonly SendResult[]): void {
    const byCode = new Map<string, number>();
    for (const result of results) {
      if (!result.ok) byCode.set(result.error.code, (byCode.get(result.error.code) ?? 0) + 1);
    }
    for (const [code, envelopes] of byCode) {
      this.ctx.logger.info({ event: "rejected", code, name: "send", envelopes }, "envelopes refused");
    }
  }

  private async onAck(event: Answerable, payload: unknown, owner: Address): Promise<void> {
    const { ctx } = this;
    const ids = parseAckIds(payload);
    if (!ids.ok) return this.reject(event, ids.error);
    const storedAt = await ctx.mailbox.ack(owner, ids.value);
    const at = ctx.now();
    ctx.metrics.acked.inc(storedAt.length);
    for (const time of storedAt) ctx.metrics.deliveryLatency.observe(Math.max(0, at - time) / 1000);
  }

  private run(event: Answerable, handler: Promise<void>): void {
    const { ctx } = this;
    const running = handler.catch((error: unknown) => {
      try {
        ctx.logger.warn(
          { event: "handler-failed", name: event.name, ...describeFailure(error) },
          "event handler failed",
        );
        this.reject(
          event,
          relayError("unavailable", "the relay could not handle this event; retry later", { event: event.name }),
        );
      } catch {
        // The socket is gone or the logger failed: nothing more to tell anyone, and this promise must not reject.
      }
    });
    ctx.inFlight.add(running);
    void running.finally(() => ctx.inFlight.delete(running));
  }

  private dispatch(event: Answerable): void {
    const { ctx, socket } = this;
    // socket.io calls `onAny` listeners even for packets that arrive after the socket was closed.
    if (socket.disconnected) return;
    if (!this.bucket.take()) {
      const at = ctx.now();
      if (at - this.lastRateLogAt >= RATE_LIMIT_NOTICE_MS) {
        this.lastRateLogAt = at;
        ctx.logger.warn({ event: "rate-limited" }, "socket exceeded its event rate");
      }
      ctx.metrics.rejections.inc({ reason: "rate-limited" });
      const error = relayError("rate-limited", "too many events; slow down", { event: event.name });
      if (event.reply !== undefined) return event.reply({ ok: false, error });
      if (at - this.lastRateNoticeAt >= RATE_LIMIT_NOTICE_MS) {
        this.lastRateNoticeAt = at;
        socket.emit("relay:error", error);
      }
      return;
    }
    const { name } = event;
    if (!isClientEvent(name)) {
      return this.reject(event, relayError("unknown-event", "this relay does not handle that event", { event: name }));
    }
    if (name !== "auth" && this.address === undefined) {
      return this.reject(
        event,
        relayError("unauthenticated", "authenticate before sending anything else", { event: name }),
      );
    }
    const payload = singlePayload(event);
    if (!payload.ok) return this.reject(event, payload.error);
    // Each handler is started here, so a synchronous throw in it becomes its promise's rejection.
    switch (name) {
      case "auth":
        return this.run(event, this.onAuth(event, payload.value));
      case "send":
        return this.run(event, this.onSend(event, payload.value));
      case "ack": {
        const owner = this.address;
        if (owner !== undefined) this.run(event, this.onAck(event, payload.value, owner));
        return;
      }
    }
  }
}

import type { Server, Socket } from "socket.io";
import type { Address } from "../protocol/address";
import { AUTH_CHALLENGE_BYTES, authMessage } from "../protocol/auth";
import { signingKeyOfAddress, verifyEd25519, type RandomBytes } from "../protocol/crypto";
import { encodeBase64Url } from "../protocol/encoding";
import { envelopeRelayError, validateEnvelope } from "../protocol/envelope";
import { relayError, type RelayError } from "../protocol/errors";
import {
  CLIENT_EVENTS,
  type AuthResult,
  type ClientEventName,
  type SendResult,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from "../protocol/events";
import { envelopeIdOf, parseAckIds, parseAuthResponse } from "../protocol/validate";
import { PROTOCOL_VERSION } from "../protocol/version";
import { singlePayload, splitEvent, type InboundEvent } from "./inbound";
import { addressPrefix, describeFailure, type Logger } from "./logger";
import type { Mailbox } from "./mailbox";
import type { RelayMetrics } from "./metrics";
import { createTokenBucket, type AddressLimiter, type RateLimit } from "./rate-limit";

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
 * and token bucket.
 */
export function startSession(ctx: SessionContext, socket: RelaySocket, origin: string): void {
  const { logger, mailbox } = ctx;
  const bucket = createTokenBucket(ctx.rateLimit, ctx.now);
  let address: Address | undefined;
  const firstNonce = encodeBase64Url(ctx.randomBytes(AUTH_CHALLENGE_BYTES));
  let nonce: string | undefined = firstNonce;
  let lastRateNoticeAt = Number.NEGATIVE_INFINITY;
  let lastRateLogAt = Number.NEGATIVE_INFINITY;

  /**
   * An event whose callback runs at most once and never throws into the relay:
   * a handler that fails after answering must not answer again (ER1), and a
   * callback that throws must not become a second failure.
   */
  const answerable = (event: InboundEvent): Answerable => {
    const guarded: Answerable = { ...event, answered: false };
    const reply = event.reply;
    if (reply === undefined) return guarded;
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
  };

  /** Every rejection is answered once: through the callback when the client asked for one, else as `relay:error`. */
  const reject = (event: Answerable, error: RelayError): void => {
    if (event.answered) return;
    // Unknown event names are chosen by the client, so they are not copied into logs.
    const name = isClientEvent(event.name) ? event.name : "other";
    logger.info({ event: "rejected", code: error.code, name }, "event refused");
    ctx.metrics.rejections.inc({ reason: error.code });
    if (event.reply !== undefined) return event.reply({ ok: false, error });
    event.answered = true;
    socket.emit("relay:error", error);
  };

  const authTimer = setTimeout(() => {
    if (address !== undefined) return;
    logger.info({ event: "auth-timeout" }, "socket did not authenticate in time");
    socket.emit("relay:error", relayError("unauthenticated", "authentication timed out"));
    socket.disconnect(true);
  }, ctx.authTimeoutMs);
  let releaseAddress: (() => void) | undefined;
  socket.on("disconnect", () => {
    clearTimeout(authTimer);
    releaseAddress?.();
  });

  const onAuth = async (event: Answerable, payload: unknown): Promise<void> => {
    if (address !== undefined) {
      return reject(
        event,
        relayError("already-authenticated", "this socket is already authenticated", { event: "auth" }),
      );
    }
    // One attempt per connection: the nonce is spent whatever the outcome, and a failure closes the socket.
    const challenge = nonce;
    nonce = undefined;
    const fail = (error: RelayError): void => {
      reject(event, error);
      socket.disconnect(true);
    };
    const parsed = parseAuthResponse(payload);
    if (!parsed.ok) return fail(parsed.error);
    const key = signingKeyOfAddress(parsed.value.address);
    if (challenge === undefined || key === undefined) {
      return fail(relayError("auth-failed", "no challenge is outstanding", { event: "auth" }));
    }
    if (!verifyEd25519(key, authMessage(origin, challenge), parsed.value.signature)) {
      return fail(
        relayError("auth-failed", "signature does not verify for this challenge and origin", { event: "auth" }),
      );
    }
    // Set before any await, so a second `auth` racing this one is refused as already-authenticated.
    const owner = parsed.value.address;
    address = owner;
    clearTimeout(authTimer);
    releaseAddress = ctx.addressLimiter.attach(owner);
    try {
      await socket.join(owner);
      const result: AuthResult = { ok: true, address: owner };
      event.reply?.(result);
      logger.info({ event: "auth", address: addressPrefix(owner) }, "socket authenticated");
      // Joined first, then drained: an envelope arriving in between may come twice, never zero times.
      const waiting = await mailbox.list(owner);
      for (const envelope of waiting) socket.emit("envelope", envelope);
      ctx.metrics.delivered.inc(waiting.length);
    } catch (error) {
      // A socket that could not join its room or drain its mailbox would wait in vain: close it so the client reconnects.
      socket.disconnect(true);
      throw error;
    }
  };

  const onSend = async (event: Answerable, payload: unknown): Promise<void> => {
    const checked = validateEnvelope(payload);
    if (!checked.ok) return reject(event, envelopeRelayError(checked.error, envelopeIdOf(payload)));
    const envelope = checked.value;
    if (address !== undefined && !ctx.addressLimiter.take(address)) {
      return reject(
        event,
        relayError("rate-limited", "this address is sending too fast; slow down", { event: "send", id: envelope.id }),
      );
    }
    const stored = await mailbox.put(envelope);
    if (!stored.ok) {
      const message =
        stored.error.scope === "address" ? "the recipient's mailbox is full" : "the relay's storage is full";
      return reject(event, relayError("mailbox-full", message, { event: "send", id: envelope.id }));
    }
    if (stored.value === "stored") ctx.metrics.stored.inc();
    // Pushed before the sender hears "stored", and pushed again for a duplicate: a sender retries only when it did
    // not hear back, which may be because the instance that stored it died before pushing. The recipient drops
    // the copies by id; without this, an envelope could wait in the mailbox until its recipient reconnects.
    // Counted where it can be seen: sockets on this instance. Other instances' sockets get it through the adapter.
    ctx.metrics.delivered.inc(ctx.io.sockets.adapter.rooms.get(envelope.to)?.size ?? 0);
    ctx.io.to(envelope.to).emit("envelope", envelope);
    const result: SendResult = { ok: true, id: envelope.id, status: "stored" };
    event.reply?.(result);
    // The recipient is deliberately not logged per message: logs would outlive the mailbox TTL.
    logger.debug({ event: "send", chars: envelope.ct.length, status: stored.value }, "envelope stored");
  };

  const onAck = async (event: Answerable, payload: unknown, owner: Address): Promise<void> => {
    const ids = parseAckIds(payload);
    if (!ids.ok) return reject(event, ids.error);
    const storedAt = await mailbox.ack(owner, ids.value);
    const at = ctx.now();
    ctx.metrics.acked.inc(storedAt.length);
    for (const time of storedAt) ctx.metrics.deliveryLatency.observe(Math.max(0, at - time) / 1000);
  };

  const run = (event: Answerable, handler: () => Promise<void>): void => {
    const running = handler().catch((error: unknown) => {
      try {
        logger.warn({ event: "handler-failed", name: event.name, ...describeFailure(error) }, "event handler failed");
        reject(
          event,
          relayError("unavailable", "the relay could not handle this event; retry later", { event: event.name }),
        );
      } catch {
        // The socket is gone or the logger failed: nothing more to tell anyone, and this promise must not reject.
      }
    });
    ctx.inFlight.add(running);
    void running.finally(() => ctx.inFlight.delete(running));
  };

  const dispatch = (event: Answerable): void => {
    // socket.io calls `onAny` listeners even for packets that arrive after the socket was closed.
    if (socket.disconnected) return;
    if (!bucket.take()) {
      const at = ctx.now();
      if (at - lastRateLogAt >= RATE_LIMIT_NOTICE_MS) {
        lastRateLogAt = at;
        logger.warn({ event: "rate-limited" }, "socket exceeded its event rate");
      }
      ctx.metrics.rejections.inc({ reason: "rate-limited" });
      const error = relayError("rate-limited", "too many events; slow down", { event: event.name });
      if (event.reply !== undefined) return event.reply({ ok: false, error });
      if (at - lastRateNoticeAt >= RATE_LIMIT_NOTICE_MS) {
        lastRateNoticeAt = at;
        socket.emit("relay:error", error);
      }
      return;
    }
    const { name } = event;
    if (!isClientEvent(name)) {
      return reject(event, relayError("unknown-event", "this relay does not handle that event", { event: name }));
    }
    if (name !== "auth" && address === undefined) {
      return reject(event, relayError("unauthenticated", "authenticate before sending anything else", { event: name }));
    }
    const payload = singlePayload(event);
    if (!payload.ok) return reject(event, payload.error);
    switch (name) {
      case "auth":
        return run(event, () => onAuth(event, payload.value));
      case "send":
        return run(event, () => onSend(event, payload.value));
      case "ack": {
        const owner = address;
        if (owner !== undefined) run(event, () => onAck(event, payload.value, owner));
        return;
      }
    }
  };

  socket.onAny((eventName: unknown, ...args: unknown[]) => {
    try {
      dispatch(answerable(splitEvent(eventName, args)));
    } catch (error) {
      logger.warn({ event: "dispatch-failed", ...describeFailure(error) }, "event dispatch failed");
      try {
        socket.emit("relay:error", relayError("unavailable", "the relay could not handle this event"));
      } catch {
        // Nothing more can be done for this socket; the relay and its other sockets carry on.
      }
    }
  });

  socket.emit("challenge", { v: PROTOCOL_VERSION, nonce: firstNonce, origin });
}

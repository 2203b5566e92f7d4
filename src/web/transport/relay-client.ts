import { io, type Socket } from "socket.io-client";
import type { Address } from "../../protocol/address";
import { authMessage, type AuthResponse } from "../../protocol/auth";
import { addressOf, signEd25519, type IdentityKeyPair } from "../../protocol/crypto";
import { encodeBase64Url } from "../../protocol/encoding";
import {
  envelopeRelayError,
  isMessageId,
  validateEnvelope,
  type Envelope,
  type MessageId,
} from "../../protocol/envelope";
import { relayError, type RelayError, type RelayErrorCode } from "../../protocol/errors";
import type { ClientToServerEvents, SendResult, ServerToClientEvents } from "../../protocol/events";
import {
  parseAuthResult,
  parseChallenge,
  parsePushedEnvelopes,
  parseRelayError,
  parseSendBatchResult,
  type ChallengeError,
} from "../../protocol/validate";
import { ACK_DELAY_MS, MAX_ACK_IDS } from "../../protocol/limits";
import { RELAY_EVENTS_VERSION } from "../../protocol/version";
import { relayOriginOf } from "./origin";
import { createOutbox, type Attempt } from "./outbox";
import { createSeenIds } from "./received";

/** "online" means connected and authenticated: sends go out and envelopes come in. */
export type RelayStatus = "offline" | "connecting" | "online";

/** Problems the app may want to show; none of them is thrown. */
export type RelayClientError =
  /** The relay refused something (a `relay:error` event, or a refused authentication). */
  | { readonly code: "relay-error"; readonly error: RelayError }
  /** The relay asked us to sign for another origin: a relay in the middle, or a misconfigured PUBLIC_ORIGIN. */
  | { readonly code: "origin-mismatch"; readonly expected: string; readonly received: string }
  | { readonly code: "bad-challenge"; readonly reason: ChallengeError["code"] }
  /** The relay pushed something that is not a valid envelope addressed to us; it was dropped. */
  | { readonly code: "bad-envelope" }
  /** `onEnvelope` rejected: the envelope is not acked and comes again on the next connection. */
  | { readonly code: "handler-failed"; readonly id: MessageId };

export type ConnectRelayOptions = {
  /** The relay's URL; in a browser served by the relay, `location.origin`. */
  readonly url: string;
  readonly identity: IdentityKeyPair;
  /** Store the envelope durably, then resolve: only then is it acked and deleted from the relay. */
  readonly onEnvelope: (envelope: Envelope) => Promise<void>;
  readonly onStatus?: (status: RelayStatus) => void;
  readonly onError?: (error: RelayClientError) => void;
  /** How long to wait for the relay to answer `auth` or `send` (default 10 s). */
  readonly timeoutMs?: number;
  /** First reconnect/retry delay, doubled up to `maxRetryDelayMs` (defaults 500 ms and 30 s). */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
};

export type RelayClient = {
  readonly address: Address;
  /** Resolves when the relay stored the envelope or refused it for good; retries until then. */
  send(envelope: Envelope): Promise<SendResult>;
  status(): RelayStatus;
  /** Disconnects for good; pending sends resolve with `unauthenticated`. */
  close(): void;
};

/**
 * Refusals that say "later", not "never": the envelope is sent again after a delay. A full mailbox empties as its
 * owner acks (or its envelopes expire), so `mailbox-full` is one of them.
 */
const TRANSIENT: ReadonlySet<RelayErrorCode> = new Set([
  "rate-limited",
  "unavailable",
  "unauthenticated",
  "mailbox-full",
]);
/** Refusals of `auth` after which reconnecting later can succeed. */
const TRANSIENT_AUTH: ReadonlySet<RelayErrorCode> = new Set(["rate-limited", "unavailable"]);
const SEEN_IDS = 10_000;
const RETRY: Attempt = { retry: true };

/** A refusal that says "later" is retried; anything else is the envelope's final answer. */
function attemptOf(result: SendResult): Attempt {
  return !result.ok && TRANSIENT.has(result.error.code) ? RETRY : { final: result };
}

/**
 * The app's connection to a relay, framework-free (browser and Node). It
 * answers each challenge after checking the origin it names, keeps sending
 * until the relay says "stored", and acks what it receives only after the app
 * has stored it.
 */
export function connectRelay(options: ConnectRelayOptions): RelayClient {
  const expectedOrigin = relayOriginOf(options.url);
  if (expectedOrigin === undefined) {
    throw new Error(`connectRelay: url must be an http(s) or ws(s) URL, got ${JSON.stringify(options.url)}`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const baseDelay = options.retryDelayMs ?? 500;
  const maxDelay = options.maxRetryDelayMs ?? 30_000;
  const delayFor = (n: number): number => Math.min(maxDelay, baseDelay * 2 ** Math.min(n - 1, 16));
  const { identity } = options;
  const address = addressOf(identity.signing.publicKey);
  const report = (error: RelayClientError): void => options.onError?.(error);

  let status: RelayStatus = "offline";
  let authenticated = false;
  /** Set by close() or a refusal that retrying cannot fix; no reconnects after it. */
  let stopped = false;
  let reconnects = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  const setStatus = (next: RelayStatus): void => {
    if (next === status) return;
    status = next;
    options.onStatus?.(next);
  };

  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(expectedOrigin, {
    transports: ["websocket"],
    autoConnect: false,
    forceNew: true,
    reconnectionDelay: baseDelay,
    reconnectionDelayMax: maxDelay,
  });

  const outbox = createOutbox({
    canSend: () => authenticated,
    retryDelayMs: delayFor,
    transmit(envelopes, done) {
      const retryAll = (): void => done(envelopes.map(() => RETRY));
      socket.timeout(timeoutMs).emit("send", envelopes, (timedOut: Error | null, reply: unknown) => {
        if (timedOut !== null) return retryAll();
        const parsed = parseSendBatchResult(
          reply,
          envelopes.map((envelope) => envelope.id),
        );
        if (!parsed.ok) return retryAll();
        const answer = parsed.value;
        if (!answer.ok) return done(envelopes.map(() => attemptOf(answer)));
        done(answer.results.map(attemptOf));
      });
    },
  });

  /**
   * Acks go out in batches: MAX_ACK_IDS at once, or what gathered within ACK_DELAY_MS of the first. One event
   * per envelope would run through the relay's per-socket rate limit while a large mailbox drains (dropped acks
   * mean redeliveries), and costs the recipient's relay instance a quarter of its CPU (measured with a stream of
   * 20 envelopes a second per recipient). Unacked ids come again on the next connection and are acked then
   * without reaching the app twice.
   */
  let pendingAcks: MessageId[] = [];
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const sendAcks = (): void => {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    const batch = pendingAcks;
    pendingAcks = [];
    if (authenticated && batch.length > 0) socket.emit("ack", batch);
  };
  const ack = (id: MessageId): void => {
    // A handler that finishes after close() has nowhere to ack; the envelope comes again next session.
    if (stopped) return;
    pendingAcks.push(id);
    if (pendingAcks.length >= MAX_ACK_IDS) sendAcks();
    else ackTimer ??= setTimeout(sendAcks, ACK_DELAY_MS);
  };

  /** Pending sends cannot go out any more; they resolve as `unauthenticated` and the app keeps its copy. */
  const stop = (why: string): void => {
    // What the app has stored is acked before leaving, rather than delivered again next time.
    sendAcks();
    stopped = true;
    authenticated = false;
    clearTimeout(reconnectTimer);
    socket.disconnect();
    setStatus("offline");
    outbox.settleAll({ ok: false, error: relayError("unauthenticated", why) });
  };

  /**
   * socket.io reconnects by itself after network failures, but not when the relay closed the socket. A
   * reconnect after a failed store waits by the count of consecutive store failures, which authenticating does
   * not reset: a handler that keeps failing is retried ever more slowly, not in a tight loop.
   */
  const reconnectLater = (): void => {
    if (stopped || reconnectTimer !== undefined) return;
    reconnects += 1;
    reconnectTimer = setTimeout(
      () => {
        reconnectTimer = undefined;
        if (!stopped && socket.disconnected) socket.connect();
      },
      delayFor(Math.max(reconnects, storeFailures)),
    );
  };

  const seen = createSeenIds(SEEN_IDS);
  const handling = new Set<string>();
  /** Envelopes are handed to the app one at a time, in the order they arrived. */
  let queue: Promise<void> = Promise.resolve();

  /** Consecutive failures of the app to store an envelope; reset by the next success. */
  let storeFailures = 0;

  /**
   * Bumped when the app fails to store an envelope: everything queued behind it is skipped (not acked), and
   * the connection is renewed so the relay hands the mailbox over again, in order, starting with the failed one.
   */
  let generation = 0;

  const receive = (candidate: unknown): void => {
    const checked = validateEnvelope(candidate);
    if (!checked.ok || checked.value.to !== address) return report({ code: "bad-envelope" });
    const envelope = checked.value;
    if (seen.has(envelope.id)) return ack(envelope.id);
    if (handling.has(envelope.id)) return;
    handling.add(envelope.id);
    const receivedIn = generation;
    queue = queue
      .then(async () => {
        if (stopped || receivedIn !== generation) return;
        try {
          await options.onEnvelope(envelope);
        } catch {
          generation += 1;
          storeFailures += 1;
          report({ code: "handler-failed", id: envelope.id });
          // The envelopes stored before this one are acked; only those behind it come again.
          sendAcks();
          socket.disconnect();
          reconnectLater();
          return;
        }
        storeFailures = 0;
        seen.add(envelope.id);
        ack(envelope.id);
      })
      .finally(() => handling.delete(envelope.id));
  };

  socket.on("envelopes", (payload: unknown) => {
    const batch = parsePushedEnvelopes(payload);
    if (!batch.ok) return report({ code: "bad-envelope" });
    for (const candidate of batch.value) receive(candidate);
  });

  socket.on("challenge", (payload: unknown) => {
    const parsed = parseChallenge(payload);
    if (!parsed.ok) {
      report({ code: "bad-challenge", reason: parsed.error.code });
      return stop("the relay's challenge could not be answered");
    }
    const challenge = parsed.value;
    // The binding: sign only for the relay we meant to reach, so no other relay can reuse the signature.
    if (challenge.origin !== expectedOrigin) {
      report({ code: "origin-mismatch", expected: expectedOrigin, received: challenge.origin });
      return stop("the relay asked to sign for another origin");
    }
    const signature = signEd25519(identity.signing.secretKey, authMessage(challenge.origin, challenge.nonce));
    const response: AuthResponse = { v: RELAY_EVENTS_VERSION, address, signature: encodeBase64Url(signature) };
    socket.timeout(timeoutMs).emit("auth", response, (timedOut: Error | null, reply: unknown) => {
      if (stopped) return;
      const answer = timedOut === null ? parseAuthResult(reply, address) : undefined;
      if (answer?.ok !== true) {
        // No usable answer: start over on a fresh connection and with a fresh challenge.
        socket.disconnect();
        return reconnectLater();
      }
      const result = answer.value;
      if (!result.ok) {
        report({ code: "relay-error", error: result.error });
        if (!TRANSIENT_AUTH.has(result.error.code)) return stop("the relay refused authentication");
        socket.disconnect();
        return reconnectLater();
      }
      authenticated = true;
      reconnects = 0;
      setStatus("online");
      outbox.flush();
    });
  });

  socket.on("relay:error", (payload: unknown) => {
    const error = parseRelayError(payload);
    if (error.ok) report({ code: "relay-error", error: error.value });
  });
  socket.on("connect", () => setStatus("connecting"));
  socket.on("disconnect", (reason) => {
    authenticated = false;
    outbox.disconnected();
    setStatus(stopped ? "offline" : "connecting");
    if (reason === "io server disconnect") reconnectLater();
  });
  socket.io.on("reconnect_attempt", () => setStatus("connecting"));

  setStatus("connecting");
  socket.connect();

  return {
    address,
    status: () => status,
    send(envelope) {
      const checked = validateEnvelope(envelope);
      if (!checked.ok) {
        const id = isMessageId(envelope.id) ? envelope.id : undefined;
        return Promise.resolve({ ok: false, error: envelopeRelayError(checked.error, id) });
      }
      if (stopped) return Promise.resolve({ ok: false, error: relayError("unauthenticated", "relay client stopped") });
      return outbox.add(checked.value);
    },
    close: () => stop("relay client closed before the relay stored the envelope"),
  };
}

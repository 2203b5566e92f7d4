import { relayError, type RelayError } from "../protocol/errors";
import { err, ok, type Result } from "../protocol/result";

/**
 * socket.io's argument lists, taken apart before any payload is looked at.
 * The payloads themselves are checked by the contract's validators
 * (`src/protocol/validate.ts`, `validateEnvelope`).
 */

/** socket.io's acknowledgement callback: present iff the client asked for an answer. */
export type Reply = (result: unknown) => void;

export type InboundEvent = {
  /** The event name, shortened and stringified (socket.io also allows numbers). */
  readonly name: string;
  readonly payloads: readonly unknown[];
  readonly reply: Reply | undefined;
};

const MAX_EVENT_NAME_CHARS = 64;

function isReply(value: unknown): value is Reply {
  return typeof value === "function";
}

/** socket.io appends the ack callback as the last argument; JSON cannot carry a function, so only it can be one. */
export function splitEvent(event: unknown, args: readonly unknown[]): InboundEvent {
  const last = args.at(-1);
  const reply = isReply(last) ? last : undefined;
  return {
    name: String(event).slice(0, MAX_EVENT_NAME_CHARS),
    payloads: reply === undefined ? args : args.slice(0, -1),
    reply,
  };
}

/** Every event of the contract takes exactly one payload. */
export function singlePayload(event: InboundEvent): Result<unknown, RelayError> {
  if (event.payloads.length !== 1) {
    return err(relayError("malformed", `"${event.name}" takes exactly one argument`, { event: event.name }));
  }
  return ok(event.payloads[0]);
}

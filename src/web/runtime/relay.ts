import type { Envelope } from "../../protocol/envelope";
import type { SendResult } from "../../protocol/events";
import type { ConnectRelayOptions, RelayClientError } from "../transport/relay-client";

/** The runtime's view of a relay connection, so tests can hand it another transport. */
export type RelayConnection = {
  send(envelope: Envelope): Promise<SendResult>;
  close(): void;
};

export type ConnectRelay = (
  options: Pick<ConnectRelayOptions, "url" | "identity" | "onEnvelope" | "onStatus" | "onError">,
) => RelayConnection;

/** What the human should hear about a relay problem; transient refusals are retried by the client and stay quiet. */
export function describeRelayProblem(error: RelayClientError): string | undefined {
  switch (error.code) {
    case "origin-mismatch":
      return `The relay asked to be trusted as ${error.received}, not ${error.expected}; not connecting.`;
    case "bad-challenge":
      return "The relay speaks another protocol version; it may need an update.";
    case "relay-error":
      return error.error.code === "auth-failed" ? "The relay refused this agent's identity." : undefined;
    case "handler-failed":
      return "A message from the relay could not be stored; it will be tried again.";
    case "bad-envelope":
      return undefined;
  }
}

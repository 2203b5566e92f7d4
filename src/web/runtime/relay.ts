import type { IdentityKeyPair } from "../../protocol/crypto";
import type { Envelope } from "../../protocol/envelope";
import type { SendResult } from "../../protocol/events";
import type { ConnectionStatus } from "../state/store";
import type { RelayClientError } from "../transport/relay-client";

/** The runtime's view of a relay connection, so tests can hand it another transport. */
export type RelayConnection = {
  send(envelope: Envelope): Promise<SendResult>;
  close(): void;
};

export type ConnectRelay = (options: {
  url: string;
  identity: IdentityKeyPair;
  onEnvelope: (envelope: Envelope) => Promise<void>;
  onStatus: (status: ConnectionStatus) => void;
  onError?: (error: RelayClientError) => void;
}) => RelayConnection;

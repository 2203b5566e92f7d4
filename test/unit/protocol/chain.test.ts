import { beforeAll, describe, expect, it } from "vitest";
import { loadCrypto } from "../../../src/protocol/crypto";
import {
  agentMessageSchema,
  canonicalJson,
  isTranscriptHash,
  transcriptHash,
  type AgentMessage,
} from "../../../src/protocol/messages";

beforeAll(loadCrypto);

const message = agentMessageSchema.parse({
  taskId: "AAAAAAAAAAAAAAAAAAAAAA",
  messageId: "AQAAAAAAAAAAAAAAAAAAAA",
  sentAt: 1_800_000_000_000,
  prev: null,
  text: "Would Tuesday work? — ünïcode",
  data: { type: "cancel" },
});

describe("transcript hashes", () => {
  it("[PM8] canonical JSON sorts keys at every depth, drops undefined fields and adds no spaces", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: "x" }], e: undefined, f: null })).toBe(
      '{"a":[{"c":"x","d":2}],"b":1,"f":null}',
    );
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/canonicalJson/);
  });

  it("[PM8] a message's hash does not depend on key order, and changes with any field", () => {
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(message).reverse()))) as AgentMessage;
    const hash = transcriptHash(message);
    expect(isTranscriptHash(hash)).toBe(true);
    expect(transcriptHash(reordered)).toBe(hash);
    for (const changed of [
      { ...message, text: `${message.text}.` },
      { ...message, sentAt: message.sentAt + 1 },
      { ...message, prev: hash },
    ]) {
      expect(transcriptHash(changed)).not.toBe(hash);
    }
  });
});

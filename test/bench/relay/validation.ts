/**
 * The cost of validating one benchmark envelope, in this process: the whole
 * of `validateEnvelope`, its ciphertext check `isBase64Url` (which decodes
 * the ciphertext into bytes to decide), and `canonicalBase64Url`, a check
 * with the same answers that does not decode, to size what a fix would save.
 */
import { randomBytes } from "node:crypto";
import { isBase64Url } from "../../../src/protocol/encoding";
import { validateEnvelope } from "../../../src/protocol/envelope";
import { canonicalBase64Url } from "./base64-check";
import { messageId, PAYLOAD_BYTES } from "./workload";

/** CPU time (not wall time: other processes on the machine must not count) per call, in µs. */
function microsecondsPerCall(run: () => unknown, ms = 250): number {
  for (let i = 0; i < 2_000; i++) run();
  let calls = 0;
  const start = process.cpuUsage();
  let spentUs = 0;
  while (spentUs < ms * 1000) {
    for (let i = 0; i < 200; i++) run();
    calls += 200;
    const spent = process.cpuUsage(start);
    spentUs = spent.user + spent.system;
  }
  return spentUs / calls;
}

export type ValidationCost = {
  readonly validateEnvelopeUs: number;
  readonly isBase64UrlUs: number;
  readonly canonicalCheckUs: number;
  /** Whether the two checks agreed on every string tried. */
  readonly sameAnswers: boolean;
};

export function measureValidation(): ValidationCost {
  const envelope = {
    v: 1,
    to: randomBytes(32).toString("base64url"),
    id: messageId(0, 1, performance.now()),
    ct: randomBytes(PAYLOAD_BYTES).toString("base64url"),
  };
  if (!validateEnvelope(envelope).ok) throw new Error("validation bench: the benchmark envelope does not validate");
  // Both checks must agree before one is offered as a replacement for the other.
  let sameAnswers = true;
  for (let i = 0; i < 20_000; i++) {
    const length = i % 40;
    let text = randomBytes(length).toString("base64url").slice(0, length);
    if (i % 3 === 0) text += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".charAt(i % 64);
    if (i % 7 === 0) text = text.replace(/.$/, "=");
    if (canonicalBase64Url(text) !== isBase64Url(text)) sameAnswers = false;
  }
  return {
    validateEnvelopeUs: microsecondsPerCall(() => validateEnvelope(envelope)),
    isBase64UrlUs: microsecondsPerCall(() => isBase64Url(envelope.ct)),
    canonicalCheckUs: microsecondsPerCall(() => canonicalBase64Url(envelope.ct)),
    sameAnswers,
  };
}

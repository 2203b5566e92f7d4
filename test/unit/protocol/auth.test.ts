import { beforeAll, describe, expect, it } from "vitest";
import { AUTH_CHALLENGE_BYTES, AUTH_DOMAIN, authMessage } from "../../../src/protocol/auth";
import { generateIdentity, loadCrypto, signEd25519, verifyEd25519 } from "../../../src/protocol/crypto";
import { encodeBase64Url, utf8 } from "../../../src/protocol/encoding";
import { bytesToHex, createPrng } from "./support";

const prng = createPrng(5);
const NONCE_BYTES = prng.bytes(AUTH_CHALLENGE_BYTES);
const NONCE = encodeBase64Url(NONCE_BYTES);
const ORIGIN = "https://relay.example";

beforeAll(async () => {
  await loadCrypto();
});

describe("authMessage", () => {
  it("[AU1] is the domain, origin and nonce bytes, each with a 2-byte big-endian length prefix", () => {
    expect(AUTH_DOMAIN).toBe("parley/relay-auth/v1");
    const expected =
      "0014" + bytesToHex(utf8(AUTH_DOMAIN)) + "0015" + bytesToHex(utf8(ORIGIN)) + "0020" + bytesToHex(NONCE_BYTES);
    expect(bytesToHex(authMessage(ORIGIN, NONCE))).toBe(expected);
  });

  it("[AU1] encodes a non-ASCII origin as UTF-8 and prefixes its byte length, not its character count", () => {
    const origin = "https://relä.example";
    const message = authMessage(origin, NONCE);
    const originStart = 2 + 20;
    expect(message[originStart]! * 256 + message[originStart + 1]!).toBe(21);
    expect(message.length).toBe(2 + 20 + 2 + 21 + 2 + 32);
    const long = `https://${"r".repeat(292)}`;
    expect(bytesToHex(authMessage(long, NONCE).subarray(originStart, originStart + 2))).toBe("012c");
  });

  it("[AU2] binds the origin: a different origin gives different bytes, and the signature does not carry over", () => {
    const identity = generateIdentity();
    const signature = signEd25519(identity.signing.secretKey, authMessage(ORIGIN, NONCE));
    expect(verifyEd25519(identity.signing.publicKey, authMessage(ORIGIN, NONCE), signature)).toBe(true);
    for (const other of [
      "https://relay.example:443",
      "http://relay.example",
      "https://relay.example.evil",
      "https://evil.example",
      "",
    ]) {
      expect(bytesToHex(authMessage(other, NONCE))).not.toBe(bytesToHex(authMessage(ORIGIN, NONCE)));
      expect(verifyEd25519(identity.signing.publicKey, authMessage(other, NONCE), signature), other).toBe(false);
    }
  });

  it("[AU2] binds the nonce: a different challenge gives different bytes, and the signature does not carry over", () => {
    const identity = generateIdentity();
    const signature = signEd25519(identity.signing.secretKey, authMessage(ORIGIN, NONCE));
    for (let i = 0; i < 20; i++) {
      const other = encodeBase64Url(prng.bytes(AUTH_CHALLENGE_BYTES));
      expect(bytesToHex(authMessage(ORIGIN, other))).not.toBe(bytesToHex(authMessage(ORIGIN, NONCE)));
      expect(verifyEd25519(identity.signing.publicKey, authMessage(ORIGIN, other), signature)).toBe(false);
    }
  });

  it("[AU1] refuses to build the bytes for a nonce that is not 32 bytes or an overlong origin", () => {
    // An empty nonce would make the signature valid for every future challenge of that origin.
    for (const nonce of ["", "QUJD", `${NONCE}A`, NONCE.slice(1), "!".repeat(43)]) {
      expect(() => authMessage(ORIGIN, nonce), nonce).toThrow(/^authMessage: nonce/);
    }
    expect(() => authMessage(`https://${"r".repeat(1_100)}`, NONCE)).toThrow(/^authMessage: origin/);
  });
});

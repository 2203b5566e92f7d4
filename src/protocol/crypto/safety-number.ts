import { utf8 } from "../encoding";
import { encodeIdentity } from "./identity";
import { concatBytes } from "./primitives";
import { lib } from "./sodium";
import type { PublicIdentity } from "./types";

/**
 * Safety numbers: Signal's numeric fingerprint (libsignal `fingerprint`,
 * version 0, 5200 iterations), so that two people can check out of band that
 * the keys each device holds are the other's and not a relay's or a stranger's.
 *
 * Per party: h = SHA-512(0x0000 | key | id | key), then 5199 times
 * h = SHA-512(h | key), 5200 hashes in all as libsignal counts them. The first
 * 30 bytes of h, as six 40-bit big-endian integers mod 100000, give 30 digits.
 * key = 0x01 | Ed25519(32) | 0x02 | X25519(32): both keys, because either one
 * swapped is an attack. id = UTF-8 of the address.
 */
export type SafetyNumber = {
  /** 60 ASCII digits, no spaces: the same on both sides. */
  readonly digits: string;
  /** What the QR code carries: "parley-safety:1:" and the digits. */
  readonly qrText: string;
};

const SAFETY_NUMBER_DIGITS = 60;
const FINGERPRINT_VERSION = Uint8Array.of(0x00, 0x00);
// The cost is per guess for anyone grinding keys towards a colliding 30-digit half.
const ITERATIONS = 5200;
const QR_PREFIX = "parley-safety:1:";
const DIGITS_PATTERN = /^[0-9]{60}$/;

export function safetyNumber(
  local: { identity: PublicIdentity; address: string },
  remote: { identity: PublicIdentity; address: string },
): SafetyNumber {
  const mine = fingerprintHalf(local.identity, local.address);
  const theirs = fingerprintHalf(remote.identity, remote.address);
  // Sorted, not local-first, so that both people read out the same 60 digits.
  const digits = mine <= theirs ? mine + theirs : theirs + mine;
  return { digits, qrText: QR_PREFIX + digits };
}

/** 12 groups of 5 digits separated by single spaces, the way people read them aloud. */
export function formatSafetyNumber(digits: string): string {
  if (!DIGITS_PATTERN.test(digits)) {
    throw new RangeError(
      `formatSafetyNumber: expected ${SAFETY_NUMBER_DIGITS} digits, got ${digits.length} characters`,
    );
  }
  return digits.match(/[0-9]{5}/g)!.join(" ");
}

/**
 * Whether two safety numbers are equal, ignoring whitespace (so a formatted or
 * typed-in number compares equal to the raw one). Anything that is not 60
 * digits is never equal to anything, itself included.
 */
export function sameSafetyNumber(a: string, b: string): boolean {
  const x = a.replace(/\s+/g, "");
  const y = b.replace(/\s+/g, "");
  if (!DIGITS_PATTERN.test(x) || !DIGITS_PATTERN.test(y)) return false;
  // Every digit is compared whatever the first difference, so timing says nothing about where they differ.
  let difference = 0;
  for (let i = 0; i < SAFETY_NUMBER_DIGITS; i++) difference |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return difference === 0;
}

/** The digits a scanned QR code carries, or undefined unless it is exactly our prefix and 60 digits. */
export function safetyNumberFromQrText(text: string): string | undefined {
  if (!text.startsWith(QR_PREFIX)) return undefined;
  const digits = text.slice(QR_PREFIX.length);
  return DIGITS_PATTERN.test(digits) ? digits : undefined;
}

function fingerprintHalf(identity: PublicIdentity, address: string): string {
  const sodium = lib();
  const key = encodeIdentity(identity);
  let hash = sodium.crypto_hash(concatBytes(FINGERPRINT_VERSION, key, utf8(address), key));
  // One buffer reused: only its first 64 bytes change from round to round.
  const round = new Uint8Array(hash.length + key.length);
  round.set(key, hash.length);
  for (let i = 1; i < ITERATIONS; i++) {
    round.set(hash, 0);
    hash = sodium.crypto_hash(round);
  }
  let out = "";
  for (let chunk = 0; chunk < 6; chunk++) out += String(read40BitsMod100000(hash, chunk * 5)).padStart(5, "0");
  return out;
}

function read40BitsMod100000(bytes: Uint8Array, offset: number): number {
  // 40 bits exceed the 32 of JavaScript's bitwise operators but fit a double (53 bits) exactly.
  let value = 0;
  for (let i = 0; i < 5; i++) value = value * 256 + bytes[offset + i]!;
  return value % 100_000;
}

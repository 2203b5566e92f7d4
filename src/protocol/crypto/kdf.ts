import { utf8 } from "../encoding";
import { lib } from "./sodium";
import type { ChainKey, HeaderKey, MessageKey, RootKey } from "./types";

/**
 * Key derivation for sessions, from keyed BLAKE2b. Signal's specifications
 * use HKDF and HMAC with SHA-256, which only libsodium's sumo build offers;
 * keyed BLAKE2b is a PRF in its own right (RFC 7693 §2.9, and the basis of
 * libsodium's crypto_kdf), so the standard build — a quarter smaller in the
 * browser — does the same job with the same structure:
 *
 *   extract  prk = BLAKE2b-256(key = salt, label ‖ input)
 *   expand   out_i = BLAKE2b-256(key = prk, label ‖ i)
 *
 * Every derivation carries its own label, so no two uses can collide.
 */
const LABEL_X3DH = utf8("parley/x3dh/v1");
const LABEL_ROOT = utf8("parley/ratchet/v1/root");
const CHAIN_STEP = Uint8Array.of(0x01);

function blake2b(length: number, message: Uint8Array, key: Uint8Array): Uint8Array {
  return lib().crypto_generichash(length, message, key);
}

function labelled(label: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  let length = label.length;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  out.set(label);
  let offset = label.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function expand(prk: Uint8Array, label: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 1; i <= count; i++) out.push(blake2b(32, labelled(label, Uint8Array.of(i)), prk));
  return out;
}

export type X3dhSecrets = {
  readonly rootKey: RootKey;
  /** The initiator's first sending header key (the responder's first receiving one). */
  readonly initiatorHeaderKey: HeaderKey;
  /** The responder's first sending header key, used after its first DH ratchet step. */
  readonly responderHeaderKey: HeaderKey;
};

/**
 * X3DH's KDF: F ‖ DH1 ‖ DH2 ‖ DH3 ‖ DH4, with F = 32 bytes of 0xFF as the
 * specification asks for X25519 (so the input never starts like a plain DH
 * output), keyed with an all-zero salt.
 */
export function deriveX3dhSecrets(dhOutputs: readonly Uint8Array[]): X3dhSecrets {
  const input = labelled(new Uint8Array(32).fill(0xff), ...dhOutputs);
  const prk = blake2b(32, labelled(LABEL_X3DH, input), new Uint8Array(32));
  const [rootKey, initiatorHeaderKey, responderHeaderKey] = expand(prk, LABEL_X3DH, 3);
  return {
    rootKey: rootKey as RootKey,
    initiatorHeaderKey: initiatorHeaderKey as HeaderKey,
    responderHeaderKey: responderHeaderKey as HeaderKey,
  };
}

/** KDF_RK_HE of the Double Ratchet with header encryption: the root key is the salt, the DH output the input. */
export function deriveRootStep(
  rootKey: RootKey,
  dhOutput: Uint8Array,
): { rootKey: RootKey; chainKey: ChainKey; nextHeaderKey: HeaderKey } {
  const prk = blake2b(32, labelled(LABEL_ROOT, dhOutput), rootKey);
  const [nextRoot, chainKey, nextHeaderKey] = expand(prk, LABEL_ROOT, 3);
  return { rootKey: nextRoot as RootKey, chainKey: chainKey as ChainKey, nextHeaderKey: nextHeaderKey as HeaderKey };
}

/**
 * KDF_CK: one PRF call keyed by the chain key gives 64 bytes, the message key
 * and the next chain key (the specification's two HMAC calls, as one longer
 * output: a third of the cost per message in the WASM build).
 */
export function deriveChainStep(chainKey: ChainKey): { chainKey: ChainKey; messageKey: MessageKey } {
  const material = blake2b(64, CHAIN_STEP, chainKey);
  // Copies, not views: a stored view would keep the whole 64 bytes, and with them the other key.
  return { messageKey: material.slice(0, 32) as MessageKey, chainKey: material.slice(32) as ChainKey };
}

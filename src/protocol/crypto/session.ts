import { err, ok, type Result } from "../result";
import { utf8 } from "../encoding";
import { PROTOCOL_VERSION } from "../version";
import {
  encodeIdentity,
  IDENTITY_CERTIFICATE_BYTES,
  identityCertificate,
  publicIdentityOf,
  verifyIdentityCertificate,
} from "./identity";
import { unpadPlaintext, withPaddedPlaintext } from "./padding";
import {
  concatBytes,
  decryptXChaCha20Poly1305,
  deriveKeyBlake2b,
  encryptXChaCha20Poly1305,
  x25519,
  x25519PublicKey,
} from "./primitives";
import {
  HEADER_BYTES,
  initInitiator,
  initResponder,
  ratchetDecrypt,
  ratchetEncrypt,
  isFromEndedSession,
  type EndedSession,
  type RatchetError,
  type RatchetState,
} from "./ratchet";
import {
  XCHACHA20POLY1305_NONCE_BYTES,
  XCHACHA20POLY1305_TAG_BYTES,
  type IdentityKeyPair,
  type PublicIdentity,
  type RandomBytes,
  type X25519PublicKey,
  type X25519SecretKey,
  type XChaCha20Poly1305Nonce,
} from "./types";
import {
  PREKEY_ID_BYTES,
  sessionAssociatedData,
  verifyPrekeySignature,
  x3dhInitiate,
  x3dhRespond,
  type PrekeyBundle,
  type X25519KeyPair,
} from "./x3dh";

/**
 * What travels in an envelope's `ct`: the first message of a session (scheme
 * 3), which carries what the responder needs to complete X3DH, and every later
 * message (scheme 2). Neither names its sender in the clear: scheme 3 hides
 * the initiator's certificate under a key only the prekeys' owner can derive,
 * and scheme 2 is a ratchet message whose header is encrypted.
 *
 *   scheme 2:  0x02 ‖ header(80) ‖ body
 *   scheme 3:  0x03 ‖ EK(32) ‖ prekeyId(16) ‖ n(24) ‖ AEAD(k_s, n, cert(A), ad_s)(144) ‖ header(80) ‖ body
 *
 *   k_s  = BLAKE2b-256("parley/x3dh/v1/sender", DH3, DH4, EK, SPK_B, OPK_B)
 *   ad_s = 0x03 ‖ version ‖ Encode(IK_B) ‖ EK ‖ prekeyId
 *   body = AEAD(mk, 0, pad(plaintext), AD ‖ header), AD = sessionAssociatedData(A, B)
 */
export const SCHEME_RATCHET = 0x02;
export const SCHEME_INITIAL = 0x03;

const RATCHET_PREFIX = Uint8Array.of(SCHEME_RATCHET);
const LABEL_SENDER = utf8("parley/x3dh/v1/sender");
const NONCE = XCHACHA20POLY1305_NONCE_BYTES;
const TAG = XCHACHA20POLY1305_TAG_BYTES;
const CERT_BOX = IDENTITY_CERTIFICATE_BYTES + TAG;
const INITIAL_PREFIX = 1 + 32 + PREKEY_ID_BYTES + NONCE + CERT_BOX;
/** The smallest ratchet message: a header and the tag of an empty body (real bodies are padded). */
const RATCHET_MINIMUM = HEADER_BYTES + TAG;

export type SessionError =
  | { readonly code: "malformed" } // too short for its scheme
  | { readonly code: "unsupported-scheme"; readonly scheme: number }
  | { readonly code: "unknown-prekey" } // a first message for a prekey we do not hold: used already, or never ours
  | { readonly code: "bad-identity" } // the initiator's certificate did not open or verify
  | { readonly code: "no-session" } // no session of ours opens the header
  | { readonly code: "bad-padding" }
  | Exclude<RatchetError, { code: "not-this-session" }>;

export type PrekeyPair = { readonly signedPrekey: X25519KeyPair; readonly oneTimePrekey: X25519KeyPair };

export function schemeOf(sealed: Uint8Array): number | undefined {
  return sealed[0];
}

/**
 * Starts a session from a bundle and encrypts its first message. Throws for
 * a bundle whose signed prekey signature does not verify or whose keys are of
 * low order: callers parse invites first, and a parsed invite is checked.
 */
export function sealInitialMessage(args: {
  ours: IdentityKeyPair;
  bundle: PrekeyBundle;
  plaintext: Uint8Array;
  randomBytes: RandomBytes;
}): { readonly state: RatchetState; readonly sealed: Uint8Array } {
  const { ours, bundle, randomBytes } = args;
  if (!checkBundle(bundle)) throw new Error("sealInitialMessage: the bundle's signed prekey does not verify");
  const ephemeralSecret = randomBytes(32) as X25519SecretKey;
  const ephemeral = { secretKey: ephemeralSecret, publicKey: x25519PublicKey(ephemeralSecret) };
  const secrets = x3dhInitiate({ ours, ephemeral, bundle });
  const dh3 = x25519(ephemeral.secretKey, bundle.signedPrekey);
  const dh4 = x25519(ephemeral.secretKey, bundle.oneTimePrekey);
  if (secrets === undefined || dh3 === undefined || dh4 === undefined) {
    throw new Error("sealInitialMessage: a key of the bundle is of low order");
  }
  const senderKey = deriveKeyBlake2b(
    LABEL_SENDER,
    dh3,
    dh4,
    ephemeral.publicKey,
    bundle.signedPrekey,
    bundle.oneTimePrekey,
  );
  const nonce = randomBytes(NONCE) as XChaCha20Poly1305Nonce;
  const certBox = encryptXChaCha20Poly1305(
    senderKey,
    nonce,
    identityCertificate(ours),
    senderAssociatedData(bundle.identity, ephemeral.publicKey, bundle.prekeyId),
  );
  const initial = initInitiator({
    secrets,
    responderRatchetKey: bundle.signedPrekey,
    ad: sessionAssociatedData(publicIdentityOf(ours), bundle.identity),
    randomBytes,
  });
  const prefix = concatBytes(Uint8Array.of(SCHEME_INITIAL), ephemeral.publicKey, bundle.prekeyId, nonce, certBox);
  const encrypted = withPaddedPlaintext(args.plaintext, (padded) =>
    ratchetEncrypt(initial, padded, randomBytes, prefix),
  );
  return { state: encrypted.state, sealed: encrypted.message };
}

/** A bundle is usable when its signed prekey is signed by its identity. */
export function checkBundle(bundle: PrekeyBundle): boolean {
  return (
    bundle.prekeyId.length === PREKEY_ID_BYTES &&
    verifyPrekeySignature(bundle.identity.signingKey, bundle.signedPrekey, bundle.signedPrekeySignature)
  );
}

/** The prekey id a first message names, so the app can find (and afterwards delete) its one-time prekey. */
export function initialPrekeyId(sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length < INITIAL_PREKEY_END || sealed[0] !== SCHEME_INITIAL) return undefined;
  return sealed.slice(1 + 32, INITIAL_PREKEY_END);
}
const INITIAL_PREKEY_END = 1 + 32 + PREKEY_ID_BYTES;

/**
 * Completes X3DH from a first message with the prekeys it names, and decrypts
 * it. The caller must delete the one-time prekey in the same transaction that
 * stores the new session: that is what makes an invite single-use.
 */
export function openInitialMessage(args: {
  ours: IdentityKeyPair;
  sealed: Uint8Array;
  prekeys: PrekeyPair | undefined;
  randomBytes: RandomBytes;
}): Result<
  { readonly state: RatchetState; readonly sender: PublicIdentity; readonly plaintext: Uint8Array },
  SessionError
> {
  const { ours, sealed, prekeys } = args;
  if (sealed[0] !== SCHEME_INITIAL) return err({ code: "unsupported-scheme", scheme: sealed[0] ?? -1 });
  if (sealed.length < INITIAL_PREFIX + RATCHET_MINIMUM) return err({ code: "malformed" });
  if (prekeys === undefined) return err({ code: "unknown-prekey" });
  let offset = 1;
  const take = (n: number): Uint8Array => sealed.subarray(offset, (offset += n));
  const ephemeralKey = take(32) as X25519PublicKey;
  const prekeyId = take(PREKEY_ID_BYTES);
  const nonce = take(NONCE) as XChaCha20Poly1305Nonce;
  const certBox = take(CERT_BOX);
  const message = sealed.subarray(offset);

  const dh3 = x25519(prekeys.signedPrekey.secretKey, ephemeralKey);
  const dh4 = x25519(prekeys.oneTimePrekey.secretKey, ephemeralKey);
  if (dh3 === undefined || dh4 === undefined) return err({ code: "bad-identity" });
  const senderKey = deriveKeyBlake2b(
    LABEL_SENDER,
    dh3,
    dh4,
    ephemeralKey,
    prekeys.signedPrekey.publicKey,
    prekeys.oneTimePrekey.publicKey,
  );
  const ourPublic = publicIdentityOf(ours);
  const certificate = decryptXChaCha20Poly1305(
    senderKey,
    nonce,
    certBox,
    senderAssociatedData(ourPublic, ephemeralKey, prekeyId),
  );
  const sender = certificate === undefined ? undefined : verifyIdentityCertificate(certificate);
  if (sender === undefined) return err({ code: "bad-identity" });
  const secrets = x3dhRespond({
    ours,
    signedPrekey: prekeys.signedPrekey,
    oneTimePrekey: prekeys.oneTimePrekey,
    initiator: sender,
    ephemeralKey,
  });
  if (secrets === undefined) return err({ code: "bad-identity" });
  const state = initResponder({
    secrets,
    ratchetKeyPair: prekeys.signedPrekey,
    ad: sessionAssociatedData(sender, ourPublic),
  });
  const opened = openRatchetMessage(state, message, args.randomBytes);
  if (!opened.ok) return opened;
  return ok({ ...opened.value, sender });
}

export function sealSessionMessage(
  state: RatchetState,
  plaintext: Uint8Array,
  randomBytes: RandomBytes,
): { readonly state: RatchetState; readonly sealed: Uint8Array } {
  const encrypted = withPaddedPlaintext(plaintext, (padded) =>
    ratchetEncrypt(state, padded, randomBytes, RATCHET_PREFIX),
  );
  return { state: encrypted.state, sealed: encrypted.message };
}

/**
 * Opens a scheme-2 message with whichever session's header keys open it. The
 * caller passes its sessions most recently used first, since that is where a
 * message most likely belongs, and stores the returned state under `key`.
 */
export function openSessionMessage<K>(args: {
  sealed: Uint8Array;
  sessions: Iterable<{ readonly key: K; readonly state: RatchetState }>;
  randomBytes: RandomBytes;
}): Result<{ readonly key: K; readonly state: RatchetState; readonly plaintext: Uint8Array }, SessionError> {
  const { sealed } = args;
  if (sealed[0] !== SCHEME_RATCHET) return err({ code: "unsupported-scheme", scheme: sealed[0] ?? -1 });
  if (sealed.length < 1 + RATCHET_MINIMUM) return err({ code: "malformed" });
  const message = sealed.subarray(1);
  for (const { key, state } of args.sessions) {
    const opened = openRatchetMessage(state, message, args.randomBytes);
    if (opened.ok) return ok({ key, ...opened.value });
    if (opened.error.code !== "no-session") return opened;
  }
  return err({ code: "no-session" });
}

/** Whether a scheme-2 message comes from a session that was ended (its contact removed). */
export function isFromEndedSessions(sealed: Uint8Array, ended: Iterable<EndedSession>): boolean {
  if (sealed[0] !== SCHEME_RATCHET) return false;
  const message = sealed.subarray(1);
  for (const session of ended) if (isFromEndedSession(session, message)) return true;
  return false;
}

function openRatchetMessage(
  state: RatchetState,
  message: Uint8Array,
  randomBytes: RandomBytes,
): Result<{ readonly state: RatchetState; readonly plaintext: Uint8Array }, SessionError> {
  const decrypted = ratchetDecrypt(state, message, randomBytes);
  if (!decrypted.ok) {
    return decrypted.error.code === "not-this-session" ? err({ code: "no-session" }) : err(decrypted.error);
  }
  const plaintext = unpadPlaintext(decrypted.value.plaintext);
  if (plaintext === undefined) return err({ code: "bad-padding" });
  return ok({ state: decrypted.value.state, plaintext });
}

function senderAssociatedData(responder: PublicIdentity, ephemeralKey: Uint8Array, prekeyId: Uint8Array): Uint8Array {
  return concatBytes(
    Uint8Array.of(SCHEME_INITIAL, PROTOCOL_VERSION),
    encodeIdentity(responder),
    ephemeralKey,
    prekeyId,
  );
}

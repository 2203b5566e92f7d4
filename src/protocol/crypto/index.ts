/** The crypto contract: the only folder that touches libsodium. */
export { loadCrypto } from "./sodium";
export { transcriptDigest } from "./digest";
export { systemRandomBytes } from "./random";
export * from "./types";
export {
  addressOf,
  encodeIdentity,
  generateIdentity,
  identityCertificate,
  identityFromBytes,
  publicIdentityFromBytes,
  publicIdentityOf,
  samePublicIdentity,
  signEd25519,
  signingKeyOfAddress,
  verifyEd25519,
  verifyIdentityCertificate,
} from "./identity";
export {
  concatBytes,
  decryptXChaCha20Poly1305,
  encryptXChaCha20Poly1305,
  equalBytes,
  x25519,
  x25519PublicKey,
} from "./primitives";
export { isEndedSession, isRatchetState } from "./ratchet-stored";
export { PADDING_MIN_BYTES, paddedLength, padPlaintext, unpadPlaintext } from "./padding";
export {
  canSend,
  endSession,
  type EndedSession,
  HEADER_BYTES,
  MAX_RETIRED_HEADER_KEYS,
  MAX_SKIP_PER_CHAIN,
  MAX_SKIPPED_KEYS,
  type RatchetError,
  type RatchetState,
  type SkippedKey,
} from "./ratchet";
export {
  PREKEY_ID_BYTES,
  sessionAssociatedData,
  signPrekey,
  verifyPrekeySignature,
  type PrekeyBundle,
  type X25519KeyPair,
} from "./x3dh";
export {
  checkBundle,
  initialPrekeyId,
  isFromEndedSessions,
  openInitialMessage,
  openSessionMessage,
  schemeOf,
  SCHEME_INITIAL,
  SCHEME_RATCHET,
  sealInitialMessage,
  sealSessionMessage,
  type PrekeyPair,
  type SessionError,
} from "./session";
export {
  formatSafetyNumber,
  safetyNumber,
  safetyNumberFromQrText,
  sameSafetyNumber,
  type SafetyNumber,
} from "./safety-number";

/** The crypto contract: the only folder that touches libsodium. */
export { loadCrypto } from "./sodium";
export { systemRandomBytes } from "./random";
export * from "./types";
export {
  addressOf,
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
export { concatBytes, decryptXChaCha20Poly1305, encryptXChaCha20Poly1305, x25519, x25519PublicKey } from "./primitives";
export { openMessage, sealMessage, SEALED_OVERHEAD, SCHEME_STATIC_V1, type Opened } from "./seal";

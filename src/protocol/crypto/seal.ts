import { PADDING_BLOCK_BYTES } from "../limits";
import { err, ok, type Result } from "../result";
import { utf8 } from "../encoding";
import { PROTOCOL_VERSION } from "../version";
import { IDENTITY_CERTIFICATE_BYTES, identityCertificate, verifyIdentityCertificate } from "./identity";
import {
  concatBytes,
  decryptXChaCha20Poly1305,
  deriveKeyBlake2b,
  encryptXChaCha20Poly1305,
  x25519,
} from "./primitives";
import { lib } from "./sodium";
import {
  XCHACHA20POLY1305_NONCE_BYTES,
  XCHACHA20POLY1305_TAG_BYTES,
  type CryptoError,
  type IdentityKeyPair,
  type PublicIdentity,
  type RandomBytes,
  type X25519PublicKey,
  type X25519SecretKey,
  type XChaCha20Poly1305Nonce,
} from "./types";

/**
 * Message encryption, scheme 1 (static keys; the forward-secret ratchet will
 * be scheme 2). Sealed sender: only the recipient learns who sent a message.
 *
 *   0x01 | e.pub(32) | n1(24) | AEAD(k1, n1, cert(S)) | n2(24) | AEAD(k2, n2, pad(plaintext))
 *   k1 = BLAKE2b("es", DH(e, R), e.pub, R.pub)
 *   k2 = BLAKE2b("ss", DH(e, R), DH(S, R), e.pub, S.pub, R.pub)
 *
 * `e` is fresh per message, so the sender's identity is hidden from the relay,
 * and only the holder of S's static key can produce a payload that opens under
 * k2: the recipient knows who wrote it. Associated data binds the scheme,
 * protocol version and both identities' signing keys. Nonces are random even
 * though every key is single-use, as defence in depth.
 */
export const SCHEME_STATIC_V1 = 0x01;

const LABEL_ES = utf8("parley/seal/v1/es");
const LABEL_SS = utf8("parley/seal/v1/ss");
const NONCE = XCHACHA20POLY1305_NONCE_BYTES;
const TAG = XCHACHA20POLY1305_TAG_BYTES;
const CERT_BOX = IDENTITY_CERTIFICATE_BYTES + TAG;
const HEADER = 1 + 32 + NONCE + CERT_BOX + NONCE;
export const SEALED_OVERHEAD = HEADER + TAG;

export type Opened = { readonly sender: PublicIdentity; readonly plaintext: Uint8Array };

export function sealMessage(args: {
  sender: IdentityKeyPair;
  recipient: PublicIdentity;
  plaintext: Uint8Array;
  randomBytes: RandomBytes;
}): Uint8Array {
  const { sender, recipient, randomBytes } = args;
  const ephemeralSecret = randomBytes(32) as X25519SecretKey;
  const sodium = lib();
  const ephemeralPublic = sodium.crypto_scalarmult_base(ephemeralSecret) as X25519PublicKey;
  const es = x25519(ephemeralSecret, recipient.agreementKey);
  const ss = x25519(sender.agreement.secretKey, recipient.agreementKey);
  if (es === undefined || ss === undefined) throw new Error("sealMessage: recipient agreement key is of low order");

  const k1 = deriveKeyBlake2b(LABEL_ES, es, ephemeralPublic, recipient.agreementKey);
  const k2 = deriveKeyBlake2b(LABEL_SS, es, ss, ephemeralPublic, sender.agreement.publicKey, recipient.agreementKey);
  const n1 = randomBytes(NONCE) as XChaCha20Poly1305Nonce;
  const n2 = randomBytes(NONCE) as XChaCha20Poly1305Nonce;
  const certBox = encryptXChaCha20Poly1305(
    k1,
    n1,
    identityCertificate(sender),
    certAssociatedData(recipient, ephemeralPublic),
  );
  const body = encryptXChaCha20Poly1305(
    k2,
    n2,
    sodium.pad(args.plaintext, PADDING_BLOCK_BYTES),
    bodyAssociatedData(sender.signing.publicKey, recipient.signingKey, ephemeralPublic),
  );
  sodium.memzero(ephemeralSecret);
  sodium.memzero(ss);
  sodium.memzero(es);
  return concatBytes(Uint8Array.of(SCHEME_STATIC_V1), ephemeralPublic, n1, certBox, n2, body);
}

export function openMessage(args: { recipient: IdentityKeyPair; sealed: Uint8Array }): Result<Opened, CryptoError> {
  const { recipient, sealed } = args;
  if (sealed.length < SEALED_OVERHEAD) return err({ code: "malformed" });
  if (sealed[0] !== SCHEME_STATIC_V1) return err({ code: "unsupported-scheme", scheme: sealed[0]! });

  let offset = 1;
  const take = (n: number): Uint8Array => sealed.subarray(offset, (offset += n));
  const ephemeralPublic = take(32) as X25519PublicKey;
  const n1 = take(NONCE) as XChaCha20Poly1305Nonce;
  const certBox = take(CERT_BOX);
  const n2 = take(NONCE) as XChaCha20Poly1305Nonce;
  const body = sealed.subarray(offset);

  const es = x25519(recipient.agreement.secretKey, ephemeralPublic);
  if (es === undefined) return err({ code: "decrypt-failed" });
  const recipientPublic: PublicIdentity = {
    signingKey: recipient.signing.publicKey,
    agreementKey: recipient.agreement.publicKey,
  };
  const k1 = deriveKeyBlake2b(LABEL_ES, es, ephemeralPublic, recipient.agreement.publicKey);
  const certificate = decryptXChaCha20Poly1305(k1, n1, certBox, certAssociatedData(recipientPublic, ephemeralPublic));
  if (certificate === undefined) return err({ code: "decrypt-failed" });
  const sender = verifyIdentityCertificate(certificate);
  if (sender === undefined) return err({ code: "bad-identity" });

  const ss = x25519(recipient.agreement.secretKey, sender.agreementKey);
  if (ss === undefined) return err({ code: "bad-identity" });
  const k2 = deriveKeyBlake2b(LABEL_SS, es, ss, ephemeralPublic, sender.agreementKey, recipient.agreement.publicKey);
  const padded = decryptXChaCha20Poly1305(
    k2,
    n2,
    body,
    bodyAssociatedData(sender.signingKey, recipient.signing.publicKey, ephemeralPublic),
  );
  if (padded === undefined) return err({ code: "decrypt-failed" });
  try {
    return ok({ sender, plaintext: lib().unpad(padded, PADDING_BLOCK_BYTES) });
  } catch {
    return err({ code: "bad-padding" });
  }
}

function certAssociatedData(recipient: PublicIdentity, ephemeralPublic: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(SCHEME_STATIC_V1, PROTOCOL_VERSION), recipient.signingKey, ephemeralPublic);
}

function bodyAssociatedData(
  senderSigning: Uint8Array,
  recipientSigning: Uint8Array,
  ephemeralPublic: Uint8Array,
): Uint8Array {
  return concatBytes(
    Uint8Array.of(SCHEME_STATIC_V1, PROTOCOL_VERSION),
    senderSigning,
    recipientSigning,
    ephemeralPublic,
  );
}

import { z } from "zod";
import type { Address } from "../address";
import { decodeBase64Url, decodeUtf8, encodeBase64Url, utf8 } from "../encoding";
import { err, ok, type Result } from "../result";
import {
  addressOf,
  checkBundle,
  concatBytes,
  PREKEY_ID_BYTES,
  publicIdentityFromBytes,
  signEd25519,
  verifyEd25519,
  type Ed25519Signature,
  type IdentityKeyPair,
  type PrekeyBundle,
  type X25519PublicKey,
} from "../crypto";

import { displayNameSchema, instantSchema, messageIdSchema } from "./schema";
import type { MessageId } from "../envelope";

/**
 * An invite replaces a directory: the inviter's prekey bundle (public
 * identity, a signed prekey and a one-time prekey), relay and display name,
 * signed by the inviter. It travels in a URL fragment, which browsers never
 * send to a server, as `<payload>.<signature>` in base64url. The one-time
 * prekey makes it single-use: the inviter deletes its secret when the first
 * contact request answering it arrives.
 */
export const INVITE_VERSION = 2;
const INVITE_DOMAIN = utf8("parley/invite/v2");
const MAX_INVITE_CHARS = 2_048;

const keySchema = z.string().length(43);
const invitePayloadSchema = z.strictObject({
  v: z.literal(INVITE_VERSION),
  name: displayNameSchema,
  signingKey: keySchema,
  agreementKey: keySchema,
  signedPrekey: keySchema,
  signedPrekeySignature: z.string().length(86),
  oneTimePrekey: keySchema,
  prekeyId: z.string().length(22),
  relay: z.url({ protocol: /^(https?|wss?)$/ }).max(500),
  inviteId: messageIdSchema,
  expiresAt: instantSchema,
});

export type Invite = {
  readonly name: string;
  readonly bundle: PrekeyBundle;
  readonly address: Address;
  readonly relay: string;
  readonly inviteId: MessageId;
  readonly expiresAt: number;
};

export type InviteError =
  | { readonly code: "malformed" }
  /** Made by another version of Parley (version 1 links carried no prekeys). */
  | { readonly code: "unsupported-version"; readonly version: number }
  | { readonly code: "bad-signature" }
  | { readonly code: "expired"; readonly expiresAt: number };

export function createInvite(args: {
  identity: IdentityKeyPair;
  name: string;
  /** The bundle's prekeys; its identity is `identity`'s. */
  prekeys: {
    signedPrekey: X25519PublicKey;
    signedPrekeySignature: Ed25519Signature;
    oneTimePrekey: X25519PublicKey;
    prekeyId: Uint8Array;
  };
  relay: string;
  inviteId: MessageId;
  expiresAt: number;
}): string {
  const fields = {
    v: INVITE_VERSION,
    name: args.name,
    signingKey: encodeBase64Url(args.identity.signing.publicKey),
    agreementKey: encodeBase64Url(args.identity.agreement.publicKey),
    signedPrekey: encodeBase64Url(args.prekeys.signedPrekey),
    signedPrekeySignature: encodeBase64Url(args.prekeys.signedPrekeySignature),
    oneTimePrekey: encodeBase64Url(args.prekeys.oneTimePrekey),
    prekeyId: encodeBase64Url(args.prekeys.prekeyId),
    relay: args.relay,
    inviteId: args.inviteId,
    expiresAt: args.expiresAt,
  };
  // Never hand out a link the other side would refuse: check it as parseInvite will.
  const checked = invitePayloadSchema.safeParse(fields);
  if (!checked.success)
    throw new Error(`createInvite: ${checked.error.issues[0]?.path.join(".") ?? "payload"} is invalid`);
  const payload = utf8(JSON.stringify(fields));
  const signature = signEd25519(args.identity.signing.secretKey, concatBytes(INVITE_DOMAIN, payload));
  const token = `${encodeBase64Url(payload)}.${encodeBase64Url(signature)}`;
  if (token.length > MAX_INVITE_CHARS)
    throw new Error(`createInvite: the invite is over ${MAX_INVITE_CHARS} characters`);
  return token;
}

export function parseInvite(token: string, now: number): Result<Invite, InviteError> {
  if (token.length > MAX_INVITE_CHARS) return err({ code: "malformed" });
  const [payloadText, signatureText, extra] = token.split(".");
  if (payloadText === undefined || signatureText === undefined || extra !== undefined)
    return err({ code: "malformed" });
  const payload = decodeBase64Url(payloadText);
  const signature = decodeBase64Url(signatureText);
  if (payload === undefined || signature === undefined) return err({ code: "malformed" });
  const json = decodeUtf8(payload);
  if (json === undefined) return err({ code: "malformed" });
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return err({ code: "malformed" });
  }
  if (typeof value === "object" && value !== null && "v" in value && typeof value.v === "number") {
    if (value.v !== INVITE_VERSION && Number.isSafeInteger(value.v))
      return err({ code: "unsupported-version", version: value.v });
  }
  const parsed = invitePayloadSchema.safeParse(value);
  if (!parsed.success) return err({ code: "malformed" });
  const fields = parsed.data;
  const signingKey = decodeBase64Url(fields.signingKey);
  const agreementKey = decodeBase64Url(fields.agreementKey);
  const identity = signingKey && agreementKey ? publicIdentityFromBytes(signingKey, agreementKey) : undefined;
  const signedPrekey = decodeBase64Url(fields.signedPrekey);
  const signedPrekeySignature = decodeBase64Url(fields.signedPrekeySignature);
  const oneTimePrekey = decodeBase64Url(fields.oneTimePrekey);
  const prekeyId = decodeBase64Url(fields.prekeyId);
  if (
    identity === undefined ||
    signedPrekey?.length !== 32 ||
    signedPrekeySignature?.length !== 64 ||
    oneTimePrekey?.length !== 32 ||
    prekeyId?.length !== PREKEY_ID_BYTES
  ) {
    return err({ code: "malformed" });
  }
  if (!verifyEd25519(identity.signingKey, concatBytes(INVITE_DOMAIN, payload), signature)) {
    return err({ code: "bad-signature" });
  }
  const bundle: PrekeyBundle = {
    identity,
    signedPrekey: signedPrekey as X25519PublicKey,
    signedPrekeySignature: signedPrekeySignature as Ed25519Signature,
    oneTimePrekey: oneTimePrekey as X25519PublicKey,
    prekeyId,
  };
  // Signed as part of the whole invite too, but X3DH wants the signed prekey signed on its own.
  if (!checkBundle(bundle)) return err({ code: "bad-signature" });
  if (fields.expiresAt <= now) return err({ code: "expired", expiresAt: fields.expiresAt });
  return ok({
    name: fields.name,
    bundle,
    address: addressOf(identity.signingKey),
    relay: fields.relay,
    inviteId: fields.inviteId,
    expiresAt: fields.expiresAt,
  });
}

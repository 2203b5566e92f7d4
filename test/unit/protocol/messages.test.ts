import { beforeAll, describe, expect, it } from "vitest";
import {
  addressOf,
  concatBytes,
  generateIdentity,
  loadCrypto,
  samePublicIdentity,
  signEd25519,
  signPrekey,
  x25519PublicKey,
  type IdentityKeyPair,
  type X25519SecretKey,
} from "../../../src/protocol/crypto";
import { decodeBase64Url, encodeBase64Url, utf8 } from "../../../src/protocol/encoding";
import type { MessageId } from "../../../src/protocol/envelope";
import {
  createInvite,
  decodePeerMessage,
  encodePeerMessage,
  parseInvite,
  type InviteError,
  type PeerMessageError,
} from "../../../src/protocol/messages";
import type { Result } from "../../../src/protocol/result";
import { createPrng } from "./support";

const prng = createPrng(6);
const newId = (): MessageId => encodeBase64Url(prng.bytes(16)) as MessageId;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const HOUR = 60 * 60 * 1000;

let inviter: IdentityKeyPair;
let stranger: IdentityKeyPair;

/** A prekey bundle's prekeys for `identity`, as an inviter's app makes them. */
function prekeysOf(identity: IdentityKeyPair) {
  const signedPrekey = x25519PublicKey(prng.bytes(32) as X25519SecretKey);
  return {
    signedPrekey,
    signedPrekeySignature: signPrekey(identity, signedPrekey),
    oneTimePrekey: x25519PublicKey(prng.bytes(32) as X25519SecretKey),
    prekeyId: prng.bytes(16),
  };
}

let prekeys: ReturnType<typeof prekeysOf>;

beforeAll(async () => {
  await loadCrypto();
  inviter = generateIdentity();
  stranger = generateIdentity();
  prekeys = prekeysOf(inviter);
});

describe("invites", () => {
  const INVITE_ID = newId();
  const baseArgs = () => ({
    identity: inviter,
    name: "Alice",
    prekeys,
    relay: "https://relay.example",
    inviteId: INVITE_ID,
    expiresAt: NOW + HOUR,
  });

  /** The fields createInvite writes, as plain JSON, for tests that build payloads by hand. */
  const payloadFields = (): Record<string, unknown> => ({
    v: 2,
    name: "Alice",
    signingKey: encodeBase64Url(inviter.signing.publicKey),
    agreementKey: encodeBase64Url(inviter.agreement.publicKey),
    signedPrekey: encodeBase64Url(prekeys.signedPrekey),
    signedPrekeySignature: encodeBase64Url(prekeys.signedPrekeySignature),
    oneTimePrekey: encodeBase64Url(prekeys.oneTimePrekey),
    prekeyId: encodeBase64Url(prekeys.prekeyId),
    relay: "https://relay.example",
    inviteId: INVITE_ID,
    expiresAt: NOW + HOUR,
  });

  /** A token over arbitrary payload bytes, correctly signed, so only the payload check can refuse it. */
  const signedToken = (payload: Uint8Array, signer: IdentityKeyPair = inviter): string =>
    `${encodeBase64Url(payload)}.${encodeBase64Url(
      signEd25519(signer.signing.secretKey, concatBytes(utf8("parley/invite/v2"), payload)),
    )}`;
  const signedJson = (value: unknown): string => signedToken(utf8(JSON.stringify(value)));

  const expectInviteError = (result: Result<unknown, InviteError>, error: InviteError, context = ""): void => {
    expect(result, context).toEqual({ ok: false, error });
  };

  it("[IN1] round-trips: parseInvite returns exactly what createInvite was given", () => {
    const token = createInvite(baseArgs());
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    const result = parseInvite(token, NOW);
    if (!result.ok) throw new Error(`expected ok, got ${result.error.code}`);
    const invite = result.value;
    expect(invite.name).toBe("Alice");
    expect(invite.relay).toBe("https://relay.example");
    expect(invite.inviteId).toBe(INVITE_ID);
    expect(invite.expiresAt).toBe(NOW + HOUR);
    expect(invite.address).toBe(addressOf(inviter.signing.publicKey));
    expect(
      samePublicIdentity(invite.bundle.identity, {
        signingKey: inviter.signing.publicKey,
        agreementKey: inviter.agreement.publicKey,
      }),
    ).toBe(true);
    expect(invite.bundle.signedPrekey).toEqual(prekeys.signedPrekey);
    expect(invite.bundle.signedPrekeySignature).toEqual(prekeys.signedPrekeySignature);
    expect(invite.bundle.oneTimePrekey).toEqual(prekeys.oneTimePrekey);
    expect(invite.bundle.prekeyId).toEqual(prekeys.prekeyId);
    // The token carries exactly the documented payload.
    const payload = decodeBase64Url(token.split(".")[0]!)!;
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(payloadFields());
  });

  it("[IN1] round-trips names with astral characters and trims surrounding whitespace", () => {
    const result = parseInvite(createInvite({ ...baseArgs(), name: "  Zoë 😀 𝄞  " }), NOW);
    expect(result.ok && result.value.name).toBe("Zoë 😀 𝄞");
  });

  it("[IN6] fits the 2,048-character limit at the field limits (80-character name, 500-character relay URL)", () => {
    const relay = `https://relay.example/${"p".repeat(500 - 22)}`;
    expect(relay.length).toBe(500);
    const token = createInvite({ ...baseArgs(), name: "é".repeat(80), relay });
    expect(token.length).toBeLessThanOrEqual(2_048);
    expect(parseInvite(token, NOW).ok).toBe(true);
  });

  it("[IN2] refuses a tampered payload, a flipped signature or a signature by another key with bad-signature", () => {
    const token = createInvite(baseArgs());
    const [payloadText, signatureText] = token.split(".") as [string, string];
    // Another relay under the inviter's name, with the original signature.
    const hijacked = utf8(JSON.stringify({ ...payloadFields(), relay: "https://evil.example" }));
    expectInviteError(parseInvite(`${encodeBase64Url(hijacked)}.${signatureText}`, NOW), { code: "bad-signature" });
    // One flipped bit anywhere in the signature.
    const signature = decodeBase64Url(signatureText)!;
    for (const offset of [0, 31, 32, 63]) {
      const flipped = signature.slice();
      flipped[offset] = flipped[offset]! ^ 0x01;
      expectInviteError(parseInvite(`${payloadText}.${encodeBase64Url(flipped)}`, NOW), { code: "bad-signature" });
    }
    // A stranger signs a payload naming the inviter's keys.
    expectInviteError(parseInvite(signedToken(utf8(JSON.stringify(payloadFields())), stranger), NOW), {
      code: "bad-signature",
    });
    // A signature of the wrong length, or none.
    expectInviteError(parseInvite(`${payloadText}.${encodeBase64Url(signature.subarray(0, 63))}`, NOW), {
      code: "bad-signature",
    });
    expectInviteError(parseInvite(`${payloadText}.`, NOW), { code: "bad-signature" });
    // The signature covers the domain label: a bare Ed25519 signature of the payload is not an invite signature.
    const bare = signEd25519(inviter.signing.secretKey, decodeBase64Url(payloadText)!);
    expectInviteError(parseInvite(`${payloadText}.${encodeBase64Url(bare)}`, NOW), { code: "bad-signature" });
  });

  it("[IN3] refuses an expired invite with its expiry, and only after the signature checks out", () => {
    const token = createInvite(baseArgs());
    expect(parseInvite(token, NOW + HOUR - 1).ok).toBe(true);
    expectInviteError(parseInvite(token, NOW + HOUR), { code: "expired", expiresAt: NOW + HOUR });
    expectInviteError(parseInvite(token, NOW + 100 * HOUR), { code: "expired", expiresAt: NOW + HOUR });
    const forged = signedToken(utf8(JSON.stringify({ ...payloadFields(), expiresAt: NOW - 1 })), stranger);
    expectInviteError(parseInvite(forged, NOW), { code: "bad-signature" });
  });

  it("[IN4] refuses malformed tokens of many shapes with malformed, never throwing", () => {
    const token = createInvite(baseArgs());
    const [payloadText, signatureText] = token.split(".") as [string, string];
    const shapes = [
      "",
      ".",
      "..",
      "abc",
      payloadText,
      `${token}.`,
      `${token}.${signatureText}`,
      `.${signatureText}.`,
      `${payloadText}=.${signatureText}`,
      `${payloadText}.${signatureText}=`,
      `${payloadText.replace(/^./, "+")}.${signatureText}`,
      `${payloadText} .${signatureText}`,
      `A.${signatureText}`,
      "A".repeat(2_049),
      `${"A".repeat(2_000)}.${signatureText}`,
      "\u0000.\u0000",
      "😀.😀",
    ];
    for (const shape of shapes) expectInviteError(parseInvite(shape, NOW), { code: "malformed" }, shape.slice(0, 60));
  });

  it("[IN5] refuses signed payloads that are not UTF-8, not JSON, or not exactly the invite schema", () => {
    const fields = payloadFields();
    const payloads: [string, Uint8Array][] = [
      ["not utf-8", Uint8Array.of(0x7b, 0xff, 0x7d)],
      ["byte-order mark", concatBytes(Uint8Array.of(0xef, 0xbb, 0xbf), utf8(JSON.stringify(fields)))],
      ["empty", new Uint8Array()],
      ["not json", utf8("{v:1}")],
      ["array", utf8(JSON.stringify([fields]))],
      ["null", utf8("null")],
      ["string", utf8(JSON.stringify("invite"))],
      ["__proto__ key", utf8(JSON.stringify(fields).replace(/^\{/, '{"__proto__":{"x":1},'))],
    ];
    const variants: [string, Record<string, unknown>][] = [
      ["version as string", { ...fields, v: "2" }],
      ["short one-time prekey", { ...fields, oneTimePrekey: encodeBase64Url(new Uint8Array(31)) }],
      ["short prekey id", { ...fields, prekeyId: encodeBase64Url(new Uint8Array(15)) }],
      ["long prekey signature", { ...fields, signedPrekeySignature: encodeBase64Url(new Uint8Array(65)) }],
      ["extra field", { ...fields, prekey: "x" }],
      ["empty name", { ...fields, name: "   " }],
      ["long name", { ...fields, name: "n".repeat(81) }],
      ["name not a string", { ...fields, name: 7 }],
      ["short signing key", { ...fields, signingKey: encodeBase64Url(new Uint8Array(31)) }],
      ["non-canonical agreement key", { ...fields, agreementKey: `${"A".repeat(42)}B` }],
      ["agreement key with bad alphabet", { ...fields, agreementKey: `${"A".repeat(42)}+` }],
      ["javascript: relay", { ...fields, relay: "javascript:alert(1)" }],
      ["ftp relay", { ...fields, relay: "ftp://relay.example" }],
      ["relay not a URL", { ...fields, relay: "relay.example" }],
      ["long relay", { ...fields, relay: `https://relay.example/${"p".repeat(479)}` }],
      ["bad invite id", { ...fields, inviteId: "not-an-id" }],
      ["fractional expiry", { ...fields, expiresAt: NOW + 0.5 }],
      ["negative expiry", { ...fields, expiresAt: -1 }],
      ["expiry as string", { ...fields, expiresAt: String(NOW + HOUR) }],
    ];
    for (const [name, value] of variants) payloads.push([name, utf8(JSON.stringify(value))]);
    let missing = 0;
    for (const key of Object.keys(fields)) {
      const { [key]: _removed, ...without } = fields;
      payloads.push([`missing ${key}`, utf8(JSON.stringify(without))]);
      missing++;
    }
    expect(missing).toBe(11);
    // The unmodified payload, signed the same way, is accepted: the cases above fail on their change alone.
    expect(parseInvite(signedJson(fields), NOW).ok).toBe(true);
    for (const [name, payload] of payloads) {
      expectInviteError(parseInvite(signedToken(payload), NOW), { code: "malformed" }, name);
    }
  });

  it("[IN9] names another version: a version 1 link (no prekeys) or a later one is unsupported-version, after no other check", () => {
    for (const v of [1, 3]) {
      expectInviteError(parseInvite(signedJson({ ...payloadFields(), v }), NOW), {
        code: "unsupported-version",
        version: v,
      });
      // The signature does not matter: an old link cannot be used whoever made it.
      expectInviteError(parseInvite(signedToken(utf8(JSON.stringify({ v })), stranger), NOW), {
        code: "unsupported-version",
        version: v,
      });
    }
  });

  it("[IN8] refuses a bundle whose signed prekey is not signed by the inviter's identity, even in a signed invite", () => {
    const byStranger = { ...prekeysOf(stranger), signedPrekey: prekeys.signedPrekey };
    byStranger.signedPrekeySignature = signPrekey(stranger, prekeys.signedPrekey);
    expectInviteError(parseInvite(createInvite({ ...baseArgs(), prekeys: byStranger }), NOW), {
      code: "bad-signature",
    });
    const swapped = { ...prekeys, signedPrekey: prekeys.oneTimePrekey };
    expectInviteError(parseInvite(createInvite({ ...baseArgs(), prekeys: swapped }), NOW), { code: "bad-signature" });
  });
});

describe("peer messages", () => {
  const TASK = newId();
  const contactRequest = (): Record<string, unknown> => ({
    v: 2,
    t: "contact-request",
    inviteId: newId(),
    name: "Bob",
  });
  const slot = { start: NOW, end: NOW + HOUR };
  /** An agent message carrying `data`; `fields` replace message fields (undefined removes one). */
  const agent = (data: Record<string, unknown>, fields: Record<string, unknown> = {}): Record<string, unknown> => ({
    v: 2,
    t: "agent",
    message: {
      taskId: TASK,
      messageId: newId(),
      sentAt: NOW,
      prev: HASH,
      text: "Would Tuesday work?",
      data,
      ...fields,
    },
  });
  /** A well-formed transcript hash: 32 bytes in base64url. */
  const HASH = "A".repeat(42) + "Q";
  const propose = () => ({
    type: "propose",
    round: 1,
    others: ["Carol"],
    title: "Coffee",
    durationMinutes: 30,
    slots: [slot, { start: NOW + 2 * HOUR, end: NOW + 3 * HOUR }],
    expiresAt: NOW + 24 * HOUR,
  });
  const json = (value: unknown): Uint8Array => utf8(JSON.stringify(value));

  const expectPeerError = (bytes: Uint8Array, code: PeerMessageError["code"], context = ""): void => {
    const result = decodePeerMessage(bytes);
    expect(result.ok, context).toBe(false);
    if (!result.ok) {
      expect(result.error.code, context).toBe(code);
      if (result.error.code === "invalid") {
        expect(result.error.issues.length).toBeGreaterThan(0);
        expect(result.error.issues.length).toBeLessThanOrEqual(5);
        for (const issue of result.error.issues) expect(issue.length).toBeLessThanOrEqual(200);
      }
    }
  };

  it("[PM7] accepts a contact request and agent messages of every kind, and round-trips them", () => {
    const messages: Record<string, unknown>[] = [
      contactRequest(),
      agent(propose(), { prev: null }),
      agent({ type: "counter", round: 2, slots: [slot], expiresAt: NOW + HOUR }),
      agent({ type: "counter", round: 1, slots: [], expiresAt: NOW + HOUR }),
      agent({ type: "hold", round: 1, slots: [slot], until: NOW + HOUR }),
      agent({ type: "accept", round: 1, slot }),
      agent({ type: "decline", round: 1, reason: "not-available" }),
      agent({ type: "confirm", round: 1, slot, title: "Coffee", ical: "BEGIN:VCALENDAR\r\n" }),
      agent({ type: "cancel" }),
      agent({ type: "reschedule", round: 3, slots: [], expiresAt: NOW + HOUR }),
    ];
    for (const message of messages) {
      const result = decodePeerMessage(json(message));
      expect(result, JSON.stringify(message)).toEqual({ ok: true, value: message });
      if (result.ok) expect(decodePeerMessage(encodePeerMessage(result.value))).toEqual(result);
    }
  });

  it("[PM7] trims display names and titles", () => {
    const result = decodePeerMessage(json({ ...contactRequest(), name: "  Bob  " }));
    expect(result.ok && result.value.t === "contact-request" && result.value.name).toBe("Bob");
  });

  it("[PM1] refuses bytes that are not strict UTF-8 with not-utf8", () => {
    const valid = json(contactRequest());
    for (const bytes of [
      Uint8Array.of(0xff),
      concatBytes(valid.subarray(0, 10), Uint8Array.of(0xc0, 0x80), valid.subarray(10)),
      concatBytes(valid, Uint8Array.of(0xed, 0xa0, 0x80)),
      concatBytes(valid, Uint8Array.of(0xe2)),
    ]) {
      expectPeerError(bytes, "not-utf8");
    }
  });

  it("[PM2] refuses text that is not JSON with not-json", () => {
    for (const text of ["", " ", "{", "{v:1}", "{'v':1}", "undefined", "NaN", "[1,]", '{"v":1}x']) {
      expectPeerError(utf8(text), "not-json", JSON.stringify(text));
    }
    // A leading byte-order mark is kept by the decoder, and JSON does not allow it.
    expectPeerError(concatBytes(Uint8Array.of(0xef, 0xbb, 0xbf), json(contactRequest())), "not-json");
  });

  it("[PM3] refuses JSON that is not a known message (non-objects, unknown `t`, other versions) with invalid", () => {
    const cases: unknown[] = [
      null,
      [],
      [contactRequest()],
      1,
      "contact-request",
      true,
      {},
      { ...contactRequest(), t: "hello" },
      { ...contactRequest(), t: undefined },
      { ...contactRequest(), v: 1 },
      { ...contactRequest(), v: "2" },
      agent({ type: "counter", slot }),
      agent({ type: "reschedule" }),
      agent({ type: "accept", slot }),
    ];
    for (const value of cases) expectPeerError(json(value), "invalid", JSON.stringify(value));
  });

  it("[PM4] refuses unknown keys at any depth, __proto__ included, with invalid", () => {
    const junk = { nested: ["junk", { deeper: 1 }] };
    const cases: [string, unknown][] = [
      ["top level", { ...agent({ type: "accept", round: 1, slot }), junk }],
      ["message", agent({ type: "accept", round: 1, slot }, { junk })],
      ["data", agent({ type: "accept", round: 1, slot, junk })],
      ["slot", agent({ type: "accept", round: 1, slot: { ...slot, junk } })],
      ["proposed slot", agent({ ...propose(), slots: [slot, { ...slot, junk }] })],
      ["contact request", { ...contactRequest(), junk }],
    ];
    for (const [name, value] of cases) {
      expectPeerError(json(value), "invalid", name);
      // The same key spelled __proto__: JSON.parse makes it an own key, which must be refused, not merged.
      const polluted = JSON.stringify(value).replace('"junk":', '"__proto__":');
      expect(polluted).toContain('"__proto__":');
      expectPeerError(utf8(polluted), "invalid", `${name} (__proto__)`);
    }
    expectPeerError(json({ ...contactRequest(), junk: "x".repeat(40_000) }), "invalid");
    // An unknown key is quoted in the issue, so a huge one is cut (expectPeerError checks ≤ 200 characters).
    expectPeerError(json({ ...contactRequest(), ["k".repeat(40_000)]: 1 }), "invalid");
  });

  it("[PM5] refuses wrong types and out-of-range values with invalid", () => {
    const cases: [string, unknown][] = [
      ["inviteId as number", { ...contactRequest(), inviteId: 1 }],
      ["inviteId too long", { ...contactRequest(), inviteId: `${newId()}AA` }],
      ["name too long", { ...contactRequest(), name: "b".repeat(81) }],
      ["name empty", { ...contactRequest(), name: " " }],
      ["name as array", { ...contactRequest(), name: ["Bob"] }],
      ["text too long", agent({ type: "cancel" }, { text: "t".repeat(2_001) })],
      ["text as object", agent({ type: "cancel" }, { text: { html: "<b>hi</b>" } })],
      ["sentAt negative", agent({ type: "cancel" }, { sentAt: -1 })],
      ["sentAt beyond 2200", agent({ type: "cancel" }, { sentAt: 7_258_118_400_001 })],
      ["sentAt as date string", agent({ type: "cancel" }, { sentAt: "2026-06-01T12:00:00Z" })],
      ["taskId missing", agent({ type: "cancel" }, { taskId: undefined })],
      ["messageId non-canonical", agent({ type: "cancel" }, { messageId: `${"A".repeat(21)}B` })],
      ["message as string", { v: 2, t: "agent", message: "hi" }],
      ["prev missing", agent({ type: "cancel" }, { prev: undefined })],
      ["prev too short", agent({ type: "cancel" }, { prev: HASH.slice(1) })],
      ["prev not base64url", agent({ type: "cancel" }, { prev: `${"+".repeat(42)}Q` })],
      ["prev non-canonical", agent({ type: "cancel" }, { prev: `${"A".repeat(42)}R` })],
      ["round zero", agent({ type: "accept", round: 0, slot })],
      ["round fractional", agent({ type: "accept", round: 1.5, slot })],
      ["propose in round 2", agent({ ...propose(), round: 2 })],
      ["hold with no slots", agent({ type: "hold", round: 1, slots: [], until: NOW })],
      ["eleven others", agent({ ...propose(), others: Array.from({ length: 10 }, () => "Carol") })],
      ["ical too long", agent({ type: "confirm", round: 1, slot, title: "Coffee", ical: "x".repeat(4_001) })],
      ["ical empty", agent({ type: "confirm", round: 1, slot, title: "Coffee", ical: "" })],
      ["title too long", agent({ ...propose(), title: "t".repeat(201) })],
      ["title blank", agent({ ...propose(), title: "  " })],
      ["duration fractional", agent({ ...propose(), durationMinutes: 30.5 })],
      ["duration too short", agent({ ...propose(), durationMinutes: 4 })],
      ["duration too long", agent({ ...propose(), durationMinutes: 24 * 60 + 1 })],
      ["no slots", agent({ ...propose(), slots: [] })],
      ["eleven slots", agent({ ...propose(), slots: Array.from({ length: 11 }, () => slot) })],
      ["slot end before start", agent({ type: "accept", round: 1, slot: { start: NOW, end: NOW } })],
      ["slot over 24 h", agent({ type: "accept", round: 1, slot: { start: NOW, end: NOW + 24 * HOUR + 1 } })],
      ["slot start as string", agent({ type: "accept", round: 1, slot: { start: String(NOW), end: NOW + HOUR } })],
      ["decline reason free text", agent({ type: "decline", round: 1, reason: "I am at the dentist" })],
      ["data missing type", agent({ slot })],
    ];
    for (const [name, value] of cases) expectPeerError(json(value), "invalid", name);
  });

  it("[PM6] never throws: deep nesting, huge input and random mutations all give typed results", () => {
    expectPeerError(utf8("[".repeat(100_000) + "]".repeat(100_000)), "invalid");
    expectPeerError(utf8(`{"v":2,"t":"agent","message":${"[".repeat(50_000)}${"]".repeat(50_000)}}`), "invalid");
    expectPeerError(utf8("[".repeat(100_000)), "not-json");
    const valid = json(agent(propose()));
    const fuzz = createPrng(66);
    const codes = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const bytes = valid.slice();
      for (let n = 1 + fuzz.int(3); n > 0; n--) bytes[fuzz.int(bytes.length)] = fuzz.int(256);
      const result = decodePeerMessage(i % 5 === 0 ? fuzz.bytes(fuzz.int(200)) : bytes);
      codes.add(result.ok ? "ok" : result.error.code);
    }
    expect([...codes].sort()).toEqual(expect.arrayContaining(["invalid", "not-json", "not-utf8"]));
  });
});

describe("createInvite", () => {
  it("[IN7] refuses to make an invite that parseInvite would refuse, naming the field", async () => {
    await loadCrypto();
    const identity = generateIdentity();
    const base = {
      identity,
      name: "Alice",
      prekeys: prekeysOf(identity),
      relay: "https://relay.example",
      inviteId: "AAAAAAAAAAAAAAAAAAAAAA" as MessageId,
      expiresAt: 1_000,
    };
    expect(() => createInvite({ ...base, name: "   " })).toThrow(/^createInvite: name/);
    expect(() => createInvite({ ...base, name: "x".repeat(81) })).toThrow(/^createInvite: name/);
    expect(() => createInvite({ ...base, relay: "ftp://relay.example" })).toThrow(/^createInvite: relay/);
    expect(() => createInvite({ ...base, expiresAt: -1 })).toThrow(/^createInvite: expiresAt/);
    expect(createInvite(base)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });
});

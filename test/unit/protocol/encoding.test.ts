import { describe, expect, it } from "vitest";
import {
  base64UrlByteLength,
  decodeBase64Url,
  decodeUtf8,
  encodeBase64Url,
  isBase64Url,
  utf8,
} from "../../../src/protocol/encoding";
import { bytesToHex, createPrng } from "./support";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("base64url", () => {
  it("[EC1] encodes every length 0..70 exactly as RFC 4648 §5 without padding, and decodes back", () => {
    const prng = createPrng(1);
    for (let length = 0; length <= 70; length++) {
      for (let round = 0; round < 4; round++) {
        const bytes = prng.bytes(length);
        const text = encodeBase64Url(bytes);
        // Node's encoder is the independent reference.
        expect(text, `length ${length}`).toBe(Buffer.from(bytes).toString("base64url"));
        expect(text.length).toBe(Math.ceil((length * 4) / 3));
        expect(base64UrlByteLength(text.length)).toBe(length);
        const decoded = decodeBase64Url(text);
        expect(decoded && bytesToHex(decoded), `length ${length}`).toBe(bytesToHex(bytes));
      }
    }
  });

  it("[EC1] round-trips random bytes of random lengths up to 4 KiB", () => {
    const prng = createPrng(2);
    for (let i = 0; i < 100; i++) {
      const bytes = prng.bytes(prng.int(4096));
      const decoded = decodeBase64Url(encodeBase64Url(bytes));
      expect(decoded && bytesToHex(decoded)).toBe(bytesToHex(bytes));
    }
  });

  it("[EC1] encodes known values", () => {
    expect(encodeBase64Url(new Uint8Array())).toBe("");
    expect(encodeBase64Url(Uint8Array.of(0xfb, 0xff))).toBe("-_8");
    expect(encodeBase64Url(Uint8Array.of(0xff, 0xff, 0xff))).toBe("____");
    expect(encodeBase64Url(utf8("foobar"))).toBe("Zm9vYmFy");
    expect(decodeBase64Url("")).toEqual(new Uint8Array());
  });

  it("[EC2] accepts exactly the last characters whose unused bits are zero (one string per byte sequence)", () => {
    // 2 characters carry 1 byte + 4 spare bits; 3 characters carry 2 bytes + 2 spare bits.
    for (const [prefix, spareBits] of [
      ["A", 4],
      ["AA", 2],
      ["AAAAA", 4],
      ["AAAAAA", 2],
    ] as const) {
      let accepted = 0;
      for (let i = 0; i < 64; i++) {
        const text = prefix + ALPHABET[i]!;
        const canonical = (i & ((1 << spareBits) - 1)) === 0;
        expect(decodeBase64Url(text) !== undefined, text).toBe(canonical);
        expect(isBase64Url(text)).toBe(canonical);
        if (canonical) accepted++;
      }
      expect(accepted).toBe(64 >> spareBits);
    }
    // Node's lenient decoder maps "AB" and "AA" to the same byte; we accept only one of them.
    expect(decodeBase64Url("AB")).toBeUndefined();
    expect(decodeBase64Url("AA")).toEqual(Uint8Array.of(0));
  });

  it("[EC6] isBase64Url answers exactly as decoding would, for every length and last character, without decoding", () => {
    const prng = createPrng(66);
    const alphabetPlus = `${ALPHABET}=+/ .\u00e9`;
    for (let n = 0; n < 4_000; n++) {
      const length = prng.int(13);
      let text = "";
      // Mostly valid characters, so canonical and non-canonical endings both come up often.
      for (let c = 0; c < length; c++) text += alphabetPlus[prng.int(prng.int(10) === 0 ? alphabetPlus.length : 64)];
      expect(isBase64Url(text), JSON.stringify(text)).toBe(decodeBase64Url(text) !== undefined);
    }
  });

  it("[EC3] rejects characters outside the URL-safe alphabet, padding and impossible lengths", () => {
    for (const text of [
      "AA==",
      "AAA=",
      "+/8",
      "ab/c",
      "ab+c",
      "AA AA",
      "AAAA\n",
      " AAAA",
      "AAé",
      "AA\u0000A",
      "A",
      "AAAAA",
      "AAAAAAAAA",
      "Zm9v.YmFy",
      "\uff21\uff21",
    ]) {
      expect(decodeBase64Url(text), JSON.stringify(text)).toBeUndefined();
      expect(isBase64Url(text)).toBe(false);
    }
    expect(base64UrlByteLength(1)).toBe(-1);
    expect(base64UrlByteLength(5)).toBe(-1);
    expect(base64UrlByteLength(43)).toBe(32);
    expect(base64UrlByteLength(22)).toBe(16);
  });
});

describe("utf8", () => {
  const encoder = new TextEncoder();

  it("[EC4] encodes exactly as TextEncoder, astral characters and boundary code points included", () => {
    for (const text of [
      "",
      "plain ascii",
      "\u0000\u007f",
      "\u0080\u07ff",
      "\u0800\uffff",
      "é€",
      "\u{10000}\u{10ffff}",
      "𝄞 clef",
      "😀👍🏽",
      "👨‍👩‍👧",
      "日本語のテキスト",
      "mixed: a é € 😀 z",
    ]) {
      expect(bytesToHex(utf8(text)), JSON.stringify(text)).toBe(bytesToHex(encoder.encode(text)));
    }
    expect(bytesToHex(utf8("😀"))).toBe("f09f9880");
  });

  it("[EC4] encodes a lone surrogate as U+FFFD, as TextEncoder does", () => {
    for (const text of ["\ud800", "\udfff", "a\udc00b", "\udc00\ud800", "\ud83d", "x\ud83d"]) {
      expect(bytesToHex(utf8(text)), JSON.stringify(text)).toBe(bytesToHex(encoder.encode(text)));
    }
    expect(bytesToHex(utf8("\ud800"))).toBe("efbfbd");
  });

  it("[EC4] matches TextEncoder on random strings of random UTF-16 code units", () => {
    const prng = createPrng(4);
    for (let i = 0; i < 300; i++) {
      const units: number[] = [];
      for (let n = prng.int(40); n > 0; n--) {
        // Bias towards the interesting ranges: ASCII, two/three-byte, surrogates.
        const range = prng.int(4);
        units.push(
          range === 0
            ? prng.int(0x80)
            : range === 1
              ? prng.int(0x800)
              : range === 2
                ? 0xd800 + prng.int(0x800)
                : prng.int(0x10000),
        );
      }
      const text = String.fromCharCode(...units);
      expect(bytesToHex(utf8(text))).toBe(bytesToHex(encoder.encode(text)));
    }
  });

  it("[EC5] decodes strictly: round trips valid text and refuses invalid sequences instead of replacing them", () => {
    for (const text of ["", "hello", "é€😀", "\u{10ffff}"]) expect(decodeUtf8(utf8(text))).toBe(text);
    for (const bytes of [
      [0xff],
      [0x80],
      [0xc0, 0x80], // overlong NUL
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xe2, 0x82], // truncated
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0x41, 0xfe, 0x41],
    ]) {
      expect(decodeUtf8(Uint8Array.from(bytes)), bytesToHex(Uint8Array.from(bytes))).toBeUndefined();
    }
  });

  it("[EC5] keeps a leading byte-order mark instead of silently dropping it", () => {
    expect(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe("\ufeffA");
  });
});

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  decryptXChaCha20Poly1305,
  encryptXChaCha20Poly1305,
  loadCrypto,
  verifyEd25519,
  x25519,
  type X25519PublicKey,
  type X25519SecretKey,
  type XChaCha20Poly1305Key,
  type XChaCha20Poly1305Nonce,
} from "../../../../src/protocol/crypto";
import { bytesToHex, hexToBytes } from "../support";

/**
 * Known-answer tests: Project Wycheproof vectors through the project's own
 * crypto functions. The vectors live beside the repository (<repo>/../shared),
 * so they are located relative to this file, not to the working directory.
 */
const VECTORS_DIR = fileURLToPath(new URL("../../../../../shared/vectors/", import.meta.url));
const WYCHEPROOF_DIR = `${VECTORS_DIR}wycheproof/`;

type Json = Record<string, unknown>;

function readJson(name: string): Json {
  const path = WYCHEPROOF_DIR + name;
  if (!existsSync(path)) throw new Error(`wycheproof vectors not found at ${path} (expected <repo>/../shared/vectors)`);
  const value: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${name}: not an object`);
  return value as Json;
}

function field(record: Json, key: string): string {
  const value = record[key];
  if (typeof value !== "string") throw new Error(`vector field ${key} is not a string`);
  return value;
}

function records(value: unknown, what: string): Json[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not an array`);
  return value.map((item: unknown) => {
    if (typeof item !== "object" || item === null) throw new Error(`${what} holds a non-object`);
    return item as Json;
  });
}

type Vector = { readonly group: Json; readonly test: Json; readonly id: number; readonly result: string };

/** Every test of a file with its group; checks the file's own count so a parsing slip cannot drop tests. */
function loadVectors(name: string, algorithm: string): Vector[] {
  const file = readJson(name);
  expect(file["algorithm"]).toBe(algorithm);
  const vectors: Vector[] = [];
  for (const group of records(file["testGroups"], `${name} testGroups`)) {
    for (const test of records(group["tests"], `${name} tests`)) {
      const id = test["tcId"];
      if (typeof id !== "number") throw new Error(`${name}: tcId is not a number`);
      vectors.push({ group, test, id, result: field(test, "result") });
    }
  }
  expect(vectors.length).toBe(file["numberOfTests"]);
  return vectors;
}

function countBy(vectors: readonly Vector[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of vectors) counts[v.result] = (counts[v.result] ?? 0) + 1;
  return counts;
}

beforeAll(async () => {
  await loadCrypto();
});

describe("Wycheproof vector files", () => {
  it("match the SHA-256 sums listed in vectors/README.md", () => {
    const readme = readFileSync(`${VECTORS_DIR}README.md`, "utf8");
    const names = ["xchacha20_poly1305_test.json", "x25519_test.json", "ed25519_test.json"];
    for (const name of names) {
      const line = readme.split("\n").find((l) => l.endsWith(` wycheproof/${name}`));
      expect(line, `README lists ${name}`).toBeDefined();
      const expected = line!.split(" ")[0];
      const actual = createHash("sha256")
        .update(readFileSync(WYCHEPROOF_DIR + name))
        .digest("hex");
      expect(actual, name).toBe(expected);
    }
  });
});

describe("XChaCha20-Poly1305 (xchacha20_poly1305_test.json)", () => {
  const vectors = loadVectors("xchacha20_poly1305_test.json", "XCHACHA20-POLY1305");
  const nonceSize = (v: Vector): number => field(v.test, "iv").length / 2;
  const parts = (v: Vector) => ({
    key: hexToBytes(field(v.test, "key")) as XChaCha20Poly1305Key,
    nonce: hexToBytes(field(v.test, "iv")) as XChaCha20Poly1305Nonce,
    aad: hexToBytes(field(v.test, "aad")),
    msg: hexToBytes(field(v.test, "msg")),
    sealed: hexToBytes(field(v.test, "ct") + field(v.test, "tag")),
  });

  it("has the expected number of vectors of each kind", () => {
    expect(vectors.length).toBe(315);
    expect(countBy(vectors)).toEqual({ valid: 246, invalid: 69 });
    expect(vectors.filter((v) => nonceSize(v) !== 24).length).toBe(9);
  });

  it("[CR1] accepts every valid Wycheproof XChaCha20-Poly1305 vector with the exact output", () => {
    let run = 0;
    for (const v of vectors.filter((x) => x.result === "valid")) {
      const { key, nonce, aad, msg, sealed } = parts(v);
      expect(bytesToHex(encryptXChaCha20Poly1305(key, nonce, msg, aad)), `tcId ${v.id} encrypt`).toBe(
        bytesToHex(sealed),
      );
      const opened = decryptXChaCha20Poly1305(key, nonce, sealed, aad);
      expect(opened && bytesToHex(opened), `tcId ${v.id} decrypt`).toBe(bytesToHex(msg));
      run++;
    }
    expect(run).toBe(246);
  });

  it("[CR2] rejects every invalid Wycheproof XChaCha20-Poly1305 vector on decrypt", () => {
    let run = 0;
    for (const v of vectors.filter((x) => x.result === "invalid")) {
      const { key, nonce, aad, sealed } = parts(v);
      expect(decryptXChaCha20Poly1305(key, nonce, sealed, aad), `tcId ${v.id}`).toBeUndefined();
      run++;
    }
    expect(run).toBe(69);
  });

  it("[CR2] never produces an invalid vector's modified tag when encrypting its message", () => {
    let run = 0;
    for (const v of vectors.filter((x) => x.result === "invalid" && nonceSize(x) === 24)) {
      const { key, nonce, aad, msg, sealed } = parts(v);
      expect(bytesToHex(encryptXChaCha20Poly1305(key, nonce, msg, aad)), `tcId ${v.id}`).not.toBe(bytesToHex(sealed));
      run++;
    }
    expect(run).toBe(60);
  });

  it("[CR3] refuses nonces of any size but 24 bytes: decrypt returns undefined, encrypt throws a RangeError", () => {
    let run = 0;
    for (const v of vectors.filter((x) => nonceSize(x) !== 24)) {
      expect(v.result).toBe("invalid");
      const { key, nonce, aad, msg, sealed } = parts(v);
      expect(decryptXChaCha20Poly1305(key, nonce, sealed, aad), `tcId ${v.id}`).toBeUndefined();
      expect(() => encryptXChaCha20Poly1305(key, nonce, msg, aad), `tcId ${v.id}`).toThrow(
        new RangeError(`encryptXChaCha20Poly1305: nonce must be 24 bytes, got ${nonce.length}`),
      );
      run++;
    }
    expect(run).toBe(9);
  });

  it("[CR3] refuses keys of any size but 32 bytes", () => {
    const nonce = new Uint8Array(24) as XChaCha20Poly1305Nonce;
    for (const size of [0, 16, 31, 33, 64]) {
      const key = new Uint8Array(size) as XChaCha20Poly1305Key;
      expect(decryptXChaCha20Poly1305(key, nonce, new Uint8Array(16), new Uint8Array())).toBeUndefined();
      expect(() => encryptXChaCha20Poly1305(key, nonce, new Uint8Array(1), new Uint8Array())).toThrow(
        new RangeError(`encryptXChaCha20Poly1305: key must be 32 bytes, got ${size}`),
      );
    }
  });
});

describe("X25519 (x25519_test.json)", () => {
  const vectors = loadVectors("x25519_test.json", "XDH");
  const compute = (v: Vector): Uint8Array | undefined =>
    x25519(
      hexToBytes(field(v.test, "private")) as X25519SecretKey,
      hexToBytes(field(v.test, "public")) as X25519PublicKey,
    );
  const ZERO = "00".repeat(32);

  it("has the expected number of vectors of each kind", () => {
    expect(vectors.length).toBe(518);
    expect(countBy(vectors)).toEqual({ valid: 264, acceptable: 254 });
    for (const v of vectors) expect(field(v.group, "curve")).toBe("curve25519");
  });

  it("[CR4] computes the exact shared secret of every valid vector", () => {
    let run = 0;
    for (const v of vectors.filter((x) => x.result === "valid")) {
      const shared = compute(v);
      expect(shared && bytesToHex(shared), `tcId ${v.id}`).toBe(field(v.test, "shared"));
      run++;
    }
    expect(run).toBe(264);
  });

  it("[CR5] refuses the acceptable vectors whose shared secret is all zero and computes the others exactly", () => {
    let refused = 0;
    let computed = 0;
    for (const v of vectors.filter((x) => x.result === "acceptable")) {
      const expected = field(v.test, "shared");
      const shared = compute(v);
      if (expected === ZERO) {
        expect(shared, `tcId ${v.id} (low-order public key)`).toBeUndefined();
        expect(v.test["flags"], `tcId ${v.id}`).toContain("ZeroSharedSecret");
        refused++;
      } else {
        expect(shared && bytesToHex(shared), `tcId ${v.id}`).toBe(expected);
        computed++;
      }
    }
    expect({ refused, computed }).toEqual({ refused: 31, computed: 223 });
  });

  it("[CR5] returns undefined for keys of the wrong size instead of throwing", () => {
    const good = new Uint8Array(32).fill(9);
    for (const size of [0, 31, 33]) {
      expect(x25519(new Uint8Array(size) as X25519SecretKey, good as X25519PublicKey)).toBeUndefined();
      expect(x25519(good as X25519SecretKey, new Uint8Array(size) as X25519PublicKey)).toBeUndefined();
    }
  });
});

describe("Ed25519 (ed25519_test.json)", () => {
  const vectors = loadVectors("ed25519_test.json", "EDDSA");
  const verify = (v: Vector): boolean => {
    const publicKey = v.group["publicKey"] as Json;
    return verifyEd25519(
      hexToBytes(field(publicKey, "pk")),
      hexToBytes(field(v.test, "msg")),
      hexToBytes(field(v.test, "sig")),
    );
  };

  it("has the expected number of vectors of each kind", () => {
    expect(vectors.length).toBe(151);
    expect(countBy(vectors)).toEqual({ valid: 88, invalid: 63 });
  });

  it("[CR6] accepts every valid Wycheproof Ed25519 signature", () => {
    let run = 0;
    for (const v of vectors.filter((x) => x.result === "valid")) {
      expect(verify(v), `tcId ${v.id}`).toBe(true);
      run++;
    }
    expect(run).toBe(88);
  });

  it("[CR7] rejects every invalid Wycheproof Ed25519 signature (malleable, non-canonical, truncated, padded)", () => {
    let run = 0;
    for (const v of vectors.filter((x) => x.result === "invalid")) {
      expect(verify(v), `tcId ${v.id}`).toBe(false);
      run++;
    }
    expect(run).toBe(63);
  });
});

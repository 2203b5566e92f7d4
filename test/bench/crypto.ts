/**
 * `npm run bench:crypto`: ratchet encrypt+decrypt of 1 KiB messages per
 * second against raw XChaCha20-Poly1305 encrypt+decrypt (random nonce) of
 * the same bytes, measured in the same process, interleaved in rounds; the
 * figure is the median round. Goal: the in-chain ratchet ≥ 0.5× raw.
 */
import {
  decryptXChaCha20Poly1305,
  encryptXChaCha20Poly1305,
  generateIdentity,
  loadCrypto,
  openInitialMessage,
  openSessionMessage,
  publicIdentityOf,
  sealInitialMessage,
  sealSessionMessage,
  signPrekey,
  systemRandomBytes as randomBytes,
  x25519PublicKey,
  type RatchetState,
  type X25519SecretKey,
  type XChaCha20Poly1305Key,
  type XChaCha20Poly1305Nonce,
} from "../../src/protocol/crypto";

const MESSAGE = new Uint8Array(1024).fill(0x61);
const ROUNDS = 7;
const ROUND_MS = 400;

type Pair = { a: RatchetState; b: RatchetState };

function keyPair() {
  const secretKey = randomBytes(32) as X25519SecretKey;
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

function newSession(): Pair {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const signedPrekey = keyPair();
  const oneTimePrekey = keyPair();
  const bundle = {
    identity: publicIdentityOf(bob),
    signedPrekey: signedPrekey.publicKey,
    signedPrekeySignature: signPrekey(bob, signedPrekey.publicKey),
    oneTimePrekey: oneTimePrekey.publicKey,
    prekeyId: randomBytes(16),
  };
  const first = sealInitialMessage({ ours: alice, bundle, plaintext: MESSAGE, randomBytes });
  const opened = openInitialMessage({
    ours: bob,
    sealed: first.sealed,
    prekeys: { signedPrekey, oneTimePrekey },
    randomBytes,
  });
  if (!opened.ok) throw new Error(`bench: session set-up failed: ${opened.error.code}`);
  return { a: first.state, b: opened.value.state };
}

/** One message from `from` to `to`; returns the pair's next states. */
function exchange(from: RatchetState, to: RatchetState): { from: RatchetState; to: RatchetState } {
  const sealed = sealSessionMessage(from, MESSAGE, randomBytes);
  const opened = openSessionMessage({ sealed: sealed.sealed, sessions: [{ key: 0, state: to }], randomBytes });
  if (!opened.ok) throw new Error(`bench: decrypt failed: ${opened.error.code}`);
  return { from: sealed.state, to: opened.value.state };
}

const key = randomBytes(32) as XChaCha20Poly1305Key;
const noAd = new Uint8Array(0);

const workloads: Record<string, () => () => void> = {
  raw: () => () => {
    const nonce = randomBytes(24) as XChaCha20Poly1305Nonce;
    const ct = encryptXChaCha20Poly1305(key, nonce, MESSAGE, noAd);
    if (decryptXChaCha20Poly1305(key, nonce, ct, noAd) === undefined) throw new Error("bench: raw decrypt failed");
  },
  "ratchet, one direction": () => {
    const pair = newSession();
    // Bob answers once so both sides have sending chains; then Alice sends a long chain.
    const reply = exchange(pair.b, pair.a);
    pair.b = reply.from;
    pair.a = reply.to;
    return () => {
      const next = exchange(pair.a, pair.b);
      pair.a = next.from;
      pair.b = next.to;
    };
  },
  "ratchet, alternating (a DH step per message)": () => {
    const pair = newSession();
    let aliceTurn = false;
    return () => {
      if (aliceTurn) {
        const next = exchange(pair.a, pair.b);
        pair.a = next.from;
        pair.b = next.to;
      } else {
        const next = exchange(pair.b, pair.a);
        pair.b = next.from;
        pair.a = next.to;
      }
      aliceTurn = !aliceTurn;
    };
  },
};

function opsPerSecond(op: () => void): number {
  for (let i = 0; i < 200; i++) op();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < 100; i++) op();
    count += 100;
    elapsed = performance.now() - start;
  }
  return (count / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

await loadCrypto();
const results = new Map<string, number[]>(Object.keys(workloads).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of Object.entries(workloads)) results.get(name)!.push(opsPerSecond(make()));
}
const raw = median(results.get("raw")!);
console.log(`1 KiB encrypt+decrypt, median of ${ROUNDS} interleaved rounds (node ${process.version})`);
for (const [name, values] of results) {
  const value = median(values);
  console.log(`  ${name.padEnd(46)} ${value.toFixed(0).padStart(7)} msg/s  ${(value / raw).toFixed(2)}× raw`);
}
const chain = median(results.get("ratchet, one direction")!) / raw;
console.log(`goal: ratchet (one direction) ≥ 0.50× raw → ${chain.toFixed(2)}× ${chain >= 0.5 ? "met" : "MISSED"}`);

/**
 * Length hiding. A plaintext gets an ISO/IEC 7816-4 marker (0x80, then zeros)
 * and is padded to a size bucket: at least PADDING_MIN_BYTES, and above that
 * to the Padmé length (Nikitin et al., "Reducing Metadata Leakage from
 * Encrypted Files and Communication with PURBs", 2019), which leaks
 * O(log log L) bits of the length for at most 12% overhead. Agent messages
 * are a few hundred bytes, so most fall in the first bucket and look alike.
 *
 * Written here rather than with libsodium's pad(), which needs a fixed block
 * size and, through the wrapper, costs more than encrypting the message.
 */
export const PADDING_MIN_BYTES = 256;

/** The bucket a plaintext of `length` bytes is padded to (the marker byte included). */
export function paddedLength(length: number): number {
  const withMarker = length + 1;
  if (withMarker <= PADDING_MIN_BYTES) return PADDING_MIN_BYTES;
  const exponent = Math.floor(Math.log2(withMarker));
  const mantissaBits = Math.floor(Math.log2(exponent)) + 1;
  const mask = 2 ** (exponent - mantissaBits) - 1;
  // Arithmetic rather than bitwise operators: lengths may exceed 2^31 in principle.
  return Math.ceil(withMarker / (mask + 1)) * (mask + 1);
}

export function padPlaintext(plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(plaintext.length));
  return writePadded(plaintext, out);
}

let scratch = new Uint8Array(0);

/**
 * The padded plaintext in a buffer this module reuses: valid only until the
 * next call, for callers that hand it straight to a cipher (which copies its
 * input). Allocating a fresh buffer per message cost a fifth of the ratchet's
 * time; the buffer is zeroed after use so no plaintext stays behind in it.
 */
export function withPaddedPlaintext<T>(plaintext: Uint8Array, use: (padded: Uint8Array) => T): T {
  const length = paddedLength(plaintext.length);
  if (scratch.length < length) scratch = new Uint8Array(length);
  const padded = writePadded(plaintext, scratch.subarray(0, length));
  try {
    return use(padded);
  } finally {
    padded.fill(0);
  }
}

function writePadded(plaintext: Uint8Array, out: Uint8Array): Uint8Array {
  out.set(plaintext);
  out[plaintext.length] = 0x80;
  out.fill(0, plaintext.length + 1);
  return out;
}

/** The plaintext inside a padded buffer, or undefined when the marker is missing or the length is not a bucket. */
export function unpadPlaintext(padded: Uint8Array): Uint8Array | undefined {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x80) return undefined;
  // Padding that is not exactly the bucket of its content was not made by padPlaintext.
  if (paddedLength(end) !== padded.length) return undefined;
  return padded.subarray(0, end);
}

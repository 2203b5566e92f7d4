import { utf8 } from "../encoding";
import { lib } from "./sodium";

/**
 * Unkeyed BLAKE2b-256 under a label, for content hashes (the transcript
 * chain): the label keeps these hashes apart from every other use of BLAKE2b.
 */
const LABEL_TRANSCRIPT = utf8("parley/transcript/v1\n");

export function transcriptDigest(content: Uint8Array): Uint8Array {
  const input = new Uint8Array(LABEL_TRANSCRIPT.length + content.length);
  input.set(LABEL_TRANSCRIPT);
  input.set(content, LABEL_TRANSCRIPT.length);
  return lib().crypto_generichash(32, input, null);
}

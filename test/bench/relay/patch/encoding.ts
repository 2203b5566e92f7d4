/**
 * src/protocol/encoding.ts with `isBase64Url` replaced by a check that does
 * not decode. Only the diagnostic server that measures this fix loads it
 * (see register.ts); nothing in src/ changes.
 */
export * from "../../../../src/protocol/encoding";
export { canonicalBase64Url as isBase64Url } from "../base64-check";

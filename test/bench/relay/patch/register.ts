/**
 * `--import` this (after tsx) to run the relay with patch/encoding.ts in
 * place of src/protocol/encoding.ts: a module resolution hook swaps the file
 * for every importer but the patch itself.
 */
import { register } from "node:module";

const HOOKS = `
let patch;
export function initialize(data) { patch = data.patch; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.endsWith("/src/protocol/encoding.ts") && context.parentURL !== patch) {
    return { ...resolved, url: patch, shortCircuit: true };
  }
  return resolved;
}
`;

register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
  data: { patch: new URL("./encoding.ts", import.meta.url).href },
});

import sodium from "libsodium-wrappers";

/**
 * The single place libsodium is imported. Its WASM must be instantiated once
 * before any primitive runs: callers await `loadCrypto()` at start-up, and the
 * synchronous functions of this folder then use `lib()`.
 */
let loading: Promise<void> | undefined;
let ready = false;

export function loadCrypto(): Promise<void> {
  loading ??= sodium.ready.then(() => {
    ready = true;
  });
  return loading;
}

export function lib(): typeof sodium {
  if (!ready) throw new Error("crypto: loadCrypto() must resolve before crypto functions are used");
  return sodium;
}

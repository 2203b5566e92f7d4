import type { IncomingMessage } from "node:http";

/**
 * Origins as the relay sees them. The challenge carries the origin the client
 * must sign, which binds a signature to one relay. That binding is only as
 * good as the origin: in production it is configured (`publicOrigin`); when it
 * is not, it is derived from the request's Host header, which any non-browser
 * client can set, so derivation is a convenience for local use only.
 */

/** The canonical form of an http(s) origin (`https://host[:port]`), or undefined if `value` is anything else. */
export function canonicalOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return undefined;
  if (url.pathname !== "/" || !/^https?:\/\/[^/]+\/?$/i.test(value)) return undefined;
  return url.origin;
}

const HOST_PATTERN = /^[A-Za-z0-9.\-[\]:]{1,255}$/;

/** The origin a request reached us at: Host header, and TLS or `X-Forwarded-Proto` for the scheme. */
export function requestOrigin(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  if (host === undefined || !HOST_PATTERN.test(host)) return undefined;
  return canonicalOrigin(`${requestScheme(request)}://${host}`);
}

function requestScheme(request: IncomingMessage): "http" | "https" {
  const forwarded = request.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
  if (first === "https" || first === "http") return first;
  return "encrypted" in request.socket && request.socket.encrypted === true ? "https" : "http";
}

/**
 * The `Origin` check of `allowRequest`. It only restrains browsers (other
 * clients send what they like), and the relay uses no cookies or ambient
 * credentials, so with no list configured every origin is allowed: a page on
 * any site may reach the relay, and still has to sign as an address.
 * Requests without an Origin header (Node clients) are always allowed.
 */
export function originAllowed(request: IncomingMessage, allowed: ReadonlySet<string> | undefined): boolean {
  if (allowed === undefined) return true;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const canonical = canonicalOrigin(origin);
  return canonical !== undefined && allowed.has(canonical);
}

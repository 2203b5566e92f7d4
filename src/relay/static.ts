import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";

/**
 * Serves the web app's static export (`next build` with `output: "export"`).
 * Requests are resolved inside `root` only: decoded paths with `..`, `.`
 * or hidden segments, backslashes or NUL never touch the file system.
 */

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
};

/** Sent with every response, files and errors alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  // Next's export runs inline bootstrap scripts, so scripts are not restricted here; framing and plugins are.
  "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** Hashed build assets never change under the same name. */
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

type Found = { readonly file: string; readonly size: number; readonly mtimeMs: number };

export type StaticHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** The decoded, checked path segments of a request URL, or undefined if it must not be served. */
export function safeSegments(url: string): string[] | undefined {
  const pathname = url.split("?")[0]!.split("#")[0]!;
  if (!pathname.startsWith("/")) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const segments = decoded.split("/").filter((segment) => segment !== "");
  // Dot segments would climb out of the root; other dotfiles are never part of a build.
  if (segments.some((segment) => segment.startsWith("."))) return undefined;
  return segments;
}

async function findFile(file: string): Promise<Found | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? { file, size: info.size, mtimeMs: info.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/** `/` → index.html; `/invite` → invite.html or invite/index.html (export with or without trailingSlash). */
async function resolve(root: string, segments: readonly string[], trailingSlash: boolean): Promise<Found | undefined> {
  const base = path.join(root, ...segments);
  // path.join normalises; anything that left the root is refused even though the checks above should prevent it.
  if (base !== root && !base.startsWith(root + path.sep)) return undefined;
  if (segments.length === 0) return findFile(path.join(base, "index.html"));
  const exact = trailingSlash ? undefined : await findFile(base);
  if (exact !== undefined || path.extname(base) !== "") return exact;
  return (await findFile(path.join(base, "index.html"))) ?? findFile(`${base}.html`);
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  found: Found,
  cacheControl: string,
): void {
  const etag = `W/"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}"`;
  const headers = {
    ...SECURITY_HEADERS,
    "Content-Type": CONTENT_TYPES[path.extname(found.file).toLowerCase()] ?? "application/octet-stream",
    "Cache-Control": cacheControl,
    ETag: etag,
  };
  if (status === 200 && request.headers["if-none-match"] === etag) {
    response.writeHead(304, headers).end();
    return;
  }
  response.writeHead(status, { ...headers, "Content-Length": String(found.size) });
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  createReadStream(found.file)
    .on("error", () => response.destroy())
    .pipe(response);
}

function plain(request: IncomingMessage, response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": REVALIDATE,
    "Content-Length": String(Buffer.byteLength(text)),
  });
  response.end(request.method === "HEAD" ? undefined : text);
}

export function createStaticHandler(rootDir: string): StaticHandler {
  const root = path.resolve(rootDir);

  const notFound = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const page = await findFile(path.join(root, "404.html"));
    if (page === undefined) plain(request, response, 404, "Not found\n");
    else send(request, response, 404, page, REVALIDATE);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      return plain(request, response, 405, "Method not allowed\n");
    }
    const url = request.url ?? "/";
    const segments = safeSegments(url);
    if (segments === undefined) return plain(request, response, 400, "Bad request\n");
    const found = await resolve(root, segments, url.split("?")[0]!.endsWith("/"));
    if (found === undefined) return notFound(request, response);
    const immutable = segments[0] === "_next" && segments[1] === "static";
    send(request, response, 200, found, immutable ? IMMUTABLE : REVALIDATE);
  };

  return (request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) plain(request, response, 500, "Internal error\n");
      else response.destroy();
    });
  };
}

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/relay/server";
import { captureLogger } from "./support";

type Response = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A raw request: the path is sent exactly as written, with no URL normalisation on our side. */
function get(port: number, rawPath: string, method = "GET", headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: rawPath, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(3_000, () => req.destroy(new Error(`get ${rawPath}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}

let root: string;
let site: string;
let server: RunningServer;
let withoutNotFoundPage: RunningServer;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "parley-static-"));
  site = path.join(root, "out");
  await mkdir(path.join(site, "_next/static/chunks"), { recursive: true });
  await mkdir(path.join(site, "settings"), { recursive: true });
  await writeFile(path.join(root, "secret.txt"), "outside the root");
  await writeFile(path.join(site, ".env"), "SECRET=1");
  await writeFile(path.join(site, "index.html"), "<h1>home</h1>");
  await writeFile(path.join(site, "invite.html"), "<h1>invite</h1>");
  await writeFile(path.join(site, "settings/index.html"), "<h1>settings</h1>");
  await writeFile(path.join(site, "404.html"), "<h1>lost</h1>");
  await writeFile(path.join(site, "_next/static/chunks/app-1234.js"), "console.log(1)");
  await writeFile(path.join(site, "manifest.webmanifest"), "{}");
  await writeFile(path.join(site, "icon.svg"), "<svg/>");
  await writeFile(path.join(site, "module.wasm"), "\0asm");
  const { logger } = captureLogger();
  server = await startServer({ port: 0, host: "127.0.0.1", staticDir: site, logger });
  withoutNotFoundPage = await startServer({
    port: 0,
    host: "127.0.0.1",
    staticDir: path.join(root, "missing"),
    logger,
  });
});

afterAll(async () => {
  await server?.close();
  await withoutNotFoundPage?.close();
  await rm(root, { recursive: true, force: true });
});

describe("static server", () => {
  it("[ST1] never serves files outside its root, however the path is written", async () => {
    for (const rawPath of [
      "/../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E%2Fsecret.txt",
      "/..%2fsecret.txt",
      "/..%5csecret.txt",
      "/_next/../../secret.txt",
      "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "//etc/passwd",
      "/index.html%00.js",
      "/%E0%A4%A",
      "/.env",
    ]) {
      const response = await get(server.port, rawPath);
      expect([400, 404], rawPath).toContain(response.status);
      expect(response.body, rawPath).not.toContain("outside the root");
      expect(response.body, rawPath).not.toContain("SECRET");
    }
  });

  it("[ST2] maps / to index.html and routes to .html or a folder's index.html", async () => {
    expect((await get(server.port, "/")).body).toBe("<h1>home</h1>");
    expect((await get(server.port, "/invite")).body).toBe("<h1>invite</h1>");
    expect((await get(server.port, "/invite?x=1")).body).toBe("<h1>invite</h1>");
    expect((await get(server.port, "/settings")).body).toBe("<h1>settings</h1>");
    expect((await get(server.port, "/settings/")).body).toBe("<h1>settings</h1>");
  });

  it("[ST3] sends content types, cache rules and security headers", async () => {
    const page = await get(server.port, "/");
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    const chunk = await get(server.port, "/_next/static/chunks/app-1234.js");
    expect(chunk.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(chunk.headers["cache-control"]).toContain("immutable");
    expect((await get(server.port, "/manifest.webmanifest")).headers["content-type"]).toContain(
      "application/manifest+json",
    );
    expect((await get(server.port, "/icon.svg")).headers["content-type"]).toBe("image/svg+xml");
    expect((await get(server.port, "/module.wasm")).headers["content-type"]).toBe("application/wasm");
    const etag = String(chunk.headers["etag"]);
    expect((await get(server.port, "/_next/static/chunks/app-1234.js", "GET", { "if-none-match": etag })).status).toBe(
      304,
    );
  });

  it("[ST3] answers HEAD without a body, other methods with 405, and unknown paths with the 404 page", async () => {
    const head = await get(server.port, "/", "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("13");
    expect(head.body).toBe("");
    expect((await get(server.port, "/", "POST")).status).toBe(405);
    const missing = await get(server.port, "/nowhere");
    expect(missing.status).toBe(404);
    expect(missing.body).toBe("<h1>lost</h1>");
    const bare = await get(withoutNotFoundPage.port, "/");
    expect(bare.status).toBe(404);
    expect(bare.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("[ST4] reports health at /healthz", async () => {
    const health = await get(server.port, "/healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok" });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });
});

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Browser tests run against the production build that `npm start` serves.
 * Build it when it is missing or older than any source it is made from.
 */
const root = path.resolve(import.meta.dirname, "../..");
const built = path.join(root, "src/web/out/index.html");
const SOURCES = ["src/web", "src/agent", "src/protocol"].map((dir) => path.join(root, dir));
const SKIP = new Set(["out", ".next", "node_modules"]);

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const stale = !existsSync(built) || Math.max(...SOURCES.map(newestSource)) > statSync(built).mtimeMs;
  if (!stale) return;
  const result = spawnSync("npx", ["next", "build", "src/web"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`e2e setup: next build failed with status ${String(result.status)}`);
}

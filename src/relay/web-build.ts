import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The web app's static export, as `npm start` and the browser tests need it:
 * built when missing or older than any source it is made from, so a checkout
 * that moved on never serves a stale app.
 */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const WEB_BUILD_DIR = path.join(REPO_ROOT, "src/web/out");
const BUILT_INDEX = path.join(WEB_BUILD_DIR, "index.html");
const SOURCES = ["src/web", "src/agent", "src/protocol", "package-lock.json"].map((p) => path.join(REPO_ROOT, p));
const NOT_SOURCES = new Set(["out", ".next", "node_modules"]);

function newestChange(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) {
    if (!NOT_SOURCES.has(entry)) newest = Math.max(newest, newestChange(path.join(target, entry)));
  }
  return newest;
}

export function webBuildIsStale(): boolean {
  if (!existsSync(BUILT_INDEX)) return true;
  const builtAt = statSync(BUILT_INDEX).mtimeMs;
  return SOURCES.some((source) => existsSync(source) && newestChange(source) > builtAt);
}

export type BuildResult = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** Runs `next build src/web` in the foreground, its output on this process's. */
export function buildWeb(): BuildResult {
  const build = spawnSync("npx", ["next", "build", "src/web"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (build.error !== undefined || build.status !== 0) {
    return { ok: false, why: build.error?.message ?? `exit status ${String(build.status)}` };
  }
  if (!existsSync(BUILT_INDEX)) return { ok: false, why: `${BUILT_INDEX} is missing; is output: "export" set?` };
  return { ok: true };
}

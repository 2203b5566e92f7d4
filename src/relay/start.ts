import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

/**
 * `npm start`: builds the web app the first time (a static export into
 * src/web/out), then runs the server. With STATIC_DIR set, the operator
 * supplies the build and nothing is built here.
 */
const root = path.resolve(import.meta.dirname, "../..");
const builtIndex = path.join(root, "src/web/out/index.html");

if (process.env["STATIC_DIR"] === undefined && !existsSync(builtIndex)) {
  console.log("start: no web build found; running `next build src/web` (first run only)…");
  const build = spawnSync("npx", ["next", "build", "src/web"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (build.error !== undefined || build.status !== 0) {
    const why = build.error?.message ?? `exit status ${String(build.status)}`;
    console.error(`start: building the web app failed (${why}). Fix the build, or set STATIC_DIR to a built export.`);
    process.exit(1);
  }
  if (!existsSync(builtIndex)) {
    console.error(`start: the build finished but ${builtIndex} is missing; is output: "export" set in next.config?`);
    process.exit(1);
  }
}

await import("./main");

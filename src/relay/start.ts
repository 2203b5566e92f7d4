import { buildWeb, webBuildIsStale } from "./web-build";

/**
 * `npm start`: builds the web app when it is missing or older than its
 * sources (a static export into src/web/out), then runs the server. With
 * STATIC_DIR set, the operator supplies the build and nothing is built here.
 */
if (process.env["STATIC_DIR"] === undefined && webBuildIsStale()) {
  console.log("start: building the web app (`next build src/web`)…");
  const built = buildWeb();
  if (!built.ok) {
    console.error(
      `start: building the web app failed (${built.why}). Fix the build, or set STATIC_DIR to a built export.`,
    );
    process.exit(1);
  }
}

await import("./main");

import { buildWeb, webBuildIsStale } from "../../src/relay/web-build";

/** Browser tests run against the production build that `npm start` serves, built the same way when stale. */
export default function setup(): void {
  if (!webBuildIsStale()) return;
  const built = buildWeb();
  if (!built.ok) throw new Error(`e2e setup: building the web app failed (${built.why})`);
}

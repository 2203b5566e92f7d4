/**
 * Registers the service worker that keeps the app usable offline (production
 * builds only), then hands it the build's script and style URLs this page
 * loaded, so the next start works without a network. The export has no
 * precache manifest; what the page actually loaded is the exact list.
 */
export function registerServiceWorker(): void {
  if (process.env.NODE_ENV !== "production" || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register("/sw.js")
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const urls = performance
        .getEntriesByType("resource")
        .map((entry) => new URL(entry.name))
        .filter((url) => url.origin === location.origin && url.pathname.startsWith("/_next/static/"))
        .map((url) => url.pathname);
      registration.active?.postMessage({ type: "precache", urls });
    })
    .catch((error: unknown) => {
      console.warn("pwa: service worker registration failed", error);
    });
}

/** Registers the service worker that keeps the app shell available offline (production builds only). */
export function registerServiceWorker(): void {
  if (process.env.NODE_ENV !== "production" || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js").catch((error: unknown) => {
    console.warn("pwa: service worker registration failed", error);
  });
}

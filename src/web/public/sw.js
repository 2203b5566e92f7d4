// Parley's service worker: keeps the app shell usable offline. Hashed build assets
// are cached forever (their names change with their content); pages are fetched
// fresh when online and served from cache when not. The relay socket is never cached.
const CACHE = "parley-shell-v1";
const SHELL = ["/", "/invite", "/manifest.webmanifest", "/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// The page sends the build assets it loaded; only same-origin build paths are accepted.
self.addEventListener("message", (event) => {
  const data = event.data;
  if (event.origin !== self.location.origin || !data || data.type !== "precache" || !Array.isArray(data.urls)) return;
  const urls = data.urls.filter((url) => typeof url === "string" && /^\/_next\/static\/[\w./-]+$/.test(url));
  // The page lists everything the current build needs: assets of earlier builds can go.
  const keep = new Set(urls);
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(urls);
      for (const request of await cache.keys()) {
        const path = new URL(request.url).pathname;
        if (path.startsWith("/_next/static/") && !keep.has(path)) await cache.delete(request);
      }
    }),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/socket.io"))
    return;
  if (url.pathname.startsWith("/_next/static/")) {
    event.respondWith(
      caches.match(event.request).then(
        (hit) =>
          hit ||
          fetch(event.request).then((response) => {
            const copy = response.clone();
            if (response.ok) void caches.open(CACHE).then((cache) => cache.put(event.request, copy));
            return response;
          }),
      ),
    );
    return;
  }
  if (event.request.mode === "navigate") {
    event.respondWith(
      fetch(event.request)
        .then((response) => {
          const copy = response.clone();
          if (response.ok) void caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          return response;
        })
        .catch(() => caches.match(url.pathname).then((hit) => hit || caches.match("/"))),
    );
  }
});

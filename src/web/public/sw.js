// Parley's service worker: keeps the app shell usable offline. Hashed build assets
// are cached forever (their names change with their content); pages are fetched
// fresh when online and served from cache when not. The relay socket is never cached.
const CACHE = "parley-shell-v1";
const SHELL = ["/", "/invite", "/manifest.webmanifest", "/icon.svg"];

const ASSET = /\/_next\/static\/[\w./-]+\.(?:js|css|woff2)/g;
const PAGES = ["/", "/invite"];

/** The build assets the cached pages refer to: what an offline start of either page needs. */
async function referencedAssets(cache) {
  const found = new Set();
  for (const page of PAGES) {
    const response = await cache.match(page);
    if (response) for (const match of (await response.text()).matchAll(ASSET)) found.add(match[0]);
  }
  return found;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(async (cache) => {
        await cache.addAll(SHELL);
        await cache.addAll([...(await referencedAssets(cache))]);
      })
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

// The page sends the build assets it loaded; only same-origin build paths are accepted. Assets that neither
// that list nor the cached pages (refreshed on every online visit) refer to belong to earlier builds and go.
self.addEventListener("message", (event) => {
  const data = event.data;
  if (event.origin !== self.location.origin || !data || data.type !== "precache" || !Array.isArray(data.urls)) return;
  const urls = data.urls.filter((url) => typeof url === "string" && /^\/_next\/static\/[\w./-]+$/.test(url));
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(urls);
      const keep = new Set([...urls, ...(await referencedAssets(cache))]);
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

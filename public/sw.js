// Tertulia's service worker: the app opens, and reloads, without a network.
//
// Network first, always: online, every request goes to the server as if this worker were not
// here (fresh pages, fresh assets, the server's own cache headers). A copy of each page and of
// each asset it loads is kept, and served only when the network fails. Never kept: the API
// (sessions, uploads, files: private), the socket, and anything not from this origin. A page
// is kept under its path without the query (`/chat?room=x` as `/chat`), and an unknown page
// falls back to the chat page. Signing out deletes the kept pages (see `app::offline`).
//
// The page that registers this worker was loaded before it existed: when it starts, it keeps
// the chat page, the pages open now and the files they name (scripts, wasm, styles, icons).
// The chat page always: a window's address here can be the one it was loaded at (`/`, before a
// sign-in moved it to `/chat` without a page load), and `/chat` is what an offline start needs.
// The app also asks for that each time the chat starts (the "keep-pages" message): a worker
// already running when someone signed in by script, or after signing out deleted the kept
// pages, would otherwise have no chat page to start from. A page rendered signed out (its
// session `<meta>` empty) is never kept as the chat.

const PAGES = "tertulia-pages-v1";
const ASSETS = "tertulia-assets-v1";
/** Assets kept at most (older ones go first: hashed names pile up across deploys). */
const ASSETS_KEPT = 40;
const NEVER_KEPT = [/^\/api\//, /^\/socket\.io\//];
/** The app's page, kept whatever else is: unknown pages fall back to it offline. */
const CHAT_PAGE = "/chat";
/** A page the server rendered for nobody signed in (see `app::session`). */
const SIGNED_OUT = /<meta name="tertulia-session" content="">/;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const current = [PAGES, ASSETS];
      for (const name of await caches.keys()) {
        if (name.startsWith("tertulia-") && !current.includes(name)) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
      await keepOpenPages();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "keep-pages" && event.source?.url && new URL(event.source.url).origin === self.location.origin) {
    event.waitUntil(keepOpenPages());
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER_KEPT.some((path) => path.test(url.pathname))) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, PAGES, url.pathname));
  } else {
    event.respondWith(networkFirst(request, ASSETS, request));
  }
});

async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic" && !response.redirected) {
      await cache.put(key, response.clone());
      if (cacheName === ASSETS) {
        await trim(cache);
      }
    }
    return response;
  } catch (error) {
    const kept = (await cache.match(key)) ?? (cacheName === PAGES ? await cache.match(CHAT_PAGE) : undefined);
    if (kept) {
      return kept;
    }
    throw error;
  }
}

async function keepOpenPages() {
  const pages = await caches.open(PAGES);
  const assets = await caches.open(ASSETS);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const paths = new Set([CHAT_PAGE]);
  for (const client of windows) {
    const url = new URL(client.url);
    if (url.origin === self.location.origin) {
      paths.add(url.pathname);
    }
  }
  for (const path of paths) {
    try {
      const response = await fetch(path, { credentials: "same-origin" });
      if (!response.ok || response.redirected) {
        continue;
      }
      const html = await response.clone().text();
      if (SIGNED_OUT.test(html)) {
        continue;
      }
      await pages.put(path, response);
      const files = [...html.matchAll(/(?:href|src)="(\/[^"/][^"]*)"/g)]
        .map((match) => match[1])
        .filter((file) => /\.[a-z0-9]+$/i.test(file) && !NEVER_KEPT.some((never) => never.test(file)));
      for (const file of new Set(files)) {
        await assets.add(file).catch(() => {});
      }
    } catch {
      // Offline already: the next page loaded online keeps itself.
    }
  }
}

async function trim(cache) {
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - ASSETS_KEPT))) {
    await cache.delete(old);
  }
}

// @ts-check
/* The patient app's service worker, rendered by backend/patientapp/views.py.
   It keeps the app shell (the page, its scripts, styles, strings and icons) so the app opens
   without a network. It never touches /api/: reads and writes go to the network from the
   page, and what is logged offline waits in the page's IndexedDB outbox (js/queue.js). */
const VERSION = "{{ version }}";
const CACHE = `patientapp-${VERSION}`;
const SHELL_URLS = {{ shell_urls }};
const SHELL_URL = {{ shell_url }};
const CONFIG_URL = {{ config_url }};
// This script runs as the app's service worker: `self` is its global scope (typed for tsc).
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

sw.addEventListener("install", (event) => {
  // `reload` skips the HTTP cache, so a new version never caches an old file.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL_URLS.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith("patientapp-") && key !== CACHE)
            .map((key) => caches.delete(key)),
        ),
      )
      .then(() => sw.clients.claim()),
  );
});

async function fromCache(url) {
  const cache = await caches.open(CACHE);
  return cache.match(url);
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request.url, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request.url);
    if (cached) return cached;
    throw error;
  }
}

sw.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (url.pathname === CONFIG_URL) {
    event.respondWith(networkFirst(request));
    return;
  }
  if (request.mode === "navigate" && url.pathname === SHELL_URL) {
    // The app is this one page; it routes itself (#/today, #/history...).
    event.respondWith(fromCache(SHELL_URL).then((cached) => cached || fetch(request)));
    return;
  }
  if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith(fromCache(url.pathname).then((cached) => cached || fetch(request)));
  }
});

// Push messages (FCM web push): show them even when the app is closed. FCM delivers what
// backend/notifications/fcm.py sends as JSON: {notification: {title, body, tag}, data: {kind,
// outbox_id, ...}, from, fcmMessageId}; the tag (a hash of the outbox row's dedupe key) makes
// a repeat replace the shown notification. The Firebase SDK is not loaded here: this worker
// shows the notification itself, so it needs no network and no CSP change.
sw.addEventListener("push", (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = {}; // not JSON: nothing to show
  }
  const note = payload.notification || {};
  const data = payload.data || {};
  const title = note.title || data.title;
  if (!title) return;
  event.waitUntil(
    sw.registration.showNotification(title, {
      body: note.body || data.body || "",
      icon: SHELL_URLS.find((url) => url.endsWith("icon-192.png")),
      tag: note.tag || data.dedupe_key || undefined,
      data: { url: SHELL_URL },
    }),
  );
});

sw.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    sw.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => new URL(client.url).pathname.startsWith(SHELL_URL));
      return open ? open.focus() : sw.clients.openWindow(SHELL_URL);
    }),
  );
});

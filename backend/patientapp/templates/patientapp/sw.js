// @ts-check
/* The patient app's service worker, rendered by backend/patientapp/views.py.
   It keeps the app shell (the page, its scripts, styles, strings and icons) so the app opens
   without a network. It never caches /api/: reads and writes go to the network from the
   page, and what is logged offline waits in the page's IndexedDB outbox (js/queue.js). The
   one exception is a dose reminder's buttons ("Taken", "Remind me in 30 min"), which act
   without opening the app: with the sign-in the app shares in its IndexedDB (js/session.js),
   a "Taken" is written to the app's outbox first (the item the app itself writes, with a
   client_id) and then sent, so it is never lost and never stored twice. */
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
  event.waitUntil(sw.registration.showNotification(title, notificationOptions(note, data)));
});

/* (This file is a Django template: its JSDoc types are named typedefs, never a literal
   object type in double braces.) */
/**
 * @typedef {object} PushNote
 * @property {string} [body]
 * @property {string} [tag]
 */
/**
 * The sign-in the app shares (js/session.js, shareSessionWithWorker).
 * @typedef {object} SharedSession
 * @property {string} token
 * @property {number} user_id
 * @property {string} api
 */
/**
 * A reminder's dose, as its notification keeps it.
 * @typedef {object} RemindedDose
 * @property {string} date
 * @property {number} slot
 * @property {number} snooze_minutes
 */

/** How a push is shown: a dose reminder with its date and slot gets the buttons "Taken" and
 *  "Remind me in 30 min" (their titles come in the push, in the patient's language).
 * @param {PushNote} note
 * @param {Record<string, string>} data
 * @returns {NotificationOptions & {actions?: {action: string, title: string}[]}}
 */
function notificationOptions(note, data) {
  const reminder = data.kind === "dose_reminder" && data.date && data.slot;
  const actions =
    reminder && data.action_taken && data.action_snooze
      ? [
          { action: "taken", title: data.action_taken },
          { action: "snooze", title: data.action_snooze },
        ]
      : undefined;
  return {
    body: note.body || data.body || "",
    icon: SHELL_URLS.find((url) => url.endsWith("icon-192.png")),
    tag: note.tag || data.dedupe_key || undefined,
    data: reminder
      ? {
          url: SHELL_URL,
          kind: data.kind,
          date: data.date,
          slot: Number(data.slot),
          snooze_minutes: Number(data.snooze_minutes || 30),
        }
      : { url: SHELL_URL },
    actions,
  };
}

function openApp() {
  return sw.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const open = windows.find((client) => new URL(client.url).pathname.startsWith(SHELL_URL));
    return open ? open.focus() : sw.clients.openWindow(SHELL_URL);
  });
}

// ---------------------------------------------------------------- the reminder's buttons

// The app's IndexedDB (js/db.js: the same name, version and stores; made here the same way
// if the worker opens it first) and the sign-in the app keeps there for the worker.
const DB_NAME = "gist-patient-app";
const DB_VERSION = 1;
const WORKER_SESSION_KEY = "sw:session";

/** @returns {Promise<IDBDatabase>} */
function openAppDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.addEventListener("upgradeneeded", () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("outbox")) {
        db.createObjectStore("outbox", { keyPath: "client_id" }).createIndex("user", "user_id");
      }
      if (!db.objectStoreNames.contains("cache")) db.createObjectStore("cache", { keyPath: "key" });
    });
    request.addEventListener("success", () => resolve(request.result));
    request.addEventListener("error", () => reject(request.error));
  });
}

/**
 * One request on one store, resolved when its transaction has committed.
 * @param {string} storeName
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest} work
 * @returns {Promise<any>}
 */
async function inAppDb(storeName, mode, work) {
  const db = await openAppDb();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(storeName, mode);
      const request = work(transaction.objectStore(storeName));
      transaction.addEventListener("complete", () => resolve(request.result));
      transaction.addEventListener("error", () => reject(transaction.error));
      transaction.addEventListener("abort", () => reject(transaction.error));
    });
  } finally {
    db.close();
  }
}

/**
 * @param {string} path
 * @param {SharedSession} session
 * @param {object} body
 */
function post(path, session, body) {
  return fetch(`${session.api}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${session.token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
  });
}

/** Tell the open app (if any) that its outbox or reminders changed. */
async function tellTheApp() {
  const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) client.postMessage({ type: "reminder-acted" });
}

/** "Taken": the dose logged as the app logs it (js/screens/today.js: a client_id made once,
 *  the outbox item js/queue.js writes). Written to the outbox first, then sent: a 201 or 200
 *  (a resend of this client_id) takes it out; offline, a 5xx or a refusal leaves it for the
 *  app to send or show, as its own items.
 * @param {RemindedDose} dose
 * @param {SharedSession} session
 */
async function logTaken(dose, session) {
  const body = {
    client_id: crypto.randomUUID(),
    date: dose.date,
    slot: dose.slot,
    status: "taken",
    taken_at: new Date().toISOString(),
  };
  await inAppDb("outbox", "readwrite", (store) =>
    store.put({
      client_id: body.client_id,
      kind: "dose",
      body,
      user_id: session.user_id,
      created_at: new Date().toISOString(),
      state: "waiting",
      attempts: 0,
      last_attempt_at: null,
      error: null,
    }),
  );
  try {
    const response = await post("me/doses/", session, body);
    if (response.status === 201 || response.status === 200) {
      await inAppDb("outbox", "readwrite", (store) => store.delete(body.client_id));
    }
  } catch (error) {
    console.warn("offline: the dose waits in the app's outbox", error);
  }
  await tellTheApp();
}

/** "Remind me in 30 min": the server's snooze (the dose's next reminder). Refused (logged
 *  already, too late) or offline: the reminder is shown again, to act on in the app.
 * @param {RemindedDose} dose
 * @param {SharedSession} session
 * @param {Notification} notification
 */
async function snooze(dose, session, notification) {
  let done = false;
  try {
    const response = await post(`me/doses/${dose.date}/${dose.slot}/snooze/`, session, {
      minutes: dose.snooze_minutes,
    });
    done = response.ok;
  } catch (error) {
    console.warn("offline: the snooze was not sent", error);
  }
  if (!done) {
    await sw.registration.showNotification(notification.title, {
      body: notification.body,
      icon: notification.icon,
      tag: notification.tag,
      data: { url: SHELL_URL },
    });
  }
  await tellTheApp();
}

/** What a click on a notification (or one of its buttons) does.
 * @param {string} action "taken", "snooze" or "" (the notification itself)
 * @param {Notification} notification
 * @returns {Promise<unknown>}
 */
async function handleNotificationClick(action, notification) {
  const data = notification.data || {};
  if (!action || data.kind !== "dose_reminder") return openApp();
  const session = await inAppDb("cache", "readonly", (store) => store.get(WORKER_SESSION_KEY));
  if (!session) return openApp(); // signed out on this phone: the app asks to sign in
  if (action === "taken") return logTaken(data, session);
  if (action === "snooze") return snooze(data, session, notification);
  return openApp();
}

sw.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(handleNotificationClick(event.action, event.notification));
});

// For the browser tests: the click handler, called as the notificationclick event calls it.
/** @type {any} */ (sw).handleNotificationClick = handleNotificationClick;

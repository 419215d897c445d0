// @ts-check
// Dose reminders as push notifications. The server sends pushes through Firebase Cloud
// Messaging to the registration tokens of POST me/devices/. This module asks the patient for
// permission (after their first dose is logged, or from Settings), gets this phone's FCM
// token with the Firebase web SDK and registers it.
//
// The SDK is vendored (../vendor/, see backend/patientapp/VENDORED.md) and imported here only,
// only when the server has push configured and a token is needed. It is not part of the
// cached shell: a token can only be had online, so the app starts small and works offline
// without it. The page's CSP lets it reach Firebase only when push is configured
// (views.firebase_csp); the service worker shows the pushes itself.

import { request } from "./api.js";
import { state } from "./state.js";

export const NOT_CONFIGURED = "not_configured";
export const UNSUPPORTED = "unsupported";
export const BLOCKED = "blocked";
export const FAILED = "failed";
export const READY = "ready";
export const ON = "on";

const TOKEN_KEY = "gist.push-token";
// Firebase's requests have no timeout of their own; past this the patient is told it failed.
const TOKEN_TIMEOUT_MS = 30_000;

const supported = () =>
  "Notification" in window && "serviceWorker" in navigator && "PushManager" in window;

const configured = () => Boolean(state.config.push && state.config.push.configured);

/** Where reminders stand on this phone, for the settings screen.
 * @returns {string} one of NOT_CONFIGURED, UNSUPPORTED, BLOCKED, ON, READY
 */
export function reminderState() {
  if (!configured()) return NOT_CONFIGURED;
  if (!supported()) return UNSUPPORTED;
  if (Notification.permission === "denied") return BLOCKED;
  // A permission reset in the browser ("default") means asking again, whatever was kept.
  if (Notification.permission === "granted" && localStorage.getItem(TOKEN_KEY)) return ON;
  return READY;
}

/** Whether to offer reminders now: possible here, not on yet, and never asked before.
 * @param {boolean} asked
 * @returns {boolean}
 */
export function shouldOfferReminders(asked) {
  return reminderState() === READY && !asked;
}

/** Ask for permission, get this phone's push token and register it. Returns a state.
 * @returns {Promise<string>} ON, or why not (NOT_CONFIGURED, UNSUPPORTED, BLOCKED, FAILED)
 */
export async function turnOnReminders() {
  if (!configured()) return NOT_CONFIGURED;
  if (!supported()) return UNSUPPORTED;
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return BLOCKED;
  return (await registerThisPhone()) ? ON : FAILED;
}

/** At start and after a sign-in, on a phone with reminders on: FCM may have given a new token
 *  (the SDK renews it weekly, and when the browser's push subscription changed), or another
 *  patient may have signed in here. Registering again is harmless: POST me/devices/ with a
 *  known token marks it seen (and moves it to whoever is signed in). Quiet on failure.
 * @returns {Promise<void>}
 */
export async function refreshReminders() {
  if (!configured() || !supported() || !navigator.onLine) return;
  if (Notification.permission !== "granted" || !localStorage.getItem(TOKEN_KEY)) return;
  await registerThisPhone();
}

/** Tell the server to send this phone's reminders to `token`.
 * @param {string} token
 * @returns {Promise<any>}
 */
export async function registerDevice(token) {
  const { data } = await request("POST", "me/devices/", { body: { token, platform: "web" } });
  return data;
}

/** At sign-out: this phone's reminders stop going to the account signing out (a shared or
 *  handed-on phone must not show them). The token travels in the body only. Quiet on failure
 *  (offline, already gone): the server also stops pushing when the token is refused.
 * @returns {Promise<void>}
 */
export async function unregisterThisPhone() {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return;
  try {
    await request("POST", "me/devices/unregister/", { body: { token } });
  } catch (error) {
    console.warn("push token not unregistered", error);
  }
  localStorage.removeItem(TOKEN_KEY);
}

/** Get this phone's token and register it; false if either step failed. */
async function registerThisPhone() {
  const token = await fcmToken();
  if (!token) return false;
  try {
    await registerDevice(token);
  } catch (error) {
    console.warn("push token not registered", error);
    return false;
  }
  localStorage.setItem(TOKEN_KEY, token);
  return true;
}

/** This phone's FCM registration token, or null: offline, the SDK not loaded, a browser
 *  without what FCM needs (isSupported()), no push service, or Firebase refused. */
async function fcmToken() {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), TOKEN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([askFirebase(), timeout]);
  } catch (error) {
    console.warn("no push token", error);
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function askFirebase() {
  const loaded = await firebaseMessaging();
  if (!loaded) return null;
  // The app's own worker (/app/sw.js, this page's scope), once active: the browser's push
  // subscription belongs to it, and it is what shows the pushes.
  const serviceWorkerRegistration = await navigator.serviceWorker.ready;
  const token = await loaded.sdk.getToken(loaded.messaging, {
    vapidKey: state.config.push.vapid_key,
    serviceWorkerRegistration,
  });
  return token || null;
}

let loading = null;

/** Firebase Messaging for the server's web config, loaded and initialised once per page; null
 *  where the browser cannot use it. A failed load (offline) is tried again next time. */
function firebaseMessaging() {
  if (!loading) {
    loading = (async () => {
      const [app, sdk] = await Promise.all([
        import("../vendor/firebase-13.2.0/firebase-app.js"),
        import("../vendor/firebase-13.2.0/firebase-messaging.js"),
      ]);
      // Checked first: getMessaging() in such a browser fails later, unhandled.
      if (!(await sdk.isSupported())) return null;
      const firebase = app.getApps().length
        ? app.getApp()
        : app.initializeApp(state.config.push.firebase);
      return { sdk, messaging: sdk.getMessaging(firebase) };
    })();
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

// Dose reminders as push notifications. The server sends pushes through Firebase Cloud
// Messaging to the registration tokens of POST me/devices/. This module asks the patient for
// permission (after their first dose is logged, or from Settings) and registers the token.
//
// Getting an FCM registration token in a browser needs the Firebase web SDK (its messaging
// getToken(), with the server's web config and VAPID key), which this app does not include
// yet: `fcmToken` below is the one piece left to wire. Until then the app says so plainly.

import { request } from "./api.js";
import { state } from "./state.js";

export const NOT_CONFIGURED = "not_configured";
export const UNSUPPORTED = "unsupported";
export const BLOCKED = "blocked";
export const NOT_WIRED = "not_wired";
export const READY = "ready";
export const ON = "on";

const supported = () =>
  "Notification" in window && "serviceWorker" in navigator && "PushManager" in window;

/** Where reminders stand on this phone, for the settings screen. */
export function reminderState() {
  if (!state.config.push || !state.config.push.configured) return NOT_CONFIGURED;
  if (!supported()) return UNSUPPORTED;
  if (Notification.permission === "denied") return BLOCKED;
  if (localStorage.getItem("gist.push-token")) return ON;
  return READY;
}

/** Whether to offer reminders now: possible here, not on yet, and never asked before. */
export function shouldOfferReminders(asked) {
  return reminderState() === READY && !asked;
}

/** Ask for permission, get this phone's push token and register it. Returns a state. */
export async function turnOnReminders() {
  if (reminderState() === NOT_CONFIGURED) return NOT_CONFIGURED;
  if (!supported()) return UNSUPPORTED;
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return BLOCKED;
  const token = await fcmToken();
  if (!token) return NOT_WIRED;
  await registerDevice(token);
  localStorage.setItem("gist.push-token", token);
  return ON;
}

/** Tell the server to send this phone's reminders to `token`. */
export async function registerDevice(token) {
  const { data } = await request("POST", "me/devices/", { body: { token, platform: "web" } });
  return data;
}

/** This phone's FCM registration token. Not wired: it needs Firebase Messaging's
 *  getToken(messaging, {vapidKey, serviceWorkerRegistration}) with `push.firebase` and
 *  `push.vapid_key` from /app/config.json (and the CSP's connect-src opened to Firebase). */
async function fcmToken() {
  return null;
}

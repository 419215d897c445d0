// @ts-check
// The sign-in kept on this device: the bearer token and who it belongs to. Kept in
// localStorage (this origin only); signing out forgets it, and the server revokes it. A copy
// is kept in the app's IndexedDB (the "cache" store, key WORKER_SESSION_KEY) for the service
// worker, which cannot read localStorage: a reminder's "Taken" and "Remind me in 30 min"
// buttons act with it without opening the app (templates/patientapp/sw.js).

import { dbDelete, dbPut } from "./db.js";

const KEY = "gist.session";
const LANGUAGE_KEY = "gist.language";
const ASKED_KEY = "gist.reminders-asked";
const SIGNED_IN_BEFORE_KEY = "gist.signed-in-before";

/**
 * The kept sign-in, or null (none, or unreadable).
 * @returns {import("./state.js").Session | null}
 */
export function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) || "null");
    return session && session.token && session.user ? session : null;
  } catch (error) {
    console.warn("the kept sign-in is unreadable: signed out", error);
    return null;
  }
}

/**
 * Keep the sign-in of POST auth/login/ or auth/activate/'s answer.
 * @param {{token: string, expiry: string, user: any}} tokenBody
 * @returns {import("./state.js").Session}
 */
export function saveSession(tokenBody) {
  const session = { token: tokenBody.token, expiry: tokenBody.expiry, user: tokenBody.user };
  localStorage.setItem(KEY, JSON.stringify(session));
  localStorage.setItem(SIGNED_IN_BEFORE_KEY, "yes");
  return session;
}

/** Someone has signed in on this phone before: it opens at "Sign in", not the welcome.
 * @returns {boolean}
 */
export function signedInBefore() {
  return localStorage.getItem(SIGNED_IN_BEFORE_KEY) === "yes";
}

/**
 * Forget the kept sign-in (signing out).
 */
export function clearSession() {
  localStorage.removeItem(KEY);
}

/** The language chosen in this app's settings, if any (it wins over the profile's).
 * @returns {string}
 */
export function chosenLanguage() {
  return localStorage.getItem(LANGUAGE_KEY) || "";
}

/**
 * @param {string} code
 */
export function chooseLanguage(code) {
  localStorage.setItem(LANGUAGE_KEY, code);
}

/**
 * Whether the patient has been asked about reminders on this phone.
 * @returns {boolean}
 */
export function remindersAsked() {
  return localStorage.getItem(ASKED_KEY) === "yes";
}

/**
 * They have been asked: the offer is not made again.
 */
export function setRemindersAsked() {
  localStorage.setItem(ASKED_KEY, "yes");
}

// The service worker reads this key (templates/patientapp/sw.js, WORKER_SESSION_KEY).
const WORKER_SESSION_KEY = "sw:session";

/** Keep the sign-in where the service worker can read it (or forget it: null).
 * @param {import("./state.js").Session | null} session
 * @param {string} apiRoot the API's root path, e.g. "/api/v1/"
 * @returns {Promise<void>}
 */
export async function shareSessionWithWorker(session, apiRoot) {
  if (!session) {
    await dbDelete("cache", WORKER_SESSION_KEY);
    return;
  }
  await dbPut("cache", {
    key: WORKER_SESSION_KEY,
    token: session.token,
    user_id: session.user.id,
    api: apiRoot,
  });
}

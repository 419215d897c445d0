// @ts-check
// What every screen shares: the server's config, the sign-in, the patient's profile, and a
// few app-wide events ("outbox-sent", "signed-out") and the screen-reader announcer. Screens
// read `state` freely; they change it only through the setters below (tests/test_js_checks.py
// finds any other write).

/** The page's data- attributes: where the API, config, worker, scope and strings are.
 * @typedef {{api?: string, config?: string, sw?: string, scope?: string, i18n?: string}} Urls
 */
/** GET /app/config: the version, push (Firebase) settings, the backfill window...
 * @typedef {object} Config
 * @property {string} version
 * @property {{configured: boolean, vapid_key?: string, firebase?: object}} push
 * @property {number} [dose_backfill_days]
 * @property {number} [dose_late_after_minutes]
 * @property {number} [dose_early_confirm_hours]
 */
/** The signed-in user (auth/login/'s answer, GET me/).
 * @typedef {object} User
 * @property {number} id
 * @property {string} username
 * @property {string} role
 * @property {number} [patient_id]
 * @property {import("./types.js").CareTeam} [care_team]
 */
/** The sign-in kept on this phone (session.js).
 * @typedef {{token: string, expiry: string, user: User}} Session
 */
/** The patient record (GET patients/<id>/): its language and time zone.
 * @typedef {{language?: string, time_zone?: string}} Patient
 */
/** The push preferences (GET me/notification-preferences/): their language and the dose
 *  reminder settings (issue 22).
 * @typedef {object} Preferences
 * @property {string} [language]
 * @property {number} [reminder_offset_minutes]
 * @property {boolean} [follow_up_enabled]
 * @property {number} [follow_up_minutes]
 * @property {string | null} [quiet_start]
 * @property {string | null} [quiet_end]
 * @property {{max_offset_minutes: number, min_follow_up_minutes: number, max_follow_up_minutes: number}} [limits]
 */
/** A message the next screen shows once.
 * @typedef {{kind: string, message: string}} Flash
 */
/** @typedef {{urls: Urls, config: Config, session: Session | null, patient: Patient | null, preferences: Preferences | null, flash: Flash | null}} AppState */

/** @type {AppState} */
export const state = {
  urls: {},
  config: { version: "", push: { configured: false } },
  session: null,
  patient: null,
  preferences: null,
  flash: null,
};

/** The page's addresses (its data- attributes), read once at start.
 * @param {Urls} urls
 */
export function setUrls(urls) {
  state.urls = urls;
}

/** The server's /app/config (or the defaults, offline with no kept copy).
 * @param {Config} config
 */
export function setConfig(config) {
  state.config = config;
}

/** The sign-in kept on this phone, or null when signed out.
 * @param {Session | null} session
 */
export function setSession(session) {
  state.session = session;
}

/** The patient record (language, time zone), or null.
 * @param {Patient | null} patient
 */
export function setPatient(patient) {
  state.patient = patient;
}

/** The push preferences (their language), or null.
 * @param {Preferences | null} preferences
 */
export function setPreferences(preferences) {
  state.preferences = preferences;
  emit("preferences-changed", preferences);
}

/** The message the next screen shows once, or null once it has been shown.
 * @param {Flash | null} flash
 */
export function setFlashMessage(flash) {
  state.flash = flash;
}

const events = new EventTarget();

/**
 * Tell the app's listeners (`on`) that `name` happened.
 * @param {string} name
 * @param {unknown} [detail]
 */
export function emit(name, detail) {
  events.dispatchEvent(new CustomEvent(name, { detail }));
}

/**
 * Call `listener(detail)` on every `emit(name, detail)`; returns the unsubscribe.
 * @param {string} name
 * @param {(detail: any) => unknown} listener
 * @returns {() => void}
 */
export function on(name, listener) {
  const wrapped = (event) => listener(event.detail);
  events.addEventListener(name, wrapped);
  return () => events.removeEventListener(name, wrapped);
}

/**
 * The signed-in user's id, or null.
 * @returns {number | null}
 */
export function userId() {
  return state.session ? state.session.user.id : null;
}

/** Read `message` to screen-reader users without moving their focus.
 * @param {string} message
 */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick, so the same message twice is read twice.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** Show screen `name` (again, if it is the one shown).
 * @param {string} name
 */
export function navigate(name) {
  if (location.hash === `#/${name}`) emit("reroute");
  else location.hash = `#/${name}`;
}

// What every screen shares: the server's config, the sign-in, the patient's profile, and a
// few app-wide events ("outbox-sent", "signed-out") and the screen-reader announcer. Screens
// read `state` freely; they change it only through the setters below (tests/test_js_checks.py
// finds any other write).

export const state = {
  urls: {},
  config: { version: "", push: { configured: false } },
  session: null,
  patient: null,
  preferences: null,
  flash: null,
};

/** The page's addresses (its data- attributes), read once at start. */
export function setUrls(urls) {
  state.urls = urls;
}

/** The server's /app/config (or the defaults, offline with no kept copy). */
export function setConfig(config) {
  state.config = config;
}

/** The sign-in kept on this phone, or null when signed out. */
export function setSession(session) {
  state.session = session;
}

/** The patient record (language, time zone), or null. */
export function setPatient(patient) {
  state.patient = patient;
}

/** The push preferences (their language), or null. */
export function setPreferences(preferences) {
  state.preferences = preferences;
}

/** The message the next screen shows once, or null once it has been shown. */
export function setFlashMessage(flash) {
  state.flash = flash;
}

const events = new EventTarget();

export function emit(name, detail) {
  events.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, listener) {
  const wrapped = (event) => listener(event.detail);
  events.addEventListener(name, wrapped);
  return () => events.removeEventListener(name, wrapped);
}

export function userId() {
  return state.session ? state.session.user.id : null;
}

/** Read `message` to screen-reader users without moving their focus. */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick, so the same message twice is read twice.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** Show screen `name` (again, if it is the one shown). */
export function navigate(name) {
  if (location.hash === `#/${name}`) emit("reroute");
  else location.hash = `#/${name}`;
}

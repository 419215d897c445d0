// What every screen shares: the server's config, the sign-in, the patient's profile, and a
// few app-wide events ("outbox-sent", "signed-out") and the screen-reader announcer.

export const state = {
  urls: {},
  config: { version: "", push: { configured: false } },
  session: null,
  patient: null,
  preferences: null,
};

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

// The sign-in kept on this device: the bearer token and who it belongs to. Kept in
// localStorage (this origin only); signing out forgets it, and the server revokes it.

const KEY = "gist.session";
const LANGUAGE_KEY = "gist.language";
const ASKED_KEY = "gist.reminders-asked";
const SIGNED_IN_BEFORE_KEY = "gist.signed-in-before";

export function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) || "null");
    return session && session.token && session.user ? session : null;
  } catch (error) {
    console.warn("the kept sign-in is unreadable: signed out", error);
    return null;
  }
}

export function saveSession(tokenBody) {
  const session = { token: tokenBody.token, expiry: tokenBody.expiry, user: tokenBody.user };
  localStorage.setItem(KEY, JSON.stringify(session));
  localStorage.setItem(SIGNED_IN_BEFORE_KEY, "yes");
  return session;
}

/** Someone has signed in on this phone before: it opens at "Sign in", not the welcome. */
export function signedInBefore() {
  return localStorage.getItem(SIGNED_IN_BEFORE_KEY) === "yes";
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

/** The language chosen in this app's settings, if any (it wins over the profile's). */
export function chosenLanguage() {
  return localStorage.getItem(LANGUAGE_KEY) || "";
}

export function chooseLanguage(code) {
  localStorage.setItem(LANGUAGE_KEY, code);
}

export function remindersAsked() {
  return localStorage.getItem(ASKED_KEY) === "yes";
}

export function setRemindersAsked() {
  localStorage.setItem(ASKED_KEY, "yes");
}

// @ts-check
// The patient app's entry: settings from the page's data- attributes, the service worker,
// the language, the sign-in, the screens (#/today, #/symptoms, #/history, #/settings) and
// the outbox sender.

import { configureApi } from "./api.js";
import { startReminderBanner, stopReminderBanner } from "./reminder-banner.js";
import { h } from "./dom.js";
import { currentLanguage, loadLanguage, pickLanguage, setZone, t } from "./i18n.js";
import { refreshReminders } from "./push.js";
import {
  chosenLanguage,
  clearSession,
  loadSession,
  saveSession,
  shareSessionWithWorker,
  signedInBefore,
} from "./session.js";
import {
  emit,
  navigate,
  on,
  setConfig,
  setPatient,
  setPreferences,
  setSession,
  setUrls,
  state,
} from "./state.js";
import { forgetAll, peek, read } from "./store.js";
import { flush, startSync } from "./sync.js";
import { setFlash } from "./ui.js";
import { warnFailed } from "./warn.js";
import { mountHistory } from "./screens/history.js";
import { mountSettings } from "./screens/settings.js";
import { mountSymptoms } from "./screens/symptoms.js";
import { mountToday } from "./screens/today.js";
import { mountCaregiverView } from "./screens/caregiver.js";
import { mountActivate, mountCaregiverJoin, mountSignIn, mountWelcome } from "./screens/welcome.js";

const SIGNED_IN = {
  today: mountToday,
  symptoms: mountSymptoms,
  history: mountHistory,
  settings: mountSettings,
};
const SIGNED_OUT = {
  welcome: mountWelcome,
  activate: mountActivate,
  signin: mountSignIn,
  "carer-join": mountCaregiverJoin,
};
// A caregiver (a patient's family member) has one screen: their patient's doses of today.
const CAREGIVER = { carer: mountCaregiverView };
const TABS = ["today", "symptoms", "history", "settings"];

let mounted = null;
let routeCount = 0;
let syncing = false;

function readUrls() {
  const data = document.documentElement.dataset;
  setUrls({
    api: data.api,
    config: data.config,
    sw: data.sw,
    scope: data.scope,
    i18n: data.i18n,
  });
}

async function loadConfig() {
  try {
    const response = await fetch(state.urls.config, { credentials: "omit" });
    if (response.ok) setConfig(await response.json());
  } catch (error) {
    // Offline with no kept copy: the defaults (no push) until the next start.
    console.warn("app config not loaded: the defaults until the next start", error);
  }
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(state.urls.sw, { scope: state.urls.scope }).catch((error) => {
    console.warn("service worker not registered", error);
  });
}

/** The patient's language: chosen in Settings on this phone, else their push preference,
 *  else their patient record's, else the browser's. */
async function applyLanguage() {
  const code = pickLanguage(
    chosenLanguage(),
    state.preferences && state.preferences.language,
    state.patient && state.patient.language,
    navigator.languages,
  );
  if (code !== currentLanguage() || !document.documentElement.dataset.ready) {
    await loadLanguage(state.urls.i18n, code);
    document.documentElement.dataset.ready = "yes";
  }
  if (state.patient) setZone(state.patient.time_zone);
}

function renderChrome() {
  document.getElementById("skip-link").textContent = t("app.skip_to_content");
  document.getElementById("brand").textContent = t("app.name");
  const bar = document.getElementById("tab-bar");
  bar.setAttribute("aria-label", t("nav.label"));
  bar.hidden = !state.session || isCaregiver();
  const current = currentRoute().name;
  bar.replaceChildren(
    h(
      "ul",
      {},
      TABS.map((name) =>
        h(
          "li",
          {},
          h(
            "a",
            {
              href: `#/${name}`,
              class: `tab tab-${name}`,
              "aria-current": current === name ? "page" : null,
              // The tab of the screen already shown starts that screen afresh (after a
              // report, "Symptoms" opens a new one): the address does not change, so no
              // hashchange would come.
              onclick: (event) => {
                if (location.hash !== `#/${name}`) return; // the address changes: hashchange
                event.preventDefault();
                route();
              },
            },
            h("span", { class: "tab-icon", "aria-hidden": "true" }, t(`nav.${name}.icon`)),
            h("span", { class: "tab-label" }, t(`nav.${name}`)),
          ),
        ),
      ),
    ),
  );
  showConnection();
}

function showConnection() {
  const line = document.getElementById("connection");
  line.hidden = navigator.onLine;
  line.textContent = navigator.onLine ? "" : t("offline.banner");
}

/** Signed in as a patient's caregiver (not the patient): their own small app. */
function isCaregiver() {
  return Boolean(state.session && state.session.user.role === "caregiver");
}

function currentRoute() {
  // A query after the screen's name (#/activate?code=...) is the screen's to read.
  const match = location.hash.match(/^#\/([a-z-]+)(?:\/([^?]*))?(?:\?.*)?$/);
  if (!match) return { name: "", arg: "" };
  return { name: match[1], arg: decodeURIComponent(match[2] || "") };
}

/** Mount the screen the address names (a signed-out visitor only gets the welcome screens). */
async function route() {
  const { name, arg } = currentRoute();
  // "#main" (the skip link) moves the focus, not the screen; at start it means the default.
  if (!name && mounted && location.hash && location.hash !== "#") return;
  const screens = !state.session ? SIGNED_OUT : isCaregiver() ? CAREGIVER : SIGNED_IN;
  const landing = !state.session
    ? signedInBefore()
      ? "signin"
      : "welcome"
    : isCaregiver()
      ? "carer"
      : "today";
  const screen = screens[name] ? name : landing;
  if (screen !== name) history.replaceState(null, "", `#/${screen}`);
  routeCount += 1;
  const mine = routeCount;
  if (mounted) mounted.cleanup();
  const main = document.getElementById("main");
  const container = h("div", { class: `screen screen-${screen}` });
  main.replaceChildren(container);
  renderChrome();
  mounted = screens[screen](container, arg);
  await mounted.ready;
  if (mine !== routeCount) return;
  const heading = container.querySelector("h1");
  if (heading) {
    document.title = `${heading.textContent} · ${t("app.name")}`;
    if (document.activeElement === document.body || !main.contains(document.activeElement)) {
      heading.focus({ preventScroll: false });
    }
  }
}

/** The patient record (language, zone), push preferences and the account (its care team's
 *  phone and emergency number, for the red-flag instruction), kept for offline starts. */
async function refreshProfile() {
  const patientId = state.session.user.patient_id;
  const results = await Promise.allSettled([
    read("patient", `patients/${patientId}/`),
    read("preferences", "me/notification-preferences/"),
    read("me", "me/"),
  ]);
  if (results[0].status === "fulfilled") setPatient(results[0].value.data);
  if (results[1].status === "fulfilled") setPreferences(results[1].value.data);
  const before = currentLanguage();
  await applyLanguage();
  if (currentLanguage() !== before) route();
}

/** Read once at start what the other screens need offline (the symptom catalogue, the
 *  reports, the weights, the plan), so a patient who has only opened Today can still report
 *  offline and see what to do after a red flag. */
function prefetch() {
  // Offline with nothing kept: each screen says so itself when it is opened.
  read("catalogue", "symptoms/").catch(warnFailed("reading ahead the symptom catalogue"));
  read("reports", "me/side-effects/").catch(warnFailed("reading ahead the reports"));
  read("weights", "me/weights/").catch(warnFailed("reading ahead the weights"));
  read("plan", "me/plan/", { missingIsNull: true }).catch(warnFailed("reading ahead the plan"));
}

function beginSync() {
  if (syncing) {
    flush();
    return;
  }
  syncing = true;
  startSync();
}

/** The sign-in, for a reminder's buttons in the service worker (js/session.js). */
function shareSession() {
  shareSessionWithWorker(state.session, state.urls.api || "/api/v1/").catch(
    warnFailed("sharing the sign-in with the service worker"),
  );
}

async function signedIn({ tokenBody, activated }) {
  setSession(saveSession(tokenBody));
  if (isCaregiver()) {
    // Nothing of a patient to read ahead, sync or remind: only their pushes on this phone.
    if (activated) {
      setFlash("success", t("caregiver.joined", { username: tokenBody.user.username }));
    }
    refreshReminders().catch(warnFailed("refreshing this phone's notifications"));
    navigate("carer");
    return;
  }
  shareSession();
  await refreshProfile();
  if (activated) {
    setFlash("success", t("activate.done", { username: tokenBody.user.username }));
  }
  beginSync();
  prefetch();
  startReminderBanner();
  refreshReminders().catch(warnFailed("refreshing this phone's reminders"));
  navigate("today");
}

async function signedOut({ reason }) {
  // Several requests may fail with 401 together: the first one signs out, once.
  if (!state.session) return;
  // The outbox stays: what is waiting is sent when this patient signs in here again.
  clearSession();
  setSession(null);
  setPatient(null);
  setPreferences(null);
  await forgetAll(); // the service worker's copy of the sign-in too
  stopReminderBanner();
  setFlash(reason === "expired" ? "warning" : "success", t(`signout.${reason}`));
  await applyLanguage();
  navigate("signin");
}

async function start() {
  readUrls();
  configureApi({
    root: state.urls.api,
    token: () => (state.session ? state.session.token : null),
    // Only for the token in use: a late answer to an older sign-in's request changes nothing.
    onUnauthorized: (token) => {
      if (state.session && state.session.token === token) emit("signed-out", { reason: "expired" });
    },
  });
  registerWorker();
  await loadConfig();
  setSession(loadSession());
  if (state.session) {
    setPatient(await peek("patient"));
    setPreferences(await peek("preferences"));
  }
  await applyLanguage();
  on("signed-in", signedIn);
  on("reroute", route);
  on("signed-out", signedOut);
  on("language-changed", async () => {
    await applyLanguage();
    route();
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  await route();
  if (state.session && isCaregiver()) {
    refreshReminders().catch(warnFailed("refreshing this phone's notifications"));
  } else if (state.session) {
    shareSession();
    startReminderBanner();
    beginSync();
    prefetch();
    // The kept profile and language stay until the next start or sign-in.
    refreshProfile().catch(warnFailed("refreshing the profile"));
    refreshReminders().catch(warnFailed("refreshing this phone's reminders"));
  }
}

start();

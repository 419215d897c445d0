// @ts-check
// The in-app reminder banner: the dose reminders the server's reminder job has produced (the
// patient's offset, follow-ups and snoozes as the job applied them), shown while the app is
// open, with "Taken" and "Remind me in 30 min". It is how reminders are seen without Firebase
// (`make run`), and what an open app shows instead of waiting for a push. GET me/reminders/
// lists the latest reminder of each dose still not logged that was not closed here.

import { ApiError, NetworkError, request } from "./api.js";
import { h, uuid } from "./dom.js";
import { t } from "./i18n.js";
import { enqueue } from "./queue.js";
import { emit, on, state, userId } from "./state.js";
import { flush } from "./sync.js";
import { warnFailed } from "./warn.js";

const CHECK_EVERY_MS = 60_000;
const SNOOZE_MINUTES = 30;

/** @typedef {{id: number, date: string, slot: number, local_time: string, attempt: number}} Reminder */

let timer = null;
let stopSent = null;
/** @type {Reminder[]} */
let shown = [];
let message = "";
// Doses logged here whose log may still be waiting to send (offline): not shown again.
const logged = new Set();

function element() {
  let banner = document.getElementById("reminder-banner");
  if (!banner) {
    banner = h("section", {
      id: "reminder-banner",
      class: "reminder-banner",
      "aria-label": t("remind.banner_label"),
      hidden: true,
    });
    const main = document.getElementById("main");
    if (main && main.parentNode) main.parentNode.insertBefore(banner, main);
  }
  return banner;
}

const keyOf = (/** @type {Reminder} */ reminder) => `${reminder.date}:${reminder.slot}`;

function paint() {
  const banner = element();
  const visible = shown.filter((reminder) => !logged.has(keyOf(reminder)));
  banner.hidden = !visible.length && !message;
  banner.setAttribute("aria-label", t("remind.banner_label"));
  banner.replaceChildren(
    ...visible.map((reminder) =>
      h(
        "div",
        { class: "reminder-banner-item", role: "status", dataset: { dose: keyOf(reminder) } },
        h(
          "p",
          { class: "reminder-banner-text" },
          reminder.attempt
            ? t("remind.banner_follow_up", { time: reminder.local_time })
            : t("remind.banner_due", { time: reminder.local_time }),
        ),
        h(
          "div",
          { class: "reminder-banner-actions" },
          h(
            "button",
            { type: "button", class: "button", onclick: () => taken(reminder) },
            t("remind.taken"),
          ),
          h(
            "button",
            { type: "button", class: "button button-secondary", onclick: () => snooze(reminder) },
            t("remind.snooze"),
          ),
          h(
            "button",
            { type: "button", class: "button button-secondary", onclick: () => close(reminder) },
            t("remind.close"),
          ),
        ),
      ),
    ),
    message ? h("p", { class: "reminder-banner-message", role: "status" }, message) : null,
  );
}

/** Ask the server for the reminders to show now (offline: what was shown stays). */
async function check() {
  if (!state.session) return;
  try {
    const { data } = await request("GET", "me/reminders/");
    shown = data;
    paint();
  } catch (error) {
    if (!(error instanceof NetworkError)) warnFailed("reading the reminders to show")(error);
  }
}

/** "Taken": logged as Today logs a dose (the outbox, a client_id made once), so it is sent
 *  now or when the phone is back online, and never twice. */
async function taken(/** @type {Reminder} */ reminder) {
  const body = {
    client_id: uuid(),
    date: reminder.date,
    slot: reminder.slot,
    status: "taken",
    taken_at: new Date().toISOString(),
  };
  logged.add(keyOf(reminder));
  message = t("remind.logged");
  paint();
  await enqueue("dose", body, userId());
  await flush();
  emit("reroute"); // Today shows the dose as logged
}

async function snooze(/** @type {Reminder} */ reminder) {
  try {
    await request("POST", `me/doses/${reminder.date}/${reminder.slot}/snooze/`, {
      body: { minutes: SNOOZE_MINUTES },
    });
    message = t("remind.snoozed", { minutes: SNOOZE_MINUTES });
    shown = shown.filter((other) => keyOf(other) !== keyOf(reminder));
  } catch (error) {
    message = error instanceof ApiError ? error.reasons.join(" ") : t("remind.snooze_offline");
  }
  paint();
}

async function close(/** @type {Reminder} */ reminder) {
  shown = shown.filter((other) => keyOf(other) !== keyOf(reminder));
  message = "";
  paint();
  await request("POST", `me/reminders/${reminder.date}/${reminder.slot}/seen/`).catch(
    warnFailed("closing the reminder"),
  );
}

function onVisible() {
  if (document.visibilityState === "visible") check();
}

function onWorkerMessage(/** @type {MessageEvent} */ event) {
  // The notification's buttons acted (service worker): send what it queued, show afresh.
  if (event.data && event.data.type === "reminder-acted") {
    flush().then(() => emit("reroute"), warnFailed("sending after a notification's button"));
    check();
  }
}

/** Show the server's reminders while the app is open: now, every minute, when the app is
 *  shown again, after something is sent, and after a notification's button acted. */
export function startReminderBanner() {
  if (timer) return;
  check();
  timer = setInterval(check, CHECK_EVERY_MS);
  document.addEventListener("visibilitychange", onVisible);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", onWorkerMessage);
  }
  stopSent = on("outbox-sent", () => check());
}

/** Signed out: nothing of this patient stays on screen. */
export function stopReminderBanner() {
  clearInterval(timer);
  timer = null;
  document.removeEventListener("visibilitychange", onVisible);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.removeEventListener("message", onWorkerMessage);
  }
  if (stopSent) stopSent();
  stopSent = null;
  shown = [];
  message = "";
  logged.clear();
  paint();
}

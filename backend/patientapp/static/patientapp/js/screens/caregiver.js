// @ts-check
// A caregiver's one screen (#/carer): the name the patient chose, whether each dose of their
// today is logged (the medicine's name only when the patient allowed it), notifications on
// this phone, and signing out. Nothing else of the patient is ever asked for: the server
// refuses a caregiver everywhere else. Online only (nothing to keep or queue).

import { ApiError, NetworkError, request } from "../api.js";
import { delayText } from "../caregivers.js";
import { fill, h } from "../dom.js";
import { formatClock, formatDate, t } from "../i18n.js";
import { READY, reminderState, turnOnReminders, unregisterThisPhone } from "../push.js";
import { setRemindersAsked } from "../session.js";
import { emit } from "../state.js";
import { notice, screenHeading, takeFlash } from "../ui.js";

const STATUS_CLASS = {
  logged: "badge-taken",
  not_logged: "badge-waiting",
  on_hold: "badge-skipped",
};
const STATUS_MARK = { logged: "✓", not_logged: "…", on_hold: "‖" };

/**
 * The caregiver's view into `container`.
 * @param {HTMLElement} container
 * @returns {import("../types.js").Screen}
 */
export function mountCaregiverView(container) {
  let disposed = false;
  const flash = takeFlash();
  let pushMessage = "";

  function doseRow(dose, named) {
    const time = formatClock(dose.local_time);
    return h(
      "li",
      { class: `dose ${dose.status === "logged" ? "dose-taken" : "dose-waiting"}` },
      h(
        "p",
        { class: "dose-title" },
        t(named ? "caregiver.medicine_dose_at" : "caregiver.dose_at", { time }),
      ),
      h(
        "span",
        { class: `badge ${STATUS_CLASS[dose.status]}` },
        h("span", { class: "badge-mark", "aria-hidden": "true" }, STATUS_MARK[dose.status]),
        " ",
        t(`caregiver.${dose.status}`),
      ),
    );
  }

  async function signOut() {
    await unregisterThisPhone();
    try {
      await request("POST", "auth/logout/");
    } catch (error) {
      // Offline or already signed out (removed): forget it here anyway.
      console.warn("caregiver sign-out not confirmed by the server", error);
    }
    emit("signed-out", { reason: "done" });
  }

  function notificationsCard(day) {
    const now = reminderState();
    return h(
      "section",
      { class: "card", "aria-labelledby": "carer-notifications" },
      h("h2", { id: "carer-notifications" }, t("caregiver.notifications")),
      day
        ? h("p", {}, t("caregiver.alert_rule", { delay: delayText(day.alert_after_minutes) }))
        : null,
      h("p", {}, t(`reminders.state_${now}`)),
      pushMessage ? h("p", { class: "notice notice-info", role: "status" }, pushMessage) : null,
      now === READY
        ? h(
            "button",
            {
              type: "button",
              class: "button",
              onclick: async () => {
                setRemindersAsked();
                pushMessage = t(`reminders.result_${await turnOnReminders()}`);
                load();
              },
            },
            t("caregiver.turn_on"),
          )
        : null,
    );
  }

  function signOutButton() {
    return h(
      "button",
      { type: "button", class: "button button-secondary", onclick: () => signOut() },
      t("caregiver.sign_out"),
    );
  }

  function paintDay(day) {
    fill(
      container,
      screenHeading(t("caregiver.view_title", { name: day.patient_name })),
      flash,
      h("p", { class: "lead" }, formatDate(day.date)),
      h("p", {}, t("caregiver.view_intro")),
      day.doses.length
        ? h(
            "ul",
            { class: "doses", "aria-label": t("caregiver.view_title", { name: day.patient_name }) },
            day.doses.map((dose) => doseRow(dose, day.show_medication_name)),
          )
        : h("p", {}, t("caregiver.no_doses")),
      notificationsCard(day),
      signOutButton(),
    );
  }

  function paintProblem(key, retry) {
    fill(
      container,
      screenHeading(t("caregiver.section")),
      flash,
      notice(retry ? "error" : "info", t(key)),
      retry
        ? h(
            "button",
            { type: "button", class: "button", onclick: () => load() },
            t("caregiver.retry"),
          )
        : null,
      signOutButton(),
    );
  }

  async function load() {
    try {
      const { data: patients } = await request("GET", "caregiver/patients/");
      if (disposed) return;
      if (!patients.length) {
        paintProblem("caregiver.removed", false);
        return;
      }
      const { data: day } = await request(
        "GET",
        `caregiver/patients/${patients[0].patient_id}/today/`,
      );
      if (!disposed) paintDay(day);
    } catch (error) {
      if (disposed) return;
      if (error instanceof ApiError && error.status === 404)
        paintProblem("caregiver.removed", false);
      else if (error instanceof ApiError && error.status === 401)
        return; // signed out by app.js
      else if (error instanceof NetworkError || error instanceof ApiError) {
        paintProblem("caregiver.load_failed", true);
      } else throw error;
    }
  }

  return {
    ready: load(),
    cleanup: () => {
      disposed = true;
    },
  };
}

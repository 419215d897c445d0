// @ts-check
// The patient's own dose reminder settings (issue 22), kept on the server
// (PATCH me/notification-preferences/) so the reminder job honours them on every phone: a
// reminder at the dose time or some minutes before, a follow-up while the dose is not logged
// (on by default, every N minutes), and quiet hours during which a reminder waits.

import { ApiError, request } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { setPreferences, state } from "./state.js";
import { update } from "./store.js";
import { field, notice, showFieldErrors } from "./ui.js";

const OFFSETS = [0, 5, 10, 15, 30, 45, 60, 90, 120];
const FOLLOW_UPS = [5, 10, 15, 20, 30, 45, 60];
const DEFAULT_LIMITS = {
  max_offset_minutes: 120,
  min_follow_up_minutes: 5,
  max_follow_up_minutes: 60,
};

/** The values offered, within the server's limits, with the current one always among them.
 * @param {number[]} choices
 * @param {number} low
 * @param {number} high
 * @param {number} current
 * @returns {number[]}
 */
function offered(choices, low, high, current) {
  const within = choices.filter((value) => value >= low && value <= high);
  if (!within.includes(current)) within.push(current);
  return within.sort((a, b) => a - b);
}

/** A select of minutes.
 * @param {string} name
 * @param {number[]} values
 * @param {number} current
 * @param {(minutes: number) => string} label
 * @returns {HTMLSelectElement}
 */
function minutesSelect(name, values, current, label) {
  return /** @type {HTMLSelectElement} */ (
    h(
      "select",
      { name, id: name },
      values.map((value) =>
        h("option", { value: String(value), selected: value === current }, label(value)),
      ),
    )
  );
}

/** A checkbox with its label (a 44 px target, as the symptom flags).
 * @param {string} name
 * @param {boolean} checked
 * @param {string} text
 * @returns {{row: HTMLElement, input: HTMLInputElement}}
 */
function checkbox(name, checked, text) {
  const input = /** @type {HTMLInputElement} */ (
    h("input", { type: "checkbox", id: name, name, checked })
  );
  return { row: h("label", { class: "choice", for: name }, input, h("span", {}, text)), input };
}

/** The reminder settings form, filled from the kept preferences and saved to the server.
 * @returns {HTMLFormElement}
 */
export function reminderSettingsForm() {
  const prefs = state.preferences || {};
  const limits = prefs.limits || DEFAULT_LIMITS;
  const offset = minutesSelect(
    "reminder_offset_minutes",
    offered(OFFSETS, 0, limits.max_offset_minutes, prefs.reminder_offset_minutes || 0),
    prefs.reminder_offset_minutes || 0,
    (minutes) => (minutes ? t("remind.offset_before", { minutes }) : t("remind.offset_at_time")),
  );
  const followUpMinutes = prefs.follow_up_minutes || limits.max_follow_up_minutes;
  const followUp = checkbox(
    "follow_up_enabled",
    prefs.follow_up_enabled !== false,
    t("remind.follow_up_enabled"),
  );
  const every = minutesSelect(
    "follow_up_minutes",
    offered(
      FOLLOW_UPS,
      limits.min_follow_up_minutes,
      limits.max_follow_up_minutes,
      followUpMinutes,
    ),
    followUpMinutes,
    (minutes) => t("remind.minutes", { minutes }),
  );
  const quiet = checkbox("quiet_enabled", Boolean(prefs.quiet_start), t("remind.quiet_enabled"));
  const quietStart = /** @type {HTMLInputElement} */ (
    h("input", {
      type: "time",
      class: "input",
      name: "quiet_start",
      id: "quiet_start",
      value: prefs.quiet_start || "22:00",
    })
  );
  const quietEnd = /** @type {HTMLInputElement} */ (
    h("input", {
      type: "time",
      class: "input",
      name: "quiet_end",
      id: "quiet_end",
      value: prefs.quiet_end || "07:00",
    })
  );
  const status = h("div", { class: "reminder-settings-status", role: "status" });
  const followUpBox = field(t("remind.follow_up_minutes"), every);
  const quietBox = h(
    "div",
    { class: "stack" },
    field(t("remind.quiet_start"), quietStart),
    field(t("remind.quiet_end"), quietEnd),
    h("p", { class: "hint" }, t("remind.quiet_hint")),
  );
  const sync = () => {
    every.disabled = !followUp.input.checked;
    quietBox.hidden = !quiet.input.checked;
  };
  followUp.input.addEventListener("change", sync);
  quiet.input.addEventListener("change", sync);
  sync();

  const form = /** @type {HTMLFormElement} */ (
    h(
      "form",
      {
        class: "stack reminder-settings",
        novalidate: true,
        onsubmit: async (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          const body = {
            reminder_offset_minutes: Number(offset.value),
            follow_up_enabled: followUp.input.checked,
            follow_up_minutes: Number(every.value),
            quiet_start: quiet.input.checked ? quietStart.value || null : null,
            quiet_end: quiet.input.checked ? quietEnd.value || null : null,
          };
          status.replaceChildren();
          try {
            const { data } = await request("PATCH", "me/notification-preferences/", { body });
            setPreferences(data);
            // What the next start shows before it has read the server again.
            await update("preferences", () => data);
            showFieldErrors(form, []);
            status.replaceChildren(notice("success", t("remind.saved")));
          } catch (error) {
            const reasons =
              error instanceof ApiError
                ? showFieldErrors(form, error.errors)
                : [t("remind.save_offline")];
            const said = reasons.length ? reasons : [t("remind.save_failed")];
            status.replaceChildren(notice("error", said.join(" ")));
          }
        },
      },
      h("p", { class: "hint" }, t("remind.intro")),
      field(t("remind.offset_label"), offset),
      followUp.row,
      followUpBox,
      quiet.row,
      quietBox,
      h("button", { type: "submit", class: "button" }, t("remind.save")),
      status,
    )
  );
  return form;
}

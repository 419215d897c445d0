// @ts-check
// Corrections (issue 22): logging a past dose, changing a log (taken <-> skipped, the time)
// and undoing one, from History's day panel and from Today's card ("Undo" for a minute, then
// "Change"). Every correction goes through the outbox like a log: a "fix" item with its own
// change_id, made once when it is queued, so a resend is the same change (the server stores
// it once and answers 200), and `based_on`, the log's `updated_at` as this phone had it, so a
// change made meanwhile on another phone is never overwritten: the server answers 409 with
// the log as stored (`existing`), the refusal is kept and shown with what is stored now, and
// the patient chooses again (a new change based on `existing`).
//
// A correction of a log (or of a change) that is still in the outbox is queued AFTER it,
// with `after` naming that item; when the server acknowledges the item, sync.js fills in the
// log's id and `based_on` from its answer (queue.fillChained). We do not amend the queued log
// instead: once a send has been tried, the server may already hold the first version under
// that client_id, and a resend of the amended body would be answered 200 with the old values,
// so the correction would be lost without a word. Queuing after it is always correct, costs
// one more request, and keeps the reason on the revision like any other change. The outbox
// sends in order and stops at the first item still waiting, so the fix is never sent before
// its log; if the log is refused, the fix is refused too, and both are shown.

import { h, uuid } from "./dom.js";
import { formatNumber, formatTime, t } from "./i18n.js";
import { REJECTED, WAITING, enqueue } from "./queue.js";
import { state, userId } from "./state.js";
import { flush } from "./sync.js";
import { addDays, instantOf, localTime } from "./time.js";
import { choices, field, showProblem } from "./ui.js";

/** @typedef {import("./types.js").Dose} Dose */
/** @typedef {import("./types.js").DoseLog} DoseLog */
/** @typedef {import("./types.js").OutboxItem} OutboxItem */
/** @typedef {import("./types.js").Refusal} Refusal */

// The server's DOSE_BACKFILL_DAYS (from /app/config; 7 until it has been read): a dose may
// be logged or corrected up to this many days back. The server refuses older ones with a
// 400, which is shown like any refusal.
/**
 * @returns {number}
 */
export const backfillDays = () => state.config.dose_backfill_days || 7;
/** DOSE_EARLY_CONFIRM_HOURS from /app/config.json (the server's setting). */
export const earlyConfirmHours = () => state.config.dose_early_confirm_hours ?? 2;
export const UNDO_SECONDS = 60;
export const SKIP_REASONS = ["side_effects", "forgot", "ran_out", "travel", "other"];
export const LOGGED = ["taken", "taken_late", "skipped"];
// A time up to this far ahead of the phone's clock is taken as now.
const CLOCK_SLACK_MS = 60 * 1000;

/** A "taken at" time typed for `date` (Today's "taken earlier", a correction): the instant,
 *  or why it cannot be taken, in words (none typed, or later than now).
 * @param {string} date
 * @param {string} time
 * @param {string} zone
 * @param {number} [now] ms since the epoch
 * @returns {{at: Date | null, problem: string | null}}
 */
export function checkTakenTime(date, time, zone, now = Date.now()) {
  const at = time ? instantOf(date, time, zone) : null;
  if (!at) return { at: null, problem: t("dose.earlier_needed") };
  if (at.getTime() > now + CLOCK_SLACK_MS) return { at, problem: t("dose.earlier_future") };
  return { at, problem: null };
}

/** How long before its time a dose logged at `takenAt` is, in ms, when that is more than
 *  DOSE_EARLY_CONFIRM_HOURS (the app asks first); else 0.
 * @param {import("./types.js").Dose} dose
 * @param {Date} takenAt
 * @param {string} zone
 * @returns {number}
 */
export function earlyBy(dose, takenAt, zone) {
  const before = instantOf(dose.date, dose.local_time, zone).getTime() - takenAt.getTime();
  return before > earlyConfirmHours() * 3_600_000 ? before : 0;
}

/** "6 h 45 min" (a duration in words for the early-dose question).
 * @param {number} ms
 * @returns {string}
 */
export function hoursMinutesWords(ms) {
  const minutes = Math.floor(ms / 60_000);
  return t("due.hours_minutes", {
    hours: formatNumber(Math.floor(minutes / 60)),
    minutes: formatNumber(minutes % 60),
  });
}

/**
 * Whether a dose on `date` may still be logged or corrected on `today`.
 * @param {string} date
 * @param {string} today
 * @returns {boolean}
 */
export function withinWindow(date, today) {
  return date <= today && date >= addDays(today, -backfillDays());
}

function itemDose(item) {
  if (item.kind === "dose") return item.body;
  if (item.kind === "fix") return item.dose;
  return null;
}

/** The outbox items about `dose` (its logs and fixes), oldest first.
 * @param {OutboxItem[]} outbox
 * @param {{date: string, slot: number}} dose
 * @returns {OutboxItem[]}
 */
export function itemsFor(outbox, dose) {
  return outbox.filter((item) => {
    const about = itemDose(item);
    return about && about.date === dose.date && about.slot === dose.slot;
  });
}

/** A dose as this phone believes it (effectiveDose).
 * @typedef {object} EffectiveDose
 * @property {DoseLog | null} log the log, with what waits applied
 * @property {string} status
 * @property {OutboxItem | null} waiting the last item still to send
 * @property {OutboxItem[]} rejected refusals not yet dismissed
 */

/** The dose as this phone believes it: the server's log (kept copy) with what is waiting in
 *  the outbox applied in order. `waiting`: the last item still to send (a new correction is
 *  queued after it); `rejected`: refusals not yet dismissed.
 * @param {Dose} dose
 * @param {OutboxItem[]} outbox
 * @returns {EffectiveDose}
 */
export function effectiveDose(dose, outbox) {
  const items = itemsFor(outbox, dose);
  const waitingItems = items.filter((item) => item.state === WAITING);
  /** @type {DoseLog | null} */
  let log = dose.log && LOGGED.includes(dose.status) ? dose.log : null;
  let status = dose.status;
  for (const item of waitingItems) {
    const body = item.body;
    if (item.kind === "dose") {
      log = /** @type {DoseLog} */ ({ ...body, created_at: item.created_at });
      status = body.status;
    } else if (body.status === "not_logged") {
      log = null;
      status = "pending";
    } else if (body.status) {
      log = {
        ...(log || {}),
        status: body.status,
        taken_at: body.status === "taken" ? body.taken_at : null,
        skip_reason: body.status === "skipped" ? body.skip_reason : "",
      };
      status = body.status;
    }
  }
  return {
    log,
    status,
    waiting: waitingItems.length ? waitingItems[waitingItems.length - 1] : null,
    rejected: items.filter((item) => item.state === REJECTED),
  };
}

/** The words for a log: "Taken at 08:10" or "Skipped. Reason: travelling".
 * @param {DoseLog | Record<string, any> | null} log
 * @returns {string}
 */
export function logWords(log) {
  if (!log) return t("fix.not_logged");
  if (log.status === "skipped") {
    return t("dose.waiting_skipped", { reason: t(`skip.${log.skip_reason || "other"}`) });
  }
  return t("dose.waiting_taken", { time: formatTime(log.taken_at) });
}

/** Beside the status badge: "at 08:10" or "Reason: travelling".
 * @param {DoseLog} log
 * @returns {string}
 */
export function logDetail(log) {
  if (log.status === "skipped") {
    return t("dose.skipped_because", { reason: t(`skip.${log.skip_reason || "other"}`) });
  }
  return t("dose.taken_at", { time: formatTime(log.taken_at) });
}

/** What a waiting item will do, in words.
 * @param {OutboxItem} item
 * @returns {string}
 */
export function waitingWords(item) {
  if (item.kind === "dose") return logWords(item.body);
  if (item.body.status === "not_logged") return t("fix.waiting_undo");
  return t("fix.waiting_change", { what: logWords(item.body) });
}

/** A refusal in words; a conflict says what is stored now.
 * @param {OutboxItem} item
 * @returns {string[]}
 */
export function refusalLines(item) {
  /** @type {Partial<Refusal>} */
  const error = item.error || {};
  if (error.code === "base_refused") return [t("fix.base_refused")];
  if (item.kind === "fix" && error.existing && error.status === 409) {
    const stored = error.existing;
    const words = LOGGED.includes(stored.status) ? logWords(stored) : t("fix.not_logged");
    return [t("fix.conflict"), t("fix.stored_now", { what: words })];
  }
  return [t("outbox.refused"), ...(error.reasons || [])];
}

/** Words for screen readers once a correction is queued (sent, waiting or refused).
 * @param {boolean} undo
 * @param {string} state sent, waiting or rejected
 * @returns {string}
 */
export function announceFix(undo, state) {
  const words = undo
    ? {
        sent: t("fix.announce_undo_sent"),
        waiting: t("fix.announce_undo_waiting"),
        rejected: t("fix.announce_undo_rejected"),
      }
    : {
        sent: t("fix.announce_sent"),
        waiting: t("fix.announce_waiting"),
        rejected: t("fix.announce_rejected"),
      };
  return words[state] || words.waiting;
}

/** Queue a log of `dose` (made on Today or in History).
 * @param {Dose} dose
 * @param {Record<string, any>} fields
 * @returns {Promise<{body: Record<string, any>, outcome: import("./types.js").Outcome}>}
 */
export async function queueLog(dose, fields) {
  const body = { client_id: uuid(), date: dose.date, slot: dose.slot, ...fields };
  await enqueue("dose", body, userId());
  const outcomes = await flush();
  return { body, outcome: outcomes[body.client_id] || { state: WAITING } };
}

/** Queue a change (`fields`: status taken/skipped with taken_at or skip_reason, or status
 *  "not_logged" to undo) of the dose's log as this phone has it (`effective`).
 * @param {Dose} dose
 * @param {EffectiveDose} effective
 * @param {Record<string, any>} fields
 * @param {string} reason
 * @returns {Promise<{body: Record<string, any>, outcome: import("./types.js").Outcome}>}
 */
export async function queueFix(dose, effective, fields, reason) {
  /** @type {Record<string, any>} */
  const body = { change_id: uuid(), ...fields };
  if (reason) body.reason = reason.slice(0, 200);
  const extra = { dose: { date: dose.date, slot: dose.slot }, log_id: null, after: null };
  if (effective.waiting) {
    extra.after = effective.waiting.client_id; // filled in when that item is acknowledged
  } else {
    extra.log_id = effective.log.id;
    body.based_on = effective.log.updated_at;
  }
  await enqueue("fix", body, userId(), extra);
  const outcomes = await flush();
  return { body, outcome: outcomes[body.change_id] || { state: WAITING } };
}

/** The "change" form of a logged dose, with its Undo button: History's day panel and
 *  today's card show the same one. `onCorrect(fields, reason)` gets a change, or
 *  `{ status: "not_logged" }` and the reason typed so far for an undo.
 * @param {{dose: Dose, effective: EffectiveDose, zone: string, prefix: string, onCorrect: (fields: Record<string, any>, reason: string) => unknown}} options
 * @returns {HTMLFormElement}
 */
export function changeForm({ dose, effective, zone, prefix, onCorrect }) {
  const form = doseForm({ dose, effective, zone, prefix, mode: "change", onSubmit: onCorrect });
  form.append(
    h(
      "button",
      {
        type: "button",
        class: "button button-secondary",
        id: `${prefix}-undo`,
        onclick: () => {
          const why = /** @type {HTMLInputElement | null} */ (form.querySelector(`#${prefix}-why`));
          onCorrect({ status: "not_logged" }, why ? why.value.trim() : "");
        },
      },
      t("fix.undo_log"),
    ),
  );
  return form;
}

/** A form to log a dose (mode "log") or change its log (mode "change"): taken at a time, or
 *  skipped with a reason; a change also asks why (optional, kept with it). `onSubmit(fields,
 *  reason)` gets the values once they are valid.
 * @param {{dose: Dose, effective: EffectiveDose, zone: string, prefix: string, mode: "log" | "change", onSubmit: (fields: Record<string, any>, reason: string) => unknown}} options
 * @returns {HTMLFormElement}
 */
export function doseForm({ dose, effective, zone, prefix, mode, onSubmit }) {
  const log = effective.log;
  const current = log ? (log.status === "skipped" ? "skipped" : "taken") : "taken";
  const takenTime =
    log && log.taken_at ? localTime(new Date(log.taken_at), zone) : dose.local_time || "";
  const time = h("input", {
    type: "time",
    id: `${prefix}-time`,
    name: "taken_time",
    class: "input",
    value: takenTime,
  });
  const timeField = field(t("fix.time_label"), time);
  const reasonInput =
    mode === "change"
      ? h("input", {
          type: "text",
          id: `${prefix}-why`,
          name: "reason",
          class: "input",
          maxlength: "200",
          autocomplete: "off",
        })
      : null;
  const skipBox = h(
    "fieldset",
    { class: "choices", "aria-describedby": `${prefix}-skip-error` },
    h("legend", {}, t("dose.skip_legend")),
    choices(
      `${prefix}-skip_reason`,
      SKIP_REASONS.map((value) => ({ value, label: t(`skip.${value}`) })),
      log && log.status === "skipped" ? log.skip_reason : null,
      `${prefix}-skip`,
    ),
    h("p", { class: "field-error", id: `${prefix}-skip-error`, hidden: true }),
  );
  const saveWords = mode === "change" ? t("fix.save_change") : t("fix.save_log");
  const save = h("button", { type: "submit", class: "button", id: `${prefix}-save` }, saveWords);
  /** @type {number | null} the early instant the person was asked about */
  let confirmedEarly = null;
  time.addEventListener("input", () => {
    confirmedEarly = null;
    save.textContent = saveWords;
  });
  const show = (status) => {
    timeField.hidden = status !== "taken";
    skipBox.hidden = status !== "skipped";
  };
  const statusBox = h(
    "fieldset",
    {
      class: "choices",
      onchange: (event) => {
        if (event.target.name === `${prefix}-status`) show(event.target.value);
      },
    },
    h("legend", {}, t("fix.legend")),
    choices(
      `${prefix}-status`,
      [
        { value: "taken", label: t("status.taken") },
        { value: "skipped", label: t("status.skipped") },
      ],
      current,
      `${prefix}-status`,
    ),
  );
  show(current);
  const form = h(
    "form",
    {
      class: "form-inline",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const status = form.querySelector(`input[name="${prefix}-status"]:checked`).value;
        if (status === "taken") {
          const error = /** @type {HTMLElement} */ (timeField.querySelector(".field-error"));
          const { at, problem } = checkTakenTime(dose.date, time.value, zone);
          if (problem) {
            showProblem(error, problem, time, { invalid: true });
            return;
          }
          // More than DOSE_EARLY_CONFIRM_HOURS before the dose's time: asked first, as on
          // Today; sending the same time again is the "yes".
          const early = dose.local_time ? earlyBy(dose, at, zone) : 0;
          if (early > 0 && confirmedEarly !== at.getTime()) {
            confirmedEarly = at.getTime();
            const words = {
              time: formatTime(at.toISOString()),
              duration: hoursMinutesWords(early),
            };
            showProblem(error, t("due.early_earlier", words), time);
            save.textContent = t("due.early_yes");
            return;
          }
          onSubmit({ status: "taken", taken_at: at.toISOString() }, reasonValue());
        } else {
          const picked = form.querySelector(`input[name="${prefix}-skip_reason"]:checked`);
          if (!picked) {
            const error = skipBox.querySelector(".field-error");
            showProblem(error, t("dose.skip_reason_needed"), skipBox.querySelector("input"));
            return;
          }
          onSubmit({ status: "skipped", skip_reason: picked.value }, reasonValue());
        }
      },
    },
    statusBox,
    timeField,
    skipBox,
    reasonInput ? field(t("fix.reason_label"), reasonInput, { hint: t("fix.reason_hint") }) : null,
    save,
  );
  function reasonValue() {
    return reasonInput ? reasonInput.value.trim() : "";
  }
  return form;
}

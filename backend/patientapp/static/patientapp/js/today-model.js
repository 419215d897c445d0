// @ts-check
// Today's screen worked out from its data, with no DOM: which day and doses to show (offline
// since an earlier day: from the kept plan), the plan's line in words, what each dose card
// shows and offers, and the minute of Undo. js/screens/today.js draws it and wires the events.

import {
  LOGGED,
  UNDO_SECONDS,
  earlyBy,
  earlyConfirmHours,
  effectiveDose,
  hoursMinutesWords,
  logDetail,
  waitingWords,
} from "./corrections.js";

// The early-dose question is asked by Today and by History's panel: its rule lives with the
// corrections (which this module builds on) and is named here too.
export { earlyBy, earlyConfirmHours, hoursMinutesWords };
import { formatDate, formatNumber, t } from "./i18n.js";
import { dosesOn, holdOn, planOn } from "./plan.js";
import { state } from "./state.js";
import { addDays, instantOf, localDate, localTime } from "./time.js";

/** The day to show from me/today/ (`result`, fresh or kept) and the kept plan: on a phone
 *  offline since an earlier day, today's doses worked out from the plan (`derived`).
 * @param {import("./types.js").ReadResult<import("./types.js").Today>} result
 * @param {import("./types.js").Plan | null} plan the kept plan
 * @param {Date} now
 * @returns {{today: import("./types.js").Today, derived: boolean}}
 */
export function dayToShow(result, plan, now) {
  const data = result.data;
  const zone = data.time_zone;
  const nowDate = localDate(now, zone);
  if (!result.fresh && data.date < nowDate && plan) {
    return {
      today: {
        date: nowDate,
        time_zone: zone,
        plan: planOn(plan, nowDate),
        doses: dosesOn(plan, nowDate),
      },
      derived: true,
    };
  }
  return { today: data, derived: false };
}

/** The one message for a plan that is not running (none, completed, stopped), or null.
 * @param {import("./types.js").PlanSummary | null} plan
 * @returns {string | null}
 */
export function planStateWords(plan) {
  if (!plan) return t("plan.none");
  if (plan.state === "completed") return t("plan.completed");
  if (plan.state === "stopped") return t("plan.stopped");
  return null;
}

/** "Day 12 of 28", "Day 12", "Starts on ..." (the kept plan's start) or "Not started".
 * @param {import("./types.js").PlanSummary} plan
 * @param {import("./types.js").Plan | null} keptPlan
 * @returns {string}
 */
export function planDayWords(plan, keptPlan) {
  if (plan.day_of_plan === null) {
    return keptPlan
      ? t("plan.starts", { date: formatDate(keptPlan.start_date) })
      : t("plan.not_started");
  }
  if (plan.total_days) {
    return t("plan.day_of", {
      day: formatNumber(plan.day_of_plan),
      total: formatNumber(plan.total_days),
    });
  }
  return t("plan.day", { day: formatNumber(plan.day_of_plan) });
}

/** "Ends on ..." or "Ongoing".
 * @param {import("./types.js").PlanSummary} plan
 * @returns {string}
 */
export function planEndWords(plan) {
  return plan.planned_end_date
    ? t("plan.ends", { date: formatDate(plan.planned_end_date) })
    : t("plan.ongoing");
}

/** The day dosing resumes after the hold in force on `date` (from the kept plan), in words.
 * @param {import("./types.js").Plan | null} keptPlan
 * @param {string} date
 * @returns {string}
 */
export function holdEndWords(keptPlan, date) {
  const hold = holdOn(keptPlan, date);
  return hold && hold.end_date
    ? t("hold.until", { date: formatDate(addDays(hold.end_date, 1)) })
    : t("hold.open_ended");
}

/** What a dose's card shows (doseCardModel).
 * @typedef {object} DoseCard
 * @property {import("./corrections.js").EffectiveDose} effective
 * @property {string} status the badge: waiting, rejected, or the dose's own
 * @property {string | null} detail the words beside the badge
 * @property {import("./types.js").OutboxItem | null} rejected the latest refusal
 * @property {"log" | "correct" | null} offers
 */

/** What a dose's card shows: its status (waiting and refused first), the words beside the
 *  badge, the latest refusal, and what it offers ("log" a pending dose, "correct" a log).
 * @param {import("./types.js").Dose} dose
 * @param {import("./types.js").OutboxItem[]} outbox
 * @returns {DoseCard}
 */
export function doseCardModel(dose, outbox) {
  const effective = effectiveDose(dose, outbox);
  const rejected = effective.rejected.length
    ? effective.rejected[effective.rejected.length - 1]
    : null;
  const waiting = effective.waiting;
  let status = effective.status;
  let detail = null;
  if (waiting) {
    status = "waiting";
    detail = waitingWords(waiting);
  } else if (rejected) {
    status = "rejected";
  } else if (effective.log && LOGGED.includes(status)) {
    detail = logDetail(effective.log);
  }
  const undoWaiting = waiting && waiting.kind === "fix" && waiting.body.status === "not_logged";
  /** @type {DoseCard["offers"]} */
  let offers = null;
  if (status === "pending") offers = "log";
  else if (!rejected && !undoWaiting && effective.log) offers = "correct";
  return { effective, status, detail, rejected, offers };
}

/** When the minute of Undo after a log ends (ms; the phone's time for one still waiting).
 * @param {import("./types.js").DoseLog} log
 * @returns {number}
 */
export function undoUntil(log) {
  const made = Date.parse(log.created_at || "");
  return Number.isNaN(made) ? 0 : made + UNDO_SECONDS * 1000;
}

/** Whole seconds from `now` until `until`, never below 0.
 * @param {number} until
 * @param {number} [now]
 * @returns {number}
 */
export function secondsLeft(until, now = Date.now()) {
  return Math.max(0, Math.ceil((until - now) / 1000));
}

/** "Taken earlier" starts at the dose's time once it is due, else at the time now.
 * @param {import("./types.js").Dose} dose
 * @param {string} zone
 * @param {Date} now
 * @returns {string}
 */
export function earlierTimeDefault(dose, zone, now) {
  const due = instantOf(dose.date, dose.local_time, zone);
  return due <= now ? dose.local_time : localTime(now, zone);
}

/** The slot of the dose an outbox item (a log or a fix) is about.
 * @param {import("./types.js").OutboxItem} item
 * @returns {number}
 */
export function itemSlot(item) {
  return (item.kind === "fix" ? item.dose : item.body).slot;
}

/** Whether any of the day's doses is taken (the moment to offer reminders).
 * @param {import("./types.js").Dose[]} doses
 * @returns {boolean}
 */
export function anyTaken(doses) {
  return doses.some((dose) => ["taken", "taken_late"].includes(dose.status));
}

// ---------------------------------------------------------------- what to do now (issue 22)

/** The server's thresholds from /app/config.json (kept for offline), with its defaults. */
export const lateAfterMinutes = () => state.config.dose_late_after_minutes ?? 120;

/** What Today puts first (dueModel).
 * @typedef {object} DueNow
 * @property {import("./types.js").Dose | null} due the dose to take now or next
 * @property {"upcoming" | "due" | "late" | "skip" | null} state
 * @property {Date | null} next the next dose time after now (today's, else `nextDayFirst`)
 * @property {import("./types.js").Dose[]} others the rest of the day's doses, in order
 */

/** The dose that is due: of the doses not yet logged, the latest whose time has come (the
 *  label: when it is time for the next dose, the earlier one is skipped), else the first still
 *  to come; its state (upcoming, due, late: past the server's late threshold, skip); the next
 *  dose time for the countdown; the other doses in the day's order.
 * @param {import("./types.js").Dose[]} doses
 * @param {import("./types.js").OutboxItem[]} outbox
 * @param {string} zone
 * @param {Date} now
 * @param {Date | null} [nextDayFirst] the first dose time of the next day, if known
 * @returns {DueNow}
 */
export function dueModel(doses, outbox, zone, now, nextDayFirst = null) {
  const open = doses.filter((dose) => doseCardModel(dose, outbox).status === "pending");
  const passed = open.filter((dose) => instantOf(dose.date, dose.local_time, zone) <= now);
  const coming = open.filter((dose) => instantOf(dose.date, dose.local_time, zone) > now);
  const due = passed.length ? passed[passed.length - 1] : coming[0] || null;
  const later = doses
    .map((dose) => instantOf(dose.date, dose.local_time, zone))
    .filter((at) => at > now);
  return {
    due,
    state: due ? doseAdvice(due, doses, zone, now) || "due" : null,
    next: later.length ? later[0] : nextDayFirst,
    others: doses.filter((dose) => dose !== due),
  };
}

/** What a dose not yet logged calls for now: "upcoming" before its time, "skip" once a later
 *  dose's time has come (the label: if it is nearly time for the next dose, skip the missed
 *  one; never two doses together), "late" past the late threshold (take it as soon as
 *  remembered), else null (due now).
 * @param {import("./types.js").Dose} dose
 * @param {import("./types.js").Dose[]} doses the day's doses
 * @param {string} zone
 * @param {Date} now
 * @returns {"upcoming" | "late" | "skip" | null}
 */
export function doseAdvice(dose, doses, zone, now) {
  const at = instantOf(dose.date, dose.local_time, zone);
  if (at > now) return "upcoming";
  const nextCame = doses.some((other) => {
    const otherAt = instantOf(other.date, other.local_time, zone);
    return otherAt > at && otherAt <= now;
  });
  if (nextCame) return "skip";
  return now.getTime() - at.getTime() > lateAfterMinutes() * 60_000 ? "late" : null;
}

/** "3:05:09": the countdown's hours, minutes and seconds (never below 0).
 * @param {number} seconds
 * @returns {string}
 */
export function clockOf(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const pad = (value) => String(value).padStart(2, "0");
  return `${Math.floor(whole / 3600)}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}`;
}

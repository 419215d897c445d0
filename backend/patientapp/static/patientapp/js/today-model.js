// @ts-check
// Today's screen worked out from its data, with no DOM: which day and doses to show (offline
// since an earlier day: from the kept plan), the plan's line in words, what each dose card
// shows and offers, and the minute of Undo. js/screens/today.js draws it and wires the events.

import { LOGGED, UNDO_SECONDS, effectiveDose, logDetail, waitingWords } from "./corrections.js";
import { formatDate, formatNumber, t } from "./i18n.js";
import { dosesOn, holdOn, planOn } from "./plan.js";
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

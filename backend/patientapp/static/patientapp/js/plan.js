// @ts-check
// The day's doses worked out from the kept treatment plan, for a phone that has been offline
// since an earlier day: the same rules as the server's schedule (the revision in force that
// day, its times in order as slots 1, 2..., held days marked), so the patient can still log
// today's doses; the server checks each one when it arrives.

import { tabletsForDose } from "./tablets.js";
import { daysBetween } from "./time.js";

function revisionOn(plan, date) {
  const revisions = [...(plan.revisions || [])].sort(
    (a, b) => a.effective_date.localeCompare(b.effective_date) || a.number - b.number,
  );
  const effective = revisions.filter((revision) => revision.effective_date <= date);
  return effective.length ? effective[effective.length - 1] : revisions[0];
}

function heldOn(plan, date) {
  return (plan.holds || []).find(
    (hold) => hold.start_date <= date && (!hold.end_date || date <= hold.end_date),
  );
}

/** The plan part of me/today/ for `date`.
 * @param {import("./types.js").Plan | null} plan
 * @param {string} date
 * @returns {import("./types.js").PlanSummary | null}
 */
export function planOn(plan, date) {
  if (!plan) return null;
  const ended = plan.planned_end_date && date > plan.planned_end_date;
  let state = plan.state === "stopped" ? "stopped" : ended ? "completed" : "active";
  if (state === "active" && heldOn(plan, date)) state = "on_hold";
  const started = date >= plan.start_date;
  const revision = revisionOn(plan, date);
  const perDay = Number(revision ? revision.dose_mg_per_day : plan.dose_mg_per_day);
  const perDose = revision ? Math.floor(perDay / revision.dose_times.length) : perDay;
  const strengths = (revision && revision.tablet_strengths_mg) || [];
  return {
    id: plan.id,
    state,
    day_of_plan: started && !ended ? daysBetween(plan.start_date, date) + 1 : null,
    total_days: plan.total_days,
    planned_end_date: plan.planned_end_date,
    dose_mg_per_day: revision ? revision.dose_mg_per_day : plan.dose_mg_per_day,
    // One dose as tablets, worked out from the kept regimen as the server does (§2.6).
    dose_mg_per_dose: perDose,
    tablet_strengths_mg: strengths,
    tablets_per_dose: tabletsForDose(perDose, strengths) || [],
  };
}

/** Scheduled doses on `date` as me/today/ lists them (status pending or on_hold).
 * @param {import("./types.js").Plan} plan
 * @param {string} date
 * @returns {import("./types.js").Dose[]}
 */
export function dosesOn(plan, date) {
  const summary = planOn(plan, date);
  if (!summary || summary.day_of_plan === null || summary.state === "stopped") return [];
  const revision = revisionOn(plan, date);
  const status = summary.state === "on_hold" ? "on_hold" : "pending";
  return [...revision.dose_times].sort().map((time, index) => ({
    date,
    slot: index + 1,
    local_time: time,
    status,
    log: null,
  }));
}

/** The hold in force on `date`, if any (its end date says when dosing resumes).
 * @param {import("./types.js").Plan | null} plan
 * @param {string} date
 * @returns {import("./types.js").Hold | null}
 */
export function holdOn(plan, date) {
  return plan ? heldOn(plan, date) || null : null;
}

// @ts-check
// History's "your month" (issue 22, motivation without blame): the days this month with every
// dose taken, the current run of such days, and one bar a day for the chart, worked out from
// the doses History already reads (me/doses/ per month). No DOM here: screens/history.js
// draws it. A day still in progress (today with a dose not logged yet) is not counted yet,
// and a paused day (on hold) neither counts nor breaks the run.

const TAKEN = ["taken", "taken_late"];

/** One day of the chart and the figures.
 * @typedef {object} DayFigure
 * @property {string} date
 * @property {number} doses scheduled doses, not paused
 * @property {number} taken of them taken (on time or late)
 * @property {boolean} held every dose of the day paused
 * @property {boolean} counted the day is over or all its doses are logged
 * @property {boolean} complete counted, with every dose taken
 */

/** The month's days with doses, by date.
 * @param {import("./types.js").Dose[]} doses
 * @param {string} today the patient's local today
 * @returns {Map<string, DayFigure>}
 */
export function dayFigures(doses, today) {
  /** @type {Map<string, import("./types.js").Dose[]>} */
  const byDay = new Map();
  for (const dose of doses) {
    if (dose.date > today) continue;
    const day = byDay.get(dose.date) || [];
    day.push(dose);
    byDay.set(dose.date, day);
  }
  /** @type {Map<string, DayFigure>} */
  const result = new Map();
  for (const [date, day] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
    const active = day.filter((dose) => dose.status !== "on_hold");
    const taken = active.filter((dose) => TAKEN.includes(dose.status)).length;
    const held = active.length === 0;
    const open = date === today && active.some((dose) => dose.status === "pending");
    const counted = !held && !open;
    result.set(date, {
      date,
      doses: active.length,
      taken,
      held,
      counted,
      complete: counted && taken === active.length,
    });
  }
  return result;
}

/** "24 of 28 days": the month's counted days and those with every dose taken.
 * @param {Map<string, DayFigure>} figures
 * @returns {{taken: number, days: number}}
 */
export function daysTaken(figures) {
  const counted = [...figures.values()].filter((day) => day.counted);
  return { taken: counted.filter((day) => day.complete).length, days: counted.length };
}

/** The current run of days with every dose taken, newest first: a day in progress and a
 *  paused day are passed over; `open` says the run reaches the oldest day given (so the
 *  month before may make it longer).
 * @param {Map<string, DayFigure>} figures
 * @returns {{count: number, open: boolean}}
 */
export function currentStreak(figures) {
  const days = [...figures.values()].sort((a, b) => b.date.localeCompare(a.date));
  let count = 0;
  for (const day of days) {
    if (!day.counted) continue;
    if (!day.complete) return { count, open: false };
    count += 1;
  }
  return { count, open: true };
}

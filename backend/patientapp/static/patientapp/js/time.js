// @ts-check
// Wall-clock arithmetic in an IANA time zone with Intl only. Dates are "YYYY-MM-DD" strings
// and times "HH:MM", as the API sends them; a dose day is a date in the patient's zone.

const formatters = new Map();

function partsFormatter(zone) {
  if (!formatters.has(zone)) {
    formatters.set(
      zone,
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
    );
  }
  return formatters.get(zone);
}

/** The wall clock in `zone` at `instant`: {year, month, day, hour, minute, second}.
 * @param {Date} instant
 * @param {string} zone
 * @returns {{year: number, month: number, day: number, hour: number, minute: number, second: number}}
 */
export function wallClock(instant, zone) {
  const parts = /** @type {any} */ ({});
  for (const part of partsFormatter(zone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return parts;
}

const pad = (n) => String(n).padStart(2, "0");
const HALF_DAY_MS = 12 * 60 * 60 * 1000;

/**
 * The date ("YYYY-MM-DD") the clock in `zone` shows at `instant`.
 * @param {Date} instant
 * @param {string} zone
 * @returns {string}
 */
export function localDate(instant, zone) {
  const w = wallClock(instant, zone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

/**
 * The time ("HH:MM") the clock in `zone` shows at `instant`.
 * @param {Date} instant
 * @param {string} zone
 * @returns {string}
 */
export function localTime(instant, zone) {
  const w = wallClock(instant, zone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

function offsetMs(instant, zone) {
  const w = wallClock(instant, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant at which the clock in `zone` shows `date` `time`, as the server reads a dose
 *  time: in an autumn overlap the first occurrence, in a spring-forward gap just after the
 *  jump (the time read with the offset before it).
 * @param {string} date
 * @param {string} time
 * @param {string} zone
 * @returns {Date}
 */
export function instantOf(date, time, zone) {
  const [year, month, day] = date.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const before = guess - offsetMs(new Date(guess - HALF_DAY_MS), zone);
  const after = guess - offsetMs(new Date(guess + HALF_DAY_MS), zone);
  const shows = (instant) =>
    localDate(new Date(instant), zone) === date && localTime(new Date(instant), zone) === time;
  const matching = [before, after].filter(shows);
  return new Date(matching.length ? Math.min(...matching) : before);
}

/** Days after `date` (negative: before).
 * @param {string} date
 * @param {number} days
 * @returns {string}
 */
export function addDays(date, days) {
  const [year, month, day] = date.split("-").map(Number);
  const moved = new Date(Date.UTC(year, month - 1, day + days));
  return moved.toISOString().slice(0, 10);
}

function dayNumber(date) {
  const [year, month, day] = date.split("-").map(Number);
  return Date.UTC(year, month - 1, day) / 86400000;
}

/** Whole days from `first` to `last` (negative when `last` is earlier).
 * @param {string} first
 * @param {string} last
 * @returns {number}
 */
export function daysBetween(first, last) {
  return dayNumber(last) - dayNumber(first);
}

/** First and last date of a month ("YYYY-MM").
 * @param {string} month
 * @returns {{first: string, last: string}}
 */
export function monthBounds(month) {
  const [year, number] = month.split("-").map(Number);
  const last = new Date(Date.UTC(year, number, 0)).getUTCDate();
  return { first: `${month}-01`, last: `${month}-${pad(last)}` };
}

/**
 * Months after `month` ("YYYY-MM"; negative: before).
 * @param {string} month
 * @param {number} count
 * @returns {string}
 */
export function addMonths(month, count) {
  const [year, number] = month.split("-").map(Number);
  const moved = new Date(Date.UTC(year, number - 1 + count, 1));
  return moved.toISOString().slice(0, 7);
}

// @ts-check
// Every string the patient sees comes from i18n/<language>.json; this module loads one
// catalogue (English is kept as the fallback) and formats dates and times in the patient's
// locale and time zone.

export const LANGUAGES = ["en", "es"];
export const DEFAULT_LANGUAGE = "en";

let strings = {};
let fallback = {};
let language = DEFAULT_LANGUAGE;
let locale = DEFAULT_LANGUAGE;
let zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
let baseUrl = "";

async function fetchCatalogue(code) {
  const response = await fetch(`${baseUrl}${code}.json`);
  if (!response.ok) throw new Error(`no strings for ${code}: ${response.status}`);
  return response.json();
}

/** The first supported language among `candidates` ("es-MX" counts as "es").
 * @param {...(string | readonly string[] | null | undefined)} candidates
 * @returns {string}
 */
export function pickLanguage(...candidates) {
  for (const candidate of candidates.flat()) {
    const code = String(candidate || "")
      .split("-")[0]
      .toLowerCase();
    if (LANGUAGES.includes(code)) return code;
  }
  return DEFAULT_LANGUAGE;
}

/**
 * Load language `code`'s strings from `base` (and English's, the fallback, once).
 * @param {string} base
 * @param {string} code
 * @returns {Promise<void>}
 */
export async function loadLanguage(base, code) {
  baseUrl = base;
  if (!Object.keys(fallback).length) fallback = await fetchCatalogue(DEFAULT_LANGUAGE);
  strings = code === DEFAULT_LANGUAGE ? fallback : await fetchCatalogue(code);
  language = code;
  // The browser's own variant when it speaks this language (en-GB writes 24-hour times).
  locale = navigator.languages.find((tag) => tag.split("-")[0] === code) || code;
  document.documentElement.lang = code;
}

/**
 * @returns {string}
 */
export function currentLanguage() {
  return language;
}

/**
 * The patient's time zone, for formatTime and formatDateTime (an empty name changes nothing).
 * @param {string | null | undefined} name
 */
export function setZone(name) {
  if (name) zone = name;
}

/** The string for `key`, with {name} replaced from `params`.
 * @param {string} key
 * @param {Record<string, unknown>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  let text = strings[key];
  if (text === undefined) text = fallback[key];
  if (text === undefined) {
    console.error(`missing string: ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (match, name) =>
    name in params ? String(params[name]) : match,
  );
}

/** The translation for `key` if this language's catalogue has one, else `otherwise`: the
 *  server's own English words (the symptom catalogue's questions and answers live in the
 *  guideline module, so English has no copy of them here).
 * @param {string} key
 * @param {string} otherwise
 * @returns {string}
 */
export function tOr(key, otherwise) {
  return key in strings ? t(key) : otherwise;
}

function utcDate(date) {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day));
}

/** A dose day ("2026-03-05") in words: "Thursday 5 March 2026".
 * @param {string} date
 * @param {"full" | "long" | "medium" | "short"} [style]
 * @returns {string}
 */
export function formatDate(date, style = "full") {
  return new Intl.DateTimeFormat(locale, { dateStyle: style, timeZone: "UTC" }).format(
    utcDate(date),
  );
}

/** A day without its year ("3 Dec", "3 dic"), for a recent measurement.
 * @param {string} date
 * @returns {string}
 */
export function formatDayMonth(date) {
  return new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  }).format(utcDate(date));
}

/** A wall-clock time ("08:00") the way the patient's locale writes it.
 * @param {string} time
 * @returns {string}
 */
export function formatClock(time) {
  const [hour, minute] = time.split(":").map(Number);
  return new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone: "UTC" }).format(
    new Date(Date.UTC(2000, 0, 1, hour, minute)),
  );
}

/** An instant (ISO string or Date) as a time in the patient's zone.
 * @param {string | Date} instant
 * @returns {string}
 */
export function formatTime(instant) {
  return new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone: zone }).format(
    new Date(instant),
  );
}

/** An instant as date and time in the patient's zone.
 * @param {string | Date} instant
 * @returns {string}
 */
export function formatDateTime(instant) {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: zone,
  }).format(new Date(instant));
}

/**
 * A month ("YYYY-MM") in words: "March 2026".
 * @param {string} month
 * @returns {string}
 */
export function formatMonth(month) {
  return new Intl.DateTimeFormat(locale, {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(utcDate(`${month}-01`));
}

/**
 * A number the way the patient's locale writes it.
 * @param {number | string} value
 * @param {Intl.NumberFormatOptions} [options]
 * @returns {string}
 */
export function formatNumber(value, options = {}) {
  // A decimal string from the API ("400.00") is formatted as Intl reads it.
  return new Intl.NumberFormat(locale, options).format(/** @type {number} */ (value));
}

/** The first day of the week in the patient's locale: 1 Monday ... 7 Sunday.
 * @returns {number}
 */
export function firstDayOfWeek() {
  try {
    // Newer than TypeScript's lib: getWeekInfo(), or weekInfo before it.
    const info = /** @type {any} */ (new Intl.Locale(locale));
    const week = info.getWeekInfo ? info.getWeekInfo() : info.weekInfo;
    if (week && week.firstDay) return week.firstDay;
  } catch (error) {
    console.warn(`no week information for ${locale}: weeks start on Monday`, error);
  }
  // Older browsers: Monday, as ISO 8601 has it.
  return 1;
}

/** Weekday names from `first` on: [{short, long}] (2024-01-01 was a Monday).
 * @param {number} first
 * @returns {{short: string, long: string}[]}
 */
export function weekdayNames(first) {
  const short = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone: "UTC" });
  const long = new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" });
  return Array.from({ length: 7 }, (_, index) => {
    const day = new Date(Date.UTC(2024, 0, ((first - 1 + index) % 7) + 1));
    return { short: short.format(day), long: long.format(day) };
  });
}

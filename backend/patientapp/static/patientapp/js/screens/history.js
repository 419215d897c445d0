// @ts-check
// History: a month calendar of doses (GET me/doses/?from=&to=) and the symptoms reported
// (GET me/side-effects/), with what is still waiting in the outbox. A day within the backfill
// window is a button: its panel logs, changes or undoes that day's doses (js/corrections.js).
// Above the calendar, "your month" (issue 22, motivation without blame): the days with every
// dose taken, the current run of them and a bar a day, from the same rows (js/motivation.js).

import {
  backfillDays,
  announceFix,
  changeForm,
  doseForm,
  effectiveDose,
  logDetail,
  queueFix,
  queueLog,
  refusalLines,
  waitingWords,
  withinWindow,
} from "../corrections.js";
import { fill, h } from "../dom.js";
import {
  firstDayOfWeek,
  formatClock,
  formatDate,
  formatDateTime,
  formatDayMonth,
  formatMonth,
  formatNumber,
  t,
  tOr,
  weekdayNames,
} from "../i18n.js";
import { REJECTED, dismiss, onOutboxChange, outboxItems } from "../queue.js";
import { announce, on, state, userId } from "../state.js";
import { peek, read } from "../store.js";
import { currentStreak, dayFigures, daysTaken } from "../motivation.js";
import { addMonths, localDate, monthBounds } from "../time.js";
import { careTeam } from "../triage.js";
import { badge, formState, notice, restoreFormState, screenHeading, staleNotice } from "../ui.js";
import { allQuestions, answerWord, scoresOf, symptomLabel } from "./symptoms.js";

// A day shows its most pressing dose: one waiting to send, then missed, skipped, late...
const DAY_ORDER = ["waiting", "missed", "skipped", "taken_late", "taken", "pending", "on_hold"];

/**
 * History (#/history or #/history/YYYY-MM) into `container`.
 * @param {HTMLElement} container
 * @param {string} [monthArg] the month shown, "YYYY-MM" (this month when absent or later)
 * @returns {import("../types.js").Screen}
 */
export function mountHistory(container, monthArg) {
  let disposed = false;
  let view = null;
  let openDay = null;
  let focusAfterPaint = null;

  async function timeZone() {
    const kept = await peek("today");
    if (kept) return kept.time_zone;
    const zone = state.patient ? state.patient.time_zone : undefined;
    return zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  async function load() {
    const zone = await timeZone();
    const today = localDate(new Date(), zone);
    const thisMonth = today.slice(0, 7);
    const month =
      /^\d{4}-\d{2}$/.test(monthArg || "") && monthArg <= thisMonth ? monthArg : thisMonth;
    const { first, last } = monthBounds(month);
    // biome-ignore lint/complexity/useMathMinMax: dates as "YYYY-MM-DD" strings, not numbers
    const until = last < today ? last : today;
    const [doses, reports, catalogue, outbox, team] = await Promise.all([
      read(`doses:${month}`, `me/doses/?from=${first}&to=${until}`).catch(() => null),
      read("reports", "me/side-effects/").catch(() => null),
      read("catalogue", "symptoms/").catch(() => null),
      outboxItems(userId()),
      careTeam().catch(() => null),
    ]);
    const streak = month === thisMonth && doses ? await streakNow(doses.data, today) : null;
    view = { today, zone, month, thisMonth, doses, reports, catalogue, outbox, team, streak };
  }

  /** The current run of days with every dose taken; while it runs through the whole of the
   *  months read, the month before is read too (kept per month, as History keeps them). */
  async function streakNow(monthDoses, today) {
    let doses = [...monthDoses];
    let streak = currentStreak(dayFigures(doses, today));
    let earlier = today.slice(0, 7);
    // Not before the kept plan's start: nothing to count there (and nothing read for it).
    const plan = await peek("plan").catch(() => null);
    const start = (plan && plan.start_date) || "";
    for (let months = 0; months < 12 && streak.open; months += 1) {
      earlier = addMonths(earlier, -1);
      const { first, last } = monthBounds(earlier);
      if (last < start) break;
      const result = await read(`doses:${earlier}`, `me/doses/?from=${first}&to=${last}`).catch(
        () => null,
      );
      const more = (result && result.data) || [];
      if (!more.length) break;
      doses = [...more, ...doses];
      streak = currentStreak(dayFigures(doses, today));
    }
    return streak.count;
  }

  function paint() {
    if (disposed || !view) return;
    const active = document.activeElement && document.activeElement.id;
    const saved = formState(container);
    fill(
      container,
      screenHeading(t("history.title")),
      motivationSection(),
      calendarSection(),
      reportsSection(),
    );
    restoreFormState(container, saved);
    const target = focusAfterPaint || active;
    focusAfterPaint = null;
    const element = target && document.getElementById(target);
    if (element && container.contains(element)) element.focus();
  }

  function dosesOnDay(date) {
    return ((view.doses && view.doses.data) || []).filter((dose) => dose.date === date);
  }

  function openPanel(date) {
    openDay = date;
    focusAfterPaint = "day-panel-title";
    paint();
    const panel = document.getElementById("day-panel");
    if (panel) panel.scrollIntoView({ block: "start" });
  }

  /** The day's doses with what can be done: log one not logged, change or undo a log. */
  function dayPanel() {
    if (!openDay) return null;
    const date = openDay;
    const doses = dosesOnDay(date);
    return h(
      "section",
      { class: "card day-panel", id: "day-panel", "aria-labelledby": "day-panel-title" },
      h("h3", { id: "day-panel-title", tabindex: "-1" }, formatDate(date)),
      view.doses && !view.doses.fresh ? notice("info", t("fix.offline_note")) : null,
      doses.length
        ? h(
            "ul",
            { class: "doses" },
            doses.map((dose) => panelDose(dose)),
          )
        : h("p", {}, t("history.no_dose")),
      h(
        "button",
        {
          type: "button",
          class: "button button-secondary",
          id: "day-panel-close",
          onclick: () => {
            focusAfterPaint = `day-${date}`;
            openDay = null;
            paint();
          },
        },
        t("fix.close"),
      ),
    );
  }

  function panelDose(dose) {
    const effective = effectiveDose(dose, view.outbox);
    const prefix = `fix-${dose.date}-${dose.slot}`;
    const titleId = `${prefix}-title`;
    const waiting = effective.waiting;
    const status = waiting ? "waiting" : effective.status;
    const lines = [];
    if (waiting) lines.push(waitingWords(waiting));
    else if (effective.log) lines.push(logDetail(effective.log));
    const refusals = effective.rejected.map((item) =>
      notice(
        "warning",
        refusalLines(item).map((line) => h("p", {}, line)),
        h(
          "button",
          {
            type: "button",
            class: "button button-secondary",
            id: `dismiss-${item.client_id}`,
            onclick: async () => {
              focusAfterPaint = titleId;
              await dismiss(item.client_id);
            },
          },
          t("fix.dismiss"),
        ),
      ),
    );
    let actions = null;
    const undoWaiting = waiting && waiting.kind === "fix" && waiting.body.status === "not_logged";
    if (["on_hold"].includes(dose.status) || undoWaiting) {
      actions = null;
    } else if (effective.log) {
      actions = changeForm({
        dose,
        effective,
        zone: view.zone,
        prefix,
        onCorrect: (fields, reason) => correct(dose, effective, fields, reason, titleId),
      });
    } else {
      actions = doseForm({
        dose,
        effective,
        zone: view.zone,
        prefix,
        mode: "log",
        onSubmit: async (fields) => {
          focusAfterPaint = titleId;
          const { outcome } = await queueLog(dose, fields);
          announce(t(`dose.announce_${outcome.state}`));
        },
      });
    }
    return h(
      "li",
      { class: `dose dose-${status}`, "aria-labelledby": titleId },
      h(
        "h4",
        { class: "dose-title", id: titleId, tabindex: "-1" },
        t("dose.title", { time: formatClock(dose.local_time) }),
      ),
      h("p", { class: "dose-status" }, badge(status), " ", lines.join(" ")),
      refusals,
      actions,
    );
  }

  /** Changes the server did not take (another phone changed the dose first...), above the
   *  calendar so they are seen without opening the day; the day's panel lets the patient
   *  choose again from what is stored now. */
  function refusedChanges() {
    const refused = view.outbox.filter((item) => item.kind === "fix" && item.state === REJECTED);
    if (!refused.length) return null;
    return refused.map((item) => {
      const date = item.dose.date;
      const here = date.slice(0, 7) === view.month;
      return notice(
        "warning",
        h("p", {}, h("strong", {}, t("fix.not_saved", { date: formatDate(date) }))),
        refusalLines(item).map((line) => h("p", {}, line)),
        here && date !== openDay
          ? h(
              "button",
              { type: "button", class: "button", onclick: () => openPanel(date) },
              t("fix.open_day"),
            )
          : null,
        here
          ? null
          : h("a", { class: "button", href: `#/history/${date.slice(0, 7)}` }, t("fix.open_day")),
      );
    });
  }

  async function correct(dose, effective, fields, reason, titleId) {
    focusAfterPaint = titleId;
    const { outcome } = await queueFix(dose, effective, fields, reason);
    announce(announceFix(fields.status === "not_logged", outcome.state));
  }

  function dayStatuses() {
    const byDay = new Map();
    const add = (date, status) => {
      if (!byDay.has(date)) byDay.set(date, []);
      byDay.get(date).push(status);
    };
    for (const dose of (view.doses && view.doses.data) || []) add(dose.date, dose.status);
    for (const item of view.outbox) {
      if (item.kind === "dose" && item.state !== REJECTED) add(item.body.date, "waiting");
      if (item.kind === "fix" && item.state !== REJECTED) add(item.dose.date, "waiting");
    }
    const result = new Map();
    for (const [date, statuses] of byDay) {
      result.set(
        date,
        DAY_ORDER.find((status) => statuses.includes(status)),
      );
    }
    return result;
  }

  function calendarSection() {
    const { month, thisMonth } = view;
    const statuses = dayStatuses();
    const { first, last } = monthBounds(month);
    const weekStart = firstDayOfWeek();
    const names = weekdayNames(weekStart);
    const firstWeekday = ((new Date(`${first}T00:00:00Z`).getUTCDay() + 6) % 7) + 1; // 1 Mon
    const leading = (firstWeekday - weekStart + 7) % 7;
    const days = Number(last.slice(8, 10));
    const cells = [];
    for (let i = 0; i < leading; i += 1) cells.push(h("td", { class: "day day-empty" }));
    for (let day = 1; day <= days; day += 1) {
      const date = `${month}-${String(day).padStart(2, "0")}`;
      const status = statuses.get(date);
      const words = status ? t(`status.${status}`) : t("history.no_dose");
      const open = withinWindow(date, view.today) && dosesOnDay(date).length > 0;
      // Older days with doses say why they cannot be opened (the note under the calendar).
      const tooOld = !open && status && date < view.today ? ` (${t("fix.too_old_short")})` : "";
      const content = [
        h("span", { class: "day-number", "aria-hidden": "true" }, String(day)),
        h("span", { class: "day-mark", "aria-hidden": "true" }, status ? t(`mark.${status}`) : ""),
        h("span", { class: "visually-hidden" }, `${formatDate(date)}: ${words}${tooOld}`),
      ];
      cells.push(
        h(
          "td",
          {
            class: `day ${status ? `day-${status}` : "day-none"}${date === view.today ? " day-today" : ""}${date === openDay ? " day-open" : ""}`,
          },
          open
            ? h(
                "button",
                {
                  type: "button",
                  class: "day-button",
                  id: `day-${date}`,
                  "aria-expanded": date === openDay ? "true" : "false",
                  "aria-controls": date === openDay ? "day-panel" : null,
                  onclick: () => openPanel(date),
                },
                content,
              )
            : content,
        ),
      );
    }
    while (cells.length % 7) cells.push(h("td", { class: "day day-empty" }));
    const rows = [];
    for (let i = 0; i < cells.length; i += 7) rows.push(h("tr", {}, cells.slice(i, i + 7)));
    const shown = DAY_ORDER.filter((status) => [...statuses.values()].includes(status));
    return h(
      "section",
      { class: "calendar-section", "aria-labelledby": "calendar-title" },
      h("h2", { id: "calendar-title" }, t("history.doses_title")),
      h(
        "div",
        { class: "month-nav" },
        h(
          "a",
          { class: "button button-secondary", href: `#/history/${addMonths(month, -1)}` },
          h("span", { "aria-hidden": "true" }, "‹ "),
          t("history.previous_month"),
        ),
        month < thisMonth
          ? h(
              "a",
              { class: "button button-secondary", href: `#/history/${addMonths(month, 1)}` },
              t("history.next_month"),
              h("span", { "aria-hidden": "true" }, " ›"),
            )
          : null,
      ),
      // Each section says where its own figures come from: the calendar and the reports may
      // have been saved at different times, or one not at all (issue 22: one notice for the
      // page contradicted the other).
      view.doses ? staleNotice(view.doses) : notice("warning", t("offline.nothing_saved")),
      refusedChanges(),
      h(
        "table",
        { class: "calendar" },
        h("caption", {}, formatMonth(month)),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            names.map((name) =>
              h("th", { scope: "col" }, h("abbr", { title: name.long }, name.short)),
            ),
          ),
        ),
        h("tbody", {}, rows),
      ),
      shown.length
        ? h(
            "ul",
            { class: "legend", "aria-label": t("history.legend") },
            shown.map((status) => h("li", {}, badge(status))),
          )
        : view.doses
          ? h("p", {}, t("history.no_doses_month"))
          : null, // not loaded: "no doses" would contradict the notice above
      h("p", { class: "hint" }, t("fix.window_note", { days: formatNumber(backfillDays()) })),
      openDay && openDay.slice(0, 7) === month ? dayPanel() : null,
    );
  }

  /** Your month: days with every dose taken, the current run of them, and a bar a day (its
   *  text alternative: the same figures as a table). Kind, factual words only. */
  function motivationSection() {
    if (!view.doses) return null;
    const { month, today } = view;
    const figures = dayFigures(view.doses.data || [], today);
    const { taken, days } = daysTaken(figures);
    const { first, last } = monthBounds(month);
    // biome-ignore lint/complexity/useMathMinMax: dates as "YYYY-MM-DD" strings, not numbers
    const until = last < today ? last : today;
    const bars = [];
    const rows = [];
    for (let day = 1; day <= Number(last.slice(8, 10)); day += 1) {
      const date = `${month}-${String(day).padStart(2, "0")}`;
      const figure = figures.get(date);
      let kind = "none";
      let words = t("motivation.cell_none");
      if (figure && figure.held) {
        kind = "held";
        words = t("motivation.cell_held");
      } else if (figure) {
        kind = figure.taken ? "taken" : "empty";
        words = t("motivation.cell", {
          taken: formatNumber(figure.taken),
          doses: formatNumber(figure.doses),
        });
      }
      const height = figure && figure.doses ? (100 * figure.taken) / figure.doses : 0;
      const fillBar = h("span", { class: "chart-fill" });
      // Through the CSSOM: the CSP (style-src 'self') refuses style attributes.
      if (kind === "taken") fillBar.style.height = `${height}%`;
      bars.push(h("span", { class: `chart-bar chart-bar-${kind}`, dataset: { date } }, fillBar));
      if (date <= until && date >= first) {
        rows.push(
          h(
            "tr",
            { dataset: { date } },
            h("th", { scope: "row" }, formatDayMonth(date)),
            h("td", {}, words),
          ),
        );
      }
    }
    const streak = view.streak;
    return h(
      "section",
      { class: "motivation", "aria-labelledby": "motivation-title" },
      h(
        "h2",
        { id: "motivation-title" },
        month === view.thisMonth ? t("motivation.title") : formatMonth(month),
      ),
      days
        ? [
            h(
              "p",
              { class: "motivation-figure", id: "days-taken" },
              t("motivation.days_taken", { taken: formatNumber(taken), days: formatNumber(days) }),
            ),
            h("p", {}, t("motivation.days_label")),
          ]
        : h("p", { id: "days-taken" }, t("motivation.no_days")),
      streak === null ? null : h("p", { id: "streak" }, streakWords(streak)),
      rows.length
        ? h(
            "figure",
            { class: "month-chart" },
            h("figcaption", { id: "chart-title" }, t("motivation.chart_title")),
            h("div", { class: "chart-bars", "aria-hidden": "true" }, bars),
            h(
              "details",
              { class: "more", id: "chart-table-box" },
              h("summary", { id: "chart-table-toggle" }, t("motivation.chart_table")),
              h(
                "table",
                { class: "chart-table", "aria-labelledby": "chart-title" },
                h(
                  "thead",
                  {},
                  h(
                    "tr",
                    {},
                    h("th", { scope: "col" }, t("motivation.col_day")),
                    h("th", { scope: "col" }, t("motivation.col_taken")),
                  ),
                ),
                h("tbody", {}, rows),
              ),
            ),
          )
        : null,
    );
  }

  /** "7 days in a row with every dose taken"; with none yet, a kind word for the next one. */
  function streakWords(count) {
    if (!count) return t("motivation.streak_none");
    const params = { count: formatNumber(count) };
    return count === 1 ? t("motivation.streak_one", params) : t("motivation.streak_other", params);
  }

  function reportCard(report, catalogue, extra) {
    const symptom = catalogue && catalogue.symptoms.find((s) => s.code === report.symptom);
    const scores = scoresOf(report.patient_scores || report.answers);
    const answers = symptom
      ? allQuestions(symptom)
          .filter((question) => question.attribute in scores)
          .map((question) =>
            h(
              "div",
              { class: "answer" },
              h("dt", {}, t(`attribute.${question.attribute}`)),
              h("dd", {}, answerWord(question, scores[question.attribute])),
            ),
          )
      : [];
    return h(
      "li",
      { class: "report" },
      h("h3", {}, symptom ? symptomLabel(symptom) : report.symptom),
      report.reported_at ? h("p", { class: "muted" }, formatDateTime(report.reported_at)) : null,
      answers.length ? h("dl", { class: "answers" }, answers) : null,
      report.note ? h("p", { class: "note" }, report.note) : null,
      careTeamLines(report),
      extra,
    );
  }

  /** What the care team has done about a report (issue 21: the loop closed): told, seen by
   *  a nurse, then the outcome in words for patients; and a nurse's request to phone. */
  function careTeamLines(report) {
    const response = report.care_team_response;
    if (!response) {
      return report.care_team_alerted
        ? h("p", { class: "told" }, t("history.care_team_told"))
        : null;
    }
    const lines = [];
    if (response.call_requested_at && response.status !== "resolved") {
      const phone = view.team && view.team.phone;
      lines.push(
        h(
          "p",
          { class: "call-request" },
          t("history.call_requested"),
          phone ? " " : null,
          phone ? h("a", { href: `tel:${phone.replace(/[^\d+]/g, "")}` }, phone) : null,
        ),
      );
    }
    const status =
      response.status === "resolved"
        ? tOr(`history.outcome.${response.outcome}`, t("history.outcome.other"))
        : t(`history.response.${response.status}`);
    lines.push(h("p", { class: `told response-${response.status}` }, status));
    return h("div", { class: "care-team-response" }, lines);
  }

  function reportsSection() {
    const catalogue = view.catalogue && view.catalogue.data;
    const waiting = view.outbox.filter((item) => item.kind === "report");
    const sent = (view.reports && view.reports.data) || [];
    const items = [
      ...waiting.map((item) =>
        reportCard(
          item.body,
          catalogue,
          item.state === REJECTED
            ? h("p", {}, badge("rejected"), " ", item.error.reasons.join(" "))
            : h("p", {}, badge("waiting")),
        ),
      ),
      ...sent.map((report) => reportCard(report, catalogue, null)),
    ];
    return h(
      "section",
      { class: "reports-section", "aria-labelledby": "reports-title" },
      h("h2", { id: "reports-title" }, t("history.reports_title")),
      view.reports ? staleNotice(view.reports) : null,
      items.length ? h("ul", { class: "reports" }, items) : h("p", {}, t("history.no_reports")),
    );
  }

  async function refresh() {
    await load();
    paint();
  }

  const stopOutbox = onOutboxChange(refresh);
  const stopSent = on("outbox-sent", refresh);
  fill(container, screenHeading(t("history.title")), h("p", {}, t("app.loading")));
  return {
    ready: refresh(),
    cleanup: () => {
      disposed = true;
      stopOutbox();
      stopSent();
    },
  };
}

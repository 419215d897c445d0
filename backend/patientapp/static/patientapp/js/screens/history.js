// History: a month calendar of doses (GET me/doses/?from=&to=) and the symptoms reported
// (GET me/side-effects/), with what is still waiting in the outbox.

import { fill, h } from "../dom.js";
import {
  firstDayOfWeek,
  formatDate,
  formatDateTime,
  formatMonth,
  t,
  tOr,
  weekdayNames,
} from "../i18n.js";
import { REJECTED, onOutboxChange, outboxItems } from "../queue.js";
import { on, state, userId } from "../state.js";
import { peek, read } from "../store.js";
import { addMonths, localDate, monthBounds } from "../time.js";
import { careTeam } from "../triage.js";
import { badge, notice, screenHeading, staleNotice } from "../ui.js";
import { allQuestions, answerWord, scoresOf, symptomLabel } from "./symptoms.js";

// A day shows its most pressing dose: one waiting to send, then missed, skipped, late...
const DAY_ORDER = ["waiting", "missed", "skipped", "taken_late", "taken", "pending", "on_hold"];

export function mountHistory(container, monthArg) {
  let disposed = false;
  let view = null;

  async function todayDate() {
    const kept = await peek("today");
    if (kept) return localDate(new Date(), kept.time_zone);
    const zone = state.patient ? state.patient.time_zone : undefined;
    return localDate(new Date(), zone || Intl.DateTimeFormat().resolvedOptions().timeZone);
  }

  async function load() {
    const today = await todayDate();
    const thisMonth = today.slice(0, 7);
    const month = /^\d{4}-\d{2}$/.test(monthArg || "") && monthArg <= thisMonth ? monthArg : thisMonth;
    const { first, last } = monthBounds(month);
    const until = last < today ? last : today;
    const [doses, reports, catalogue, outbox, team] = await Promise.all([
      read(`doses:${month}`, `me/doses/?from=${first}&to=${until}`).catch(() => null),
      read("reports", "me/side-effects/").catch(() => null),
      read("catalogue", "symptoms/").catch(() => null),
      outboxItems(userId()),
      careTeam().catch(() => null),
    ]);
    view = { today, month, thisMonth, doses, reports, catalogue, outbox, team };
  }

  function paint() {
    if (disposed || !view) return;
    fill(container, 
      screenHeading(t("history.title")),
      calendarSection(),
      reportsSection(),
    );
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
    }
    const result = new Map();
    for (const [date, statuses] of byDay) {
      result.set(date, DAY_ORDER.find((status) => statuses.includes(status)));
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
      cells.push(
        h(
          "td",
          {
            class: `day ${status ? `day-${status}` : "day-none"}${date === view.today ? " day-today" : ""}`,
          },
          h("span", { class: "day-number", "aria-hidden": "true" }, String(day)),
          h("span", { class: "day-mark", "aria-hidden": "true" }, status ? t(`mark.${status}`) : ""),
          h("span", { class: "visually-hidden" }, `${formatDate(date)}: ${words}`),
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
    );
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
      return report.care_team_alerted ? h("p", { class: "told" }, t("history.care_team_told")) : null;
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

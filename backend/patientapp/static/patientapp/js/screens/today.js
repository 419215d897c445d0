// Today: the day's doses at their local times, one large "Taken" button each (now), a
// "taken earlier" time, "Skip" with a reason; the plan's day X of Y; a clear message during a
// hold. Every log goes through the outbox (queue.js), so a dose logged offline is kept and
// shown as waiting to send. A logged dose has "Undo" for a minute, then "Change" (change or
// undo, with an optional reason): corrections go through the outbox too (corrections.js).

import { ApiError } from "../api.js";
import {
  UNDO_SECONDS,
  announceFix,
  changeForm,
  effectiveDose,
  queueFix,
  refusalLines,
  waitingWords as itemWords,
} from "../corrections.js";
import { fill, h, uuid } from "../dom.js";
import { formatClock, formatDate, formatNumber, formatTime, setZone, t } from "../i18n.js";
import { dosesOn, holdOn, planOn } from "../plan.js";
import { shouldOfferReminders, turnOnReminders } from "../push.js";
import { dismiss, enqueue, onOutboxChange, outboxItems } from "../queue.js";
import { remindersAsked, setRemindersAsked } from "../session.js";
import { announce, on, userId } from "../state.js";
import { peek, read } from "../store.js";
import { flush } from "../sync.js";
import { addDays, instantOf, localDate, localTime } from "../time.js";
import {
  badge,
  choices,
  field,
  formState,
  notice,
  restoreFormState,
  screenHeading,
  setFlash,
  staleNotice,
  takeFlash,
} from "../ui.js";
import { careTeamCall } from "../triage.js";

const SKIP_REASONS = ["side_effects", "forgot", "ran_out", "travel", "other"];
const LOGGED = ["taken", "taken_late", "skipped"];
// A "taken earlier" time up to this far ahead of the phone's clock is taken as now.
const CLOCK_SLACK_MS = 60 * 1000;

export function mountToday(container) {
  let disposed = false;
  let model = null;
  let outbox = [];
  let failure = null;
  let reminderMessage = null;
  let offerReminders = false;
  let focusAfterPaint = null;
  const flash = takeFlash();

  async function load() {
    const [today, plan] = await Promise.all([
      read("today", "me/today/"),
      read("plan", "me/plan/", { missingIsNull: true }).catch(() => ({ data: null })),
    ]);
    let data = today.data;
    let derived = false;
    const zone = data.time_zone;
    const nowDate = localDate(new Date(), zone);
    if (!today.fresh && data.date < nowDate && plan.data) {
      // Offline since an earlier day: today's doses from the kept plan.
      data = {
        date: nowDate,
        time_zone: zone,
        plan: planOn(plan.data, nowDate),
        doses: dosesOn(plan.data, nowDate),
      };
      derived = true;
    }
    setZone(zone);
    model = { today: data, plan: plan.data, result: today, derived };
    failure = null;
  }

  async function loadOutbox() {
    outbox = await outboxItems(userId());
  }

  /** A dose just accepted by the server is already in the kept copy (sync.js): show it. */
  async function reloadKept() {
    if (!model || model.derived) return;
    const kept = await peek("today");
    if (kept && kept.date === model.today.date) model.today = kept;
  }

  function paint() {
    if (disposed) return;
    const active = document.activeElement && document.activeElement.id;
    const saved = formState(container);
    fill(container, view());
    restoreFormState(container, saved);
    const target = focusAfterPaint || active;
    focusAfterPaint = null;
    const element = target && document.getElementById(target);
    if (element && container.contains(element)) element.focus();
  }

  async function refresh() {
    try {
      await Promise.all([load(), loadOutbox()]);
    } catch (error) {
      failure = error;
    }
    paint();
  }

  function view() {
    const heading = screenHeading(t("today.title"));
    if (!model) {
      const message =
        failure instanceof ApiError ? failure.reasons.join(" ") : t("offline.nothing_saved");
      return [heading, notice("error", message)];
    }
    const { today } = model;
    return [
      heading,
      flash,
      h("p", { class: "lead" }, formatDate(today.date)),
      staleNotice(model.result),
      model.derived ? notice("info", t("today.from_plan")) : null,
      planLine(today.plan),
      holdNotice(today),
      doseList(today),
      reminderOffer(today),
    ];
  }

  function planLine(plan) {
    if (!plan) return notice("info", t("plan.none"));
    if (plan.state === "completed") return notice("info", t("plan.completed"));
    if (plan.state === "stopped") return notice("info", t("plan.stopped"));
    let day;
    if (plan.day_of_plan === null) {
      day = model.plan
        ? t("plan.starts", { date: formatDate(model.plan.start_date) })
        : t("plan.not_started");
    } else if (plan.total_days) {
      day = t("plan.day_of", {
        day: formatNumber(plan.day_of_plan),
        total: formatNumber(plan.total_days),
      });
    } else {
      day = t("plan.day", { day: formatNumber(plan.day_of_plan) });
    }
    const end = plan.planned_end_date
      ? t("plan.ends", { date: formatDate(plan.planned_end_date) })
      : t("plan.ongoing");
    return h(
      "section",
      { class: "plan", "aria-label": t("plan.label") },
      h("p", { class: "plan-day" }, day),
      h("p", { class: "plan-end" }, end),
      h("p", { class: "plan-dose" }, t("plan.dose", { mg: formatNumber(plan.dose_mg_per_day) })),
    );
  }

  function holdNotice(today) {
    if (!today.plan || today.plan.state !== "on_hold") return null;
    const hold = holdOn(model.plan, today.date);
    return notice(
      "warning",
      h("h2", {}, t("hold.title")),
      h("p", {}, t("hold.body")),
      hold && hold.end_date
        ? h("p", {}, t("hold.until", { date: formatDate(addDays(hold.end_date, 1)) }))
        : h("p", {}, t("hold.open_ended")),
      careTeamCall(),
    );
  }

  function doseList(today) {
    if (!today.doses.length) {
      return today.plan && today.plan.day_of_plan !== null ? h("p", {}, t("today.no_doses")) : null;
    }
    return h(
      "ul",
      { class: "doses", "aria-label": t("today.doses_label") },
      today.doses.map((dose) => doseCard(dose)),
    );
  }

  function doseCard(dose) {
    const effective = effectiveDose(dose, outbox);
    const rejected = effective.rejected.length
      ? effective.rejected[effective.rejected.length - 1]
      : null;
    const waiting = effective.waiting;
    const titleId = `dose-${dose.slot}-title`;
    const time = formatClock(dose.local_time);
    let status = effective.status;
    let detail = null;
    let actions = null;
    if (waiting) {
      status = "waiting";
      detail = h("span", { class: "status-detail" }, itemWords(waiting));
    } else if (rejected) {
      status = "rejected";
    } else if (effective.log && LOGGED.includes(status)) {
      detail = h("span", { class: "status-detail" }, loggedWords(effective.log));
    }
    const undoWaiting = waiting && waiting.kind === "fix" && waiting.body.status === "not_logged";
    if (status === "pending") actions = doseActions(dose, titleId);
    else if (!rejected && !undoWaiting && effective.log) {
      actions = correctionActions(dose, effective, titleId);
    }
    return h(
      "li",
      { class: `dose dose-${status}`, "aria-labelledby": titleId },
      h("h2", { class: "dose-title", id: titleId, tabindex: "-1" }, t("dose.title", { time })),
      h("p", { class: "dose-status" }, badge(status), " ", detail),
      rejected ? rejectedDetail(rejected) : null,
      actions,
    );
  }

  /** When the log was made (the phone's time for one still waiting), for the minute of Undo. */
  function undoUntil(log) {
    const made = Date.parse(log.created_at || "");
    return Number.isNaN(made) ? 0 : made + UNDO_SECONDS * 1000;
  }

  function secondsLeft(until) {
    return Math.max(0, Math.ceil((until - Date.now()) / 1000));
  }

  /** "Undo" for a minute after the log, then "Change" (taken <-> skipped, the time, or undo). */
  function correctionActions(dose, effective, titleId) {
    const until = undoUntil(effective.log);
    if (until > Date.now()) {
      return h(
        "div",
        { class: "dose-actions undo-box", dataset: { undoUntil: String(until) } },
        h(
          "button",
          {
            type: "button",
            class: "button button-secondary",
            id: `undo-${dose.slot}`,
            "aria-describedby": `undo-${dose.slot}-left`,
            onclick: (event) => {
              event.currentTarget.disabled = true;
              correct(dose, effective, { status: "not_logged" }, "", titleId);
            },
          },
          t("fix.undo"),
        ),
        h(
          "p",
          { class: "hint undo-left", id: `undo-${dose.slot}-left` },
          t("fix.undo_left", { seconds: formatNumber(secondsLeft(until)) }),
        ),
      );
    }
    const prefix = `change-${dose.slot}`;
    const form = changeForm({
      dose,
      effective,
      zone: model.today.time_zone,
      prefix,
      onCorrect: (fields, reason) => correct(dose, effective, fields, reason, titleId),
    });
    return h(
      "details",
      { class: "more", id: `change-box-${dose.slot}` },
      h("summary", { id: `change-${dose.slot}` }, t("fix.change")),
      form,
    );
  }

  async function correct(dose, effective, fields, reason, titleId) {
    focusAfterPaint = titleId;
    const { outcome } = await queueFix(dose, effective, fields, reason);
    announce(announceFix(fields.status === "not_logged", outcome.state));
  }

  /** The Undo countdown, once a second; at the end of the minute the card shows "Change". */
  function tick() {
    let expired = false;
    for (const box of container.querySelectorAll("[data-undo-until]")) {
      const left = secondsLeft(Number(box.dataset.undoUntil));
      if (left <= 0) expired = true;
      const line = box.querySelector(".undo-left");
      if (line) line.textContent = t("fix.undo_left", { seconds: formatNumber(left) });
    }
    if (expired) paint();
  }
  const ticker = setInterval(tick, 1000);

  function loggedWords(log) {
    if (log.status === "skipped") {
      return t("dose.skipped_because", { reason: t(`skip.${log.skip_reason || "other"}`) });
    }
    return t("dose.taken_at", { time: formatTime(log.taken_at) });
  }

  function rejectedDetail(item) {
    return h(
      "span",
      { class: "status-detail" },
      refusalLines(item).map((line, index) =>
        h("span", { class: index ? "server-reason" : null }, line),
      ),
      h(
        "button",
        {
          type: "button",
          class: "button button-secondary",
          id: `dismiss-${item.client_id}`,
          onclick: async () => {
            focusAfterPaint = `dose-${(item.kind === "fix" ? item.dose : item.body).slot}-title`;
            await dismiss(item.client_id);
          },
        },
        t("outbox.dismiss"),
      ),
    );
  }

  function doseActions(dose, titleId) {
    const zone = model.today.time_zone;
    const now = new Date();
    const due = instantOf(dose.date, dose.local_time, zone);
    const earlier = h("input", {
      type: "time",
      id: `earlier-time-${dose.slot}`,
      name: "taken_time",
      class: "input",
      required: true,
      value: due <= now ? dose.local_time : localTime(now, zone),
    });
    const earlierForm = h(
      "form",
      {
        class: "form-inline",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          const box = earlierForm.querySelector(".field-error");
          const at = earlier.value ? instantOf(dose.date, earlier.value, zone) : null;
          if (!at || at.getTime() > Date.now() + CLOCK_SLACK_MS) {
            box.textContent = at ? t("dose.earlier_future") : t("dose.earlier_needed");
            box.hidden = false;
            earlier.setAttribute("aria-invalid", "true");
            earlier.focus();
            return;
          }
          logDose(dose, { status: "taken", taken_at: at.toISOString() });
        },
      },
      field(t("dose.earlier_label"), earlier),
      h("button", { type: "submit", class: "button" }, t("dose.earlier_save")),
    );
    const skipForm = h(
      "form",
      {
        class: "form-inline",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          const picked = skipForm.querySelector("input[name=skip_reason]:checked");
          const box = skipForm.querySelector(".field-error");
          if (!picked) {
            box.textContent = t("dose.skip_reason_needed");
            box.hidden = false;
            skipForm.querySelector("input[name=skip_reason]").focus();
            return;
          }
          logDose(dose, { status: "skipped", skip_reason: picked.value });
        },
      },
      h(
        "fieldset",
        { class: "choices", "aria-describedby": `skip-${dose.slot}-error` },
        h("legend", {}, t("dose.skip_legend")),
        choices(
          "skip_reason",
          SKIP_REASONS.map((reason) => ({ value: reason, label: t(`skip.${reason}`) })),
          null,
          `skip-${dose.slot}-reason`,
        ),
        h("p", { class: "field-error", id: `skip-${dose.slot}-error`, hidden: true }),
      ),
      h("button", { type: "submit", class: "button" }, t("dose.skip_button")),
    );
    return h(
      "div",
      { class: "dose-actions" },
      h(
        "button",
        {
          type: "button",
          class: "button button-big button-taken",
          id: `taken-${dose.slot}`,
          "aria-describedby": titleId,
          onclick: (event) => {
            event.currentTarget.disabled = true;
            logDose(dose, { status: "taken", taken_at: new Date().toISOString() });
          },
        },
        t("dose.taken_button"),
      ),
      h(
        "details",
        { class: "more", id: `earlier-box-${dose.slot}` },
        h("summary", { id: `earlier-${dose.slot}` }, t("dose.earlier_summary")),
        earlierForm,
      ),
      h(
        "details",
        { class: "more", id: `skip-box-${dose.slot}` },
        h("summary", { id: `skip-${dose.slot}` }, t("dose.skip_summary")),
        skipForm,
      ),
    );
  }

  async function logDose(dose, fields) {
    const body = { client_id: uuid(), date: dose.date, slot: dose.slot, ...fields };
    focusAfterPaint = `dose-${dose.slot}-title`;
    await enqueue("dose", body, userId());
    const outcomes = await flush();
    const outcome = outcomes[body.client_id] || { state: "waiting" };
    announce(t(`dose.announce_${outcome.state}`));
    if (fields.status === "skipped" && fields.skip_reason === "side_effects") {
      // Straight into the report (issue 22): the care team needs to know what made the
      // patient skip; the skip itself is kept (sent or waiting in the outbox).
      setFlash("info", t("dose.skipped_report_now"));
      location.hash = "#/symptoms";
      return;
    }
    if (outcome.state === "sent" && fields.status === "taken") {
      offerReminders = true;
      paint();
    }
  }

  function reminderOffer(today) {
    if (reminderMessage) {
      return h(
        "p",
        { class: "notice notice-info", id: "reminder-result", tabindex: "-1" },
        reminderMessage,
      );
    }
    const anyTaken = today.doses.some((dose) => ["taken", "taken_late"].includes(dose.status));
    if (!offerReminders || !anyTaken || !shouldOfferReminders(remindersAsked())) return null;
    return h(
      "section",
      { class: "card reminder-offer", "aria-labelledby": "reminder-offer-title" },
      h("h2", { id: "reminder-offer-title" }, t("reminders.offer_title")),
      h("p", {}, t("reminders.offer_body")),
      h(
        "div",
        { class: "stack" },
        h(
          "button",
          {
            type: "button",
            class: "button",
            onclick: async () => {
              setRemindersAsked();
              const result = await turnOnReminders();
              reminderMessage = t(`reminders.result_${result}`);
              focusAfterPaint = "reminder-result";
              paint();
            },
          },
          t("reminders.yes"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "button button-secondary",
            onclick: () => {
              setRemindersAsked();
              offerReminders = false;
              paint();
            },
          },
          t("reminders.not_now"),
        ),
      ),
    );
  }

  const stopOutbox = onOutboxChange(async () => {
    await Promise.all([loadOutbox(), reloadKept()]);
    paint();
  });
  const stopSent = on("outbox-sent", () => refresh());

  fill(container, screenHeading(t("today.title")), h("p", {}, t("app.loading")));
  return {
    ready: refresh(),
    cleanup: () => {
      disposed = true;
      clearInterval(ticker);
      stopOutbox();
      stopSent();
    },
  };
}

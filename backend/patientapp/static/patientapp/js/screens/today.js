// @ts-check
// Today: the day's doses at their local times, one large "Taken" button each (now), a
// "taken earlier" time, "Skip" with a reason; the plan's day X of Y; a clear message during a
// hold. Every log goes through the outbox (queue.js), so a dose logged offline is kept and
// shown as waiting to send. A logged dose has "Undo" for a minute, then "Change" (change or
// undo, with an optional reason): corrections go through the outbox too (corrections.js).
// What to show is worked out in js/today-model.js (no DOM); this module draws it and wires
// the events.

import { ApiError } from "../api.js";
import {
  SKIP_REASONS,
  announceFix,
  changeForm,
  checkTakenTime,
  queueFix,
  refusalLines,
} from "../corrections.js";
import { fill, h, uuid } from "../dom.js";
import { formatClock, formatDate, formatNumber, setZone, t } from "../i18n.js";
import { shouldOfferReminders, turnOnReminders } from "../push.js";
import { dismiss, enqueue, onOutboxChange, outboxItems } from "../queue.js";
import { remindersAsked, setRemindersAsked } from "../session.js";
import { announce, on, userId } from "../state.js";
import { peek, read } from "../store.js";
import { flush } from "../sync.js";
import {
  badge,
  choices,
  field,
  formState,
  notice,
  restoreFormState,
  screenHeading,
  setFlash,
  showProblem,
  staleNotice,
  takeFlash,
} from "../ui.js";
import { careTeamCall } from "../triage.js";
import {
  anyTaken,
  dayToShow,
  doseCardModel,
  earlierTimeDefault,
  holdEndWords,
  itemSlot,
  planDayWords,
  planEndWords,
  planStateWords,
  secondsLeft,
  undoUntil,
} from "../today-model.js";

/** The plan's day, end and dose (or why there is none); `keptPlan` for its start date. */
function planLine(plan, keptPlan) {
  const stateWords = planStateWords(plan);
  if (stateWords) return notice("info", stateWords);
  return h(
    "section",
    { class: "plan", "aria-label": t("plan.label") },
    h("p", { class: "plan-day" }, planDayWords(plan, keptPlan)),
    h("p", { class: "plan-end" }, planEndWords(plan)),
    h("p", { class: "plan-dose" }, t("plan.dose", { mg: formatNumber(plan.dose_mg_per_day) })),
  );
}

/** During a hold: not to take the doses, until when, and the care team's number. */
function holdNotice(today, keptPlan) {
  if (!today.plan || today.plan.state !== "on_hold") return null;
  return notice(
    "warning",
    h("h2", {}, t("hold.title")),
    h("p", {}, t("hold.body")),
    h("p", {}, holdEndWords(keptPlan, today.date)),
    careTeamCall(),
  );
}

/** A refusal's reasons and its Dismiss button (`onDismiss(item)`). */
function rejectedDetail(item, onDismiss) {
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
        onclick: () => onDismiss(item),
      },
      t("outbox.dismiss"),
    ),
  );
}

/** A pending dose's actions: "Taken" (now), "Taken earlier" (a time) and "Skip" (a
 *  reason); `logDose(dose, fields)` queues the log once the form is valid. */
function doseActions(dose, titleId, zone, logDose) {
  const earlier = h("input", {
    type: "time",
    id: `earlier-time-${dose.slot}`,
    name: "taken_time",
    class: "input",
    required: true,
    value: earlierTimeDefault(dose, zone, new Date()),
  });
  const earlierForm = h(
    "form",
    {
      class: "form-inline",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const box = earlierForm.querySelector(".field-error");
        const { at, problem } = checkTakenTime(dose.date, earlier.value, zone);
        if (problem) {
          showProblem(box, problem, earlier, { invalid: true });
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
          const first = skipForm.querySelector("input[name=skip_reason]");
          showProblem(box, t("dose.skip_reason_needed"), first);
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

/**
 * Today (#/today) into `container`.
 * @param {HTMLElement} container
 * @returns {import("../types.js").Screen}
 */
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
    // Offline since an earlier day: today's doses from the kept plan.
    const { today: data, derived } = dayToShow(today, plan.data, new Date());
    setZone(data.time_zone);
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
      planLine(today.plan, model.plan),
      holdNotice(today, model.plan),
      doseList(today),
      reminderOffer(today),
    ];
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
    const { effective, status, detail, rejected, offers } = doseCardModel(dose, outbox);
    const titleId = `dose-${dose.slot}-title`;
    const time = formatClock(dose.local_time);
    let actions = null;
    if (offers === "log") actions = doseActions(dose, titleId, model.today.time_zone, logDose);
    else if (offers === "correct") actions = correctionActions(dose, effective, titleId);
    return h(
      "li",
      { class: `dose dose-${status}`, "aria-labelledby": titleId },
      h("h2", { class: "dose-title", id: titleId, tabindex: "-1" }, t("dose.title", { time })),
      h(
        "p",
        { class: "dose-status" },
        badge(status),
        " ",
        detail === null ? null : h("span", { class: "status-detail" }, detail),
      ),
      rejected ? rejectedDetail(rejected, dismissRefusal) : null,
      actions,
    );
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
    const boxes = /** @type {NodeListOf<HTMLElement>} */ (
      container.querySelectorAll("[data-undo-until]")
    );
    for (const box of boxes) {
      const left = secondsLeft(Number(box.dataset.undoUntil));
      if (left <= 0) expired = true;
      const line = box.querySelector(".undo-left");
      if (line) line.textContent = t("fix.undo_left", { seconds: formatNumber(left) });
    }
    if (expired) paint();
  }
  const ticker = setInterval(tick, 1000);

  async function dismissRefusal(item) {
    focusAfterPaint = `dose-${itemSlot(item)}-title`;
    await dismiss(item.client_id);
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
    if (!offerReminders || !anyTaken(today.doses) || !shouldOfferReminders(remindersAsked()))
      return null;
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

// @ts-check
// Today: the day's doses at their local times, one large "Taken" button each (now), a
// "taken earlier" time, "Skip" with a reason; the plan's day X of Y; a clear message during a
// hold. Every log goes through the outbox (queue.js), so a dose logged offline is kept and
// shown as waiting to send. A logged dose has "Undo" for a minute, then "Change" (change or
// undo, with an optional reason): corrections go through the outbox too (corrections.js).
// What to do now (issue 22) comes first and largest: the dose that is due, as tablets of the
// plan's strengths, the label's advice (with a meal and a large glass of water; a late dose's
// missed-dose advice, never two doses together; docs/clinical-facts.md §2.6) and a countdown
// to the next dose; a dose logged more than DOSE_EARLY_CONFIRM_HOURS early asks first.
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
import { mountRefills } from "../refills.js";
import { dismiss, enqueue, onOutboxChange, outboxItems } from "../queue.js";
import { remindersAsked, setRemindersAsked } from "../session.js";
import { announce, on, userId } from "../state.js";
import { dosesOn } from "../plan.js";
import { peek, read } from "../store.js";
import { tabletWords } from "../tablets.js";
import { addDays, instantOf, localTime } from "../time.js";
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
  clockOf,
  dayToShow,
  doseAdvice,
  doseCardModel,
  dueModel,
  earlierTimeDefault,
  earlyBy,
  holdEndWords,
  itemSlot,
  planDayWords,
  planEndWords,
  planStateWords,
  hoursMinutesWords,
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
 *  reason); `logDose(dose, fields, earlierTime)` takes the log once the form is valid (it asks
 *  first when the time is more than DOSE_EARLY_CONFIRM_HOURS before the dose's). */
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
        logDose(dose, { status: "taken", taken_at: at.toISOString() }, earlier.value);
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
  /** A log waiting for "take it now?" (more than DOSE_EARLY_CONFIRM_HOURS early). */
  let confirming = null;
  /** The due card's dose and state as last drawn: a change repaints and is announced. */
  let dueKey = null;
  const flash = takeFlash();
  const refills = mountRefills();

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
      holdNotice(today, model.plan),
      ...doseList(today),
      planLine(today.plan, model.plan),
      refills.element,
      reminderOffer(today),
    ];
  }

  /** The first dose of the next day from the kept plan (the countdown once today is done). */
  function nextDayFirst(today) {
    if (!model.plan) return null;
    const [first] = dosesOn(model.plan, addDays(today.date, 1));
    return first ? instantOf(first.date, first.local_time, today.time_zone) : null;
  }

  function dueNow(today) {
    return dueModel(today.doses, outbox, today.time_zone, new Date(), nextDayFirst(today));
  }

  /** The due card first and large, then the day's other doses smaller below. */
  function doseList(today) {
    if (!today.doses.length) {
      dueKey = null;
      return [
        today.plan && today.plan.day_of_plan !== null ? h("p", {}, t("today.no_doses")) : null,
      ];
    }
    const now = dueNow(today);
    dueKey = now.due ? `${now.due.slot}:${now.state}` : null;
    const running = today.plan && today.plan.state === "active";
    return [
      running ? dueSection(today, now) : null,
      h(
        "ul",
        {
          class: running && now.due ? "doses doses-others" : "doses",
          "aria-label": running && now.due ? t("due.others_label") : t("today.doses_label"),
        },
        (running ? now.others : today.doses).map((dose) => doseCard(dose, null)),
      ),
    ];
  }

  /** The dose to take now (or next): its amount, the label's advice and the countdown. */
  function dueSection(today, now) {
    const countdown = now.next
      ? h(
          "p",
          {
            class: "countdown",
            id: "countdown",
            role: "timer",
            dataset: { next: String(now.next.getTime()) },
          },
          countdownWords(now.next),
        )
      : null;
    if (!now.due) {
      return h("section", { class: "due-now due-done" }, h("p", {}, t("due.done")), countdown);
    }
    return h(
      "section",
      { class: `due-now due-${now.state}`, "aria-labelledby": `dose-${now.due.slot}-title` },
      h("ul", { class: "doses" }, doseCard(now.due, { state: now.state, plan: today.plan })),
      countdown,
    );
  }

  function countdownWords(next) {
    return t("due.next_in", {
      time: formatClock(localTime(next, model.today.time_zone)),
      left: clockOf((next.getTime() - Date.now()) / 1000),
    });
  }

  /** The due card's extra lines: state, amount as tablets, administration and late advice. */
  function dueLines(due) {
    const plan = due.plan || {};
    const perDose = Number(
      plan.dose_mg_per_dose || Number(plan.dose_mg_per_day) / Math.max(1, model.today.doses.length),
    );
    let advice = null;
    if (due.state === "late")
      advice = notice("warning", h("p", { class: "late-advice" }, t("due.late")));
    if (due.state === "skip")
      advice = notice("warning", h("p", { class: "late-advice" }, t("due.skip")));
    return [
      h("p", { class: "due-kicker" }, t(`due.state_${due.state}`)),
      h("p", { class: "due-amount" }, tabletWords(plan.tablets_per_dose, perDose)),
      plan.tablets_per_dose && plan.tablets_per_dose.length > 1
        ? h("p", { class: "due-mg" }, t("due.per_dose", { mg: formatNumber(perDose) }))
        : null,
      h("p", { class: "due-advice" }, t("due.with_meal")),
      advice,
    ];
  }

  function doseCard(dose, due) {
    const { effective, status, detail, rejected, offers } = doseCardModel(dose, outbox);
    const titleId = `dose-${dose.slot}-title`;
    const time = formatClock(dose.local_time);
    let actions = null;
    if (confirming && confirming.dose.slot === dose.slot && offers === "log") {
      actions = earlyQuestion(dose);
    } else if (offers === "log") {
      actions = doseActions(dose, titleId, model.today.time_zone, askThenLog);
    } else if (offers === "correct") actions = correctionActions(dose, effective, titleId);
    const advice = !due && offers === "log" ? otherAdvice(dose) : null;
    return h(
      "li",
      { class: `dose dose-${status}${due ? " dose-due" : ""}`, "aria-labelledby": titleId },
      h("h2", { class: "dose-title", id: titleId, tabindex: "-1" }, t("dose.title", { time })),
      due ? dueLines(due) : null,
      advice,
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

  /** A smaller card not logged once a later dose's time has come: skip it (the label). */
  function otherAdvice(dose) {
    const { doses, time_zone: zone } = model.today;
    return doseAdvice(dose, doses, zone, new Date()) === "skip"
      ? h("p", { class: "late-advice" }, t("due.skip"))
      : null;
  }

  /** "It is N h M min before your dose time. Take it now?" before an early log is stored. */
  function earlyQuestion(dose) {
    const { fields, early, atTime } = confirming;
    const duration = hoursMinutesWords(early);
    return h(
      "div",
      {
        class: "dose-actions early-confirm",
        role: "group",
        "aria-labelledby": "early-confirm-title",
      },
      h("h3", { id: "early-confirm-title", tabindex: "-1" }, t("due.early_title")),
      h(
        "p",
        { id: "early-confirm-text" },
        atTime
          ? t("due.early_earlier", { time: formatClock(atTime), duration })
          : t("due.early_now", { duration }),
      ),
      h(
        "button",
        {
          type: "button",
          class: "button button-big",
          id: "early-confirm-yes",
          "aria-describedby": "early-confirm-text",
          onclick: (event) => {
            event.currentTarget.disabled = true;
            confirming = null;
            const stamped = atTime ? fields : { ...fields, taken_at: new Date().toISOString() };
            logDose(dose, stamped);
          },
        },
        t("due.early_yes"),
      ),
      h(
        "button",
        {
          type: "button",
          class: "button button-secondary",
          id: "early-confirm-cancel",
          onclick: () => {
            confirming = null;
            focusAfterPaint = `taken-${dose.slot}`;
            announce(t("due.early_cancelled"));
            paint();
          },
        },
        t("due.early_cancel"),
      ),
    );
  }

  /** A log more than DOSE_EARLY_CONFIRM_HOURS before the dose's time asks first; nothing is
   *  queued until the patient says yes (docs/clinical-facts.md §2.6). */
  function askThenLog(dose, fields, atTime = null) {
    if (fields.status === "taken") {
      const early = earlyBy(dose, new Date(fields.taken_at), model.today.time_zone);
      if (early > 0) {
        confirming = { dose, fields, early, atTime };
        focusAfterPaint = "early-confirm-title";
        paint();
        return;
      }
    }
    logDose(dose, fields);
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

  /** The countdowns, once a second: Undo's minute (then "Change"), and the next dose's time.
   *  The next-dose timer is role="timer" (not announced each second); a change of the due
   *  card (a dose comes due, turns late, or the next one comes) repaints and is announced. */
  function tick() {
    let expired = false;
    const timer = /** @type {HTMLElement | null} */ (container.querySelector("#countdown"));
    if (timer) {
      const next = Number(timer.dataset.next);
      timer.textContent = countdownWords(new Date(next));
      if (next <= Date.now()) expired = true; // the next dose time came: count to the one after
    }
    if (model && model.today.doses.length && !confirming) {
      const now = dueNow(model.today);
      const key = now.due ? `${now.due.slot}:${now.state}` : null;
      if (key !== dueKey) {
        if (now.due && now.state !== "upcoming") {
          announce(t(`due.announce_${now.state}`, { time: formatClock(now.due.local_time) }));
        }
        expired = true;
      }
    }
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
      refills.cleanup();
      stopOutbox();
      stopSent();
    },
  };
}

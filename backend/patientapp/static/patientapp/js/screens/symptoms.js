// @ts-check
// Side effects. #/symptoms asks the red flags first ("Do you have any of these now?", a
// check list with "None of these"); each one ticked is sent as its own report
// ({"present": true}) and the full-screen instruction shows at once, even offline (triage.js).
// #/symptoms/list is the ordinary list, with the patient's weight. #/symptoms/<code> asks
// exactly the questions the catalogue (GET symptoms/) defines for a symptom, one at a time, in
// answer words (never bare numbers), then the rash's follow-ups after a "yes"; an optional
// note and weight; sent through the outbox. After sending, the server's patient_instruction
// says what to do (and whether the care team has been told).

import { fill, h, uuid } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { enqueue } from "../queue.js";
import { announce, on, userId } from "../state.js";
import { read } from "../store.js";
import { flush } from "../sync.js";
import {
  careTeam,
  careTeamCall,
  flagLabel,
  instructionScreen,
  isUrgent,
  localLevel,
  moreUrgent,
  ordinarySymptoms,
  redFlagLevel,
  redFlags,
  serverInstruction,
} from "../triage.js";
import {
  choices,
  field,
  notice,
  screenHeading,
  showFieldErrors,
  showProblem,
  staleNotice,
  takeFlash,
} from "../ui.js";
import { WEIGHT_MAX, WEIGHT_MIN, mountWeight, parseKilos } from "./weight.js";

// A score this high is a severe answer (the care team's default alert threshold).
const SEVERE_SCORE = 3;
// Addresses under #/symptoms/ that are not symptom codes.
const LIST = "list";

/**
 * A symptom's name in the patient's words (a red flag's checklist words).
 * @param {import("../types.js").Symptom} symptom
 * @returns {string}
 */
export function symptomLabel(symptom) {
  if (symptom.red_flag) return flagLabel(symptom);
  return tOr(`symptom.${symptom.code}`, symptom.label);
}

/**
 * A question in the patient's language (the catalogue's English otherwise).
 * @param {import("../types.js").Symptom} symptom
 * @param {import("../types.js").Question} question
 * @returns {string}
 */
export function questionText(symptom, question) {
  return tOr(`symptom.${symptom.code}.${question.attribute}`, question.text);
}

/** The answer's words. A score may come as a boolean (a yes/no sent as true/false).
 * @param {import("../types.js").Question} question
 * @param {number | boolean} score
 * @returns {string}
 */
export function answerWord(question, score) {
  const value = typeof score === "boolean" ? Number(score) : score;
  const option = question.options.find((o) => o.score === value);
  return tOr(`answer.${question.attribute}.${value}`, option ? option.label : "");
}

/** Every question a symptom can ask: its own, then its follow-ups (the rash's).
 * @param {import("../types.js").Symptom} symptom
 * @returns {import("../types.js").Question[]}
 */
export function allQuestions(symptom) {
  return [...symptom.questions, ...(symptom.follow_up_questions || [])];
}

/** A report's answers as {attribute: score}: the API's "present" is the catalogue's
 *  "presence", and yes/no answers may be booleans.
 * @param {Record<string, number | boolean> | null | undefined} answers
 * @returns {Record<string, number>}
 */
export function scoresOf(answers) {
  /** @type {Record<string, number>} */
  const scores = {};
  for (const [key, value] of Object.entries(answers || {})) {
    scores[key === "present" ? "presence" : key] =
      typeof value === "boolean" ? Number(value) : value;
  }
  return scores;
}

/** A yes/no question (options 0 "no" and 1 "yes"). */
function isYesNo(question) {
  const scores = question.options.map((option) => option.score).sort();
  return scores.length === 2 && scores[0] === 0 && scores[1] === 1;
}

/** The answers as the API takes them: presence as "present": true|false, other yes/no
 *  follow-ups as booleans, everything else as its score. */
function answersBody(symptom, asked, scores) {
  const followUps = new Set((symptom.follow_up_questions || []).map((q) => q.attribute));
  const body = {};
  for (const question of asked) {
    const score = scores[question.attribute];
    if (question.attribute === "presence") body.present = score === 1;
    else if (followUps.has(question.attribute) && isYesNo(question))
      body[question.attribute] = score === 1;
    else body[question.attribute] = score;
  }
  return body;
}

/**
 * Symptoms (#/symptoms: the red flags; #/symptoms/list; #/symptoms/<code>) into `container`.
 * @param {HTMLElement} container
 * @param {string} arg what follows #/symptoms/
 * @returns {import("../types.js").Screen}
 */
export function mountSymptoms(container, arg) {
  let disposed = false;
  let catalogue = null;
  let result = null;
  let flow = null;
  let instruction = null;
  let weight = null;
  const weightSection = h("section", { class: "card weight", "aria-labelledby": "weight-title" });

  function paint(focusId) {
    if (disposed) return;
    const active = document.activeElement;
    const keep = active && container.contains(active) && active.id ? active.id : null;
    let view;
    if (instruction) view = instructionView();
    else if (flow) view = flowView();
    else if (arg === LIST || !redFlags(catalogue).length) view = listView();
    else view = flagsView();
    fill(container, view);
    container.classList.toggle("screen-instruction", Boolean(instruction));
    const target = document.getElementById(focusId || keep || "");
    if (target) target.focus();
  }

  // ------------------------------------------------------------------ red flags first

  function flagsView() {
    const flags = redFlags(catalogue);
    const form = h(
      "form",
      {
        class: "form",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          const ticked = [...form.querySelectorAll("input[name=flag]:checked")].map((input) =>
            flags.find((symptom) => symptom.code === input.value),
          );
          if (!ticked.length) {
            const box = form.querySelector("#flags-error");
            showProblem(box, t("redflags.choose"), form.querySelector("input[name=flag]"));
            return;
          }
          form.querySelector("button[type=submit]").disabled = true;
          sendFlags(ticked);
        },
      },
      h(
        "fieldset",
        { class: "choices flags", "aria-describedby": "flags-hint flags-error" },
        h("legend", { id: "flags-title", tabindex: "-1" }, t("redflags.question")),
        h("p", { class: "hint", id: "flags-hint" }, t("redflags.hint")),
        flags.map((symptom) =>
          h(
            "label",
            { class: "choice choice-flag", for: `flag-${symptom.code}` },
            h("input", {
              type: "checkbox",
              id: `flag-${symptom.code}`,
              name: "flag",
              value: symptom.code,
            }),
            h("span", {}, flagLabel(symptom)),
          ),
        ),
        h("p", { class: "field-error", id: "flags-error", hidden: true }),
      ),
      h(
        "div",
        { class: "form-buttons" },
        h(
          "button",
          { type: "submit", class: "button button-big button-urgent" },
          t("redflags.have"),
        ),
        h(
          "a",
          {
            class: "button button-big button-secondary",
            href: `#/symptoms/${LIST}`,
            id: "flags-none",
          },
          t("redflags.none"),
        ),
      ),
    );
    return [
      screenHeading(t("symptoms.title")),
      takeFlash(),
      staleNotice(result),
      h("p", { class: "lead" }, t("redflags.intro")),
      form,
    ];
  }

  async function sendFlags(ticked) {
    const bodies = ticked.map((symptom) => ({
      client_id: uuid(),
      symptom: symptom.code,
      answers: { present: true },
    }));
    for (const body of bodies) await enqueue("report", body, userId());
    let level = null;
    for (const symptom of ticked) level = moreUrgent(level, redFlagLevel(symptom));
    await showInstruction(
      level,
      bodies.map((body) => body.client_id),
      ticked.map(symptomLabel),
    );
    settle(await flush());
  }

  // ------------------------------------------------------------------ the instruction

  /** Show what to do now (emergency / call_now), before anything is sent. */
  async function showInstruction(level, clientIds, labels, outcomes = {}) {
    instruction = {
      local: level,
      clientIds,
      labels,
      outcomes,
      team: await careTeam(),
      sent: false,
    };
    flow = null;
    // A reload from here shows the list, not the same questions again.
    history.replaceState(null, "", `#/symptoms/${LIST}`);
    arg = LIST;
    announce(t(`instruction.${level}_title`));
    paint("instruction-title");
  }

  /** The sender's answers for the reports on the instruction screen. */
  function settle(outcomes) {
    if (!instruction || disposed) return;
    let changed = false;
    for (const id of instruction.clientIds) {
      const outcome = outcomes[id];
      if (!outcome) continue;
      const before = instruction.outcomes[id];
      if (before && before.state !== "waiting" && outcome.state === "waiting") continue;
      instruction.outcomes[id] = outcome;
      changed = true;
    }
    if (!changed) return;
    const delivery = deliveryOf();
    if (delivery.state === "sent" && !instruction.sent) {
      instruction.sent = true;
      announce(t(delivery.told ? "instruction.delivery_sent_told" : "instruction.delivery_sent"));
    }
    paint();
  }

  /** Where the sending of the reports on the instruction screen is.
   * @returns {import("../triage.js").Delivery}
   */
  function deliveryOf() {
    const outcomes = instruction.clientIds.map((id) => instruction.outcomes[id]);
    const rejected = outcomes.filter((outcome) => outcome && outcome.state === "rejected");
    if (rejected.length) {
      return { state: "rejected", reasons: rejected.flatMap((outcome) => outcome.error.reasons) };
    }
    if (outcomes.every((outcome) => outcome && outcome.state === "sent")) {
      const told = outcomes.some((outcome) => outcome.data && outcome.data.care_team_alerted);
      return { state: "sent", told };
    }
    return { state: outcomes.some(Boolean) ? "waiting" : "sending" };
  }

  function instructionView() {
    const sent = instruction.clientIds
      .map((id) => instruction.outcomes[id])
      .filter((outcome) => outcome && outcome.state === "sent");
    return instructionScreen({
      local: instruction.local,
      server: serverInstruction(sent),
      team: instruction.team,
      labels: instruction.labels,
      delivery: deliveryOf(),
      actions: doneButtons(),
    });
  }

  function doneButtons() {
    return h(
      "div",
      { class: "stack" },
      h("a", { class: "button button-secondary", href: "#/today" }, t("symptoms.to_today")),
      h(
        "button",
        {
          type: "button",
          class: "button button-secondary",
          onclick: () => {
            flow = null;
            instruction = null;
            arg = LIST;
            paint();
            const heading = container.querySelector("h1");
            if (heading) heading.focus();
          },
        },
        t("symptoms.another"),
      ),
    );
  }

  // ------------------------------------------------------------------ the ordinary list

  function listView() {
    const period = tOr("symptoms.recall_period", catalogue.recall_period);
    if (!weight) weight = mountWeight(weightSection);
    return [
      screenHeading(t("symptoms.title")),
      staleNotice(result),
      h("p", { class: "lead" }, t("symptoms.intro", { period })),
      h(
        "ul",
        { class: "symptom-list" },
        ordinarySymptoms(catalogue).map((symptom) =>
          h(
            "li",
            {},
            h(
              "a",
              { class: "button button-list", href: `#/symptoms/${symptom.code}` },
              symptomLabel(symptom),
            ),
          ),
        ),
      ),
      weightSection,
    ];
  }

  // ------------------------------------------------------------------ one symptom's questions

  function start(symptom) {
    flow = { symptom, step: 0, answers: {}, note: "", weight: "", outcome: null };
  }

  /** The questions still to ask: all of them, unless the first (how often / whether) was
   *  answered "never" / "no", which ends the questions (the catalogue's branching); the
   *  follow-ups (rash) only after a "yes". */
  function questionsAsked() {
    const { symptom, answers } = flow;
    const first = symptom.questions[0];
    const followUps = symptom.follow_up_questions || [];
    if (answers[first.attribute] === 0) {
      if (followUps.length || symptom.skip_others_when_zero === first.attribute) return [first];
    }
    return [...symptom.questions, ...followUps];
  }

  function flowView() {
    const { symptom, step } = flow;
    const asked = questionsAsked();
    const heading = screenHeading(symptomLabel(symptom));
    if (flow.outcome) return [heading, outcomeView()];
    if (step < asked.length) return [heading, questionView(asked, step)];
    return [heading, detailsView()];
  }

  function questionView(asked, step) {
    const question = asked[step];
    const legendId = `question-${question.attribute}`;
    const form = h(
      "form",
      {
        class: "form",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          const picked = form.querySelector("input[name=answer]:checked");
          if (!picked) {
            const box = form.querySelector(".field-error");
            showProblem(box, t("symptoms.choose_answer"), form.querySelector("input[name=answer]"));
            return;
          }
          flow.answers[question.attribute] = Number(picked.value);
          flow.step += 1;
          paint(nextFocus());
        },
      },
      h(
        "fieldset",
        { class: "choices", "aria-describedby": "answer-error" },
        h("legend", { id: legendId, tabindex: "-1" }, questionText(flow.symptom, question)),
        choices(
          "answer",
          question.options.map((option) => ({
            value: option.score,
            label: answerWord(question, option.score),
          })),
          flow.answers[question.attribute],
        ),
        h("p", { class: "field-error", id: "answer-error", hidden: true }),
      ),
      h(
        "div",
        { class: "form-buttons" },
        h("button", { type: "submit", class: "button button-big" }, t("symptoms.next")),
        backButton(),
      ),
    );
    return h(
      "div",
      {},
      h("p", { class: "step" }, t("symptoms.step", { number: step + 1, total: asked.length })),
      form,
    );
  }

  function nextFocus() {
    const asked = questionsAsked();
    return flow.step < asked.length ? `question-${asked[flow.step].attribute}` : "details-title";
  }

  function backButton() {
    return h(
      "button",
      {
        type: "button",
        class: "button button-secondary",
        onclick: () => {
          if (flow.step === 0) {
            flow = null;
            location.hash = `#/symptoms/${LIST}`;
            return;
          }
          flow.step = Math.min(flow.step, questionsAsked().length) - 1;
          paint(nextFocus());
        },
      },
      t("symptoms.back"),
    );
  }

  function detailsView() {
    const isOther = flow.symptom.code === "other";
    const note = h("textarea", { name: "note", class: "input", rows: "4", maxlength: "2000" });
    note.value = flow.note;
    const weightInput = h("input", {
      name: "weight_kg",
      class: "input input-short",
      inputmode: "decimal",
      autocomplete: "off",
      value: flow.weight,
    });
    const noteLabel = isOther
      ? tOr("symptom.other.prompt", flow.symptom.free_text_prompt || "")
      : t("symptoms.note");
    const form = h(
      "form",
      {
        class: "form",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          flow.note = note.value.trim();
          flow.weight = weightInput.value.trim();
          const kilos = flow.weight ? parseKilos(flow.weight) : null;
          if (kilos !== null && !(kilos >= WEIGHT_MIN && kilos <= WEIGHT_MAX)) {
            showFieldErrors(form, [
              {
                field: "weight_kg",
                reason: t("symptoms.weight_range", { min: WEIGHT_MIN, max: WEIGHT_MAX }),
              },
            ]);
            weightInput.focus();
            return;
          }
          send(kilos, form);
        },
      },
      h("h2", { id: "details-title", tabindex: "-1" }, t("symptoms.details_title")),
      field(noteLabel, note, { hint: t("symptoms.optional") }),
      field(t("symptoms.weight"), weightInput, { hint: t("symptoms.weight_hint") }),
      h(
        "div",
        { class: "form-buttons" },
        h("button", { type: "submit", class: "button button-big" }, t("symptoms.send")),
        backButton(),
      ),
    );
    return form;
  }

  async function send(kilos, form) {
    form.querySelector("button[type=submit]").disabled = true;
    const asked = questionsAsked();
    /** @type {Record<string, number>} */
    const scores = {};
    for (const question of asked) scores[question.attribute] = flow.answers[question.attribute];
    const body = {
      client_id: uuid(),
      symptom: flow.symptom.code,
      answers: answersBody(flow.symptom, asked, scores),
      note: flow.note,
    };
    if (kilos !== null) body.weight_kg = kilos.toFixed(1);
    const severe = flow.symptom.questions.some((q) => scores[q.attribute] >= SEVERE_SCORE);
    // What the instruction screen repeats: the symptom, and any follow-up answered "yes"
    // ("Rash: Sores in the mouth or eyes").
    const flagged = (flow.symptom.follow_up_questions || [])
      .filter((q) => isYesNo(q) && scores[q.attribute] === 1)
      .map((q) => t(`attribute.${q.attribute}`));
    const label = flagged.length
      ? `${symptomLabel(flow.symptom)}: ${flagged.join(", ")}`
      : symptomLabel(flow.symptom);
    const urgent = localLevel(catalogue, flow.symptom, scores);
    await enqueue("report", body, userId());
    if (urgent) {
      // Blisters, sores or a fever with a rash: what to do, at once, before any sending.
      await showInstruction(urgent, [body.client_id], [label]);
      settle(await flush());
      return;
    }
    const outcomes = await flush();
    const outcome = outcomes[body.client_id] || { state: "waiting" };
    const told = outcome.data && outcome.data.patient_instruction;
    if (outcome.state === "sent" && told && isUrgent(told.level)) {
      await showInstruction(told.level, [body.client_id], [label], { [body.client_id]: outcome });
      return;
    }
    flow.outcome = { ...outcome, severe };
    history.replaceState(null, "", `#/symptoms/${LIST}`);
    arg = LIST;
    announce(t(`symptoms.announce_${outcome.state}`));
    paint("outcome-title");
  }

  function emergency() {
    return notice("urgent", h("h2", {}, t("emergency.title")), h("p", {}, t("emergency.body")));
  }

  function outcomeView() {
    const { state: sent, data, error, severe } = flow.outcome;
    const told = sent === "sent" && data && data.patient_instruction;
    const alerted =
      sent === "sent" &&
      data &&
      (data.care_team_alerted || (told && told.level === "contact_soon"));
    const parts = [];
    if (sent === "rejected") {
      parts.push(
        notice(
          "error",
          h("h2", { id: "outcome-title", tabindex: "-1" }, t("symptoms.refused_title")),
          error.reasons.map((reason) => h("p", { class: "server-reason" }, reason)),
        ),
      );
    } else if (alerted) {
      parts.push(
        notice(
          "success",
          h("h2", { id: "outcome-title", tabindex: "-1" }, t("symptoms.told_title")),
          h("p", {}, t("symptoms.told_body")),
          told && told.text ? h("p", { class: "server-text" }, told.text) : null,
          careTeamCall(),
        ),
      );
    } else if (sent === "sent") {
      parts.push(
        notice(
          "success",
          h("h2", { id: "outcome-title", tabindex: "-1" }, t("symptoms.sent_title")),
          told && told.text ? h("p", { class: "server-text" }, told.text) : null,
          severe ? h("p", {}, t("symptoms.sent_not_alerted")) : null,
          severe ? careTeamCall() : null,
        ),
      );
    } else {
      parts.push(
        notice(
          "warning",
          h("h2", { id: "outcome-title", tabindex: "-1" }, t("symptoms.waiting_title")),
          h("p", {}, t("symptoms.waiting_body")),
          severe ? h("p", {}, t("symptoms.waiting_not_told")) : null,
          severe ? careTeamCall() : null,
        ),
      );
    }
    if (severe || alerted) parts.push(emergency());
    parts.push(doneButtons());
    return h("div", { class: "outcome" }, parts);
  }

  // ------------------------------------------------------------------ start

  async function load() {
    result = await read("catalogue", "symptoms/");
    catalogue = result.data;
    const symptom =
      arg && arg !== LIST && catalogue.symptoms.find((s) => s.code === arg && !s.red_flag);
    if (symptom) start(symptom);
    paint();
  }

  // Sent later (back online): the instruction on screen says so, with the server's words.
  const stopSent = on("outbox-sent", (outcomes) => settle(outcomes));
  fill(container, screenHeading(t("symptoms.title")), h("p", {}, t("app.loading")));
  const ready = load().catch((error) => {
    // Offline with no kept catalogue (or a fault drawing it: the console says which).
    console.warn("symptom catalogue not shown", error);
    if (!disposed) {
      fill(
        container,
        screenHeading(t("symptoms.title")),
        notice("error", t("offline.nothing_saved")),
      );
    }
  });
  return {
    ready,
    cleanup: () => {
      disposed = true;
      stopSent();
      if (weight) weight.cleanup();
    },
  };
}

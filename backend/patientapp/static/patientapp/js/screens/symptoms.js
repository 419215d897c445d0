// Side effects: pick a symptom, answer exactly the questions the catalogue (GET symptoms/)
// defines for it, one at a time, in answer words (never bare numbers); add an optional note
// and weight; send through the outbox. After a severe answer, say whether the care team has
// been told (the server's care_team_alerted) and what to do in an emergency.

import { fill, h, uuid } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { enqueue } from "../queue.js";
import { announce, userId } from "../state.js";
import { read } from "../store.js";
import { flush } from "../sync.js";
import { choices, field, notice, screenHeading, showFieldErrors, staleNotice } from "../ui.js";

// A score this high is a severe answer (the care team's default alert threshold).
const SEVERE_SCORE = 3;
const WEIGHT_MIN = 20;
const WEIGHT_MAX = 400;

export function symptomLabel(symptom) {
  return tOr(`symptom.${symptom.code}`, symptom.label);
}

export function questionText(symptom, question) {
  return tOr(`symptom.${symptom.code}.${question.attribute}`, question.text);
}

export function answerWord(question, score) {
  const option = question.options.find((o) => o.score === score);
  return tOr(`answer.${question.attribute}.${score}`, option ? option.label : "");
}

export function mountSymptoms(container, code) {
  let disposed = false;
  let catalogue = null;
  let result = null;
  let flow = null;

  function paint(focusId) {
    if (disposed) return;
    fill(container, flow ? flowView() : listView());
    const target = focusId && document.getElementById(focusId);
    if (target) target.focus();
  }

  function listView() {
    const period = tOr("symptoms.recall_period", catalogue.recall_period);
    return [
      screenHeading(t("symptoms.title")),
      staleNotice(result),
      h("p", { class: "lead" }, t("symptoms.intro", { period })),
      h(
        "ul",
        { class: "symptom-list" },
        catalogue.symptoms.map((symptom) =>
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
    ];
  }

  function start(symptom) {
    flow = { symptom, step: 0, answers: {}, note: "", weight: "", outcome: null };
  }

  /** The questions still to ask: all of them, unless the first (how often / whether) was
   *  answered "never" / "no", which ends the questions (the catalogue's branching). */
  function questionsAsked() {
    const { symptom, answers } = flow;
    const first = symptom.questions[0];
    if (symptom.skip_others_when_zero === first.attribute && answers[first.attribute] === 0) {
      return [first];
    }
    return symptom.questions;
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
            box.textContent = t("symptoms.choose_answer");
            box.hidden = false;
            form.querySelector("input[name=answer]").focus();
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
      h(
        "p",
        { class: "step" },
        t("symptoms.step", { number: step + 1, total: flow.symptom.questions.length }),
      ),
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
            location.hash = "#/symptoms";
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
    const weight = h("input", {
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
          flow.weight = weight.value.trim();
          const kilos = flow.weight ? Number(flow.weight.replace(",", ".")) : null;
          if (kilos !== null && !(kilos >= WEIGHT_MIN && kilos <= WEIGHT_MAX)) {
            showFieldErrors(form, [
              { field: "weight_kg", reason: t("symptoms.weight_range", { min: WEIGHT_MIN, max: WEIGHT_MAX }) },
            ]);
            weight.focus();
            return;
          }
          send(kilos, form);
        },
      },
      h("h2", { id: "details-title", tabindex: "-1" }, t("symptoms.details_title")),
      field(noteLabel, note, { hint: t("symptoms.optional") }),
      field(t("symptoms.weight"), weight, { hint: t("symptoms.weight_hint") }),
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
    const answers = {};
    for (const question of questionsAsked()) {
      answers[question.attribute] = flow.answers[question.attribute];
    }
    const body = {
      client_id: uuid(),
      symptom: flow.symptom.code,
      answers,
      note: flow.note,
    };
    if (kilos !== null) body.weight_kg = kilos.toFixed(1);
    const severe = Object.values(answers).some((score) => score >= SEVERE_SCORE);
    await enqueue("report", body, userId());
    const outcomes = await flush();
    const outcome = outcomes[body.client_id] || { state: "waiting" };
    flow.outcome = { ...outcome, severe };
    // A reload from here shows the list, not the same questions again.
    history.replaceState(null, "", "#/symptoms");
    announce(t(`symptoms.announce_${outcome.state}`));
    paint("outcome-title");
  }

  function emergency() {
    return notice(
      "urgent",
      h("h2", {}, t("emergency.title")),
      h("p", {}, t("emergency.body")),
    );
  }

  function outcomeView() {
    const { state: sent, data, error, severe } = flow.outcome;
    const alerted = sent === "sent" && data && data.care_team_alerted;
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
        ),
      );
    } else if (sent === "sent") {
      parts.push(
        notice(
          "success",
          h("h2", { id: "outcome-title", tabindex: "-1" }, t("symptoms.sent_title")),
          severe ? h("p", {}, t("symptoms.sent_not_alerted")) : null,
        ),
      );
    } else {
      parts.push(
        notice(
          "warning",
          h("h2", { id: "outcome-title", tabindex: "-1" }, t("symptoms.waiting_title")),
          h("p", {}, t("symptoms.waiting_body")),
          severe ? h("p", {}, t("symptoms.waiting_not_told")) : null,
        ),
      );
    }
    if (severe || alerted) parts.push(emergency());
    parts.push(
      h(
        "div",
        { class: "stack" },
        h("a", { class: "button", href: "#/today" }, t("symptoms.to_today")),
        h(
          "button",
          {
            type: "button",
            class: "button button-secondary",
            onclick: () => {
              flow = null;
              location.hash = "#/symptoms";
            },
          },
          t("symptoms.another"),
        ),
      ),
    );
    return h("div", { class: "outcome" }, parts);
  }

  async function load() {
    result = await read("catalogue", "symptoms/");
    catalogue = result.data;
    const symptom = code && catalogue.symptoms.find((s) => s.code === code);
    if (symptom) start(symptom);
    paint();
  }

  fill(container, screenHeading(t("symptoms.title")), h("p", {}, t("app.loading")));
  const ready = load().catch(() => {
    if (!disposed) {
      fill(container, 
        screenHeading(t("symptoms.title")),
        notice("error", t("offline.nothing_saved")),
      );
    }
  });
  return {
    ready,
    cleanup: () => {
      disposed = true;
    },
  };
}

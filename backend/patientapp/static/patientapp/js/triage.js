// @ts-check
// Red flags and what the patient is told to do. The catalogue (GET symptoms/) marks the red
// flags and says, for each, what to do at once (instruction_level "emergency" or "call_now"),
// so the phone shows the instruction the moment the patient answers "yes", with no network;
// the server's patient_instruction (in the POST's answer) replaces it when it arrives, but a
// red flag is never shown as less urgent than the catalogue says. The care team's phone and
// the local emergency number come from GET me/ (kept for offline use).

import { h } from "./dom.js";
import { t, tOr } from "./i18n.js";
import { state } from "./state.js";
import { peek } from "./store.js";

export const LEVELS = ["self_care", "contact_soon", "call_now", "emergency"];
const URGENT = ["call_now", "emergency"];
// Used only when neither the server nor the kept profile has said: 112 reaches the emergency
// services from any mobile phone in Europe and is redirected in many other countries.
export const FALLBACK_EMERGENCY_NUMBER = "112";
// A "yes" to one of the rash follow-ups is the red flag named here.
const FOLLOW_UP_FLAGS = {
  blisters: "blistering_rash",
  mouth_eye_sores: "blistering_rash",
  fever: "fever",
};

function rank(level) {
  return LEVELS.indexOf(level);
}

/** The more urgent of two levels (either may be null).
 * @param {string | null} a
 * @param {string | null} b
 * @returns {string | null}
 */
export function moreUrgent(a, b) {
  return rank(b) > rank(a) ? b : a;
}

/**
 * Whether `level` asks the patient to call now (call_now, emergency).
 * @param {string | null | undefined} level
 * @returns {boolean}
 */
export function isUrgent(level) {
  return URGENT.includes(level);
}

/**
 * The catalogue's red flags (asked first).
 * @param {import("./types.js").Catalogue} catalogue
 * @returns {import("./types.js").Symptom[]}
 */
export function redFlags(catalogue) {
  return catalogue.symptoms.filter((symptom) => symptom.red_flag);
}

/**
 * The catalogue's other symptoms (the list).
 * @param {import("./types.js").Catalogue} catalogue
 * @returns {import("./types.js").Symptom[]}
 */
export function ordinarySymptoms(catalogue) {
  return catalogue.symptoms.filter((symptom) => !symptom.red_flag);
}

/** What a "yes" to this red flag means at once (a red flag is never less than call_now).
 * @param {import("./types.js").Symptom | undefined} symptom
 * @returns {string}
 */
export function redFlagLevel(symptom) {
  return isUrgent(symptom && symptom.instruction_level) ? symptom.instruction_level : "call_now";
}

/** The level the phone shows at once for these answers ({attribute: score}): a red flag's
 *  "yes", or a rash follow-up (blisters, sores, fever) answered "yes"; else null.
 * @param {import("./types.js").Catalogue} catalogue
 * @param {import("./types.js").Symptom} symptom
 * @param {Record<string, number>} scores
 * @returns {string | null}
 */
export function localLevel(catalogue, symptom, scores) {
  if (symptom.red_flag) return scores.presence === 1 ? redFlagLevel(symptom) : null;
  let level = null;
  for (const [attribute, flag] of Object.entries(FOLLOW_UP_FLAGS)) {
    if (scores[attribute] !== 1) continue;
    const item = catalogue.symptoms.find((s) => s.code === flag);
    level = moreUrgent(level, redFlagLevel(item));
  }
  return level;
}

/** The red-flag words of the checklist ("Black, tarry or bloody stools (poo)").
 * @param {import("./types.js").Symptom} symptom
 * @returns {string}
 */
export function flagLabel(symptom) {
  return tOr(`redflag.${symptom.code}`, tOr(`symptom.${symptom.code}`, symptom.label));
}

/** The care team {name, phone, emergency_number} kept from GET me/ (or the sign-in).
 * @returns {Promise<import("./types.js").CareTeam | null>}
 */
export async function careTeam() {
  const me = await peek("me");
  if (me && me.care_team) return me.care_team;
  const user = state.session && state.session.user;
  return (user && user.care_team) || null;
}

/** "Call your care team: <number> (<hours>)" as a tel: link, filled in when the kept care
 *  team is read; empty when the team has no phone yet. For every place the app asks the
 *  patient to contact their care team.
 * @returns {HTMLParagraphElement}
 */
export function careTeamCall() {
  const line = h("p", { class: "care-team-call" });
  careTeam()
    .then((team) => {
      if (!team || !team.phone) return;
      const words = t("contact.call_team", { phone: team.phone });
      line.append(callLink(null, team.phone, words, false));
      if (team.hours) {
        line.append(
          h("span", { class: "care-team-hours" }, t("contact.hours", { hours: team.hours })),
        );
      }
    })
    .catch((error) => console.warn("care team not known", error));
  return line;
}

/** The most urgent patient_instruction among the server's answers, or null.
 * @param {(import("./types.js").Outcome | undefined)[]} outcomes
 * @returns {import("./types.js").Instruction | null}
 */
export function serverInstruction(outcomes) {
  let best = null;
  for (const outcome of outcomes) {
    const instruction = outcome && outcome.data && outcome.data.patient_instruction;
    if (instruction && (!best || rank(instruction.level) > rank(best.level))) best = instruction;
  }
  return best;
}

function telHref(number) {
  return `tel:${String(number).replace(/[^\d+*#]/g, "")}`;
}

/** A big tel: link; `words` is the translated sentence with the number in it, which is
 *  kept on one line of its own (a phone number must not break across lines). */
function callLink(id, number, words, primary) {
  const at = words.indexOf(number);
  const text =
    at < 0
      ? words
      : [
          words.slice(0, at),
          h("span", { class: "call-number" }, number),
          words.slice(at + number.length),
        ];
  return h(
    "a",
    {
      id,
      class: `button button-call ${primary ? "button-call-primary" : "button-call-secondary"}`,
      href: telHref(number),
    },
    h("span", { class: "call-icon", "aria-hidden": "true" }, "✆"),
    h("span", { class: "call-words" }, text),
  );
}

/** Where the sending of the reports behind an instruction is.
 * @typedef {{state: "sending" | "waiting" | "sent" | "rejected", told?: boolean, reasons?: string[]}} Delivery
 */

/** What the screen says about the sending.
 * @param {Delivery} delivery
 */
function deliveryNotice(delivery) {
  if (delivery.state === "rejected") {
    return h(
      "div",
      { class: "delivery delivery-rejected" },
      h("p", {}, t("instruction.delivery_rejected")),
      delivery.reasons.map((reason) => h("p", { class: "server-reason" }, reason)),
    );
  }
  const key = delivery.state === "sent" && delivery.told ? "sent_told" : delivery.state;
  return h("p", { class: `delivery delivery-${delivery.state}` }, t(`instruction.delivery_${key}`));
}

/** The full-screen instruction for "emergency" or "call_now". `labels`: what the patient
 *  said (symptom words); `server`: the server's patient_instruction, if any.
 * @param {{local: string, server: import("./types.js").Instruction | null, team: import("./types.js").CareTeam | null, labels: string[], delivery: Delivery, actions: import("./dom.js").Child}} options
 * @returns {HTMLElement}
 */
export function instructionScreen({ local, server, team, labels, delivery, actions }) {
  const level = moreUrgent(local, server && isUrgent(server.level) ? server.level : null);
  const serverText = server && server.level === level && server.text ? server.text : "";
  const phone = ((server && server.phone) || (team && team.phone) || "").trim();
  const emergency =
    ((server && server.emergency_number) || (team && team.emergency_number) || "").trim() ||
    FALLBACK_EMERGENCY_NUMBER;
  const teamName = team && team.name ? team.name : "";
  const calls = [];
  if (level === "emergency") {
    calls.push(
      callLink(
        "call-emergency",
        emergency,
        t("instruction.call_emergency", { number: emergency }),
        true,
      ),
      h("p", { class: "then" }, t("instruction.emergency_then")),
      phone
        ? callLink("call-team", phone, t("instruction.call_team", { phone }), false)
        : h("p", {}, t("instruction.no_team_phone")),
    );
  } else if (phone) {
    calls.push(
      callLink("call-team", phone, t("instruction.call_team", { phone }), true),
      h("p", { class: "then" }, t("instruction.call_now_worse", { number: emergency })),
      callLink(
        "call-emergency",
        emergency,
        t("instruction.call_emergency", { number: emergency }),
        false,
      ),
    );
  } else {
    calls.push(
      h("p", { class: "then" }, t("instruction.call_now_no_phone", { number: emergency })),
      callLink(
        "call-emergency",
        emergency,
        t("instruction.call_emergency", { number: emergency }),
        true,
      ),
    );
  }
  return h(
    "section",
    {
      class: `instruction instruction-${level}`,
      "aria-labelledby": "instruction-title",
      dataset: { level },
    },
    h(
      "h1",
      { class: "screen-title instruction-title", id: "instruction-title", tabindex: "-1" },
      h("span", { class: "instruction-mark", "aria-hidden": "true" }, "!"),
      " ",
      t(`instruction.${level}_title`),
    ),
    // The server's words for this level when it has answered (in the patient's language),
    // else the phone's own.
    h("p", { class: "instruction-lead" }, serverText || t(`instruction.${level}_body`)),
    teamName && phone && level === "call_now"
      ? h("p", { class: "muted" }, t("instruction.team_name", { name: teamName }))
      : null,
    h("div", { class: "calls" }, calls),
    labels.length
      ? h(
          "div",
          { class: "you-said" },
          h("p", {}, t("instruction.you_said")),
          h(
            "ul",
            {},
            labels.map((label) => h("li", {}, label)),
          ),
        )
      : null,
    h("div", { class: "delivery-box", role: "status" }, deliveryNotice(delivery)),
    actions,
  );
}

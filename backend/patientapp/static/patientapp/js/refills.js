// @ts-check
// Refills, on Today (issue 22): about how many days of tablets are left, from the last count
// of tablets on hand (GET me/supply/: the server counts it down by the doses logged taken),
// a note when it is time to get more, and a form to record a count. A count goes through the
// outbox like a dose (POST me/supply/ with its client_id), so one typed offline is kept, sent
// once and shown at once; doses taken and still waiting on this phone are counted down here
// until the server has them.

import { fill, h, uuid } from "./dom.js";
import { formatDateTime, formatNumber, t } from "./i18n.js";
import { REJECTED, dismiss, enqueue, onOutboxChange, outboxItems } from "./queue.js";
import { announce, on, userId } from "./state.js";
import { peek, read } from "./store.js";
import { flush } from "./sync.js";
import { badge, field, notice, showFieldErrors } from "./ui.js";

export const MAX_TABLETS = 10000;

/** GET me/supply/ (the parts this module reads).
 * @typedef {object} Supply
 * @property {string | null} counted_at
 * @property {Record<string, number> | null} counts
 * @property {{strength_mg: number, left: number | null, per_day: number}[]} strengths
 * @property {{strength_mg: number, count: number}[]} tablets_per_dose
 * @property {number | null} doses_per_day
 * @property {number | null} days_left
 * @property {number} reminder_days
 */
/** What the panel shows: tablets left per strength, days left, and whether it is a count
 *  still waiting on this phone.
 * @typedef {object} SupplyModel
 * @property {string | null} countedAt
 * @property {{strength_mg: number, left: number}[]} left
 * @property {number | null} daysLeft
 * @property {boolean} low
 * @property {boolean} waiting
 */

/** The supply as the patient should see it now: the server's, or a count still waiting on
 *  this phone, less the tablets of doses taken (and still waiting to send) after that count.
 * @param {Supply | null} supply
 * @param {import("./types.js").OutboxItem[]} outbox
 * @returns {SupplyModel | null}
 */
export function supplyModel(supply, outbox) {
  if (!supply || !supply.tablets_per_dose.length) return null;
  const pending = outbox.filter((item) => item.state !== REJECTED);
  const counts = pending.filter((item) => item.kind === "supply");
  const latestCount = counts.length ? counts[counts.length - 1] : null;
  /** @type {Record<number, number>} */
  const base = {};
  let countedAt = supply.counted_at;
  if (latestCount) {
    countedAt = latestCount.body.counted_at;
    for (const [mg, count] of Object.entries(latestCount.body.counts)) base[Number(mg)] = count;
  } else if (countedAt) {
    for (const row of supply.strengths) if (row.left !== null) base[row.strength_mg] = row.left;
  } else {
    return { countedAt: null, left: [], daysLeft: null, low: false, waiting: false };
  }
  const since = Date.parse(countedAt || "");
  const takenWaiting = pending.filter(
    (item) =>
      item.kind === "dose" &&
      item.body.status === "taken" &&
      Date.parse(item.body.taken_at || item.created_at) > since,
  ).length;
  const perDay = supply.doses_per_day || 1;
  const perDose = [...supply.tablets_per_dose].sort((a, b) => a.strength_mg - b.strength_mg);
  const left = perDose.map(({ strength_mg, count }) => ({
    strength_mg,
    per_day: count * perDay,
    left: Math.max((base[strength_mg] ?? 0) - count * takenWaiting, 0),
  }));
  const known = left.every((row) => base[row.strength_mg] !== undefined);
  const daysLeft = known
    ? Math.min(...left.map((row) => Math.floor(row.left / row.per_day)))
    : null;
  return {
    countedAt,
    left: left.map(({ strength_mg, left: count }) => ({ strength_mg, left: count })),
    daysLeft,
    low: daysLeft !== null && daysLeft <= supply.reminder_days,
    waiting: Boolean(latestCount),
  };
}

/** "12" -> 12; anything but a whole number from 0 to MAX_TABLETS -> NaN.
 * @param {string} text
 * @returns {number}
 */
export function parseTablets(text) {
  const cleaned = String(text || "").trim();
  if (!/^\d{1,5}$/.test(cleaned)) return NaN;
  const value = Number(cleaned);
  return value <= MAX_TABLETS ? value : NaN;
}

/** The refill panel: its element (the caller places it; it stays the same element, so a
 *  redraw of the screen around it keeps what is typed), kept up to date until cleanup.
 * @returns {import("./types.js").Screen & {element: HTMLElement}}
 */
export function mountRefills() {
  /** @type {HTMLElement} */
  const element = h("section", { class: "card refills", "aria-labelledby": "refill-title" });
  let disposed = false;
  /** @type {Supply | null} */
  let supply = null;
  /** @type {import("./types.js").OutboxItem[]} */
  let outbox = [];
  /** @type {{kind: string, text: string} | null} */
  let message = null;
  let saving = false;

  async function load(fromNetwork) {
    const [kept, items] = await Promise.all([
      fromNetwork
        ? read("supply", "me/supply/").then(
            (result) => result.data,
            () => peek("supply"),
          )
        : peek("supply"),
      outboxItems(userId()),
    ]);
    if (kept) supply = kept;
    outbox = items.filter((item) => item.kind === "supply" || item.kind === "dose");
  }

  function summary(model) {
    if (!model.countedAt) return h("p", { id: "refill-none" }, t("refill.none"));
    const days =
      model.daysLeft === null
        ? t("refill.days_unknown")
        : model.daysLeft === 0
          ? t("refill.days_left_none")
          : model.daysLeft === 1
            ? t("refill.days_left_one")
            : t("refill.days_left", { days: formatNumber(model.daysLeft) });
    return h(
      "div",
      { class: "refill-summary" },
      h(
        "p",
        { class: "refill-days", id: "refill-days" },
        h("strong", {}, days),
        model.waiting ? [" ", badge("waiting")] : null,
      ),
      h(
        "ul",
        { class: "refill-left", "aria-label": t("refill.left_label") },
        model.left.map((row) =>
          h(
            "li",
            { id: `refill-left-${row.strength_mg}` },
            t("refill.left_line", {
              count: formatNumber(row.left),
              mg: formatNumber(row.strength_mg),
            }),
          ),
        ),
      ),
      h("p", { class: "muted" }, t("refill.counted", { when: formatDateTime(model.countedAt) })),
      model.low ? notice("warning", h("p", { id: "refill-low" }, t("refill.low"))) : null,
    );
  }

  function refusals() {
    return outbox
      .filter((item) => item.kind === "supply" && item.state === REJECTED)
      .map((item) =>
        notice(
          "error",
          h("p", {}, t("refill.refused")),
          (item.error ? item.error.reasons : []).map((reason) =>
            h("p", { class: "server-reason" }, reason),
          ),
          h(
            "button",
            {
              type: "button",
              class: "button button-secondary",
              onclick: () => dismiss(item.client_id),
            },
            t("outbox.dismiss"),
          ),
        ),
      );
  }

  function countForm(model) {
    if (!supply) return null;
    const inputs = supply.tablets_per_dose
      .map((row) => row.strength_mg)
      .sort((a, b) => a - b)
      .map((mg) =>
        h("input", {
          name: `counts.${mg}`,
          id: `refill-count-${mg}`,
          class: "input input-short",
          inputmode: "numeric",
          autocomplete: "off",
          dataset: { mg: String(mg) },
        }),
      );
    const form = h(
      "form",
      {
        class: "form refill-form",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          /** @type {Record<string, number>} */
          const counts = {};
          const errors = [];
          for (const input of inputs) {
            const value = parseTablets(input.value);
            if (Number.isNaN(value)) {
              errors.push({
                field: input.name,
                reason: t("refill.whole_number", { max: formatNumber(MAX_TABLETS) }),
              });
            } else counts[input.dataset.mg || ""] = value;
          }
          if (errors.length) {
            showFieldErrors(form, errors);
            const first = inputs.find((input) => input.name === errors[0].field);
            if (first) first.focus();
            return;
          }
          save(counts, form);
        },
      },
      inputs.map((input) =>
        field(t("refill.count_label", { mg: formatNumber(Number(input.dataset.mg)) }), input),
      ),
      h("p", { class: "hint" }, t("refill.count_hint")),
      h("button", { type: "submit", class: "button", disabled: saving }, t("refill.save")),
    );
    return h(
      "details",
      { class: "more", id: "refill-record-box", open: model.countedAt ? null : true },
      h("summary", { id: "refill-record" }, t("refill.record")),
      form,
    );
  }

  function paint(focusId) {
    if (disposed) return;
    const model = supplyModel(supply, outbox);
    if (!model) {
      fill(element);
      element.hidden = true;
      return;
    }
    element.hidden = false;
    const active = document.activeElement;
    const keep = active && element.contains(active) && active.id ? active.id : null;
    const typed = [...element.querySelectorAll("input")].map((input) => [input.id, input.value]);
    const wasOpen = element.querySelector("details[open]") !== null;
    fill(
      element,
      h("h2", { id: "refill-title", tabindex: "-1" }, t("refill.title")),
      summary(model),
      refusals(),
      message
        ? notice(message.kind, h("p", { id: "refill-message", tabindex: "-1" }, message.text))
        : null,
      countForm(model),
    );
    for (const [id, value] of typed) {
      const input = /** @type {HTMLInputElement | null} */ (document.getElementById(id));
      if (input && element.contains(input)) input.value = value;
    }
    const box = element.querySelector("details");
    if (box && wasOpen) box.setAttribute("open", "");
    const target = document.getElementById(focusId || keep || "");
    if (target) target.focus();
  }

  async function save(counts, form) {
    saving = true;
    form.querySelector("button[type=submit]").disabled = true;
    const body = { client_id: uuid(), counted_at: new Date().toISOString(), counts };
    await enqueue("supply", body, userId());
    const outcomes = await flush();
    const outcome = outcomes[body.client_id] || { state: "waiting" };
    saving = false;
    message =
      outcome.state === "sent"
        ? { kind: "success", text: t("refill.saved") }
        : outcome.state === REJECTED
          ? null
          : { kind: "warning", text: t("refill.waiting") };
    await load(false);
    for (const input of form.querySelectorAll("input")) input.value = "";
    const box = element.querySelector("details");
    if (box) box.removeAttribute("open");
    announce(message ? message.text : t("refill.not_accepted"));
    paint(message ? "refill-message" : "refill-title");
  }

  async function refresh(fromNetwork) {
    await load(fromNetwork);
    paint();
  }

  const stopOutbox = onOutboxChange(() => refresh(false));
  // A dose or a count the server has just accepted: its answer is the new supply.
  const stopSent = on("outbox-sent", () => refresh(true));
  fill(element);
  element.hidden = true;
  return {
    element,
    ready: refresh(true),
    cleanup: () => {
      disposed = true;
      stopOutbox();
      stopSent();
    },
  };
}

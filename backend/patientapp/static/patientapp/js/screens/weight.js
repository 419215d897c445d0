// @ts-check
// Weight, on the Symptoms screen: the last weight (sent or still waiting on this phone) with
// its day and the change since the first one, and a field to enter today's. A weight goes
// through the outbox (POST me/weights/ with its client_id and the patient's local date), so
// one typed offline is kept, sent once, and shown at once.

import { fill, h, uuid } from "../dom.js";
import { formatDayMonth, formatNumber, t } from "../i18n.js";
import { REJECTED, dismiss, enqueue, onOutboxChange, outboxItems } from "../queue.js";
import { announce, on, state, userId } from "../state.js";
import { peek, read } from "../store.js";
import { flush } from "../sync.js";
import { localDate } from "../time.js";
import { badge, field, notice, showFieldErrors } from "../ui.js";

export const WEIGHT_MIN = 20;
export const WEIGHT_MAX = 400;

/** "72,5" or "72.5" -> 72.5; an empty or unreadable entry -> NaN.
 * @param {string | null | undefined} text
 * @returns {number}
 */
export function parseKilos(text) {
  const cleaned = String(text || "")
    .trim()
    .replace(",", ".");
  return /^\d{1,3}(\.\d+)?$/.test(cleaned) ? Number(cleaned) : NaN;
}

function kilos(value) {
  return formatNumber(Number(value), { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

function zone() {
  return (
    (state.patient && state.patient.time_zone) || Intl.DateTimeFormat().resolvedOptions().timeZone
  );
}

/** Mount the weight section into `element`; returns {ready, cleanup}.
 * @param {HTMLElement} element
 * @returns {import("../types.js").Screen}
 */
export function mountWeight(element) {
  let disposed = false;
  let weights = null; // the server's list, newest first, or null (never read)
  let outbox = [];
  let message = null; // {kind, text} after a save
  let typed = "";
  let saving = false;

  /** From the network (at start), or only the kept copy, which the sender updates with
   *  what the server has just accepted (after a send). */
  async function load(fromNetwork) {
    const [kept, items] = await Promise.all([
      fromNetwork
        ? read("weights", "me/weights/").then(
            (result) => result.data,
            () => null,
          )
        : peek("weights"),
      outboxItems(userId()),
    ]);
    if (kept) weights = kept;
    outbox = items.filter((item) => item.kind === "weight");
  }

  /** The newest weight: one still waiting on this phone, else the server's newest. */
  function last() {
    const waiting = outbox.filter((item) => item.state !== REJECTED);
    if (waiting.length) {
      const item = waiting[waiting.length - 1];
      return { weight_kg: item.body.weight_kg, measured_on: item.body.measured_on, waiting: true };
    }
    return weights && weights.length ? weights[0] : null;
  }

  function summary() {
    const latest = last();
    if (!latest) return h("p", { class: "weight-last", id: "weight-last" }, t("weight.none"));
    const change = latest.change_from_baseline_kg;
    return h(
      "div",
      { class: "weight-last", id: "weight-last" },
      h(
        "p",
        {},
        h(
          "strong",
          {},
          t("weight.last", {
            weight: kilos(latest.weight_kg),
            date: formatDayMonth(latest.measured_on),
          }),
        ),
        latest.waiting ? [" ", badge("waiting")] : null,
      ),
      change !== undefined && change !== null && !latest.is_baseline
        ? h(
            "p",
            { class: "muted" },
            t("weight.change", {
              change: `${Number(change) > 0 ? "+" : ""}${kilos(change)}`,
            }),
          )
        : null,
    );
  }

  function refusals() {
    return outbox
      .filter((item) => item.state === REJECTED)
      .map((item) =>
        notice(
          "error",
          h("p", {}, t("weight.refused", { weight: kilos(item.body.weight_kg) })),
          item.error.reasons.map((reason) => h("p", { class: "server-reason" }, reason)),
          h(
            "button",
            {
              type: "button",
              class: "button button-secondary",
              onclick: async () => {
                await dismiss(item.client_id);
              },
            },
            t("outbox.dismiss"),
          ),
        ),
      );
  }

  function paint(focusId) {
    if (disposed) return;
    const active = document.activeElement;
    const keep = active && element.contains(active) && active.id ? active.id : null;
    const input = h("input", {
      name: "weight_kg",
      id: "weight-input",
      class: "input input-short",
      inputmode: "decimal",
      autocomplete: "off",
      value: typed,
      oninput: () => {
        typed = input.value;
      },
    });
    const form = h(
      "form",
      {
        class: "form weight-form",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          typed = input.value.trim();
          const value = parseKilos(typed);
          if (!(value >= WEIGHT_MIN && value <= WEIGHT_MAX)) {
            showFieldErrors(form, [
              {
                field: "weight_kg",
                reason: t("weight.range", { min: WEIGHT_MIN, max: WEIGHT_MAX }),
              },
            ]);
            input.focus();
            return;
          }
          save(value, form);
        },
      },
      field(t("weight.label"), input, { hint: t("weight.hint") }),
      h("button", { type: "submit", class: "button", disabled: saving }, t("weight.save")),
    );
    fill(
      element,
      h("h2", { id: "weight-title", tabindex: "-1" }, t("weight.title")),
      summary(),
      refusals(),
      message
        ? notice(message.kind, h("p", { id: "weight-message", tabindex: "-1" }, message.text))
        : null,
      form,
    );
    const target = document.getElementById(focusId || keep || "");
    if (target) target.focus();
  }

  async function save(value, form) {
    saving = true;
    form.querySelector("button[type=submit]").disabled = true;
    const body = {
      client_id: uuid(),
      weight_kg: value.toFixed(1),
      measured_on: localDate(new Date(), zone()),
    };
    await enqueue("weight", body, userId());
    const outcomes = await flush();
    const outcome = outcomes[body.client_id] || { state: "waiting" };
    typed = "";
    saving = false;
    message =
      outcome.state === "sent"
        ? { kind: "success", text: t("weight.saved") }
        : outcome.state === "rejected"
          ? null
          : { kind: "warning", text: t("weight.waiting") };
    await load(false);
    announce(message ? message.text : t("weight.not_accepted"));
    paint(message ? "weight-message" : "weight-title");
  }

  async function refresh(fromNetwork) {
    await load(fromNetwork);
    paint();
  }

  const stopOutbox = onOutboxChange(() => refresh(false));
  const stopSent = on("outbox-sent", () => refresh(false));
  return {
    ready: refresh(true),
    cleanup: () => {
      disposed = true;
      stopOutbox();
      stopSent();
    },
  };
}

// @ts-check
// Pieces every screen uses: headings, notices, status badges, labelled form fields and the
// server's reasons shown beside the field they are about.

import { h, uid } from "./dom.js";
import { formatDateTime, t } from "./i18n.js";
import { setFlashMessage, state } from "./state.js";

/** @typedef {import("./dom.js").Child} Child */

/** The screen's one h1; focus moves to it when the screen changes.
 * @param {string} text
 * @returns {HTMLHeadingElement}
 */
export function screenHeading(text) {
  return h("h1", { class: "screen-title", tabindex: "-1" }, text);
}

/** A boxed message. kind: info, success, warning, error, urgent. Errors are announced.
 * @param {string} kind
 * @param {...Child} children
 * @returns {HTMLDivElement}
 */
export function notice(kind, ...children) {
  const role = kind === "error" || kind === "urgent" ? "alert" : null;
  return h("div", { class: `notice notice-${kind}`, role }, children);
}

/** A dose status in words and colour (and a symbol, so colour is never the only sign).
 * @param {string} status
 * @returns {HTMLSpanElement}
 */
export function badge(status) {
  return h(
    "span",
    { class: `badge badge-${status}` },
    h("span", { class: "badge-mark", "aria-hidden": "true" }, t(`mark.${status}`)),
    " ",
    t(`status.${status}`),
  );
}

/** "You are offline: this was saved at ..." when a screen shows a kept copy.
 * @param {import("./types.js").ReadResult<unknown> | null | undefined} result
 * @returns {HTMLDivElement | null}
 */
export function staleNotice(result) {
  if (!result || result.fresh) return null;
  return notice("warning", t("offline.showing_saved", { when: formatDateTime(result.savedAt) }));
}

/** A labelled input with an optional hint and a place for the server's reason.
 * @param {string} labelText
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input
 * @param {{hint?: string}} [options]
 * @returns {HTMLDivElement}
 */
export function field(labelText, input, { hint } = {}) {
  if (!input.id) input.id = uid("field");
  const hintElement = hint ? h("p", { class: "hint", id: `${input.id}-hint` }, hint) : null;
  const error = h("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
  const described = [hintElement && hintElement.id, error.id].filter(Boolean).join(" ");
  input.setAttribute("aria-describedby", described);
  return h(
    "div",
    { class: "field", dataset: { field: input.name || "" } },
    h("label", { for: input.id }, labelText),
    hintElement,
    input,
    error,
  );
}

/** Show each {field, reason} beside its field; returns the reasons no field took.
 * @param {HTMLFormElement} form
 * @param {{field?: string, reason: string}[]} errors
 * @returns {string[]}
 */
export function showFieldErrors(form, errors) {
  const boxes = /** @type {NodeListOf<HTMLElement>} */ (form.querySelectorAll(".field-error"));
  for (const element of boxes) {
    element.hidden = true;
    element.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]"))
    input.removeAttribute("aria-invalid");
  const unplaced = [];
  for (const error of errors) {
    const box = error.field && form.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
    if (!box) {
      unplaced.push(error.reason);
      continue;
    }
    const message = /** @type {HTMLElement} */ (box.querySelector(".field-error"));
    message.textContent = error.reason;
    message.hidden = false;
    const input = box.querySelector("input, select, textarea");
    if (input) input.setAttribute("aria-invalid", "true");
  }
  return unplaced;
}

/** Say what is wrong in `box` (a form's .field-error) and move the focus to `focus`; a typed
 *  value that is wrong (not a choice left out) is also marked aria-invalid.
 * @param {HTMLElement} box
 * @param {string} message
 * @param {HTMLElement} focus
 * @param {{invalid?: boolean}} [options]
 */
export function showProblem(box, message, focus, { invalid = false } = {}) {
  box.textContent = message;
  box.hidden = false;
  if (invalid) focus.setAttribute("aria-invalid", "true");
  focus.focus();
}

/** A message the next screen shows once (after sign-in, sign-out...).
 * @param {string} kind
 * @param {string} message
 */
export function setFlash(kind, message) {
  setFlashMessage({ kind, message });
}

/**
 * The message kept by setFlash, as a notice, once (then null).
 * @returns {HTMLDivElement | null}
 */
export function takeFlash() {
  const flash = state.flash;
  setFlashMessage(null);
  return flash ? notice(flash.kind, flash.message) : null;
}

/** Radio choices as large labelled rows (the whole row is the touch target). Give `idPrefix`
 *  for ids that stay the same when the screen is drawn again.
 * @param {string} name
 * @param {{value: string | number, label: string}[]} options
 * @param {string | number | null | undefined} selected
 * @param {string} [idPrefix]
 * @returns {HTMLLabelElement[]}
 */
export function choices(name, options, selected, idPrefix) {
  return options.map(({ value, label }) => {
    const id = idPrefix ? `${idPrefix}-${value}` : uid(name);
    return h(
      "label",
      { class: "choice", for: id },
      h("input", {
        type: "radio",
        id,
        name,
        value: String(value),
        checked: String(selected) === String(value),
      }),
      h("span", {}, label),
    );
  });
}

/** What the patient has opened, typed or picked in `container`, by element id, so a screen
 *  drawn again (new data arrived) keeps it.
 * @param {Element} container
 * @returns {[string, string, unknown][]}
 */
export function formState(container) {
  /** @type {[string, string, unknown][]} */
  const saved = [];
  /** @type {NodeListOf<any>} details, inputs, text areas and selects */
  const elements = container.querySelectorAll("details[id], input[id], textarea[id], select[id]");
  for (const element of elements) {
    if (element.tagName === "DETAILS") saved.push([element.id, "open", element.open]);
    else if (element.type === "radio" || element.type === "checkbox") {
      saved.push([element.id, "checked", element.checked]);
    } else saved.push([element.id, "value", element.value]);
  }
  return saved;
}

/**
 * Give back what formState kept to the elements drawn again (by id).
 * @param {Element} container
 * @param {[string, string, unknown][]} saved
 */
export function restoreFormState(container, saved) {
  for (const [id, property, value] of saved) {
    const element = container.querySelector(`#${CSS.escape(id)}`);
    if (element) element[property] = value;
  }
}

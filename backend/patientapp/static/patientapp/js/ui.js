// Pieces every screen uses: headings, notices, status badges, labelled form fields and the
// server's reasons shown beside the field they are about.

import { h, uid } from "./dom.js";
import { formatDateTime, t } from "./i18n.js";
import { setFlashMessage, state } from "./state.js";

/** The screen's one h1; focus moves to it when the screen changes. */
export function screenHeading(text) {
  return h("h1", { class: "screen-title", tabindex: "-1" }, text);
}

/** A boxed message. kind: info, success, warning, error, urgent. Errors are announced. */
export function notice(kind, ...children) {
  const role = kind === "error" || kind === "urgent" ? "alert" : null;
  return h("div", { class: `notice notice-${kind}`, role }, children);
}

/** A dose status in words and colour (and a symbol, so colour is never the only sign). */
export function badge(status) {
  return h(
    "span",
    { class: `badge badge-${status}` },
    h("span", { class: "badge-mark", "aria-hidden": "true" }, t(`mark.${status}`)),
    " ",
    t(`status.${status}`),
  );
}

/** "You are offline: this was saved at ..." when a screen shows a kept copy. */
export function staleNotice(result) {
  if (!result || result.fresh) return null;
  return notice("warning", t("offline.showing_saved", { when: formatDateTime(result.savedAt) }));
}

/** A labelled input with an optional hint and a place for the server's reason. */
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

/** Show each {field, reason} beside its field; returns the reasons no field took. */
export function showFieldErrors(form, errors) {
  for (const element of form.querySelectorAll(".field-error")) {
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
    const message = box.querySelector(".field-error");
    message.textContent = error.reason;
    message.hidden = false;
    const input = box.querySelector("input, select, textarea");
    if (input) input.setAttribute("aria-invalid", "true");
  }
  return unplaced;
}

/** A message the next screen shows once (after sign-in, sign-out...). */
export function setFlash(kind, message) {
  setFlashMessage({ kind, message });
}

export function takeFlash() {
  const flash = state.flash;
  setFlashMessage(null);
  return flash ? notice(flash.kind, flash.message) : null;
}

/** Radio choices as large labelled rows (the whole row is the touch target). Give `idPrefix`
 *  for ids that stay the same when the screen is drawn again. */
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
 *  drawn again (new data arrived) keeps it. */
export function formState(container) {
  const saved = [];
  for (const element of container.querySelectorAll(
    "details[id], input[id], textarea[id], select[id]",
  )) {
    if (element.tagName === "DETAILS") saved.push([element.id, "open", element.open]);
    else if (element.type === "radio" || element.type === "checkbox") {
      saved.push([element.id, "checked", element.checked]);
    } else saved.push([element.id, "value", element.value]);
  }
  return saved;
}

export function restoreFormState(container, saved) {
  for (const [id, property, value] of saved) {
    const element = container.querySelector(`#${CSS.escape(id)}`);
    if (element) element[property] = value;
  }
}

// @ts-check
// Building the page from data with DOM calls only, so text from the server (notes, reasons)
// is always shown as text and never parsed as markup.

/** What an element can be given as children: elements, text, numbers, nothing, or lists.
 * @typedef {Node | string | number | boolean | null | undefined | readonly any[]} Child
 */

/** h("button", {class: "big", onclick: fn}, "Taken") -> an element.
 * @param {string} tag
 * @param {Record<string, any> | null} [props]
 * @param {...Child} children
 * @returns {any} the element (any: its kind depends on `tag`)
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "value" || name === "checked" || name === "disabled") {
      element[name] = value;
    } else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/**
 * Append children (nested arrays flattened; null, undefined and false left out; other
 *  values as text).
 * @param {Element} element
 * @param {Child} children
 * @returns {Element}
 */
export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let counter = 0;

/** A page-unique id, for label/for and aria-describedby pairs.
 * @param {string} prefix
 * @returns {string}
 */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A random UUID (crypto.randomUUID needs a secure context; the app always has one).
 * @returns {string}
 */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Replace an element's children (null, undefined and false are left out).
 * @param {Element} element
 * @param {...Child} children
 * @returns {Element}
 */
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

// @ts-check
// Signed out: the welcome screen, the first run (the invitation code from the nurse and a
// new password: POST auth/activate/), a caregiver's first run (the code from the patient:
// POST caregiver/accept/) and later sign-ins (POST auth/login/, patients and caregivers).

import { ApiError, NetworkError, request } from "../api.js";
import { fill, h } from "../dom.js";
import { LANGUAGES, currentLanguage, t } from "../i18n.js";
import { chooseLanguage } from "../session.js";
import { emit } from "../state.js";
import { careTeamCall } from "../triage.js";
import { field, notice, screenHeading, showFieldErrors, takeFlash } from "../ui.js";
import { warnFailed } from "../warn.js";

/** What a screen with nothing to stop (no listener, no timer) does when it is left. */
const NOTHING_TO_UNDO = () => undefined;

function languagePicker() {
  const select = h(
    "select",
    {
      name: "language",
      onchange: (event) => {
        chooseLanguage(event.target.value);
        emit("language-changed");
      },
    },
    LANGUAGES.map((code) =>
      h("option", { value: code, selected: code === currentLanguage() }, t(`language.${code}`)),
    ),
  );
  return h("div", { class: "language-picker" }, field(t("settings.language"), select));
}

/**
 * The welcome screen (#/welcome) for a phone nobody has signed in on.
 * @param {HTMLElement} container
 * @returns {import("../types.js").Screen}
 */
export function mountWelcome(container) {
  fill(
    container,
    screenHeading(t("welcome.title")),
    takeFlash(),
    h("p", { class: "lead" }, t("welcome.intro")),
    h(
      "div",
      { class: "stack" },
      h("a", { class: "button button-big", href: "#/activate" }, t("welcome.have_code")),
      h("a", { class: "button button-secondary", href: "#/signin" }, t("welcome.have_account")),
      h(
        "a",
        { class: "button button-secondary", href: "#/carer-join" },
        t("caregiver.welcome_option"),
      ),
    ),
    languagePicker(),
  );
  return { ready: Promise.resolve(), cleanup: NOTHING_TO_UNDO };
}

/** The form's summary of what went wrong (the server's reasons no field took). */
function problem(form, messages) {
  const box = form.querySelector(".form-problem");
  fill(
    box,
    messages.length
      ? notice(
          "error",
          messages.map((m) => h("p", {}, m)),
        )
      : null,
  );
}

async function submitTo(form, path, body, activated) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const { data } = await request("POST", path, { body, auth: false });
    if (data.user.role !== "patient" && data.user.role !== "caregiver") {
      // Staff sign in at the dashboard; this token is not kept, so revoke it at once.
      await request("POST", "auth/logout/", { token: data.token }).catch(
        warnFailed("revoking a staff member's token"),
      );
      problem(form, [t("signin.not_patient")]);
      return;
    }
    emit("signed-in", { tokenBody: data, activated });
  } catch (error) {
    if (error instanceof NetworkError) {
      problem(form, [t("signin.offline")]);
    } else if (error instanceof ApiError) {
      const unplaced = showFieldErrors(form, error.errors);
      if (unplaced.length) problem(form, unplaced);
      else problem(form, error.errors.length ? [t("form.check_fields")] : error.reasons);
    } else {
      throw error;
    }
  } finally {
    button.disabled = false;
  }
}

function input(props) {
  return h("input", { class: "input", ...props });
}

/** The code of an activation link (the QR code the nurse shows: #/activate?code=...), taken
 *  out of the address at once so it stays in no history entry. */
function codeFromLink() {
  const query = location.hash.split("?")[1];
  if (!query) return "";
  history.replaceState(null, "", "#/activate");
  return new URLSearchParams(query).get("code") || "";
}

/**
 * The first run (#/activate, or the nurse's QR code's #/activate?code=...).
 * @param {HTMLElement} container
 * @returns {import("../types.js").Screen}
 */
export function mountActivate(container) {
  const code = input({
    name: "invitation_code",
    autocomplete: "one-time-code",
    autocapitalize: "characters",
    spellcheck: "false",
    required: true,
    value: codeFromLink(),
  });
  const username = input({
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
  });
  const password = input({
    name: "password",
    type: "password",
    autocomplete: "new-password",
    required: true,
  });
  const repeat = input({
    name: "password_again",
    type: "password",
    autocomplete: "new-password",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const errors = [];
        if (!code.value.trim()) {
          errors.push({ field: "invitation_code", reason: t("activate.code_needed") });
        }
        if (!password.value)
          errors.push({ field: "password", reason: t("activate.password_needed") });
        if (password.value !== repeat.value) {
          errors.push({ field: "password_again", reason: t("activate.passwords_differ") });
        }
        if (errors.length) {
          showFieldErrors(form, errors);
          problem(form, [t("form.check_fields")]);
          return;
        }
        const body = { invitation_code: code.value.trim(), password: password.value };
        if (username.value.trim()) body.username = username.value.trim();
        submitTo(form, "auth/activate/", body, true);
      },
    },
    h("div", { class: "form-problem" }),
    field(t("activate.code"), code, { hint: t("activate.code_hint") }),
    field(t("activate.username"), username, { hint: t("activate.username_hint") }),
    field(t("activate.password"), password, { hint: t("activate.password_hint") }),
    field(t("activate.password_again"), repeat),
    h("button", { type: "submit", class: "button button-big" }, t("activate.submit")),
  );
  fill(
    container,
    screenHeading(t("activate.title")),
    h("p", { class: "lead" }, t("activate.intro")),
    form,
    h("p", {}, h("a", { href: "#/signin" }, t("welcome.have_account"))),
  );
  return { ready: Promise.resolve(), cleanup: NOTHING_TO_UNDO };
}

/**
 * Signing in again (#/signin).
 * @param {HTMLElement} container
 * @returns {import("../types.js").Screen}
 */
export function mountSignIn(container) {
  const username = input({
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
  });
  const password = input({
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const body = { username: username.value.trim(), password: password.value };
        submitTo(form, "auth/login/", body, false);
      },
    },
    h("div", { class: "form-problem" }),
    field(t("signin.username"), username),
    field(t("signin.password"), password),
    h("button", { type: "submit", class: "button button-big" }, t("signin.submit")),
  );
  fill(
    container,
    screenHeading(t("signin.title")),
    takeFlash(),
    form,
    h(
      "details",
      { class: "forgot" },
      h("summary", {}, t("signin.forgot")),
      h("p", {}, t("signin.forgot_body")),
      careTeamCall(),
    ),
    h("p", {}, h("a", { href: "#/activate" }, t("welcome.have_code"))),
    languagePicker(),
  );
  return { ready: Promise.resolve(), cleanup: NOTHING_TO_UNDO };
}

/**
 * A caregiver's first run (#/carer-join): the code the patient gave them, their name, and a
 * new account of their own (POST caregiver/accept/).
 * @param {HTMLElement} container
 * @returns {import("../types.js").Screen}
 */
export function mountCaregiverJoin(container) {
  const code = input({
    name: "invitation_code",
    autocomplete: "one-time-code",
    autocapitalize: "characters",
    spellcheck: "false",
    required: true,
  });
  const displayName = input({ name: "display_name", autocomplete: "name", required: true });
  const username = input({
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
  });
  const password = input({
    name: "password",
    type: "password",
    autocomplete: "new-password",
    required: true,
  });
  const repeat = input({
    name: "password_again",
    type: "password",
    autocomplete: "new-password",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "form",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const errors = [];
        const needed = [
          [code, "caregiver.code_needed"],
          [displayName, "caregiver.display_name_needed"],
          [username, "caregiver.username_needed"],
          [password, "activate.password_needed"],
        ];
        for (const [element, key] of needed) {
          if (!element.value.trim()) errors.push({ field: element.name, reason: t(key) });
        }
        if (password.value !== repeat.value) {
          errors.push({ field: "password_again", reason: t("activate.passwords_differ") });
        }
        if (errors.length) {
          showFieldErrors(form, errors);
          problem(form, [t("form.check_fields")]);
          return;
        }
        const body = {
          invitation_code: code.value.trim(),
          display_name: displayName.value.trim(),
          username: username.value.trim(),
          password: password.value,
          language: currentLanguage(),
        };
        submitTo(form, "caregiver/accept/", body, true);
      },
    },
    h("div", { class: "form-problem" }),
    field(t("caregiver.code"), code, { hint: t("caregiver.code_hint") }),
    field(t("caregiver.display_name"), displayName, { hint: t("caregiver.display_name_hint") }),
    field(t("caregiver.username"), username, { hint: t("caregiver.username_hint") }),
    field(t("activate.password"), password, { hint: t("activate.password_hint") }),
    field(t("activate.password_again"), repeat),
    h("button", { type: "submit", class: "button button-big" }, t("caregiver.submit")),
  );
  fill(
    container,
    screenHeading(t("caregiver.join_title")),
    h("p", { class: "lead" }, t("caregiver.join_intro")),
    form,
    h("p", {}, h("a", { href: "#/signin" }, t("welcome.have_account"))),
    languagePicker(),
  );
  return { ready: Promise.resolve(), cleanup: NOTHING_TO_UNDO };
}

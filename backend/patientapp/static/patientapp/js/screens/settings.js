// @ts-check
// Settings: the language, reminders (push), what is waiting to send, the patient's caregivers
// (caregivers.js), and signing out of this phone or of every device.

import { NetworkError, request } from "../api.js";
import { caregiversSection } from "../caregivers.js";
import { fill, h } from "../dom.js";
import { LANGUAGES, currentLanguage, t } from "../i18n.js";
import { ON, READY, reminderState, turnOnReminders, unregisterThisPhone } from "../push.js";
import { REJECTED, onOutboxChange, outboxItems } from "../queue.js";
import { reminderSettingsForm } from "../reminder-settings.js";
import { chooseLanguage, setRemindersAsked } from "../session.js";
import { emit, on, setPreferences, state, userId } from "../state.js";
import { flush } from "../sync.js";
import { field, notice, screenHeading } from "../ui.js";
import { careTeamCall } from "../triage.js";
import { warnFailed } from "../warn.js";

/**
 * Settings (#/settings) into `container`.
 * @param {HTMLElement} container
 * @returns {import("../types.js").Screen}
 */
export function mountSettings(container) {
  let disposed = false;
  let outbox = [];
  let message = null;
  let accountMessage = null;
  // Drawn once, kept across repaints: it loads and changes on its own.
  const caregivers = caregiversSection();
  // Built once (an outbox change repaints: what is being edited stays), again when the
  // server's settings arrive (the profile's refresh after start) while it is untouched.
  let reminderForm = reminderSettingsForm();
  let reminderEdited = false;
  const watchEdits = () => {
    reminderForm.addEventListener("input", () => {
      reminderEdited = true;
    });
  };
  watchEdits();

  function section(titleKey, ...children) {
    const id = `settings-${titleKey.replace(/\W/g, "-")}`;
    return h(
      "section",
      { class: "card", "aria-labelledby": id },
      h("h2", { id }, t(titleKey)),
      children,
    );
  }

  function languageSection() {
    const select = h(
      "select",
      {
        name: "language",
        id: "language",
        onchange: async (event) => {
          const code = event.target.value;
          chooseLanguage(code);
          // Pushes are written in the same language (best effort: offline, this phone only).
          request("PATCH", "me/notification-preferences/", { body: { language: code } })
            .then(({ data }) => setPreferences(data))
            .catch(warnFailed("saving the language for pushes"));
          emit("language-changed");
        },
      },
      LANGUAGES.map((code) =>
        h("option", { value: code, selected: code === currentLanguage() }, t(`language.${code}`)),
      ),
    );
    return section("settings.language", field(t("settings.language_label"), select));
  }

  function remindersSection() {
    const now = reminderState();
    const button =
      now === READY
        ? h(
            "button",
            {
              type: "button",
              class: "button",
              onclick: async () => {
                setRemindersAsked();
                message = t(`reminders.result_${await turnOnReminders()}`);
                paint();
              },
            },
            t("reminders.turn_on"),
          )
        : null;
    return section(
      "settings.reminders",
      h("p", { id: "reminder-state" }, t(`reminders.state_${now}`)),
      message ? h("p", { class: "notice notice-info", role: "status" }, message) : null,
      now === ON ? null : button,
    );
  }

  function outboxSection() {
    const waiting = outbox.filter((item) => item.state !== REJECTED).length;
    const refused = outbox.length - waiting;
    return section(
      "settings.sending",
      h(
        "p",
        {},
        waiting ? t("settings.waiting_count", { count: waiting }) : t("settings.all_sent"),
      ),
      refused ? h("p", {}, t("settings.refused_count", { count: refused })) : null,
      waiting
        ? h(
            "button",
            { type: "button", class: "button", onclick: () => flush() },
            t("settings.send_now"),
          )
        : null,
    );
  }

  async function signOut(everywhere) {
    const path = everywhere ? "auth/logout-everywhere/" : "auth/logout/";
    try {
      await unregisterThisPhone();
      await request("POST", path);
      emit("signed-out", { reason: everywhere ? "everywhere" : "done" });
    } catch (error) {
      if (error instanceof NetworkError && !everywhere) {
        // Forget it here anyway; the server lets an unused token expire by itself.
        emit("signed-out", { reason: "offline" });
        return;
      }
      accountMessage = everywhere ? t("signout.everywhere_failed") : t("signout.failed");
      paint();
    }
  }

  /** The username, copied to keep somewhere safe (it is what signs in on a new phone). */
  function copyUsernameButton(username) {
    const said = h("span", { class: "hint", role: "status" });
    const button = h(
      "button",
      {
        type: "button",
        class: "button button-secondary",
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(username);
            said.textContent = t("settings.copied");
          } catch (error) {
            console.warn("username not copied", error);
            said.textContent = t("settings.copy_failed");
          }
        },
      },
      t("settings.copy_username"),
    );
    return h("div", { class: "stack" }, button, said);
  }

  function accountSection() {
    return section(
      "settings.account",
      h("p", {}, t("settings.signed_in_as", { username: state.session.user.username })),
      copyUsernameButton(state.session.user.username),
      accountMessage ? notice("error", accountMessage) : null,
      outbox.length ? h("p", { class: "hint" }, t("settings.signout_keeps_outbox")) : null,
      h(
        "div",
        { class: "stack" },
        h(
          "button",
          { type: "button", class: "button button-secondary", onclick: () => signOut(false) },
          t("settings.sign_out"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "button button-secondary",
            "aria-describedby": "everywhere-hint",
            onclick: () => signOut(true),
          },
          t("settings.sign_out_everywhere"),
        ),
        h("p", { class: "hint", id: "everywhere-hint" }, t("settings.sign_out_everywhere_hint")),
      ),
    );
  }

  function paint() {
    if (disposed) return;
    fill(
      container,
      screenHeading(t("settings.title")),
      languageSection(),
      remindersSection(),
      // The same form each time (an outbox change repaints): what is being edited stays.
      section("remind.title", reminderForm),
      outboxSection(),
      section("settings.care_team", careTeamCall()),
      caregivers,
      accountSection(),
      h("p", { class: "muted" }, t("settings.version", { version: state.config.version || "-" })),
    );
  }

  async function refresh() {
    outbox = await outboxItems(userId());
    paint();
  }

  const stopPreferences = on("preferences-changed", () => {
    // Signing out clears them (this screen is about to go): nothing to show again.
    if (reminderEdited || disposed || !state.session) return;
    reminderForm = reminderSettingsForm();
    watchEdits();
    paint();
  });
  const stopOutbox = onOutboxChange(refresh);
  const stopSent = on("outbox-sent", refresh);
  return {
    ready: refresh(),
    cleanup: () => {
      disposed = true;
      stopPreferences();
      stopOutbox();
      stopSent();
    },
  };
}

// @ts-check
// Caregivers (issue 22): what the patient sees in Settings ("Caregiver": invite a family member
// with a one-time code, list them, remove one after confirming) and the words both sides use
// for the alert delay. Online only: nothing here is queued, a code is made by the server and
// shown once, and a removal must take effect at once.

import { ApiError, NetworkError, request } from "./api.js";
import { fill, h } from "./dom.js";
import { formatDate, t } from "./i18n.js";
import { announce } from "./state.js";
import { field, notice, showFieldErrors } from "./ui.js";
import { warnFailed } from "./warn.js";

/** "2 hours", "90 minutes": how long after its time a caregiver hears of a dose not logged.
 * @param {number} minutes
 * @returns {string}
 */
export function delayText(minutes) {
  if (minutes === 60) return t("caregiver.hour_one");
  if (minutes % 60 === 0) return t("caregiver.hours", { count: minutes / 60 });
  return t("caregiver.minutes", { count: minutes });
}

/** The Settings section "Caregiver", drawn into its own element (it loads and changes on its
 *  own while the rest of Settings is drawn again around it).
 * @returns {HTMLElement}
 */
export function caregiversSection() {
  const body = h("div", { class: "caregivers" });
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "settings-caregiver" },
    h("h2", { id: "settings-caregiver" }, t("caregiver.section")),
    body,
  );
  /** @type {{caregivers: any[], limit: number, alert_after_minutes: number, invitation_valid_hours: number} | null} */
  let listing = null;
  let offline = false;
  /** @type {{invitation_code: string, expires_in_hours: number} | null} */
  let invitation = null;
  /** @type {number | null} */
  let confirming = null;
  /** @type {HTMLElement | null} */
  let message = null;

  async function load() {
    try {
      listing = (await request("GET", "me/caregivers/")).data;
      offline = false;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      offline = true;
    }
    paint();
  }

  async function remove(caregiver) {
    try {
      await request("DELETE", `me/caregivers/${caregiver.id}/`);
      message = notice("success", t("caregiver.removed_done", { name: caregiver.display_name }));
      announce(t("caregiver.removed_done", { name: caregiver.display_name }));
    } catch (error) {
      if (!(error instanceof NetworkError || error instanceof ApiError)) throw error;
      // A 404: removed already (on another phone); the list below says who is left.
      message =
        error instanceof ApiError && error.status === 404
          ? null
          : notice("error", t("caregiver.remove_failed"));
    }
    confirming = null;
    await load();
  }

  function caregiverRow(caregiver) {
    const since = t("caregiver.since", { date: formatDate(caregiver.since.slice(0, 10), "long") });
    const asking = confirming === caregiver.id;
    return h(
      "li",
      { class: "caregiver" },
      h("p", { class: "caregiver-name" }, h("strong", {}, caregiver.display_name), h("br"), since),
      asking
        ? h(
            "div",
            { class: "notice notice-warning", role: "group", "aria-label": caregiver.display_name },
            h("p", {}, t("caregiver.remove_confirm", { name: caregiver.display_name })),
            h(
              "div",
              { class: "stack" },
              h(
                "button",
                { type: "button", class: "button button-urgent", onclick: () => remove(caregiver) },
                t("caregiver.remove_yes"),
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "button button-secondary",
                  onclick: () => {
                    confirming = null;
                    paint();
                  },
                },
                t("caregiver.remove_keep"),
              ),
            ),
          )
        : h(
            "button",
            {
              type: "button",
              class: "button button-secondary",
              onclick: () => {
                confirming = caregiver.id;
                message = null;
                paint();
              },
            },
            t("caregiver.remove", { name: caregiver.display_name }),
          ),
    );
  }

  function inviteForm() {
    const name = h("input", {
      class: "input",
      name: "patient_name",
      id: "caregiver-patient-name",
      maxlength: 60,
    });
    const share = h("input", {
      type: "checkbox",
      name: "show_medication_name",
      id: "caregiver-share",
    });
    const form = h(
      "form",
      {
        class: "form",
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          const button = form.querySelector("button[type=submit]");
          button.disabled = true;
          const body = { show_medication_name: share.checked };
          if (name.value.trim()) body.patient_name = name.value.trim();
          try {
            invitation = (await request("POST", "me/caregivers/invitation/", { body })).data;
            message = null;
            paint();
            const code = element.querySelector(".caregiver-code");
            if (code) /** @type {HTMLElement} */ (code).focus();
          } catch (error) {
            if (error instanceof ApiError) {
              const unplaced = showFieldErrors(form, error.errors);
              message = unplaced.length ? notice("error", unplaced.join(" ")) : null;
            } else if (error instanceof NetworkError) {
              message = notice("error", t("caregiver.invite_failed"));
            } else throw error;
            button.disabled = false;
            paint();
          }
        },
      },
      field(t("caregiver.your_name"), name, { hint: t("caregiver.your_name_hint") }),
      h(
        "div",
        { class: "field", dataset: { field: "show_medication_name" } },
        h(
          "label",
          { class: "choice", for: share.id },
          share,
          h("span", {}, t("caregiver.share_medicine")),
        ),
        h("p", { class: "hint" }, t("caregiver.share_medicine_hint")),
        h("p", { class: "field-error", hidden: true }),
      ),
      h("button", { type: "submit", class: "button" }, t("caregiver.create_code")),
    );
    return form;
  }

  function invitationShown() {
    if (!invitation) return null;
    const address = `${location.origin}${location.pathname}`;
    return h(
      "div",
      { class: "notice notice-info", role: "status" },
      h("p", {}, t("caregiver.code_for_them")),
      h("p", { class: "caregiver-code", tabindex: "-1" }, invitation.invitation_code),
      h("p", {}, t("caregiver.code_how", { address, hours: invitation.expires_in_hours })),
    );
  }

  function paint() {
    if (offline || !listing) {
      fill(body, offline ? h("p", {}, t("caregiver.offline")) : null);
      return;
    }
    const full = listing.caregivers.length >= listing.limit;
    fill(
      body,
      h("p", {}, t("caregiver.section_intro", { delay: delayText(listing.alert_after_minutes) })),
      message,
      h("h3", {}, t("caregiver.list_label")),
      listing.caregivers.length
        ? h("ul", { class: "caregiver-list" }, listing.caregivers.map(caregiverRow))
        : h("p", {}, t("caregiver.none")),
      invitationShown(),
      h("h3", {}, t("caregiver.invite")),
      full ? h("p", {}, t("caregiver.limit", { count: listing.limit })) : inviteForm(),
    );
  }

  load().catch(warnFailed("loading the caregivers"));
  return element;
}

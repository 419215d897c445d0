"""Push text: localised (en, es, fr, de), and never the drug's name or the diagnosis on the
lock screen unless the patient opted in. Checked for every text, and end to end at the fake
FCM server both ways."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from backend.notifications.services import (
    notification_preference_update,
    outbox_deliver_batch,
    outbox_enqueue,
)
from backend.notifications.texts import LANGUAGES, MEDICATION_WORDS, TEXTS, push_text
from tests.factories.devices import DeviceFactory

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
MEDICATION = re.compile(r"\b(" + "|".join(MEDICATION_WORDS) + r")\b", re.IGNORECASE)
PAYLOADS: dict[str, dict[str, Any]] = {
    "dose_reminder": {"date": "2026-06-01", "slot": 1, "local_time": "08:00", "attempt": 0},
    "dose_reminder_follow_up": {"local_time": "08:00", "attempt": 1},
    "plan_completed": {"plan": "p"},
    "alert_opened": {"alert": "a", "priority": "urgent"},
    "alert_escalated": {"alert": "a", "priority": "high"},
    "alert_updated": {"alert": "a", "priority": "urgent"},
    "plan_ending": {"plan": "p", "planned_end_date": "2026-07-01"},
    "call_request": {"alert": "a"},
    "caregiver_dose_not_logged": {
        "patient_name": "Ana",
        "local_time": "08:00",
        "date": "2026-06-01",
    },
    "refill_reminder": {"supply": "s"},
    "generic": {},
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_no_private_text_names_the_drug_or_the_diagnosis(kind, language):
    kind_name = "dose_reminder" if kind == "dose_reminder_follow_up" else kind
    text = push_text(
        kind=kind_name, payload=PAYLOADS[kind], language=language, show_medication_name=False
    )
    shown = f"{text.title} {text.body}".lower()
    assert not MEDICATION.search(shown), shown
    assert "{" not in shown and text.title and text.body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["dose_reminder", "dose_reminder_follow_up", "plan_completed"])
def test_named_variants_only_for_patients_who_opted_in(kind, language):
    kind_name = "dose_reminder" if kind == "dose_reminder_follow_up" else kind
    text = push_text(
        kind=kind_name, payload=PAYLOADS[kind], language=language, show_medication_name=True
    )
    assert "imatinib" in f"{text.title} {text.body}".lower()


def test_caregiver_text_names_the_drug_only_when_the_patient_allowed_it():
    """The patient's choice travels in the payload; the recipient's own preference (what
    delivery passes as show_medication_name) cannot turn it on for a caregiver."""
    payload = PAYLOADS["caregiver_dose_not_logged"]
    for language in LANGUAGES:
        private = push_text(
            kind="caregiver_dose_not_logged",
            payload=payload,
            language=language,
            show_medication_name=True,
        )
        shown = f"{private.title} {private.body}"
        assert "Ana" in shown and "08:00" in shown and not MEDICATION.search(shown.lower())
        named = push_text(
            kind="caregiver_dose_not_logged",
            payload={**payload, "show_medication_name": True},
            language=language,
            show_medication_name=False,
        )
        assert "imatinib" in f"{named.title} {named.body}".lower()
    english = push_text(
        kind="caregiver_dose_not_logged", payload=payload, language="en", show_medication_name=False
    )
    assert english.body == "Ana's 08:00 dose is not logged yet."
    spanish = push_text(
        kind="caregiver_dose_not_logged", payload=payload, language="es", show_medication_name=False
    )
    assert spanish.body == "La dosis de las 08:00 de Ana aún no está registrada."
    # No name in the payload: the generic text, never a hole.
    bare = push_text(
        kind="caregiver_dose_not_logged",
        payload={"local_time": "08:00"},
        language="en",
        show_medication_name=False,
    )
    assert bare.body == "Open the app for details."


def test_staff_texts_never_name_the_drug_even_when_asked():
    for kind in ("alert_opened", "alert_escalated", "alert_updated", "plan_ending"):
        text = push_text(
            kind=kind, payload=PAYLOADS[kind], language="en", show_medication_name=True
        )
        assert "imatinib" not in f"{text.title} {text.body}".lower()


def test_texts_are_localised():
    def body(kind: str, language: str) -> str:
        return push_text(
            kind=kind, payload=PAYLOADS[kind], language=language, show_medication_name=False
        ).body

    assert body("dose_reminder", "es") == (
        "Es la hora de su dosis de las 08:00. Toque para registrarla."
    )
    assert body("dose_reminder", "fr").startswith("C'est l'heure de votre prise de 08:00")
    assert body("dose_reminder", "de").startswith("Zeit für Ihre Einnahme um 08:00")
    assert (
        body("alert_opened", "de") == "Eine Warnung (dringend) ist für einen Ihrer Patienten offen."
    )
    assert body("plan_ending", "es") == "El plan de un paciente termina el 1 de julio de 2026."
    assert body("plan_ending", "en") == "A patient's plan ends on July 1, 2026."


def test_follow_ups_say_the_dose_is_not_logged_yet():
    text = push_text(
        kind="dose_reminder",
        payload={"local_time": "20:30", "attempt": 2},
        language="en",
        show_medication_name=False,
    )
    assert text.body == "Your 20:30 dose is not logged yet. Tap to log it."


def test_unknown_kind_language_or_missing_value_fall_back_safely():
    generic = push_text(kind="new_kind", payload={}, language="en", show_medication_name=True)
    assert (generic.title, generic.body) == ("New notification", "Open the app for details.")
    klingon = push_text(
        kind="dose_reminder",
        payload=PAYLOADS["dose_reminder"],
        language="tlh",
        show_medication_name=False,
    )
    assert klingon.title == "Reminder"
    no_time = push_text(kind="dose_reminder", payload={}, language="fr", show_medication_name=False)
    assert no_time.title == "Nouvelle notification"


# ---------------------------------------------------------------- end to end, both ways


@pytest.mark.django_db
@pytest.mark.parametrize("opted_in", [False, True])
def test_lock_screen_text_at_the_fake_server(fcm_settings, fake_fcm, patient, opted_in):
    patient.language = "es"
    patient.save()
    if opted_in:
        notification_preference_update(user=patient.user, show_medication_name_on_lock_screen=True)
    DeviceFactory.create(user=patient.user, token="token-1")
    with time_machine.travel(NOW, tick=False):
        outbox_enqueue(
            recipient=patient.user,
            kind="dose_reminder",
            payload=PAYLOADS["dose_reminder"],
            dedupe_key="reminder:x",
        )
        outbox_deliver_batch(NOW)

    (received,) = fake_fcm.delivered()
    shown = received.message["notification"]
    everything = str(received.body).lower()
    if opted_in:
        assert shown == {
            "title": "Recordatorio de imatinib",
            "body": "Es la hora de tomar su imatinib (08:00). Toque para registrarlo.",
        }
    else:
        assert shown == {
            "title": "Recordatorio",
            "body": "Es la hora de su dosis de las 08:00. Toque para registrarla.",
        }
        # Not in the notification, and not hidden anywhere else in what the phone receives.
        assert not MEDICATION.search(everything)


@pytest.mark.django_db
def test_staff_get_their_own_language_and_no_clinical_detail(fcm_settings, fake_fcm, nurse):
    notification_preference_update(
        user=nurse, language="fr", show_medication_name_on_lock_screen=True
    )
    DeviceFactory.create(user=nurse, token="token-nurse", platform="web")
    with time_machine.travel(NOW, tick=False):
        outbox_enqueue(
            recipient=nurse,
            kind="alert_escalated",
            payload={"alert": "9b2f", "priority": "urgent"},
            dedupe_key="alert:9b2f:escalation",
        )
        outbox_deliver_batch(NOW)
    (received,) = fake_fcm.delivered()
    assert received.message["notification"] == {
        "title": "Alerte escaladée",
        "body": "Une alerte (urgente) n'a pas été prise en compte. Merci de la consulter.",
    }
    assert received.message["webpush"]["headers"]["Urgency"] == "high"
    assert received.message["data"] == {
        "kind": "alert_escalated",
        "outbox_id": received.message["data"]["outbox_id"],
        "alert": "9b2f",
        "priority": "urgent",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_alert_updated_says_an_alert_changed_without_clinical_detail(language):
    text = push_text(
        kind="alert_updated",
        payload=PAYLOADS["alert_updated"],
        language=language,
        show_medication_name=True,
    )
    shown = f"{text.title} {text.body}".lower()
    assert text.title != "New notification" and "{" not in shown
    for word in ("liver", "blood", "resume", "hold", "bilirubin", "platelet", "imatinib"):
        assert word not in shown, (language, shown)
    expected = {"en": "urgent", "es": "urgente", "fr": "urgente", "de": "dringend"}[language]
    assert expected in shown

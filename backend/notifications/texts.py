"""What a push says, per kind and language (en, es, fr, de).

A push is shown on the lock screen, where anyone near the phone can read it. So by default a
patient's push never names the drug or the diagnosis ("your 08:00 dose"); only a patient who
opted in (NotificationPreference.show_medication_name_on_lock_screen) gets the named variant.
Staff pushes never carry clinical detail or a patient's name: the dashboard shows that to
signed-in staff. A caregiver's push (backend/caregivers) carries the name the patient chose
for them to see and a dose's time, never a symptom; the drug's name only when the patient
allowed it for that caregiver (the payload's `show_medication_name`, set by the caregiver
service from the patient's choice; a caregiver's own preference cannot turn it on). Every
text here is written for that rule; the tests check it for every kind and language.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import formats, translation

LANGUAGES = ("en", "es", "fr", "de")
DEFAULT_LANGUAGE = "en"

# Words that must never appear in a private text (checked by the tests, all languages).
MEDICATION_WORDS = ("imatinib", "glivec", "gleevec", "gist", "stromal", "tumour", "tumor", "cancer")


@dataclass(frozen=True)
class PushText:
    title: str
    body: str


# kind -> variant -> language -> (title, body). Variant "private" is the default; "named" is
# used only for a patient who opted in. Placeholders: {time}, {date}, {priority}.
_T = dict[str, dict[str, dict[str, tuple[str, str]]]]

TEXTS: _T = {
    "dose_reminder": {
        "private": {
            "en": ("Reminder", "It's time for your {time} dose. Tap to log it."),
            "es": ("Recordatorio", "Es la hora de su dosis de las {time}. Toque para registrarla."),
            "fr": ("Rappel", "C'est l'heure de votre prise de {time}. Touchez pour l'enregistrer."),
            "de": ("Erinnerung", "Zeit für Ihre Einnahme um {time}. Tippen Sie zum Erfassen."),
        },
        "named": {
            "en": ("Imatinib reminder", "It's time to take your imatinib ({time}). Tap to log it."),
            "es": (
                "Recordatorio de imatinib",
                "Es la hora de tomar su imatinib ({time}). Toque para registrarlo.",
            ),
            "fr": (
                "Rappel imatinib",
                "C'est l'heure de prendre votre imatinib ({time}). Touchez pour l'enregistrer.",
            ),
            "de": (
                "Imatinib-Erinnerung",
                "Zeit für Ihr Imatinib ({time}). Tippen Sie zum Erfassen.",
            ),
        },
    },
    "dose_reminder_follow_up": {
        "private": {
            "en": ("Reminder", "Your {time} dose is not logged yet. Tap to log it."),
            "es": (
                "Recordatorio",
                "Su dosis de las {time} aún no está registrada. Toque para registrarla.",
            ),
            "fr": (
                "Rappel",
                "Votre prise de {time} n'est pas encore enregistrée. Touchez pour l'enregistrer.",
            ),
            "de": (
                "Erinnerung",
                "Ihre Einnahme um {time} ist noch nicht erfasst. Tippen Sie zum Erfassen.",
            ),
        },
        "named": {
            "en": ("Imatinib reminder", "Your {time} imatinib dose is not logged yet."),
            "es": (
                "Recordatorio de imatinib",
                "Su dosis de imatinib de las {time} aún no está registrada.",
            ),
            "fr": (
                "Rappel imatinib",
                "Votre prise d'imatinib de {time} n'est pas encore enregistrée.",
            ),
            "de": (
                "Imatinib-Erinnerung",
                "Ihre Imatinib-Einnahme um {time} ist noch nicht erfasst.",
            ),
        },
    },
    "plan_completed": {
        "private": {
            "en": ("Plan finished", "Your plan has reached its end date; reminders have stopped."),
            "es": (
                "Plan finalizado",
                "Su plan ha llegado a su fecha de fin; los recordatorios se han detenido.",
            ),
            "fr": (
                "Plan terminé",
                "Votre plan est arrivé à sa date de fin ; les rappels sont arrêtés.",
            ),
            "de": (
                "Plan beendet",
                "Ihr Plan hat sein Enddatum erreicht; die Erinnerungen sind beendet.",
            ),
        },
        "named": {
            "en": (
                "Imatinib plan finished",
                "Your imatinib plan has reached its end date; reminders have stopped.",
            ),
            "es": (
                "Plan de imatinib finalizado",
                "Su plan de imatinib ha llegado a su fecha de fin; "
                "los recordatorios se han detenido.",
            ),
            "fr": (
                "Plan imatinib terminé",
                "Votre plan d'imatinib est arrivé à sa date de fin ; les rappels sont arrêtés.",
            ),
            "de": (
                "Imatinib-Plan beendet",
                "Ihr Imatinib-Plan hat sein Enddatum erreicht; die Erinnerungen sind beendet.",
            ),
        },
    },
    # The tablets counted last (backend.refills) are running low: one push per count.
    "refill_reminder": {
        "private": {
            "en": (
                "Time to refill",
                "Your tablets are running low. Time to arrange your next supply.",
            ),
            "es": (
                "Hora de reponer",
                "Le quedan pocas pastillas. Es momento de pedir las siguientes.",
            ),
            "fr": (
                "Pensez à renouveler",
                "Il vous reste peu de comprimés. Prévoyez la suite.",
            ),
            "de": (
                "Zeit zum Nachbestellen",
                "Ihre Tabletten werden knapp. Sorgen Sie für Nachschub.",
            ),
        },
        "named": {
            "en": (
                "Imatinib refill",
                "Your imatinib tablets are running low. Time to arrange your next supply.",
            ),
            "es": (
                "Reponer imatinib",
                "Le quedan pocas pastillas de imatinib. Es momento de pedir las siguientes.",
            ),
            "fr": (
                "Renouveler l'imatinib",
                "Il vous reste peu de comprimés d'imatinib. Prévoyez la suite.",
            ),
            "de": (
                "Imatinib nachbestellen",
                "Ihre Imatinib-Tabletten werden knapp. Sorgen Sie für Nachschub.",
            ),
        },
    },
    # Staff: never a patient's name, the drug or a symptom; the dashboard has the detail.
    "alert_opened": {
        "private": {
            "en": ("New alert", "An alert ({priority}) is open for one of your patients."),
            "es": (
                "Nueva alerta",
                "Hay una alerta ({priority}) abierta para uno de sus pacientes.",
            ),
            "fr": (
                "Nouvelle alerte",
                "Une alerte ({priority}) est ouverte pour l'un de vos patients.",
            ),
            "de": (
                "Neue Warnung",
                "Eine Warnung ({priority}) ist für einen Ihrer Patienten offen.",
            ),
        },
    },
    "alert_escalated": {
        "private": {
            "en": (
                "Alert escalated",
                "An alert ({priority}) has not been acknowledged. Please review it.",
            ),
            "es": (
                "Alerta escalada",
                "Una alerta ({priority}) no ha sido confirmada. Revísela, por favor.",
            ),
            "fr": (
                "Alerte escaladée",
                "Une alerte ({priority}) n'a pas été prise en compte. Merci de la consulter.",
            ),
            "de": (
                "Warnung eskaliert",
                "Eine Warnung ({priority}) wurde nicht bestätigt. Bitte prüfen Sie sie.",
            ),
        },
    },
    # Something new on an open alert (lab results now meet a hold's resume rule, or no longer
    # do): what changed is on the dashboard, never in the push.
    "alert_updated": {
        "private": {
            "en": ("Alert updated", "An alert ({priority}) for one of your patients has news."),
            "es": (
                "Alerta actualizada",
                "Una alerta ({priority}) de uno de sus pacientes tiene novedades.",
            ),
            "fr": (
                "Alerte mise à jour",
                "Une alerte ({priority}) concernant l'un de vos patients a du nouveau.",
            ),
            "de": (
                "Warnung aktualisiert",
                "Eine Warnung ({priority}) zu einem Ihrer Patienten hat Neuigkeiten.",
            ),
        },
    },
    "plan_ending": {
        "private": {
            "en": ("Plan ending soon", "A patient's plan ends on {date}."),
            "es": ("Un plan termina pronto", "El plan de un paciente termina el {date}."),
            "fr": ("Fin de plan proche", "Le plan d'un patient se termine le {date}."),
            "de": ("Plan endet bald", "Der Plan eines Patienten endet am {date}."),
        },
    },
    # A nurse asks the patient to phone the care team (from an alert about their report). No
    # symptom or drug on the lock screen; the number is in the app.
    "call_request": {
        "private": {
            "en": (
                "Please call your care team",
                "A nurse asks you to phone them. Tap for the number.",
            ),
            "es": (
                "Llame a su equipo, por favor",
                "Una enfermera le pide que les llame. Toque para ver el número.",
            ),
            "fr": (
                "Appelez votre équipe soignante",
                "Une infirmière vous demande de l'appeler. Touchez pour voir le numéro.",
            ),
            "de": (
                "Bitte rufen Sie Ihr Behandlungsteam an",
                "Eine Pflegekraft bittet um Ihren Anruf. Tippen Sie für die Nummer.",
            ),
        },
    },
    # To a patient's caregiver: nothing but that a dose is not logged yet (issue 22).
    "caregiver_dose_not_logged": {
        "private": {
            "en": ("Dose not logged yet", "{name}'s {time} dose is not logged yet."),
            "es": (
                "Dosis aún sin registrar",
                "La dosis de las {time} de {name} aún no está registrada.",
            ),
            "fr": (
                "Prise pas encore notée",
                "La prise de {time} de {name} n'est pas encore notée.",
            ),
            "de": (
                "Einnahme noch nicht erfasst",
                "Die Einnahme um {time} von {name} ist noch nicht erfasst.",
            ),
        },
        "named": {
            "en": ("Imatinib not logged yet", "{name}'s {time} imatinib dose is not logged yet."),
            "es": (
                "Imatinib aún sin registrar",
                "La dosis de imatinib de las {time} de {name} aún no está registrada.",
            ),
            "fr": (
                "Imatinib pas encore noté",
                "La prise d'imatinib de {time} de {name} n'est pas encore notée.",
            ),
            "de": (
                "Imatinib noch nicht erfasst",
                "Die Imatinib-Einnahme um {time} von {name} ist noch nicht erfasst.",
            ),
        },
    },
    "generic": {
        "private": {
            "en": ("New notification", "Open the app for details."),
            "es": ("Nueva notificación", "Abra la aplicación para ver los detalles."),
            "fr": ("Nouvelle notification", "Ouvrez l'application pour les détails."),
            "de": ("Neue Benachrichtigung", "Öffnen Sie die App für Details."),
        },
    },
}

PRIORITIES: dict[str, dict[str, str]] = {
    "urgent": {"en": "urgent", "es": "urgente", "fr": "urgente", "de": "dringend"},
    "high": {"en": "high", "es": "alta", "fr": "haute", "de": "hoch"},
    "normal": {"en": "normal", "es": "normal", "fr": "normale", "de": "normal"},
}


# The buttons of a dose reminder (Web Push notification actions, shown by the app's service
# worker): log the dose as taken, or remind again in 30 minutes. Neither opens the app.
REMINDER_ACTIONS: dict[str, dict[str, str]] = {
    "taken": {"en": "Taken", "es": "Tomada", "fr": "Prise", "de": "Eingenommen"},
    "snooze": {
        "en": "Remind me in 30 min",
        "es": "Recordar en 30 min",
        "fr": "Me rappeler dans 30 min",
        "de": "In 30 Min. erinnern",
    },
}
SNOOZE_MINUTES = 30


def push_actions(*, kind: str, language: str) -> dict[str, str]:
    """The data a dose reminder's notification needs for its buttons (their titles in the
    recipient's language, and the snooze's minutes); nothing for other kinds."""
    if kind != "dose_reminder":
        return {}
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return {
        "action_taken": REMINDER_ACTIONS["taken"][language],
        "action_snooze": REMINDER_ACTIONS["snooze"][language],
        "snooze_minutes": str(SNOOZE_MINUTES),
    }


def _text_key(kind: str, payload: dict[str, Any]) -> str:
    if kind == "dose_reminder" and _int(payload.get("attempt")) > 0:
        return "dose_reminder_follow_up"
    return kind if kind in TEXTS else "generic"


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _placeholders(payload: dict[str, Any], language: str) -> dict[str, str]:
    values = {
        "time": str(payload.get("local_time", "")),
        "name": str(payload.get("patient_name", "")),
    }
    priority = str(payload.get("priority", ""))
    values["priority"] = PRIORITIES.get(priority, {}).get(language, priority)
    raw_date = payload.get("planned_end_date") or payload.get("date")
    values["date"] = str(raw_date or "")
    if raw_date:
        try:
            parsed = date.fromisoformat(str(raw_date))
        except ValueError:
            pass
        else:
            with translation.override(language):
                values["date"] = formats.date_format(parsed, "DATE_FORMAT", use_l10n=True)
    return values


def push_text(
    *, kind: str, payload: dict[str, Any], language: str, show_medication_name: bool
) -> PushText:
    """The title and body for one push. Unknown kinds and languages fall back safely (generic
    text, English); a missing value in the payload falls back to the generic text rather than
    showing a hole."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    variants = TEXTS[_text_key(kind, payload)]
    if kind == "caregiver_dose_not_logged":
        # The patient's choice for this caregiver, carried in the payload; never the
        # caregiver's own preference.
        show_medication_name = payload.get("show_medication_name") is True
    variant = "named" if show_medication_name and "named" in variants else "private"
    title, body = variants[variant][language]
    values = _placeholders(payload, language)
    needed = [
        name for name in ("time", "date", "priority", "name") if "{" + name + "}" in title + body
    ]
    if any(not values[name] for name in needed):
        title, body = TEXTS["generic"]["private"][language]
    return PushText(title=title.format(**values), body=body.format(**values))

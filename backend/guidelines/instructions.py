"""What the patient is told to do after a report: emergency, call now, contact soon, self-care.

DESIGN (issue 16; docs/guidelines.md "Patient instructions"). A red flag is never self-care:
each red-flag item names its level in the catalogue (``instruction_level``). A report that
alerted the care team is "contact soon" (the team will be in touch; call if it gets worse);
any other report is "self-care", with the label's advice on taking imatinib with a meal and a
large glass of water for nausea or vomiting (S3). Texts in English and Spanish; numbers are
the care team's phone (a care-team setting) and the local emergency number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Final

from .symptoms import (
    CALL_NOW,
    CONTACT_SOON,
    EMERGENCY,
    INSTRUCTION_LEVELS,
    SELF_CARE,
    get_symptom,
)

LANGUAGES: Final = ("en", "es")

_TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        EMERGENCY: "This needs help now. Call {emergency} or go to the nearest emergency "
        "department. Then tell your care team{phone_clause}.",
        CALL_NOW: "Call your care team now{phone_clause}. If you cannot reach them, call "
        "{emergency} or go to the nearest emergency department.",
        CONTACT_SOON: "Your care team has been told and will contact you. If it gets worse "
        "before then, call them{phone_clause}. In an emergency call {emergency}.",
        SELF_CARE: "Thank you, your report has been saved. Keep taking imatinib as prescribed "
        "unless your care team tells you otherwise.{tip} If it gets worse or you are "
        "worried, call your care team{phone_clause}. In an emergency call {emergency}.",
        "phone_clause": " on {phone}",
        "tip_meal": " Take imatinib with a meal and a large glass of water.",
    },
    "es": {
        EMERGENCY: "Esto necesita ayuda ahora. Llame al {emergency} o vaya al servicio de "
        "urgencias más cercano. Después avise a su equipo de atención{phone_clause}.",
        CALL_NOW: "Llame ahora a su equipo de atención{phone_clause}. Si no puede hablar con "
        "ellos, llame al {emergency} o vaya al servicio de urgencias más cercano.",
        CONTACT_SOON: "Su equipo de atención ya está avisado y se pondrá en contacto con usted. "
        "Si empeora antes, llámelos{phone_clause}. En una emergencia llame al {emergency}.",
        SELF_CARE: "Gracias, su informe se ha guardado. Siga tomando imatinib como se le ha "
        "recetado salvo que su equipo le indique otra cosa.{tip} Si empeora o le preocupa, "
        "llame a su equipo de atención{phone_clause}. En una emergencia llame al {emergency}.",
        "phone_clause": " al {phone}",
        "tip_meal": " Tome imatinib con una comida y un vaso grande de agua.",
    },
}

_MEAL_TIP_SYMPTOMS: Final = ("nausea", "vomiting")


@dataclass(frozen=True)
class PatientInstruction:
    """What the patient app shows after a report (``level`` from INSTRUCTION_LEVELS)."""

    level: str
    text: str
    phone: str
    emergency_number: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def instruction_level(*, red_flags: Sequence[str], care_team_alerted: bool) -> str:
    """The most urgent level the report calls for."""
    levels = [get_symptom(code).instruction_level or CALL_NOW for code in red_flags]
    if levels:
        return min(levels, key=INSTRUCTION_LEVELS.index)
    return CONTACT_SOON if care_team_alerted else SELF_CARE


def patient_instruction(
    *,
    symptom: str,
    red_flags: Sequence[str],
    care_team_alerted: bool,
    language: str,
    phone: str,
    emergency_number: str,
) -> PatientInstruction:
    """The instruction for one report, in the patient's language (English if not offered)."""
    get_symptom(symptom)
    level = instruction_level(red_flags=red_flags, care_team_alerted=care_team_alerted)
    words = _TEXTS[language if language in LANGUAGES else "en"]
    phone = phone.strip()
    phone_clause = words["phone_clause"].format(phone=phone) if phone else ""
    tip = words["tip_meal"] if level == SELF_CARE and symptom in _MEAL_TIP_SYMPTOMS else ""
    text = words[level].format(emergency=emergency_number, phone_clause=phone_clause, tip=tip)
    return PatientInstruction(level, text, phone, emergency_number)

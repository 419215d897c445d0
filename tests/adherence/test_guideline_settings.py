"""GUIDELINE_SETTINGS: an administrator changes an UNCONFIRMED/DESIGN rule; the output says so;
a bad value stops the deployment at the system check."""

import pytest

from backend.adherence.guideline import deployment_guideline_settings
from tests.factories.clients import client_for

# Non-gastric, <= 2.0 cm, 6-10 mitoses: the UNCONFIRMED edge case of clinical facts §4.1.
EDGE_CASE = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 1.5,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
    "start_date": "2025-03-15",
}


@pytest.mark.django_db
def test_default_settings_give_intermediate(nurse) -> None:
    body = client_for(nurse).post("/api/v1/guidelines/recommendation/", EDGE_CASE).json()
    assert body["risk"]["modified_nih"] == "intermediate"
    assert "non_default_settings" not in body["flags"]


@pytest.mark.django_db
def test_administrator_override_changes_the_rule_and_is_flagged(nurse, settings) -> None:
    settings.GUIDELINE_SETTINGS = {"small_non_gastric_mitotic_risk": "high"}
    body = client_for(nurse).post("/api/v1/guidelines/recommendation/", EDGE_CASE).json()
    assert body["risk"]["modified_nih"] == "high"
    assert body["decision"] == "treat"
    assert "non_default_settings" in body["flags"]


@pytest.mark.parametrize(
    "bad",
    [
        {"small_non_gastric_mitotic_risk": "very_high"},
        {"no_such_rule": 1},
        {"neoadjuvant_surgical_review_months": [0]},
        ["not", "an", "object"],
    ],
)
def test_invalid_settings_are_refused(settings, bad) -> None:
    # At start-up AdherenceConfig.ready() turns this into ImproperlyConfigured for every
    # process (tests/test_settings.py shows it in a real process).
    settings.GUIDELINE_SETTINGS = bad
    with pytest.raises((TypeError, ValueError)):
        deployment_guideline_settings()


def test_list_values_are_accepted(settings) -> None:
    settings.GUIDELINE_SETTINGS = {"neoadjuvant_surgical_review_months": [4, 8, 12]}
    assert deployment_guideline_settings().neoadjuvant_surgical_review_months == (4, 8, 12)

"""The Django side of the guideline module: recommendations made with this deployment's
settings for the rules docs/clinical-facts.md marks UNCONFIRMED or DESIGN (GUIDELINE_SETTINGS)."""

from collections.abc import Mapping
from functools import cache
from typing import Any

from django.conf import settings

from backend.guidelines import GuidelineSettings, recommend


@cache
def _settings_from(overrides: tuple[tuple[str, Any], ...]) -> GuidelineSettings:
    return GuidelineSettings(**dict(overrides))


def deployment_guideline_settings() -> GuidelineSettings:
    """GuidelineSettings with the administrator's overrides (raises on an unknown name or a
    bad value; AdherenceConfig.ready() calls this so a bad value stops every process)."""
    overrides = settings.GUIDELINE_SETTINGS
    if not isinstance(overrides, Mapping):
        raise TypeError("GUIDELINE_SETTINGS must be a JSON object")
    # JSON lists become tuples: the settings are frozen, and the cache key must be hashable.
    items = (
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in overrides.items()
    )
    return _settings_from(tuple(sorted(items)))


def guideline_recommendation(case: Mapping[str, object]) -> dict[str, Any]:
    """recommend() with this deployment's settings; output flags non-default settings."""
    return recommend(case, settings=deployment_guideline_settings())

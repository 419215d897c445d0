"""Risk classification of a resected primary GIST (docs/clinical-facts.md §4).

Two tables are used side by side: the modified NIH table (Joensuu 2008), which is the adjuvant
decision basis in SSG XVIII, and the AFIP table (Miettinen-Lasota 2006), shown for information.
The table data live in ``rules.py``.
"""

from __future__ import annotations

from . import rules
from .case import check_bool, check_choice, check_mitoses, check_size_cm
from .rules import DEFAULT_SETTINGS, GuidelineSettings, NihRow


def is_gastric(site: str) -> bool:
    """Stomach is gastric; every other site, including extra-gastrointestinal, is not (S13)."""
    return site in rules.GASTRIC_SITES


def modified_nih_row(
    site: str,
    size_cm: float,
    mitoses_per_50hpf: int,
    rupture: bool = False,
    *,
    settings: GuidelineSettings = DEFAULT_SETTINGS,
) -> tuple[str, NihRow]:
    """Return the modified NIH category and the table row that decided it (first match wins).

    The ambiguous row "7b" (non-gastric, <= 2.0 cm, 6-10 mitoses) takes its category from
    ``settings.small_non_gastric_mitotic_risk`` (default intermediate, UNCONFIRMED).
    """
    site = check_choice("site", site, rules.SITES)
    size = check_size_cm(size_cm)
    mitoses = check_mitoses(mitoses_per_50hpf)
    rupture = check_bool("rupture", rupture)
    site_group = "gastric" if is_gastric(site) else "non_gastric"
    for row in rules.MODIFIED_NIH_ROWS:
        if row.rupture_only and not rupture:
            continue
        if row.site is not None and row.site != site_group:
            continue
        if row.size_cm.contains(size) and row.mitoses.contains(mitoses):
            if row.rule_id == "risk.modified_nih.small_non_gastric_mitotic":
                return settings.small_non_gastric_mitotic_risk, row
            return row.category, row
    raise AssertionError("modified NIH table does not cover this case")  # pragma: no cover


def modified_nih_risk(
    site: str,
    size_cm: float,
    mitoses_per_50hpf: int,
    rupture: bool = False,
    *,
    settings: GuidelineSettings = DEFAULT_SETTINGS,
) -> str:
    """Modified NIH risk category: "very_low", "low", "intermediate" or "high"."""
    return modified_nih_row(site, size_cm, mitoses_per_50hpf, rupture, settings=settings)[0]


def risk_rank(category: str) -> int:
    """Position of a modified NIH category, lowest risk first (for comparisons)."""
    return rules.MODIFIED_NIH_ORDER.index(category)


def afip_column(site: str, *, settings: GuidelineSettings = DEFAULT_SETTINGS) -> tuple[str, bool]:
    """The AFIP table column for a site, and whether it is extrapolated (site not in table)."""
    site = check_choice("site", site, rules.SITES)
    if site in rules.AFIP_SITE_COLUMN:
        return rules.AFIP_SITE_COLUMN[site], False
    return settings.afip_extrapolation_column, True


def afip_risk(
    site: str,
    size_cm: float,
    mitoses_per_50hpf: int,
    *,
    settings: GuidelineSettings = DEFAULT_SETTINGS,
) -> tuple[str, float | None]:
    """AFIP category and % with progressive disease (None where the table gives no figure).

    Colon, esophagus and extra-gastrointestinal sites are read from the jejunum/ileum column
    by default (DESIGN/UNCONFIRMED); use :func:`afip_column` to know when that happened.
    """
    column, _ = afip_column(site, settings=settings)
    size = check_size_cm(size_cm)
    mitoses = check_mitoses(mitoses_per_50hpf)
    mitoses_band = next(k for k, band in rules.AFIP_MITOSES_BANDS if band.contains(mitoses))
    size_band = next(k for k, band in rules.AFIP_SIZE_BANDS if band.contains(size))
    cells = rules.AFIP_TABLE[(mitoses_band, size_band)]
    return cells[rules.AFIP_COLUMNS.index(column)]


# One mitotic count from each band of both tables (modified NIH: <=5, 6-10, >10; AFIP: <=5, >5).
_MITOSES_PER_BAND = (0, 6, 11)


def modified_nih_without_mitoses(
    site: str,
    size_cm: float,
    rupture: bool = False,
    *,
    settings: GuidelineSettings = DEFAULT_SETTINGS,
) -> tuple[str, NihRow] | None:
    """The modified NIH category when the size, site and rupture decide it whatever the
    mitotic count (rupture, or more than 10 cm: high); None when the count matters."""
    found = [
        modified_nih_row(site, size_cm, m, rupture, settings=settings) for m in _MITOSES_PER_BAND
    ]
    categories = {category for category, _row in found}
    if len(categories) != 1:
        return None
    return found[0]


def afip_without_mitoses(
    site: str, size_cm: float, *, settings: GuidelineSettings = DEFAULT_SETTINGS
) -> tuple[str, float | None] | None:
    """The AFIP cell when both mitotic bands give the same category and figure; else None."""
    cells = {afip_risk(site, size_cm, m, settings=settings) for m in _MITOSES_PER_BAND}
    return cells.pop() if len(cells) == 1 else None

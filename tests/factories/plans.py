"""Clinical cases the plan tests start from (add "start_date" to use one)."""

from typing import Any

# Adjuvant, high risk (modified NIH), KIT exon 11: 400 mg once a day for 36 months.
HIGH_RISK_CASE: dict[str, Any] = {
    "setting": "adjuvant",
    "site": "jejunum_ileum",
    "size_cm": 7,
    "mitoses_per_50hpf": 8,
    "mutation": "kit_exon_11",
}
# Advanced, KIT exon 9: 800 mg as 400 mg twice a day, no end date.
ADVANCED_KIT_EXON_9_CASE: dict[str, Any] = {
    "setting": "advanced",
    "site": "jejunum_ileum",
    "mutation": "kit_exon_9",
}

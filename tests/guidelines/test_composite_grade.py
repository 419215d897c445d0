"""PRO-CTCAE composite grade against the published table (Basch et al. 2021; clinical facts §6.4).

The table below is transcribed by hand from docs/clinical-facts.md §6.4, independently of the
module's own constants, and every cell is checked for every item of the catalogue that has a
composite. A composite is a patient-reported level 0-3, never a CTCAE grade.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.guidelines import SYMPTOMS, composite_grade

FACTS = Path(__file__).resolve().parents[2] / "docs" / "clinical-facts.md"

F, S, INT = "frequency", "severity", "interference"

# Single attribute: score 0, 1, 2, 3, 4 -> composite.
SINGLE = {
    F: (0, 1, 1, 2, 3),
    S: (0, 1, 2, 3, 3),
    INT: (0, 1, 1, 2, 2),
}

# Two attributes: rows are the first attribute's score 1-4 (0 -> composite 0 whatever the
# second), columns the second attribute's score 0-4.
PAIRS = {
    (F, S): {
        1: (1, 1, 1, 2, 2),
        2: (1, 1, 2, 2, 2),
        3: (1, 1, 2, 3, 3),
        4: (1, 1, 2, 3, 3),
    },
    (F, INT): {
        1: (1, 1, 1, 2, 2),
        2: (1, 1, 1, 2, 2),
        3: (1, 1, 2, 3, 3),
        4: (1, 1, 2, 3, 3),
    },
    (S, INT): {
        1: (1, 1, 1, 2, 2),
        2: (1, 1, 2, 2, 3),
        3: (1, 2, 2, 3, 3),
        4: (2, 2, 2, 3, 3),
    },
}

# Three attributes: frequency 1-4 (0 -> composite 0), severity rows 0-4 x interference
# columns 0-4.
TRIPLE = {
    1: (
        (0, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (1, 2, 2, 2, 3),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
    ),
    2: (
        (0, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (2, 2, 2, 3, 3),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
    ),
    3: (
        (1, 1, 1, 2, 2),
        (1, 1, 1, 2, 2),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
        (2, 2, 3, 3, 3),
    ),
    4: (
        (1, 1, 1, 2, 2),
        (1, 1, 2, 2, 3),
        (2, 2, 2, 3, 3),
        (2, 2, 3, 3, 3),
        (2, 2, 3, 3, 3),
    ),
}

# The catalogue's items by attribute set (the §6.2 attributes of each PRO-CTCAE item; custom
# items copy the attributes of their nearest item).
SINGLE_ITEMS = {"diarrhoea": F, "other": S}
PAIR_ITEMS = {"nausea": (F, S), "vomiting": (F, S), "fatigue": (S, INT)}
TRIPLE_ITEMS = ("limb_swelling", "periorbital_swelling", "muscle_cramps")
SCORES = range(5)


def expected(attributes: tuple[str, ...], values: tuple[int, ...]) -> int:
    """The published composite for these answers (from the transcription above)."""
    if len(values) == 1:
        return SINGLE[attributes[0]][values[0]]
    if values[0] == 0:
        return 0
    if len(values) == 2:
        return PAIRS[(attributes[0], attributes[1])][values[0]][values[1]]
    return TRIPLE[values[0]][values[1]][values[2]]


def triple_cell(f: int, s: int, i: int) -> int:
    return 0 if f == 0 else TRIPLE[f][s][i]


# ---- the transcription matches the fact base --------------------------------------------------


def _section_64() -> str:
    text = FACTS.read_text(encoding="utf-8")
    start = text.index("### 6.4 PRO-CTCAE composite grade lookup")
    end = text.index("\n## 7.", start)
    return text[start:end]


def _rows(block: str) -> list[list[int]]:
    """The numeric rows of the markdown tables in ``block`` (header and rule rows left out)."""
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and all(re.fullmatch(r"\d*", c) for c in cells) and any(cells):
            rows.append([int(c) for c in cells if c])
    return rows


def test_the_transcription_is_the_fact_base_table():
    section = _section_64()
    single = re.search(
        r"frequency 0,1,2,3,4 → ([\d,]+); severity → ([\d,]+); interference → ([\d,]+)", section
    )
    assert single is not None
    for attribute, cells in zip((F, S, INT), single.groups(), strict=True):
        assert tuple(int(c) for c in cells.split(",")) == SINGLE[attribute]

    times = "\N{MULTIPLICATION SIGN}"
    pair_titles = [
        (f"Frequency (rows) {times} severity (columns)", (F, S)),
        (f"Frequency (rows) {times} interference (columns)", (F, INT)),
        (f"Severity (rows) {times} interference (columns)", (S, INT)),
    ]
    for n, (title, key) in enumerate(pair_titles):
        start = section.index(title)
        nxt = pair_titles[n + 1][0] if n + 1 < len(pair_titles) else "Three-attribute items"
        rows = _rows(section[start : section.index(nxt)])
        assert {row[0]: tuple(row[1:]) for row in rows} == PAIRS[key], title

    triple_rows = _rows(section[section.index("Three-attribute items") : section.index("Worked")])
    assert len(triple_rows) == 10  # two side-by-side tables of 5 rows each
    left_right = [(row[1:6], row[7:12]) for row in triple_rows]
    for block, (f_left, f_right) in enumerate(((1, 2), (3, 4))):
        for s in SCORES:
            left, right = left_right[block * 5 + s]
            assert triple_rows[block * 5 + s][0] == s and triple_rows[block * 5 + s][6] == s
            assert tuple(left) == TRIPLE[f_left][s]
            assert tuple(right) == TRIPLE[f_right][s]


def test_the_catalogue_items_have_the_expected_attribute_sets():
    with_composite = {
        code
        for code, item in SYMPTOMS.items()
        if tuple(a for a in item.attributes if a != "presence")
    }
    assert with_composite == {*SINGLE_ITEMS, *PAIR_ITEMS, *TRIPLE_ITEMS}
    for code, attribute in SINGLE_ITEMS.items():
        assert SYMPTOMS[code].attributes == (attribute,)
    for code, attributes in PAIR_ITEMS.items():
        assert SYMPTOMS[code].attributes == attributes
    for code in TRIPLE_ITEMS:
        assert SYMPTOMS[code].attributes == (F, S, INT)


# ---- every cell ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(SINGLE_ITEMS))
def test_single_attribute_items(code):
    attribute = SINGLE_ITEMS[code]
    for value in SCORES:
        assert composite_grade(code, {attribute: value}) == SINGLE[attribute][value], value


@pytest.mark.parametrize("code", list(PAIR_ITEMS))
def test_two_attribute_items_every_cell_and_the_zero_row(code):
    first, second = PAIR_ITEMS[code]
    cells = 0
    for a, b in itertools.product(SCORES, SCORES):
        want = expected((first, second), (a, b))
        assert composite_grade(code, {first: a, second: b}) == want, (a, b)
        cells += 1
    assert cells == 25  # the 0 row plus 4 x 5


@pytest.mark.parametrize("code", TRIPLE_ITEMS)
def test_three_attribute_items_every_cell_and_the_zero_plane(code):
    cells = 0
    for f, s, i in itertools.product(SCORES, SCORES, SCORES):
        want = triple_cell(f, s, i)
        assert composite_grade(code, {F: f, S: s, INT: i}) == want, (f, s, i)
        cells += 1
    assert cells == 125  # the frequency-0 plane plus 4 x 5 x 5


def test_zero_rows_are_zero():
    for second in SCORES:
        assert composite_grade("nausea", {F: 0, S: second}) == 0
        assert composite_grade("fatigue", {S: 0, INT: second}) == 0
    for s, i in itertools.product(SCORES, SCORES):
        assert composite_grade("limb_swelling", {F: 0, S: s, INT: i}) == 0


@pytest.mark.parametrize(
    ("code", "scores", "grade"),
    [
        ("nausea", {F: 3, S: 1}, 1),  # frequently + mild
        ("vomiting", {F: 3, S: 3}, 3),  # frequently + severe
        ("limb_swelling", {F: 2, S: 2, INT: 2}, 2),  # occasionally + moderate + somewhat
        ("fatigue", {S: 3, INT: 3}, 3),  # severe + quite a bit
        ("diarrhoea", {F: 4}, 3),  # almost constantly
    ],
)
def test_the_worked_examples_of_the_fact_base(code, scores, grade):
    assert composite_grade(code, scores) == grade


@pytest.mark.parametrize("code", [c for c, item in SYMPTOMS.items() if item.presence_only])
def test_yes_no_items_have_no_composite(code):
    assert SYMPTOMS[code].attributes == ("presence",)
    assert composite_grade(code, {"presence": 1}) is None
    assert composite_grade(code, {"presence": 0}) is None


def test_rash_and_every_red_flag_are_yes_no():
    yes_no = {c for c, item in SYMPTOMS.items() if item.presence_only}
    assert yes_no == {"rash", *(c for c, item in SYMPTOMS.items() if item.red_flag)}


def test_follow_up_answers_do_not_change_a_composite():
    assert composite_grade("rash", {"presence": 1, "body_area": 2, "blisters": 1}) is None


@pytest.mark.parametrize(
    ("code", "scores"),
    [
        ("nausea", {F: 3}),  # a missing attribute
        ("nausea", {F: 5, S: 1}),
        ("nausea", {F: 1, S: -1}),
        ("fatigue", {S: True, INT: 0}),
        ("diarrhoea", {F: 2.0}),
        ("limb_swelling", {F: 1, S: 1, INT: "2"}),
    ],
)
def test_bad_scores_are_refused(code, scores):
    with pytest.raises(ValueError):
        composite_grade(code, scores)


def test_unknown_symptom_is_refused():
    with pytest.raises(ValueError):
        composite_grade("headache", {S: 1})


# ---- monotonicity ------------------------------------------------------------------------------


def test_the_published_three_attribute_table_is_monotonic():
    """Raising any one answer never lowers the published composite (checked on the
    transcription itself, so the property test below states what the table says)."""
    for f, s, i in itertools.product(SCORES, SCORES, SCORES):
        here = triple_cell(f, s, i)
        if f < 4:
            assert triple_cell(f + 1, s, i) >= here, (f, s, i)
        if s < 4:
            assert triple_cell(f, s + 1, i) >= here, (f, s, i)
        if i < 4:
            assert triple_cell(f, s, i + 1) >= here, (f, s, i)


def test_the_published_two_attribute_tables_are_monotonic():
    for key in PAIRS:
        for a, b in itertools.product(SCORES, SCORES):
            here = expected(key, (a, b))
            if a < 4:
                assert expected(key, (a + 1, b)) >= here, (key, a, b)
            if b < 4:
                assert expected(key, (a, b + 1)) >= here, (key, a, b)


answer = st.integers(min_value=0, max_value=4)


@given(
    code=st.sampled_from(TRIPLE_ITEMS),
    f=answer,
    s=answer,
    i=answer,
    raised=st.sampled_from((F, S, INT)),
    by=st.integers(min_value=1, max_value=4),
)
def test_raising_one_answer_never_lowers_the_composite(code, f, s, i, raised, by):
    before = {F: f, S: s, INT: i}
    after = {**before, raised: min(4, before[raised] + by)}
    low = composite_grade(code, before)
    high = composite_grade(code, after)
    assert 0 <= low <= high <= 3


@given(code=st.sampled_from(list(PAIR_ITEMS)), a=answer, b=answer, first=st.booleans())
def test_raising_one_answer_of_a_pair_never_lowers_the_composite(code, a, b, first):
    one, two = PAIR_ITEMS[code]
    before = {one: a, two: b}
    after = {one: min(4, a + 1), two: b} if first else {one: a, two: min(4, b + 1)}
    assert composite_grade(code, before) <= composite_grade(code, after)

"""One rounding for every score shown, so that the figures a reader sees add up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assessment.french import points_between, whole
from assessment.reports.model import points_text, score_text
from assessment.web.views.results import format_points, format_score, shown_gap

SCORES = st.floats(min_value=0, max_value=100, allow_nan=False)


def test_halves_are_rounded_up_the_same_way_everywhere() -> None:
    # Python's round() rounds halves to even: 62.5 → 62 but 87.5 → 88, hence
    # « de 62 à 88 (+25 points) »
    assert (whole(62.5), whole(87.5)) == (63, 88)
    assert (whole(0.5), whole(1.5), whole(2.5), whole(99.49)) == (1, 2, 3, 99)
    assert whole(-2.5) == -3
    assert format_score(62.5) == "63 / 100"
    assert score_text(62.5).startswith("63")
    assert points_between(62.5, 87.5) == 25


@given(SCORES, SCORES)
def test_a_difference_shown_is_the_difference_of_the_scores_shown(a: float, b: float) -> None:
    shown_a = int(format_score(a).split(" ")[0])
    shown_b = int(format_score(b).split(" ")[0])
    gap = shown_gap(a, b)
    assert gap == shown_b - shown_a
    assert format_points(gap) == (f"+{gap}" if gap > 0 else str(gap))
    text = points_text(points_between(a, b))
    digits = "".join(ch for ch in text if ch.isdigit())
    assert int(digits or 0) == abs(shown_b - shown_a)

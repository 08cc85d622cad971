"""One rounding for every score shown, so that the figures a reader sees add up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment import privacy
from assessment.assessments import AssessmentState
from assessment.campaigns import CampaignInfo
from assessment.french import points_between, typo, whole
from assessment.organisations import OrganisationInfo
from assessment.reports.model import (
    Earlier,
    Report,
    ReportInputs,
    build_report,
    points_text,
    score_text,
)
from assessment.scoring import OVERALL, Attainment, attainment, goal_reached, score
from assessment.web.views.results import format_points, format_score, shown_gap
from gridfactory import item, make_grid, number

SCORES = st.floats(min_value=0, max_value=100, allow_nan=False)
INDICATOR = make_grid(item("a", number("n", score={"worst": 0, "best": 100})))
"""One theme scoring its indicator as it is: any score, decimals and all."""


def _attain(target: float | None, achieved: float | None) -> Attainment:
    """Last year's 1-year goal ``target`` against this year's state ``achieved``."""
    earlier = score(INDICATOR, {} if target is None else {"n": {"y1": target}})
    later = score(INDICATOR, {} if achieved is None else {"n": {"now": achieved}})
    result = attainment(INDICATOR, earlier, later)
    assert result["a"] == result[OVERALL]
    return result["a"]


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


@given(SCORES, SCORES)
def test_a_goal_is_reached_exactly_when_the_scores_shown_say_so(
    target: float, achieved: float
) -> None:
    """« objectif 63, atteint 63 » reads « Atteint », « objectif 63, atteint 62 » never."""
    shown_target = int(format_score(target).split(" ")[0])
    shown_achieved = int(format_score(achieved).split(" ")[0])
    result = _attain(target, achieved)
    assert result.reached is goal_reached(target, achieved)
    assert result.reached is (shown_achieved >= shown_target)
    assert result.gap == shown_achieved - shown_target == shown_gap(target, achieved)
    assert format_points(result.gap) == format_points(shown_achieved - shown_target)


def test_a_goal_is_decided_on_the_rounded_scores_not_their_decimals() -> None:
    assert goal_reached(63.4, 62.6)  # both shown 63
    assert goal_reached(62.5, 62.5) and goal_reached(71.43, 70.83)
    assert not goal_reached(63.5, 63.4)  # 64 against 63
    assert not goal_reached(63.0, 62.49)  # 63 against 62
    assert _attain(63.4, 62.6).delta < 0 and _attain(63.4, 62.6).gap == 0
    assert _attain(None, 62.6).gap is None and _attain(None, 62.6).reached is None


def _state(answers: dict[str, dict[str, float]], year: int) -> AssessmentState:
    return AssessmentState(
        id=year, organisation_id=1, campaign_id=year, grid_id=INDICATOR.id,
        grid_version=INDICATOR.version, status="submitted", revision=1, answers=answers,
        comments={}, not_addressed=frozenset(), updated_at=None,
    )  # fmt: skip


def _report(target: float, achieved: float) -> Report:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    organisation = OrganisationInfo(
        id=1, name="Structure", siren=None, rna=None, region="53", legal_family="association",
        size_band="1-9", sector=None, shared_with_region=False, created_at=now, updated_at=now,
    )  # fmt: skip
    campaign = CampaignInfo(
        id=2026, year=2026, label="Campagne 2026", grid_id=INDICATOR.id,
        grid_version=INDICATOR.version, opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31), closed_at=None,
    )  # fmt: skip
    return build_report(
        ReportInputs(
            organisation=organisation,
            campaign=campaign,
            grid=INDICATOR,
            state=_state({"n": {"now": achieved}}, 2026),
            actions=(),
            earlier=(Earlier(2025, INDICATOR, _state({"n": {"y1": target}}, 2025)),),
            today=date(2026, 5, 1),
        )
    )


@pytest.mark.parametrize(
    ("target", "achieved", "shown", "verdict"),
    [
        (63.4, 62.6, ("63", "63"), "Atteint"),  # decided on the decimals: « Non atteint »
        (62.5, 62.49, ("63", "62"), "Non atteint"),
        (70.0, 70.0, ("70", "70"), "Atteint"),
    ],
)
def test_the_reports_verdict_agrees_with_the_scores_it_shows(
    target: float, achieved: float, shown: tuple[str, str], verdict: str
) -> None:
    content = _report(target, achieved)
    row = next(r for r in content.progress if r.theme == "Thème a")
    assert (row.goal_set.split()[0], row.now.split()[0], row.verdict) == (*shown, verdict)
    met = "1 sur 1" if verdict == "Atteint" else "0 sur 1"
    assert content.progress_summary.endswith(typo(f"atteints : {met}."))
    unmet = [q for q in content.debate if typo("n'est pas atteint") in q]
    assert bool(unmet) is (verdict == "Non atteint")


@given(st.lists(st.tuples(SCORES, SCORES), min_size=1, max_size=20))
def test_the_dashboards_share_of_goals_reached_uses_the_same_verdict(
    pairs: list[tuple[float, float]],
) -> None:
    target = np.array([t for t, _ in pairs])
    achieved = np.array([a for _, a in pairs])
    assert [int(v) for v in privacy.shown_scores(target)] == [whole(t) for t in target]
    assert list(privacy.goals_reached(target, achieved)) == [goal_reached(t, a) for t, a in pairs]


def test_array_rounding_at_the_halves() -> None:
    values = np.array([62.5, 0.5, 1.5, 2.5, 0.49999999999999994, 99.49, 63.4999999, -2.5])
    assert [int(v) for v in privacy.shown_scores(values)] == [whole(v) for v in values]

"""Comparisons with peers, theme by theme: leaving themes out is never rewarded."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.comparisons import GroupStats, standing, theme_comparisons
from assessment.french import NBSP
from assessment.grid import Grid
from assessment.scoring import coverage, score
from gridfactory import item, level, make_grid

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THEMES = [f"t{i}" for i in range(8)]


def eight_themes() -> Grid:
    return make_grid(*(item(t, level(f"{t}-q"), optional=True) for t in THEMES))


def answers_for(levels: dict[str, int]) -> dict[str, dict[str, Any]]:
    return {f"{t}-q": {"now": v, "y1": v, "y3": v} for t, v in levels.items()}


def groups(median: float) -> list[GroupStats]:
    return [
        GroupStats("legal_family", "association", 40, median - 10, median, median + 10),
        GroupStats("size_band", "1-9", 25, median - 12, median, median + 8),
    ]


# peers: the typical organisation is strong on t0 (median 75) and weaker elsewhere (50)
PEER_MEDIANS = {"t0": 75.0} | {t: 50.0 for t in THEMES[1:]}


def test_rating_only_the_strongest_theme_does_not_rank_above_peers_overall() -> None:
    grid = eight_themes()
    # the organisation is a little above its peers on its strongest theme, a little below
    # everywhere else: rated in full, it sits below its peers
    levels = {"t0": 4} | {t: 1 for t in THEMES[1:]}  # 100 on t0, 25 elsewhere
    full = score(grid, answers_for(levels))
    only_best = score(grid, answers_for({"t0": 4}), set(THEMES[1:]))
    # the bare overall scores would reward leaving themes out (100 against 34.4)...
    assert only_best.overall["now"] == 100.0 > full.overall["now"]  # type: ignore[operator]
    by_theme = {t: groups(m) for t, m in PEER_MEDIANS.items()}
    full_standing = standing(theme_comparisons(grid, full, by_theme))
    best_standing = standing(theme_comparisons(grid, only_best, by_theme))
    # ... the comparison does not: one theme above out of eight either way
    assert not best_standing.ranks_above
    assert best_standing.above == full_standing.above == 1
    assert best_standing.below == 0 and full_standing.below == 7
    assert (best_standing.addressed, best_standing.total) == (1, 8)
    text = best_standing.text().replace(NBSP, " ")
    assert "pour 1 thème sur 8" in text and "1 thème traité" in text
    assert coverage(grid, only_best).text().replace(NBSP, " ") == "sur 1 thème traité sur 8"
    assert coverage(grid, full).text().replace(NBSP, " ") == "sur 8 thèmes traités sur 8"


def test_an_organisation_above_its_peers_everywhere_ranks_above() -> None:
    grid = eight_themes()
    report = score(grid, answers_for(dict.fromkeys(THEMES, 4)))
    result = standing(theme_comparisons(grid, report, {t: groups(60) for t in THEMES}))
    assert result.ranks_above and result.above == 8


def test_a_theme_not_addressed_gets_no_comparison_whatever_the_peers() -> None:
    grid = eight_themes()
    report = score(grid, answers_for({"t0": 2}), set(THEMES[1:]))
    comparisons = theme_comparisons(grid, report, {t: groups(10) for t in THEMES})
    assert [c.item_id for c in comparisons] == THEMES
    assert comparisons[0].compared and comparisons[0].above
    assert all(c.own is None and not c.groups and not c.above for c in comparisons[1:])


@PROPERTY
@given(
    st.dictionaries(st.sampled_from(THEMES), st.integers(0, 4), min_size=1),
    st.sets(st.sampled_from(THEMES)),
    st.dictionaries(st.sampled_from(THEMES), st.floats(0, 100), min_size=0),
)
def test_leaving_themes_out_never_improves_the_comparison(
    levels: dict[str, int], left_out: set[str], medians: dict[str, float]
) -> None:
    grid = eight_themes()
    by_theme = {t: groups(m) for t, m in medians.items()}
    full = standing(theme_comparisons(grid, score(grid, answers_for(levels)), by_theme))
    kept = {t: v for t, v in levels.items() if t not in left_out}
    fewer_report = score(grid, answers_for(kept), left_out)
    fewer = standing(theme_comparisons(grid, fewer_report, by_theme))
    assert fewer.above <= full.above
    assert fewer.ranks_above <= full.ranks_above
    assert fewer.total == full.total == len(THEMES)
    assert (
        coverage(grid, fewer_report).count <= coverage(grid, score(grid, answers_for(levels))).count
    )


def test_shared_scores_say_what_each_overall_score_stands_on() -> None:
    from assessment.assessments import AssessmentState
    from assessment.dashboards import shared_scores

    grid = eight_themes()

    def state(levels: dict[str, int], skipped: set[str]) -> AssessmentState:
        return AssessmentState(
            id=1, organisation_id=1, campaign_id=1, grid_id=grid.id, grid_version=grid.version,
            status="submitted", revision=1, answers=answers_for(levels), comments={},
            not_addressed=frozenset(skipped), updated_at=None,
        )  # fmt: skip

    figure = shared_scores(
        grid,
        [
            ("Tout", state({"t0": 4} | {t: 1 for t in THEMES[1:]}, set())),
            ("Le meilleur", state({"t0": 4}, set(THEMES[1:]))),
        ],
    )
    covered = next(row for row in figure.rows if row[0] == "Thèmes traités")
    shown = [str(v).replace(NBSP, " ") for v in covered[1:]]
    assert shown[:3] == ["sur 8 thèmes traités sur 8"] * 3
    assert shown[3:] == ["sur 1 thème traité sur 8"] * 3

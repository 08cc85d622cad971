"""Scoring rules, gaps, priorities and attainment, on small hand-checked grids."""

from __future__ import annotations

import gc
import json
import weakref
from typing import Any

import pytest

from assessment.answers import missing_required
from assessment.grid import Grid
from assessment.scoring import (
    OVERALL,
    Attainment,
    Completion,
    Scorer,
    ScoreReport,
    SectionCompletion,
    attainment,
    gaps,
    priorities,
    score,
)
from gridfactory import (
    big_grid,
    choice,
    full_answers,
    horizons,
    item,
    level,
    make_grid,
    number,
    scale,
    text_q,
    yes_no,
)


def opts(*pairs: tuple[str, float | None]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value, points in pairs:
        option: dict[str, Any] = {"value": value, "label": value}
        if points is not None:
            option["score"] = points
        out.append(option)
    return out


def only(report: ScoreReport, item_id: str, horizon: str = "now") -> float | None:
    return report.items[item_id][horizon]


# ---------------------------------------------------------------------------
# Question rules
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (1, 25.0), (2, 50.0), (4, 100.0)])
def test_level_score_is_linear_on_the_scale(value: int, expected: float) -> None:
    g = make_grid(item("a", level("q")))
    assert only(score(g, {"q": {"now": value}}), "a") == expected


def test_level_score_on_an_uneven_scale() -> None:
    g = make_grid(item("a", level("q")), scale=scale(1, 3, 5, 10))
    report = score(g, {"q": {"now": 5, "y1": 10, "y3": 1}})
    assert report.items["a"] == {"now": pytest.approx(400 / 9), "y1": 100.0, "y3": 0.0}


@pytest.mark.parametrize(
    ("value", "expected"), [(20, 0.0), (50, 50.0), (80, 100.0), (0, 0.0), (100, 100.0)]
)
def test_number_score_linear_and_clamped(value: float, expected: float) -> None:
    g = make_grid(item("a", number("n", score={"worst": 20, "best": 80})))
    assert only(score(g, {"n": {"now": value}}), "a") == pytest.approx(expected)


@pytest.mark.parametrize(("value", "expected"), [(250, 0.0), (160, 50.0), (70, 100.0), (10, 100.0)])
def test_number_score_lower_is_better(value: float, expected: float) -> None:
    g = make_grid(item("a", number("n", better="lower", score={"worst": 250, "best": 70})))
    assert only(score(g, {"n": {"now": value}}), "a") == pytest.approx(expected)


def test_yes_no_score() -> None:
    g = make_grid(item("a", yes_no("yn", score={"yes": 100, "no": 20})))
    report = score(g, {"yn": {"now": True, "y1": False}})
    assert report.items["a"] == {"now": 100.0, "y1": 20.0, "y3": None}


def test_choice_score_single_and_multiple() -> None:
    g = make_grid(
        item("a", choice("c", opts(("x", 0), ("y", 50), ("z", 100)))),
        item("b", choice("m", opts(("x", 0), ("y", 50), ("z", 100)), multiple=True)),
    )
    report = score(g, {"c": {"now": "y"}, "m": {"now": ["y", "z"], "y1": ["x"]}})
    assert only(report, "a") == 50.0
    assert report.items["b"] == {"now": 75.0, "y1": 0.0, "y3": None}


@pytest.mark.parametrize(
    "question",
    [
        number("q"),
        yes_no("q"),
        text_q("q"),
        choice("q", opts(("x", 0), ("y", None))),
        choice("q", ["x", "y"]),
    ],
    ids=["number", "yes_no", "text", "choice-partial", "choice-none"],
)
def test_questions_without_score_rule_are_not_scored(question: dict[str, Any]) -> None:
    g = make_grid(item("a", level("l"), question))
    value = {"number": 3, "yes_no": True, "text": "ok", "choice": "x"}[question["type"]]
    report = score(g, {"l": {"now": 1}, "q": {"now": value}})
    assert only(report, "a") == 25.0
    assert report.completion.answered == 2  # answered, just not scored


# ---------------------------------------------------------------------------
# Item, overall, systemic
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid() -> Grid:
    return make_grid(
        item("a", level("a1", weight=3), level("a2"), text_q("a-notes"), weight=2),
        item(
            "b",
            level("b1"),
            number("b2", min=0, max=100, score={"worst": 0, "best": 100}),
            optional=True,
        ),
        item("c", level("c1", optional=True), level("c2", horizons=["now"]), weight=0),
        systemic=[level("s1"), level("s2", horizons=["now"], weight=0)],
    )


def test_item_weighted_mean(grid: Grid) -> None:
    report = score(grid, {"a1": {"now": 4}, "a2": {"now": 0}, "a-notes": {"now": "x"}})
    assert only(report, "a") == 75.0  # (3*100 + 1*0) / 4
    assert only(report, "b") is None
    assert report.items["a"]["y1"] is None


def test_overall_weighted_over_items_with_a_score(grid: Grid) -> None:
    answers = {"a1": {"now": 4}, "a2": {"now": 4}, "b1": {"now": 2}, "b2": {"now": 20}}
    report = score(grid, answers)
    assert only(report, "b") == 35.0
    assert report.overall["now"] == pytest.approx((2 * 100 + 1 * 35) / 3)
    assert report.overall["y1"] is None


def test_zero_weight_item_does_not_count_in_overall(grid: Grid) -> None:
    base = {"a1": {"now": 2}, "a2": {"now": 2}}
    report = score(grid, {**base, "c2": {"now": 0}})
    assert only(report, "c") == 0.0  # scored on its own
    assert report.overall["now"] == 50.0  # but weighs nothing
    only_c = score(grid, {"c2": {"now": 4}})
    assert only(only_c, "c") == 100.0 and only_c.overall["now"] is None  # zero total weight


def test_zero_weight_questions_only_give_no_score() -> None:
    g = make_grid(item("a", level("q", weight=0), level("r")))
    report = score(g, {"q": {"now": 4}})
    assert only(report, "a") is None
    assert report.completion.items["a"] == (1, 6)


def test_systemic_is_scored_separately(grid: Grid) -> None:
    report = score(grid, {"a1": {"now": 0}, "s1": {"now": 4, "y1": 2}, "s2": {"now": 0}})
    assert report.systemic == {"now": 100.0, "y1": 50.0, "y3": None}  # s2 has zero weight
    assert report.overall["now"] == 0.0  # not part of overall


def test_no_systemic_section() -> None:
    g = make_grid(item("a", level("q")))
    report = score(g, {})
    assert report.systemic == {}
    assert report.completion.systemic is None
    assert report.overall == {"now": None, "y1": None, "y3": None}
    assert report.items == {"a": {"now": None, "y1": None, "y3": None}}


def test_invalid_and_unknown_answers_are_ignored(grid: Grid) -> None:
    answers: dict[str, Any] = {
        "a1": {"now": 9, "y1": True, "y3": "3"},
        "a2": {"now": 2, "y9": 4},
        "zzz": {"now": 4},
        "b1": "not a mapping",
        "b2": {"now": 150},
    }
    report = score(grid, answers)
    assert only(report, "a") == 50.0
    assert report.items["a"]["y1"] is None
    assert only(report, "b") is None
    assert report.completion.answered == 1


def test_int_valued_floats_score_like_ints(grid: Grid) -> None:
    assert score(grid, {"a1": {"now": 3.0}}).items["a"]["now"] == 75.0
    assert score(grid, {"a1": {"now": 2.5}}).items["a"]["now"] is None


def test_nothing_is_rounded() -> None:
    g = make_grid(item("a", level("q1"), level("q2"), level("q3")))
    report = score(g, {"q1": {"now": 1}, "q2": {"now": 1}, "q3": {"now": 2}})
    assert only(report, "a") == pytest.approx(100 / 3, abs=1e-12)
    assert only(report, "a") != round(100 / 3, 2)


# ---------------------------------------------------------------------------
# Hidden and not addressed
# ---------------------------------------------------------------------------


def test_hidden_questions_are_not_scored_nor_expected() -> None:
    g = make_grid(
        item(
            "a",
            yes_no("gate"),
            level("lvl", show_if={"question": "gate", "equals": True}),
            level("base"),
        )
    )
    answers = {"gate": {"now": False, "y1": True}, "lvl": {"now": 0, "y1": 0}, "base": {"now": 4}}
    report = score(g, answers)
    assert only(report, "a") == 100.0  # lvl hidden at now
    assert report.items["a"]["y1"] == 0.0  # lvl visible at y1
    # gate 3 + base 3 + lvl visible at y1 only
    assert report.completion.expected == 7
    assert report.completion.answered == 4


def test_not_addressed_item_is_left_out_never_zero(grid: Grid) -> None:
    answers = {"a1": {"now": 4}, "a2": {"now": 4}, "b1": {"now": 0}, "b2": {"now": 0}}
    with_b = score(grid, answers)
    without_b = score(grid, answers, frozenset({"b"}))
    assert with_b.overall["now"] == pytest.approx(200 / 3)
    assert only(without_b, "b") is None
    assert without_b.overall["now"] == 100.0
    assert without_b.not_addressed == {"b"}
    assert without_b.completion.items["b"] == (0, 0)
    assert without_b.to_dict()["not_addressed"] == ["b"]


def test_not_addressed_question_is_left_out(grid: Grid) -> None:
    report = score(grid, {"c1": {"now": 0}, "c2": {"now": 4}}, {"c1"})
    assert only(report, "c") == 100.0
    assert report.completion.items["c"] == (1, 1)


def test_not_addressed_ignores_mandatory_ids(grid: Grid) -> None:
    answers = {"a1": {"now": 4}}
    report = score(grid, answers, {"a", "a1", "unknown"})
    assert only(report, "a") == 100.0
    assert report.not_addressed == frozenset()


# ---------------------------------------------------------------------------
# Completion and output
# ---------------------------------------------------------------------------


def test_completion(grid: Grid) -> None:
    answers = {"a1": {"now": 1, "y1": 2}, "a-notes": {"now": "  "}, "s2": {"now": 3}}
    report = score(grid, answers, ["b"])
    completion = report.completion
    # a: 3 questions x 3 horizons; c: c1 x 3 + c2 x 1; systemic: s1 x 3 + s2 x 1
    assert completion.items == {"a": (2, 9), "b": (0, 0), "c": (0, 4)}
    assert completion.systemic == (1, 4)
    assert (completion.answered, completion.expected) == (3, 17)
    assert completion.ratio == pytest.approx(3 / 17)


def test_completion_splits_required_and_optional_cells(grid: Grid) -> None:
    answers = {"a1": {"now": 1, "y1": 2}, "a-notes": {"now": "  "}, "s2": {"now": 3}}
    completion = score(grid, answers, ["b"]).completion
    # required: a1, a2 (a); c1, c2 (c: c1 may be skipped, but is required when kept); s1, s2
    assert completion.required_items == {"a": (2, 6), "b": (0, 0), "c": (0, 4)}
    assert completion.required_systemic == (1, 4)
    assert (completion.required_answered, completion.required_expected) == (3, 14)
    # optional: the text question's three horizons (a blank text is not an answer)
    assert (completion.optional_answered, completion.optional_expected) == (0, 3)
    assert completion.required_ratio == pytest.approx(3 / 14)
    assert completion.section("a") == SectionCompletion(2, 6, 0, 3)
    assert completion.section(None) == SectionCompletion(1, 4, 0, 0)
    assert completion.section("unknown") == SectionCompletion(0, 0, 0, 0)
    # the original counts are unchanged
    assert (completion.answered, completion.expected) == (3, 17)


def test_complete_assessment_is_complete_whatever_the_optional_answers() -> None:
    g = make_grid(
        item(
            "a",
            level("lv"),
            number("n", min=0, max=100),
            text_q("t"),
            number("must", required=True, horizons=["now"]),
        )
    )
    answers = {
        "lv": {"now": 1, "y1": 2, "y3": 3},
        "must": {"now": 12},
        "t": {"now": "Un commentaire"},
    }
    completion = score(g, answers).completion
    assert completion.section("a") == SectionCompletion(4, 4, 1, 6)
    assert completion.counts == SectionCompletion(4, 4, 1, 6)
    assert completion.counts.complete and completion.required_ratio == 1.0
    assert completion.ratio == pytest.approx(5 / 10)  # the old ratio counts everything
    assert not missing_required(g, answers)
    assert completion.counts.summary() == "4 / 4 réponses obligatoires · 1 / 6 facultatives"
    assert (
        completion.section("a").summary(compact=True) == "4 / 4 obligatoires · 1 / 6 facultatives"
    )


def test_required_counts_agree_with_missing_required() -> None:
    g = big_grid()  # conditional (show_if) questions, several question types
    for seed in range(5):
        answers = full_answers(g, seed=seed)
        half = {q: v for i, (q, v) in enumerate(sorted(answers.items())) if i % 2}
        for given in (answers, half, {}):
            completion = score(g, given).completion
            missing = missing_required(g, given)
            assert completion.required_expected - completion.required_answered == len(missing)
            for item_id, (done, wanted) in completion.required_items.items():
                assert wanted - done == sum(1 for m in missing if m[0] == item_id)


@pytest.mark.parametrize(
    ("counts", "compact", "expected"),
    [
        (
            SectionCompletion(114, 114, 0, 87),
            False,
            "114 / 114 réponses obligatoires · 0 / 87 facultatives",
        ),
        (SectionCompletion(12, 12, 0, 9), True, "12 / 12 obligatoires · 0 / 9 facultatives"),
        (SectionCompletion(1, 1, 0, 0), False, "1 / 1 réponse obligatoire"),
        (SectionCompletion(0, 0, 2, 3), False, "2 / 3 réponses facultatives"),
        (SectionCompletion(0, 0, 0, 1), True, "0 / 1 facultative"),
        (SectionCompletion(0, 0, 0, 0), False, "Aucune réponse attendue"),
    ],
)
def test_completion_summary_in_french(
    counts: SectionCompletion, compact: bool, expected: str
) -> None:
    assert counts.summary(compact=compact) == expected


def test_completion_with_nothing_expected() -> None:
    g = make_grid(item("a", level("q"), optional=True))
    completion = score(g, {}, ["a"]).completion
    assert (completion.answered, completion.expected, completion.ratio) == (0, 0, 1.0)


def test_to_dict_is_json_ready(grid: Grid) -> None:
    report = score(grid, {"a1": {"now": 4}, "s1": {"y3": 1}})
    data = json.loads(json.dumps(report.to_dict()))
    assert list(data) == [
        "overall", "items", "systemic", "completion", "not_addressed", "not_applicable"
    ]  # fmt: skip
    assert data["not_applicable"] == []
    assert data["overall"] == {"now": 100.0, "y1": None, "y3": None}
    assert list(data["items"]) == ["a", "b", "c"]
    assert data["systemic"]["y3"] == 25.0
    assert data["completion"]["items"]["a"] == {"answered": 1, "expected": 9}
    assert data["completion"]["systemic"] == {"answered": 1, "expected": 4}
    assert list(data["completion"]) == [
        "answered",
        "expected",
        "ratio",
        "items",
        "systemic",
        "required_answered",
        "required_expected",
        "required_items",
        "required_systemic",
    ]
    # the text a-notes and the number b2 are optional: 17 of the 23 cells are required
    completion = data["completion"]
    assert (completion["required_answered"], completion["required_expected"]) == (2, 17)
    assert data["completion"]["required_items"]["a"] == {"answered": 1, "expected": 6}
    assert data["completion"]["required_systemic"] == {"answered": 1, "expected": 4}


def test_report_is_frozen(grid: Grid) -> None:
    report = score(grid, {})
    with pytest.raises(AttributeError):
        report.overall = {}  # type: ignore[misc]
    assert isinstance(report.completion, Completion)


def test_questions_asked_at_some_horizons_only() -> None:
    g = make_grid(item("a", level("now-only", horizons=["now"]), level("goals", horizons=["y1"])))
    report = score(g, {"now-only": {"now": 4}, "goals": {"y1": 2}})
    assert report.items["a"] == {"now": 100.0, "y1": 50.0, "y3": None}


# ---------------------------------------------------------------------------
# Scorer
# ---------------------------------------------------------------------------


def test_scorer_is_cached_and_reusable() -> None:
    g = big_grid()
    assert Scorer.for_grid(g) is Scorer.for_grid(g)
    answers = full_answers(g)
    assert Scorer(g).score(answers) == score(g, answers)


def test_cached_scorers_and_plans_do_not_keep_grids_alive() -> None:
    g = big_grid()
    Scorer.for_grid(g).score(full_answers(g))
    assert Scorer.for_grid(g).grid is g
    ref = weakref.ref(g)
    del g
    gc.collect()
    assert ref() is None


def test_big_grid_scores_in_range() -> None:
    g = big_grid()
    for seed in range(5):
        report = score(g, full_answers(g, seed), ["item5"])
        values = [v for h in report.items.values() for v in h.values() if v is not None]
        values += [v for v in report.overall.values() if v is not None]
        assert values and all(0.0 <= v <= 100.0 for v in values)
        assert report.items["item5"] == {"now": None, "y1": None, "y3": None}


# ---------------------------------------------------------------------------
# Gaps, priorities, attainment
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def five() -> Grid:
    return make_grid(*(item(i, level(f"{i}-q")) for i in ("a", "b", "c", "d", "e")))


def levels(**values: tuple[int | None, int | None, int | None]) -> dict[str, dict[str, Any]]:
    return {
        f"{i}-q": {h: v for h, v in zip(("now", "y1", "y3"), vs, strict=True) if v is not None}
        for i, vs in values.items()
    }


def test_gaps(five: Grid) -> None:
    report = score(five, levels(a=(1, 3, 4), b=(2, None, 2), c=(None, 4, 4)))
    result = gaps(five, report)
    assert result["a"] == {"y1": 50.0, "y3": 75.0}
    assert result["b"] == {"y1": None, "y3": 0.0}
    assert result["c"] == {"y1": None, "y3": None}
    assert list(result) == ["a", "b", "c", "d", "e"]


def test_priorities_rank_by_gap_then_current_then_grid_order(five: Grid) -> None:
    answers = levels(
        a=(2, 3, 4),  # gap 25, current 50
        b=(1, 3, 3),  # gap 50
        c=(0, 1, 4),  # gap 25, current 0
        d=(3, 4, 4),  # gap 25, current 75 -> after a
        e=(3, None, 4),  # no 1-year goal: left out
    )
    report = score(five, answers)
    ranked = priorities(five, report)
    assert [p.item_id for p in ranked] == ["b", "c", "a", "d"]
    assert [p.rank for p in ranked] == [1, 2, 3, 4]
    first = ranked[0]
    assert (first.horizon, first.current, first.goal, first.gap) == ("y1", 25.0, 75.0, 50.0)
    assert first.to_dict()["gap"] == 50.0
    long_term = priorities(five, report, "y3")
    assert [p.item_id for p in long_term] == ["c", "b", "a", "d", "e"]  # d, e: full tie


def test_priorities_tie_on_everything_keeps_grid_order(five: Grid) -> None:
    report = score(five, levels(e=(1, 2, 2), a=(1, 2, 2), c=(1, 2, 2)))
    assert [p.item_id for p in priorities(five, report)] == ["a", "c", "e"]


def test_priorities_keep_negative_gaps_last(five: Grid) -> None:
    report = score(five, levels(a=(4, 2, 4), b=(0, 1, 1)))
    ranked = priorities(five, report)
    assert [(p.item_id, p.gap) for p in ranked] == [("b", 25.0), ("a", -50.0)]


def test_priorities_errors_and_single_horizon(five: Grid) -> None:
    report = score(five, {})
    assert priorities(five, report) == []
    with pytest.raises(ValueError, match="not a goal horizon"):
        priorities(five, report, "now")
    one = make_grid(item("a", level("q")), horizons=horizons("t0"))
    assert priorities(one, score(one, {"q": {"t0": 2}})) == []
    assert gaps(one, score(one, {})) == {"a": {}}


def test_attainment(five: Grid) -> None:
    earlier = score(five, levels(a=(1, 3, 4), b=(1, 2, 4), c=(1, 3, None), d=(1, None, 4)))
    later = score(five, levels(a=(3, 4, 4), b=(1, 2, 4), d=(4, 4, 4)))
    result = attainment(five, earlier, later)
    assert list(result) == ["a", "b", "c", "d", "e", OVERALL]
    assert result["a"] == Attainment(target=75.0, achieved=75.0, delta=0.0, reached=True)
    assert result["b"] == Attainment(target=50.0, achieved=25.0, delta=-25.0, reached=False)
    assert result["c"] == Attainment(target=75.0, achieved=None, delta=None, reached=None)
    assert result["d"].reached is None and result["d"].achieved == 100.0
    assert result["e"].to_dict() == {
        "target": None,
        "achieved": None,
        "delta": None,
        "reached": None,
    }
    overall = result[OVERALL]
    assert overall.target == pytest.approx((75 + 50 + 75) / 3)
    assert overall.achieved == pytest.approx((75 + 25 + 100) / 3)
    assert overall.reached is True


def test_attainment_with_a_single_horizon() -> None:
    one = make_grid(item("a", level("q")), horizons=horizons("t0"))
    report = score(one, {"q": {"t0": 1}})
    assert attainment(one, report, report) == {}


def test_attainment_with_two_horizons_and_a_changed_grid() -> None:
    two = horizons("t0", "t2")
    v1 = make_grid(item("a", level("qa")), item("old", level("qo")), horizons=two)
    v2 = make_grid(item("a", level("qa")), item("new", level("qn")), horizons=two)
    earlier = score(v1, {"qa": {"t0": 1, "t2": 3}, "qo": {"t2": 4}})
    later = score(v2, {"qa": {"t0": 4}, "qn": {"t0": 2}})
    result = attainment(v2, earlier, later)
    assert list(result) == ["a", "new", OVERALL]
    assert result["a"].reached is True and result["a"].delta == 25.0
    assert result["new"].target is None

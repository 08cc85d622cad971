"""Answers: validation, normalisation, visibility, expected cells and goal warnings."""

from __future__ import annotations

import gc
import math
from typing import Any

import pytest

from assessment.answers import (
    AnswerError,
    GridCache,
    check_not_addressed,
    effective_not_addressed,
    expected_cells,
    format_value,
    goal_warnings,
    is_answered,
    is_visible,
    missing_required,
    normalize_value,
    plan_for,
    validate_answers,
)
from assessment.grid import Grid
from gridfactory import (
    choice,
    grid_data,
    horizons,
    item,
    level,
    make_grid,
    number,
    scale,
    text_q,
    yes_no,
)


@pytest.fixture(scope="module")
def grid() -> Grid:
    return make_grid(
        item(
            "gouv",
            level("gouv-ag"),
            number("gouv-taux", min=0, max=100, unit="%"),
            number("gouv-membres", min=0, integer=True, horizons=["now"]),
            text_q("gouv-notes", max_length=20, horizons=["now"]),
            optional=True,
        ),
        item(
            "emploi",
            yes_no("emp-cdi", horizons=["now"]),
            choice("emp-type", ["cdi", "mixte", "court"], horizons=["now"]),
            choice("emp-leviers", ["formation", "salaire", "temps"], multiple=True),
            level("emp-optionnel", optional=True),
        ),
    )


def error_of(grid: Grid, qid: str, hid: str, value: Any) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        normalize_value(grid, qid, hid, value)
    return caught.value


# ---------------------------------------------------------------------------
# normalize_value
# ---------------------------------------------------------------------------


class TestLevel:
    @pytest.mark.parametrize("value", [0, 1, 2, 3, 4])
    def test_scale_values_pass_unchanged(self, grid: Grid, value: int) -> None:
        assert normalize_value(grid, "gouv-ag", "now", value) == value

    def test_int_valued_float_becomes_int(self, grid: Grid) -> None:
        result = normalize_value(grid, "gouv-ag", "y1", 3.0)
        assert result == 3 and type(result) is int

    def test_none_is_unanswered(self, grid: Grid) -> None:
        assert normalize_value(grid, "gouv-ag", "now", None) is None

    def test_off_scale_message_names_question_and_horizon(self, grid: Grid) -> None:
        error = error_of(grid, "gouv-ag", "now", 7)
        assert (
            str(error)
            == "gouv-ag (État des lieux) : 7 n'est pas un niveau de l'échelle (0, 1, 2, 3, 4)"
        )
        assert (error.question_id, error.horizon_id, error.code) == (
            "gouv-ag",
            "now",
            "level_off_scale",
        )
        assert isinstance(error, ValueError)

    @pytest.mark.parametrize("value", [2.5, -1, 5, math.nan])
    def test_off_scale(self, grid: Grid, value: float) -> None:
        assert error_of(grid, "gouv-ag", "now", value).code == "level_off_scale"

    @pytest.mark.parametrize("value", ["3", True, False, [3], {"v": 3}, b"3"])
    def test_wrong_type(self, grid: Grid, value: Any) -> None:
        error = error_of(grid, "gouv-ag", "y3", value)
        assert error.code == "level_wrong_type"
        assert str(error).startswith("gouv-ag (Objectif à 3 ans) : un niveau de l'échelle")

    def test_uneven_scale(self) -> None:
        g = make_grid(item("a", level("q")), scale=scale(1, 3, 5, 10))
        assert normalize_value(g, "q", "now", 10) == 10
        assert error_of(g, "q", "now", 2).params["scale"] == "1, 3, 5, 10"


class TestNumber:
    def test_float_and_int(self, grid: Grid) -> None:
        assert normalize_value(grid, "gouv-taux", "now", 42.5) == 42.5
        assert normalize_value(grid, "gouv-taux", "now", 42) == 42
        assert normalize_value(grid, "gouv-taux", "now", 0) == 0
        assert normalize_value(grid, "gouv-taux", "now", 100.0) == 100.0

    def test_bounds(self, grid: Grid) -> None:
        low = error_of(grid, "gouv-taux", "now", -0.5)
        assert low.code == "number_below_min"
        assert str(low) == "gouv-taux (État des lieux) : -0,5 est inférieur au minimum (0)"
        high = error_of(grid, "gouv-taux", "y1", 100.01)
        assert high.code == "number_above_max"
        assert "100,01 est supérieur au maximum (100)" in str(high)

    def test_integer(self, grid: Grid) -> None:
        result = normalize_value(grid, "gouv-membres", "now", 12.0)
        assert result == 12 and type(result) is int
        assert error_of(grid, "gouv-membres", "now", 12.5).code == "number_not_integer"

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400])
    def test_not_finite(self, grid: Grid, value: float) -> None:
        assert error_of(grid, "gouv-membres", "now", value).code == "number_not_finite"

    @pytest.mark.parametrize("value", ["12", True, [1], "douze"])
    def test_wrong_type(self, grid: Grid, value: Any) -> None:
        assert error_of(grid, "gouv-taux", "now", value).code == "number_wrong_type"

    def test_unbounded_number(self) -> None:
        g = make_grid(item("a", number("n")))
        assert normalize_value(g, "n", "now", -1e12) == -1e12


class TestText:
    def test_stripped(self, grid: Grid) -> None:
        assert normalize_value(grid, "gouv-notes", "now", "  bien \n") == "bien"

    @pytest.mark.parametrize("value", ["", "   ", "\n\t"])
    def test_blank_is_unanswered(self, grid: Grid, value: str) -> None:
        assert normalize_value(grid, "gouv-notes", "now", value) is None

    def test_line_endings(self, grid: Grid) -> None:
        assert normalize_value(grid, "gouv-notes", "now", "a\r\nb\rc\td") == "a\nb\nc\td"

    @pytest.mark.parametrize("value", ["a\x00", "\x00", "a\x1bb", "\ud800", "a\u202eb"])
    def test_refused_characters(self, grid: Grid, value: str) -> None:
        error = error_of(grid, "gouv-notes", "now", value)
        assert error.code == "text_refused_character"
        assert error.message.startswith("gouv-notes (")
        assert "caractère refusé en position" in error.message

    def test_too_long_counts_after_strip(self, grid: Grid) -> None:
        assert normalize_value(grid, "gouv-notes", "now", "  " + "x" * 20 + "  ") == "x" * 20
        error = error_of(grid, "gouv-notes", "now", "x" * 21)
        assert error.code == "text_too_long"
        assert "21 caractères, au-delà du maximum de 20" in str(error)

    def test_wrong_type(self, grid: Grid) -> None:
        assert error_of(grid, "gouv-notes", "now", 12).code == "text_wrong_type"


class TestYesNo:
    def test_bools(self, grid: Grid) -> None:
        assert normalize_value(grid, "emp-cdi", "now", True) is True
        assert normalize_value(grid, "emp-cdi", "now", False) is False

    @pytest.mark.parametrize("value", [1, 0, "yes", "oui", "true"])
    def test_wrong_type(self, grid: Grid, value: Any) -> None:
        assert error_of(grid, "emp-cdi", "now", value).code == "yes_no_wrong_type"


class TestChoice:
    def test_single(self, grid: Grid) -> None:
        assert normalize_value(grid, "emp-type", "now", "mixte") == "mixte"
        error = error_of(grid, "emp-type", "now", "CDI")
        assert error.code == "choice_unknown_option"
        assert str(error) == (
            "emp-type (État des lieux) : « CDI » n'est pas une option de la question "
            "(cdi, mixte, court)"
        )

    @pytest.mark.parametrize("value", [["cdi"], 1, True])
    def test_single_wrong_type(self, grid: Grid, value: Any) -> None:
        assert error_of(grid, "emp-type", "now", value).code == "choice_wrong_type"

    def test_multiple_normalised_to_grid_order_without_duplicates(self, grid: Grid) -> None:
        value = ["temps", "formation", "temps"]
        assert normalize_value(grid, "emp-leviers", "y1", value) == ["formation", "temps"]
        assert normalize_value(grid, "emp-leviers", "y1", ("salaire",)) == ["salaire"]

    def test_multiple_accepts_a_single_string(self, grid: Grid) -> None:
        assert normalize_value(grid, "emp-leviers", "now", "salaire") == ["salaire"]

    def test_multiple_empty_is_unanswered(self, grid: Grid) -> None:
        assert normalize_value(grid, "emp-leviers", "now", []) is None

    def test_multiple_errors(self, grid: Grid) -> None:
        assert error_of(grid, "emp-leviers", "now", ["formation", "x"]).code == (
            "choice_unknown_option"
        )
        assert error_of(grid, "emp-leviers", "now", [1]).code == "choice_multiple_wrong_type"
        assert error_of(grid, "emp-leviers", "now", {"a": 1}).code == "choice_multiple_wrong_type"


class TestCellErrors:
    def test_unknown_question(self, grid: Grid) -> None:
        error = error_of(grid, "nope", "now", 1)
        assert (error.code, error.question_id, error.horizon_id) == (
            "unknown_question",
            "nope",
            None,
        )
        assert str(error) == "nope : cette question n'existe pas dans la grille"

    def test_horizon_not_asked(self, grid: Grid) -> None:
        error = error_of(grid, "gouv-membres", "y1", 3)
        assert error.code == "horizon_not_asked"
        assert str(error) == (
            "gouv-membres (Objectif à 1 an) : cette question n'est pas posée pour cet horizon "
            "(horizons de la question : État des lieux)"
        )

    def test_unknown_horizon(self, grid: Grid) -> None:
        error = error_of(grid, "gouv-ag", "y10", 3)
        assert error.code == "unknown_horizon"
        assert "y10" in str(error) and "now, y1, y3" in str(error)

    def test_horizon_checked_before_value(self, grid: Grid) -> None:
        assert error_of(grid, "gouv-membres", "y1", None).code == "horizon_not_asked"

    def test_huge_values_give_short_messages(self, grid: Grid) -> None:
        assert len(str(error_of(grid, "gouv-ag", "now", "x" * 100_000))) < 200
        nested: Any = [1]
        for _ in range(50):
            nested = [nested] * 10
        assert len(str(error_of(grid, "emp-leviers", "now", nested))) < 300


def test_format_value() -> None:
    assert format_value(2.5) == "2,5"
    assert format_value(3.0) == "3"
    assert format_value(True) == "oui"
    assert format_value(None) == "rien"
    assert format_value("abc") == "« abc »"
    assert format_value(["a", 1]) == "[« a », 1]"
    assert format_value(list(range(12))).endswith(", …]")


# ---------------------------------------------------------------------------
# validate_answers
# ---------------------------------------------------------------------------


def test_validate_answers_normalises_and_collects_every_error(grid: Grid) -> None:
    answers = {
        "gouv-ag": {"now": 2.0, "y1": 9, "y3": None},
        "gouv-notes": {"now": "  "},
        "gouv-taux": {"now": 50, "y2": 3},
        "emp-leviers": {"now": ["temps", "formation"]},
        "inconnue": {"now": 1},
        "emp-cdi": "oui",
        "emp-type": None,
    }
    clean, errors = validate_answers(grid, answers)
    assert clean == {
        "gouv-ag": {"now": 2},
        "gouv-taux": {"now": 50},
        "emp-leviers": {"now": ["formation", "temps"]},
    }
    assert [(e.question_id, e.horizon_id, e.code) for e in errors] == [
        ("gouv-ag", "y1", "level_off_scale"),
        ("gouv-taux", "y2", "unknown_horizon"),
        ("inconnue", None, "unknown_question"),
        ("emp-cdi", None, "not_a_mapping"),
    ]
    assert all(isinstance(e, AnswerError) for e in errors)


def test_validate_answers_valid_set_round_trips(grid: Grid) -> None:
    answers = {"gouv-ag": {"now": 1, "y1": 2, "y3": 4}, "emp-cdi": {"now": False}}
    clean, errors = validate_answers(grid, answers)
    assert errors == [] and clean == answers


def test_validate_answers_rejects_non_mapping(grid: Grid) -> None:
    clean, errors = validate_answers(grid, ["gouv-ag"])
    assert clean == {} and [e.code for e in errors] == ["answers_not_a_mapping"]
    _, errors = validate_answers(grid, {3: {"now": 1}})
    assert errors[0].code == "unknown_question" and errors[0].question_id == "3"


def test_validate_answers_checks_not_addressed(grid: Grid) -> None:
    _, errors = validate_answers(grid, {}, ["gouv", "emp-optionnel", "emploi", "zzz"])
    assert [(e.code, e.params["value"]) for e in errors] == [
        ("not_addressed_not_optional", "emploi"),
        ("not_addressed_unknown", "zzz"),
    ]
    assert "« emploi » ne peut pas être marqué" in str(errors[0])


def test_not_addressed_helpers(grid: Grid) -> None:
    ids = ["gouv", "emploi", "emp-optionnel", "gouv-ag", "x"]
    # a question of an optional item may be left out too (the organisation chooses
    # its questions within a theme); a required question of a mandatory item may not
    assert effective_not_addressed(grid, ids) == {"gouv", "emp-optionnel", "gouv-ag"}
    assert effective_not_addressed(grid, None) == frozenset()
    assert [e.params["value"] for e in check_not_addressed(grid, ids)] == ["emploi", "x"]


# ---------------------------------------------------------------------------
# Visibility
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cond_grid() -> Grid:
    return make_grid(
        item(
            "a",
            yes_no("has-ca"),
            text_q("ca-details", show_if={"question": "has-ca", "equals": True}),
            level("ca-level", show_if={"question": "has-ca", "answered": True}),
            text_q("no-ca-why", show_if={"question": "has-ca", "answered": False}),
            level("lvl"),
            text_q("lvl-high", show_if={"question": "lvl", "in": [3, 4]}),
            text_q(
                "lvl-now-low",
                horizons=["y3"],
                show_if={"question": "lvl", "horizon": "now", "in": [0, 1]},
            ),
            level("cur-only", horizons=["now"]),
            text_q("follows-cur", show_if={"question": "cur-only", "equals": 2}),
            text_q("chain", show_if={"question": "ca-details", "answered": True}),
            choice("many", ["a", "b", "c"], multiple=True, horizons=["now"]),
            text_q("many-b", horizons=["now"], show_if={"question": "many", "equals": "b"}),
            level("one", horizons=["now"]),
            text_q("one-is-1", horizons=["now"], show_if={"question": "one", "equals": 1}),
            yes_no("yn", horizons=["now"]),
            text_q("yn-1", horizons=["now"], show_if={"question": "yn", "in": [True]}),
        )
    )


def test_equals_on_the_same_horizon(cond_grid: Grid) -> None:
    answers = {"has-ca": {"now": True, "y1": False}}
    assert is_visible(cond_grid, "ca-details", "now", answers)
    assert not is_visible(cond_grid, "ca-details", "y1", answers)
    assert not is_visible(cond_grid, "ca-details", "y3", answers)  # unanswered
    question = cond_grid.question("ca-details")
    assert is_visible(cond_grid, question, "now", answers)


def test_answered(cond_grid: Grid) -> None:
    answers = {"has-ca": {"now": False}}
    assert is_visible(cond_grid, "ca-level", "now", answers)
    assert not is_visible(cond_grid, "ca-level", "y1", answers)
    assert not is_visible(cond_grid, "no-ca-why", "now", answers)
    assert is_visible(cond_grid, "no-ca-why", "y1", answers)


def test_in_and_explicit_horizon(cond_grid: Grid) -> None:
    answers = {"lvl": {"now": 1, "y1": 3, "y3": 4}}
    assert not is_visible(cond_grid, "lvl-high", "now", answers)
    assert is_visible(cond_grid, "lvl-high", "y1", answers)
    assert is_visible(cond_grid, "lvl-now-low", "y3", answers)  # looks at "now"
    assert not is_visible(cond_grid, "lvl-now-low", "y3", {"lvl": {"now": 2, "y3": 0}})


def test_defaults_to_the_targets_first_horizon(cond_grid: Grid) -> None:
    answers = {"cur-only": {"now": 2}}
    assert all(is_visible(cond_grid, "follows-cur", h, answers) for h in ("now", "y1", "y3"))


def test_hidden_target_hides_dependents(cond_grid: Grid) -> None:
    answers = {"has-ca": {"now": False}, "ca-details": {"now": "stale answer"}}
    assert not is_visible(cond_grid, "ca-details", "now", answers)
    assert not is_visible(cond_grid, "chain", "now", answers)
    answers["has-ca"]["now"] = True
    assert is_visible(cond_grid, "chain", "now", answers)


def test_multiple_choice_membership(cond_grid: Grid) -> None:
    assert is_visible(cond_grid, "many-b", "now", {"many": {"now": ["a", "b"]}})
    assert not is_visible(cond_grid, "many-b", "now", {"many": {"now": ["a", "c"]}})


def test_true_is_not_one(cond_grid: Grid) -> None:
    assert is_visible(cond_grid, "one-is-1", "now", {"one": {"now": 1}})
    assert not is_visible(cond_grid, "one-is-1", "now", {"one": {"now": True}})
    assert is_visible(cond_grid, "yn-1", "now", {"yn": {"now": True}})
    assert not is_visible(cond_grid, "yn-1", "now", {"yn": {"now": 1}})


def test_invalid_target_answer_counts_as_unanswered(cond_grid: Grid) -> None:
    assert not is_visible(cond_grid, "lvl-high", "now", {"lvl": {"now": 9}})
    assert not is_visible(cond_grid, "ca-level", "now", {"has-ca": {"now": "yes"}})
    assert is_visible(cond_grid, "no-ca-why", "now", {"has-ca": {"now": "yes"}})
    assert not is_visible(cond_grid, "ca-level", "now", {"has-ca": "malformed"})  # type: ignore[dict-item]


def test_unconditional_questions_are_visible(cond_grid: Grid) -> None:
    assert is_visible(cond_grid, "lvl", "now", {})


# ---------------------------------------------------------------------------
# Expected cells, missing required
# ---------------------------------------------------------------------------


def test_expected_cells_in_grid_order(grid: Grid) -> None:
    cells = expected_cells(grid, {})
    assert cells[:5] == [
        ("gouv", "gouv-ag", "now"),
        ("gouv", "gouv-ag", "y1"),
        ("gouv", "gouv-ag", "y3"),
        ("gouv", "gouv-taux", "now"),
        ("gouv", "gouv-taux", "y1"),
    ]
    assert len(cells) == 3 + 3 + 1 + 1 + 1 + 1 + 3 + 3


def test_expected_cells_leave_out_not_addressed(grid: Grid) -> None:
    cells = expected_cells(grid, {}, ["gouv", "emp-optionnel"])
    assert {c[0] for c in cells} == {"emploi"}
    assert not any(c[1] == "emp-optionnel" for c in cells)
    # a non-optional id is ignored (a question of a mandatory item)
    assert expected_cells(grid, {}, ["emploi", "emp-cdi"]) == expected_cells(grid, {})


def test_expected_cells_leave_out_hidden(cond_grid: Grid) -> None:
    cells = expected_cells(cond_grid, {"has-ca": {"now": True}})
    assert ("a", "ca-details", "now") in cells
    assert ("a", "ca-details", "y1") not in cells
    assert ("a", "no-ca-why", "y1") in cells and ("a", "no-ca-why", "now") not in cells


def test_systemic_cells_have_no_item() -> None:
    g = make_grid(item("a", level("q")), systemic=[level("s", horizons=["now"])])
    assert expected_cells(g, {})[-1] == (None, "s", "now")


def test_missing_required() -> None:
    g = make_grid(
        item(
            "a",
            level("l1"),
            level("l2", required=False),
            text_q("t", horizons=["now"]),
            text_q("t-req", required=True, horizons=["now"]),
            yes_no("yn", horizons=["now"]),
            level("l3", show_if={"question": "yn", "equals": True}),
        ),
        item("b", level("b1", optional=True), optional=True),
    )
    answers = {"l1": {"now": 1, "y1": 7, "y3": 2}, "t-req": {"now": "   "}}
    missing = missing_required(g, answers)
    assert missing == [
        ("a", "l1", "y1"),  # invalid value = missing
        ("a", "t-req", "now"),  # blank text = missing
        ("b", "b1", "now"),
        ("b", "b1", "y1"),
        ("b", "b1", "y3"),
    ]
    assert missing_required(g, answers, ["b"]) == missing[:2]
    answers["yn"] = {"now": True}
    assert ("a", "l3", "now") in missing_required(g, answers, ["b1"])
    assert not any(c[0] == "b" for c in missing_required(g, answers, ["b1"]))


def test_is_answered(grid: Grid) -> None:
    answers = {"gouv-ag": {"now": 3, "y1": 12}, "gouv-notes": {"now": " "}}
    assert is_answered(grid, "gouv-ag", "now", answers)
    assert not is_answered(grid, "gouv-ag", "y1", answers)
    assert not is_answered(grid, "gouv-ag", "y3", answers)
    assert not is_answered(grid, "gouv-notes", "now", answers)


# ---------------------------------------------------------------------------
# Goal warnings
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def goal_grid() -> Grid:
    return make_grid(
        item(
            "a",
            level("lvl"),
            number("conso", better="lower"),
            number("effectif"),
            number("neutre", better="neither"),
            level("goals-only", horizons=["y1", "y3"]),
            yes_no("gate", horizons=["now"]),
            level("hidden", show_if={"question": "gate", "equals": True}),
        )
    )


def test_goal_below_current(goal_grid: Grid) -> None:
    warnings = goal_warnings(goal_grid, {"lvl": {"now": 3, "y1": 2, "y3": 4}})
    assert len(warnings) == 1
    warning = warnings[0]
    assert (warning.question_id, warning.horizon_id, warning.code) == (
        "lvl",
        "y1",
        "goal_below_current",
    )
    assert (warning.reference_horizon, warning.reference_value, warning.value) == ("now", 3, 2)
    assert warning.item_id == "a"
    assert warning.message == (
        "lvl (Objectif à 1 an) : l'objectif (2) est en dessous de la situation "
        "« État des lieux » (3) — est-ce voulu ?"
    )
    assert warning.to_dict()["code"] == "goal_below_current"


def test_goal_below_earlier_goal(goal_grid: Grid) -> None:
    warnings = goal_warnings(goal_grid, {"lvl": {"now": 1, "y1": 4, "y3": 3}})
    assert [(w.horizon_id, w.code, w.reference_horizon) for w in warnings] == [
        ("y3", "goal_below_earlier_goal", "y1")
    ]
    assert "en dessous de l'objectif « Objectif à 1 an » (4)" in warnings[0].message


def test_one_warning_per_cell_current_first(goal_grid: Grid) -> None:
    warnings = goal_warnings(goal_grid, {"lvl": {"now": 4, "y1": 3, "y3": 1}})
    assert [(w.horizon_id, w.code) for w in warnings] == [
        ("y1", "goal_below_current"),
        ("y3", "goal_below_current"),
    ]


def test_goal_compared_with_nearest_answered_goal(goal_grid: Grid) -> None:
    warnings = goal_warnings(goal_grid, {"goals-only": {"y1": 3, "y3": 2}})
    assert [(w.horizon_id, w.code) for w in warnings] == [("y3", "goal_below_earlier_goal")]
    assert goal_warnings(goal_grid, {"lvl": {"y1": 3, "y3": 2}})[0].reference_horizon == "y1"


def test_lower_is_better_numbers(goal_grid: Grid) -> None:
    assert goal_warnings(goal_grid, {"conso": {"now": 200, "y1": 150, "y3": 100}}) == []
    warnings = goal_warnings(goal_grid, {"conso": {"now": 200, "y1": 220.5, "y3": 100}})
    assert [(w.horizon_id, w.code) for w in warnings] == [("y1", "goal_below_current")]
    assert "moins ambitieux" in warnings[0].message and "220,5" in warnings[0].message
    assert goal_warnings(goal_grid, {"effectif": {"now": 10, "y1": 8}})[0].code == (
        "goal_below_current"
    )


def test_no_warning_cases(goal_grid: Grid) -> None:
    answers: dict[str, dict[str, Any]] = {
        "lvl": {"now": 2, "y1": 2, "y3": 3},  # equal is fine
        "neutre": {"now": 10, "y1": 1, "y3": 0},  # better: neither
        "hidden": {"now": 4, "y1": 0},  # hidden: gate not answered
        "effectif": {"now": "beaucoup", "y1": 3},  # invalid current ignored
    }
    assert goal_warnings(goal_grid, answers) == []
    answers["gate"] = {"now": True}
    assert [w.question_id for w in goal_warnings(goal_grid, answers)] == ["hidden"]


# ---------------------------------------------------------------------------
# Per-grid plan cache
# ---------------------------------------------------------------------------


def test_plan_is_cached_per_grid_object(grid: Grid) -> None:
    assert plan_for(grid) is plan_for(grid)
    twin = Grid.model_validate(grid.model_dump(by_alias=True))
    assert plan_for(twin) is not plan_for(grid)


def test_grid_cache_drops_entries_of_dead_grids() -> None:
    calls: list[int] = []

    def factory(g: Grid) -> int:
        calls.append(1)
        return len(calls)

    cache: GridCache[int] = GridCache(factory)
    g1 = make_grid()
    assert cache.get(g1) == 1 and cache.get(g1) == 1 and len(cache) == 1
    del g1
    gc.collect()
    assert len(cache) == 0
    g2 = make_grid()
    assert cache.get(g2) == 2


def test_grid_cache_is_bounded() -> None:
    cache: GridCache[Grid] = GridCache(lambda g: g, maxsize=3)  # values keep grids alive
    grids = [make_grid() for _ in range(5)]
    for g in grids:
        assert cache.get(g) is g
    assert len(cache) == 3
    assert cache.get(grids[-1]) is grids[-1]


def test_grid_data_with_other_shapes() -> None:
    g = Grid.model_validate(
        grid_data(item("a", level("q")), scale=scale(1, 2), horizons=horizons("t0"))
    )
    assert normalize_value(g, "q", "t0", 2) == 2
    assert error_of(g, "q", "t0", 0).code == "level_off_scale"

"""``applies_to`` and ``variants``: questions « non applicable » by the organisation's profile.

A question that does not apply is neither expected nor scored — never counted as
0 — and a broken ``applies_to`` is reported at its line, in French, like a broken
``show_if``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.answers import (
    check_not_applicable,
    expected_cells,
    is_visible,
    missing_required,
    not_applicable_ids,
)
from assessment.grid import Grid
from assessment.gridfile import load_grid_text
from assessment.profiles import LEGAL_FAMILIES, SIZE_BANDS, UNKNOWN_PROFILE, Profile
from assessment.scoring import coverage, score
from gridfactory import grid_data, item, level, make_grid, number, yes_no

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SMALL = Profile(legal_family="association", size_band="1-9")
LARGE = Profile(legal_family="association", size_band="50-249")
FOUNDATION = Profile(legal_family="foundation", size_band="10-49")
EMPLOYERS = ["10-49", "50-249", "250+"]


def cse_grid() -> Grid:
    return make_grid(
        item(
            "social",
            level("dialogue", may_not_apply=True),
            level("cse", applies_to={"size_band": EMPLOYERS}),
            yes_no(
                "cse-elu",
                score={"yes": 100, "no": 0},
                applies_to={"size_band": EMPLOYERS},
            ),
            level("cse-detail", show_if={"question": "cse-elu", "equals": True}),
        ),
        item("gouv", level("ag", applies_to={"legal_family": ["association", "cooperative"]})),
    )


# ---------------------------------------------------------------------------
# Applicability
# ---------------------------------------------------------------------------


def test_questions_outside_the_profile_are_not_applicable() -> None:
    grid = cse_grid()
    assert not_applicable_ids(grid, SMALL) == {"cse", "cse-elu"}
    assert not_applicable_ids(grid, LARGE) == frozenset()
    assert not_applicable_ids(grid, FOUNDATION) == {"ag"}
    # an unknown profile (the score command, a preview): everything applies
    assert not_applicable_ids(grid, UNKNOWN_PROFILE) == frozenset()
    assert not_applicable_ids(grid, Profile(size_band="0")) == {"cse", "cse-elu"}


def test_both_keys_must_match() -> None:
    grid = make_grid(
        item("a", level("a1"), level("m", applies_to={"legal_family": ["mutual"],
                                                      "size_band": ["250+"]})),
    )  # fmt: skip
    assert not_applicable_ids(grid, Profile("mutual", "250+")) == frozenset()
    assert not_applicable_ids(grid, Profile("mutual", "10-49")) == {"m"}
    assert not_applicable_ids(grid, Profile("association", "250+")) == {"m"}


def test_chosen_ids_join_the_profile_ones_only_where_the_grid_allows() -> None:
    grid = cse_grid()
    chosen = ["dialogue", "ag", "nope"]
    assert not_applicable_ids(grid, SMALL, chosen) == {"cse", "cse-elu", "dialogue"}
    errors = check_not_applicable(grid, chosen)
    assert [e.code for e in errors] == ["not_applicable_not_allowed", "not_applicable_unknown"]
    assert "« ag » ne peut pas être marquée « non applicable »" in errors[0].message
    assert "« non applicable » : « nope » n'est pas une question" in errors[1].message
    assert check_not_applicable(grid, [["a list"]])[0].code == "not_applicable_unknown"


def test_a_chosen_not_applicable_question_is_left_out_like_applies_to() -> None:
    grid = cse_grid()
    answers = {"dialogue": {"now": 0}, "ag": {"now": 4}}
    chosen = not_applicable_ids(grid, LARGE, ["dialogue"])
    report = score(grid, answers, (), chosen)
    assert report.items["social"]["now"] is None  # nothing else answered: no score, not 0
    assert report.overall["now"] == 100.0
    assert "dialogue" not in {q for _, q, _ in missing_required(grid, {}, (), chosen)}


def test_not_applicable_questions_are_not_expected_and_never_block() -> None:
    grid = cse_grid()
    na = not_applicable_ids(grid, SMALL)
    cells = {q for _, q, _ in expected_cells(grid, {}, (), na)}
    assert "cse" not in cells and "cse-elu" not in cells and "dialogue" in cells
    missing = {q for _, q, _ in missing_required(grid, {}, (), na)}
    assert "cse" not in missing
    assert "cse" in {q for _, q, _ in missing_required(grid, {}, ())}


def test_a_condition_on_a_not_applicable_question_hides_its_dependant() -> None:
    grid = cse_grid()
    answers = {"cse-elu": {"now": True}}
    assert is_visible(grid, "cse-detail", "now", answers)
    assert not is_visible(grid, "cse-detail", "now", answers, not_applicable_ids(grid, SMALL))


# ---------------------------------------------------------------------------
# Scores: left out, never 0
# ---------------------------------------------------------------------------


def test_a_not_applicable_question_is_left_out_of_the_scores_never_counted_as_zero() -> None:
    grid = cse_grid()
    answers = {"dialogue": {"now": 4, "y1": 4, "y3": 4}, "ag": {"now": 2}}
    small = score(grid, answers, (), not_applicable_ids(grid, SMALL))
    assert small.items["social"]["now"] == 100.0  # not pulled down by the CSE questions
    assert small.not_applicable == {"cse", "cse-elu"}
    assert small.completion.items["social"] == (3, 3)  # dialogue only: 3 horizons
    # the same answers without applicability: the CSE questions are expected, unanswered
    everyone = score(grid, answers)
    assert everyone.completion.items["social"] == (3, 3 + 3 + 3 + 0)
    # answers stored for a question that does not apply do not count either
    with_cse = answers | {"cse": {"now": 0}, "cse-elu": {"now": False}}
    assert score(grid, with_cse, (), not_applicable_ids(grid, SMALL)).items["social"]["now"] == 100
    assert score(grid, with_cse).items["social"]["now"] < 100


def test_an_item_whose_every_question_does_not_apply_has_no_score() -> None:
    grid = cse_grid()
    report = score(grid, {"ag": {"now": 4}}, (), not_applicable_ids(grid, FOUNDATION))
    assert report.items["gouv"] == {"now": None, "y1": None, "y3": None}
    assert coverage(grid, report).count == 0


def grid_na(grid: Grid, profile: Profile) -> set[str]:
    return {q.id for _, q in grid.questions() if not q.applies(profile)}


def drop(data: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    """The grid data without the questions ``ids`` (an item left empty is dropped)."""
    items = []
    for entry in data["items"]:
        kept = [q for q in entry["questions"] if q["id"] not in ids]
        if kept:
            items.append(entry | {"questions": kept})
    return data | {"items": items}


profiles = st.builds(
    Profile,
    st.one_of(st.none(), st.sampled_from(sorted(LEGAL_FAMILIES))),
    st.one_of(st.none(), st.sampled_from(sorted(SIZE_BANDS))),
)
restriction = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "size_band": st.lists(st.sampled_from(sorted(SIZE_BANDS)), min_size=1, unique=True),
            "legal_family": st.lists(
                st.sampled_from(sorted(LEGAL_FAMILIES)), min_size=1, unique=True
            ),
        },
    ).filter(bool),
)


@st.composite
def grids_and_answers(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    items = []
    answers: dict[str, dict[str, Any]] = {}
    for i in range(draw(st.integers(1, 4))):
        questions = []
        for j in range(draw(st.integers(1, 4))):
            qid = f"q{i}-{j}"
            extra: dict[str, Any] = {"weight": draw(st.sampled_from([0.5, 1.0, 2.0]))}
            applies = draw(restriction)
            if applies is not None:
                extra["applies_to"] = applies
            if draw(st.booleans()):
                extra["may_not_apply"] = True
            if draw(st.booleans()):
                questions.append(level(qid, **extra))
                cells = {h: draw(st.integers(0, 4)) for h in ("now", "y1", "y3")
                         if draw(st.booleans())}  # fmt: skip
            else:
                questions.append(
                    number(qid, min=0, max=100, score={"worst": 0, "best": 100}, **extra)
                )
                cells = {h: float(draw(st.integers(0, 100))) for h in ("now", "y1")
                         if draw(st.booleans())}  # fmt: skip
            if cells:
                answers[qid] = cells
        items.append(item(f"i{i}", *questions, weight=draw(st.sampled_from([1.0, 2.0]))))
    return grid_data(*items), answers


@PROPERTY
@given(grids_and_answers(), profiles, st.data())
def test_not_applicable_scores_like_a_grid_without_those_questions(
    case: tuple[dict[str, Any], dict[str, dict[str, Any]]], profile: Profile, data_: st.DataObject
) -> None:
    """By profile (``applies_to``) or by choice (``may_not_apply``), a question « non
    applicable » scores as if the grid did not have it."""
    data, answers = case
    grid = Grid.model_validate(data)
    ids = sorted(q.id for _, q in grid.questions())
    chosen = data_.draw(st.sets(st.sampled_from(ids)))
    na = not_applicable_ids(grid, profile, chosen)
    assert na == grid_na(grid, profile) | {i for i in chosen if grid.question(i).may_not_apply}
    report = score(grid, answers, (), na)
    if len(na) == sum(1 for _ in grid.questions()):
        assert all(v is None for v in report.overall.values())
        assert report.completion.expected == 0
        return
    reduced = Grid.model_validate(drop(data, set(na)))
    expected = score(reduced, {q: v for q, v in answers.items() if q not in na})
    assert report.overall == pytest.approx(expected.overall, nan_ok=True)
    for item_id, scores in expected.items.items():
        assert report.items[item_id] == pytest.approx(scores)
    assert report.completion.expected == expected.completion.expected
    assert report.completion.answered == expected.completion.answered


@PROPERTY
@given(grids_and_answers(), profiles)
def test_not_applicable_never_lowers_an_item_below_its_applicable_answers(
    case: tuple[dict[str, Any], dict[str, dict[str, Any]]], profile: Profile
) -> None:
    """Answers of questions that apply at 100 keep their item at 100, whatever the
    questions that do not apply hold (a 0 there never counts)."""
    data, _ = case
    grid = Grid.model_validate(data)
    na = not_applicable_ids(grid, profile)
    answers: dict[str, dict[str, Any]] = {}
    for _, question in grid.questions():
        best = 4 if question.type == "level" else 100.0
        answers[question.id] = {h: (0 if question.id in na else best)
                                for h in grid.question_horizons(question)}  # fmt: skip
    report = score(grid, answers, (), na)
    for scores in report.items.values():
        assert all(v is None or v == 100.0 for v in scores.values())


# ---------------------------------------------------------------------------
# Variants: other wording per profile
# ---------------------------------------------------------------------------


def test_variants_reword_label_help_and_levels_for_their_profile() -> None:
    grid = make_grid(
        item(
            "gouv",
            level(
                "instances",
                help="Pensez à l'assemblée générale.",
                levels={2: "L'AG se réunit chaque année.", 4: "Instances actives."},
                variants=[
                    {
                        "applies_to": {"legal_family": ["foundation"]},
                        "help": "Pensez au conseil d'administration.",
                        "levels": {2: "Le CA se réunit deux fois par an."},
                    },
                    {"applies_to": {"size_band": ["0"]}, "label": "Les bénévoles décident"},
                ],
            ),
        )
    )
    question = grid.question("instances")
    plain = question.wording(SMALL)
    assert plain.help == "Pensez à l'assemblée générale."
    assert plain.levels[2] == "L'AG se réunit chaque année."
    foundation = question.wording(FOUNDATION)
    assert foundation.help == "Pensez au conseil d'administration."
    assert foundation.levels == {2: "Le CA se réunit deux fois par an.", 4: "Instances actives."}
    assert foundation.label == "Question instances"
    both = question.wording(Profile("foundation", "0"))
    assert both.label == "Les bénévoles décident"
    assert both.help == "Pensez au conseil d'administration."
    # wording never changes applicability or scoring
    assert not_applicable_ids(grid, FOUNDATION) == frozenset()


# ---------------------------------------------------------------------------
# Validation: located French messages, like show_if
# ---------------------------------------------------------------------------

BAD = """\
id: t
version: "1"
title: Grille
scale:
  - {value: 0, label: Non}
  - {value: 4, label: Oui}
horizons:
  - {id: now, label: État des lieux}
items:
  - id: a
    title: Thème
    questions:
      - id: q1
        type: level
        label: Question
        applies_to:
          size_band: [10-50, 50-249]
      - id: q2
        type: level
        label: Question 2
        applies_to:
          legal_family: []
      - id: q3
        type: level
        label: Question 3
        applies_to: {}
      - id: q4
        type: number
        label: Indicateur
        variants:
          - applies_to: {legal_family: [fondation]}
            levels: {2: Niveau}
          - applies_to: {size_band: ["0"]}
      - id: q5
        type: level
        label: Question 5
        variants:
          - applies_to: {size_band: ["0"]}
            levels: {3: Hors échelle}
"""


def test_bad_applies_to_is_reported_at_its_line_in_french() -> None:
    result = load_grid_text(BAD.encode(), "bad.yaml")
    assert result.grid is None
    lines = [str(p) for p in result.problems]
    text = "\n".join(lines)
    by_code: dict[str, Any] = {}
    for problem in result.problems:
        by_code.setdefault(problem.code, problem)
    assert set(by_code) >= {
        "applies_to_unknown_value",
        "applies_to_empty",
        "applies_to_no_key",
        "variant_empty",
        "variant_levels_not_level",
        "level_not_on_scale",
    }
    unknown = by_code["applies_to_unknown_value"]
    assert str(unknown) == (
        "bad.yaml:17:23: items[0].questions[0].applies_to.size_band[0] : « 10-50 » n'est pas "
        "une valeur connue de « size_band » (vouliez-vous dire « 10-49 » ?) ; valeurs "
        "possibles : 0, 1-9, 10-49, 50-249, 250+"
    )
    assert "vouliez-vous dire « foundation » ?" in text
    assert by_code["applies_to_empty"].line == 22
    assert by_code["applies_to_no_key"].line == 26
    assert by_code["variant_levels_not_level"].line == 32
    assert by_code["variant_empty"].line == 33


def test_a_valid_applies_to_loads() -> None:
    good = BAD.split("      - id: q1")[0] + (
        "      - id: q1\n        type: level\n        label: Question\n"
        '        applies_to: {size_band: ["0", 1-9], legal_family: [association]}\n'
    )
    result = load_grid_text(good.encode(), "good.yaml")
    assert result.ok, result.problems
    assert result.grid is not None
    assert not_applicable_ids(result.grid, LARGE) == {"q1"}


# ---------------------------------------------------------------------------
# Exports: « non applicable » and the overall score's coverage
# ---------------------------------------------------------------------------


def test_exports_say_non_applicable_and_what_the_overall_score_covers() -> None:
    import csv
    import io
    import json

    from assessment import exports
    from assessment.french import NBSP

    grid = cse_grid()
    answers = {"dialogue": {"now": 4}, "cse": {"now": 0}}
    report = score(grid, answers, (), not_applicable_ids(grid, SMALL))
    rows = list(
        csv.reader(
            io.StringIO(exports.results_csv(grid, report, answers).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    covered = {r[5]: r[7].replace(NBSP, " ") for r in rows if r[0] == "Couverture"}
    assert covered["now"] == "sur 1 thème traité sur 2"
    answered = {(r[3], r[5]): r[7] for r in rows if r[0] == "Réponse"}
    assert answered[("cse", "")] == "Non applicable"
    assert answered[("cse-elu", "")] == "Non applicable"
    assert ("cse", "now") not in answered  # the stored 0 is not exported as an answer
    assert answered[("dialogue", "now")].startswith("4")
    doc = json.loads(exports.results_json(grid, report, answers))
    assert doc["scores"]["not_applicable"] == ["cse", "cse-elu"]
    assert doc["coverage"]["now"] == {"addressed": ["social"], "count": 1, "total": 2}


# ---------------------------------------------------------------------------
# The national body's tools: diff between versions, outline
# ---------------------------------------------------------------------------


def test_diff_and_outline_show_which_organisations_a_question_concerns() -> None:
    from click.testing import CliRunner

    from assessment.cli import main
    from assessment.gridtools.diff import diff_grids

    old = make_grid(item("social", level("dialogue"), level("cse")))
    new = make_grid(
        item(
            "social",
            level("dialogue", may_not_apply=True),
            level("cse", applies_to={"size_band": EMPLOYERS}),
        )
    )
    changes = {
        c.id: (c.before, c.after)
        for c in diff_grids(old, new).changes
        if c.change == "applicability_changed"
    }
    assert changes == {
        "dialogue": ("toutes", "toutes ; peut être « non applicable »"),
        "cse": ("toutes", "size_band : 10-49, 50-249, 250+"),
    }
    assert not diff_grids(new, new).changes

    result = CliRunner().invoke(main, ["show", "guide/guide-bonnes-pratiques-ess.yaml"])
    assert result.exit_code == 0
    grid_text = BAD.split("      - id: q1")[0] + (
        "      - id: q1\n        type: level\n        label: Le CSE est consulté\n"
        "        applies_to: {size_band: [10-49, 50-249]}\n        may_not_apply: true\n"
    )
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "g.yaml"
        path.write_text(grid_text, encoding="utf-8")
        shown = CliRunner().invoke(main, ["show", str(path)]).stdout
    assert "s'applique à size_band : 10-49, 50-249" in shown
    assert "peut être « non applicable »" in shown

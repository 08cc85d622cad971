"""Property-based tests of scoring (hypothesis): ranges, monotonicity, invariances."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assessment.answers import normalize_value, validate_answers
from assessment.grid import Grid
from assessment.scoring import ScoreReport, score
from assessment.text_input import BIDI_CONTROLS

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Per-test settings (a profile loaded here would leak into every other test module)."""

HORIZON_IDS = ["h0", "h1", "h2"]


# ---------------------------------------------------------------------------
# Strategies: a random grid (as data) and answers to it
# ---------------------------------------------------------------------------

weights = st.one_of(st.just(1.0), st.sampled_from([0.0, 0.5, 2.0, 3.0]), st.floats(0.01, 10))


@st.composite
def question_data(draw: st.DrawFn, qid: str, n_horizons: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["level", "level", "level", "number", "yes_no", "choice", "text"]))
    data: dict[str, Any] = {"id": qid, "label": qid, "type": kind, "weight": draw(weights)}
    if draw(st.booleans()):
        data["horizons"] = draw(
            st.lists(
                st.sampled_from(HORIZON_IDS[:n_horizons]),
                min_size=1,
                max_size=n_horizons,
                unique=True,
            ).map(lambda hs: sorted(hs))
        )
    if kind == "number":
        low = draw(st.integers(-100, 100))
        high = low + draw(st.integers(1, 200))
        data.update(min=low, max=high, integer=draw(st.booleans()))
        if draw(st.booleans()):
            worst, best = draw(st.integers(low - 50, high + 50)), draw(st.integers(low, high))
            assume(worst != best)
            data["score"] = {"worst": worst, "best": best}
    elif kind == "yes_no" and draw(st.booleans()):
        data["score"] = {"yes": draw(st.integers(0, 100)), "no": draw(st.integers(0, 100))}
    elif kind == "choice":
        n = draw(st.integers(2, 4))
        scored = draw(st.booleans())
        data["options"] = [
            {"value": f"o{k}", "label": f"o{k}"}
            | ({"score": draw(st.floats(0, 100))} if scored else {})
            for k in range(n)
        ]
        data["multiple"] = draw(st.booleans())
    return data


@st.composite
def grids(draw: st.DrawFn, with_systemic: bool | None = None) -> dict[str, Any]:
    n_horizons = draw(st.integers(1, 3))
    scale_values = draw(
        st.lists(st.integers(-5, 20), min_size=2, max_size=6, unique=True).map(sorted)
    )
    items = []
    counter = 0
    for i in range(draw(st.integers(1, 5))):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            questions.append(draw(question_data(f"q{counter}", n_horizons)))
            counter += 1
        items.append(
            {
                "id": f"item{i}",
                "title": f"Item {i}",
                "weight": draw(weights),
                "optional": draw(st.booleans()),
                "questions": questions,
            }
        )
    data: dict[str, Any] = {
        "id": "prop",
        "version": "1",
        "title": "Propriétés",
        "scale": [{"value": v, "label": str(v)} for v in scale_values],
        "horizons": [{"id": h, "label": h} for h in HORIZON_IDS[:n_horizons]],
        "items": items,
    }
    if with_systemic or (with_systemic is None and draw(st.booleans())):
        data["systemic"] = {
            "title": "Systémique",
            "questions": [draw(question_data(f"s{k}", n_horizons)) for k in range(2)],
        }
    return data


def value_for(draw: st.DrawFn, grid: Grid, question: Any) -> Any:
    kind = question.type
    if kind == "level":
        return draw(st.sampled_from(grid.scale_values))
    if kind == "number":
        low, high = int(question.min), int(question.max)
        if question.integer:
            return draw(st.integers(low, high))
        return draw(st.floats(low, high))
    if kind == "yes_no":
        return draw(st.booleans())
    if kind == "choice":
        values = [o.value for o in question.options]
        if question.multiple:
            return draw(st.lists(st.sampled_from(values), min_size=1, unique=True))
        return draw(st.sampled_from(values))
    accepted = st.characters(  # what the text rule (assessment.text_input) lets through
        exclude_categories=("Cc", "Cs"), exclude_characters="".join(BIDI_CONTROLS)
    )
    return draw(st.text(accepted, min_size=1, max_size=10).filter(str.strip))


@st.composite
def grid_and_answers(
    draw: st.DrawFn, fill: float | None = None, with_systemic: bool | None = None
) -> tuple[Grid, dict[str, dict[str, Any]]]:
    grid = Grid.model_validate(draw(grids(with_systemic)))
    answers: dict[str, dict[str, Any]] = {}
    for _, question in grid.questions():
        cells = {}
        for h in grid.question_horizons(question):
            answered = draw(st.booleans()) if fill is None else fill >= 1.0
            if answered:
                cells[h] = value_for(draw, grid, question)
        if cells:
            answers[question.id] = cells
    return grid, answers


def all_scores(report: ScoreReport) -> list[float | None]:
    values: list[float | None] = list(report.overall.values()) + list(report.systemic.values())
    for per_item in report.items.values():
        values.extend(per_item.values())
    return values


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@PROPERTY
@given(grid_and_answers())
def test_scores_are_within_0_100_or_none(case: tuple[Grid, dict[str, Any]]) -> None:
    grid, answers = case
    report = score(grid, answers)
    for value in all_scores(report):
        assert value is None or 0.0 <= value <= 100.0
    assert set(report.overall) == set(grid.horizon_ids)
    assert list(report.items) == [i.id for i in grid.items]


@PROPERTY
@given(grid_and_answers())
def test_generated_answers_are_valid_and_normalisation_is_idempotent(
    case: tuple[Grid, dict[str, Any]],
) -> None:
    grid, answers = case
    clean, errors = validate_answers(grid, answers)
    assert errors == []
    again, errors = validate_answers(grid, clean)
    assert errors == [] and again == clean
    for qid, cells in clean.items():
        for h, value in cells.items():
            assert normalize_value(grid, qid, h, value) == value
    assert score(grid, clean) == score(grid, answers)


@PROPERTY
@given(grid_and_answers(), st.data())
def test_raising_a_level_never_lowers_item_or_overall(
    case: tuple[Grid, dict[str, Any]], data: st.DataObject
) -> None:
    grid, answers = case
    scale_values = grid.scale_values
    cells = [
        (item.id if item is not None else None, question.id, h)
        for item, question in grid.questions()
        if question.type == "level"
        for h in grid.question_horizons(question)
        if answers.get(question.id, {}).get(h, scale_values[-1]) != scale_values[-1]
    ]
    assume(cells)
    item_id, qid, h = data.draw(st.sampled_from(cells))
    before = score(grid, answers)
    raised = copy.deepcopy(answers)
    current = raised.setdefault(qid, {}).get(h)
    higher = [v for v in scale_values if current is None or v > current]
    raised[qid][h] = data.draw(st.sampled_from(higher))
    after = score(grid, raised)
    if current is not None:  # answering an unanswered question may lower a mean
        if item_id is None:
            assert _ge(after.systemic[h], before.systemic[h])
        else:
            assert _ge(after.items[item_id][h], before.items[item_id][h])
            assert _ge(after.overall[h], before.overall[h])
    for other in grid.horizon_ids:
        if other != h:
            assert after.overall[other] == before.overall[other]


def _ge(after: float | None, before: float | None) -> bool:
    if before is None:
        return True
    return after is not None and after >= before


@PROPERTY
@given(grid_and_answers(), st.randoms(use_true_random=False))
def test_permuting_items_and_questions_changes_nothing(
    case: tuple[Grid, dict[str, Any]], rnd: Any
) -> None:
    grid, answers = case
    data = grid.model_dump(by_alias=True, exclude_none=True)
    rnd.shuffle(data["items"])
    for item in data["items"]:
        rnd.shuffle(item["questions"])
    if "systemic" in data:
        rnd.shuffle(data["systemic"]["questions"])
    shuffled = Grid.model_validate(data)
    before, after = score(grid, answers), score(shuffled, answers)
    assert after.overall == before.overall  # exact: sums are order-independent (fsum)
    assert after.items == before.items
    assert after.systemic == before.systemic
    assert after.completion.answered == before.completion.answered
    assert after.completion.items == before.completion.items


@PROPERTY
@given(grid_and_answers(), st.floats(0.001, 1000))
def test_scaling_all_weights_changes_nothing(
    case: tuple[Grid, dict[str, Any]], factor: float
) -> None:
    grid, answers = case
    data = grid.model_dump(by_alias=True, exclude_none=True)
    for item in data["items"]:
        item["weight"] *= factor
        for question in item["questions"]:
            question["weight"] *= factor
    for question in data.get("systemic", {}).get("questions", []):
        question["weight"] *= factor
    scaled = score(Grid.model_validate(data), answers)
    before = score(grid, answers)
    for a, b in zip(all_scores(scaled), all_scores(before), strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert a == pytest.approx(b, rel=1e-9, abs=1e-9)


@PROPERTY
@given(grid_and_answers(), st.integers(0, 4))
def test_a_zero_weight_item_does_not_affect_overall(
    case: tuple[Grid, dict[str, Any]], level_index: int
) -> None:
    grid, answers = case
    data = grid.model_dump(by_alias=True, exclude_none=True)
    data["items"].append(
        {
            "id": "extra",
            "title": "Extra",
            "weight": 0,
            "questions": [{"id": "extra-q", "type": "level", "label": "x"}],
        }
    )
    extended = Grid.model_validate(data)
    values = grid.scale_values
    extra_answers = {
        **answers,
        "extra-q": {h: values[level_index % len(values)] for h in grid.horizon_ids},
    }
    report = score(extended, extra_answers)
    assert report.overall == score(grid, answers).overall
    assert all(v is not None for v in report.items["extra"].values())


@PROPERTY
@given(grid_and_answers(), st.data())
def test_doubling_a_question_weight_moves_item_towards_its_score(
    case: tuple[Grid, dict[str, Any]], data: st.DataObject
) -> None:
    grid, answers = case
    candidates = [
        (item.id, question.id)
        for item, question in grid.questions()
        if item is not None
        and question.type == "level"
        and question.weight > 0
        and any(h in answers.get(question.id, {}) for h in grid.horizon_ids)
    ]
    assume(candidates)
    item_id, qid = data.draw(st.sampled_from(candidates))
    h = data.draw(st.sampled_from(sorted(answers[qid])))
    question_score = (answers[qid][h] - grid.scale_min) / (grid.scale_max - grid.scale_min) * 100
    grid_data = grid.model_dump(by_alias=True, exclude_none=True)
    for item in grid_data["items"]:
        for question in item["questions"]:
            if question["id"] == qid:
                question["weight"] *= 2
    before = score(grid, answers).items[item_id][h]
    after = score(Grid.model_validate(grid_data), answers).items[item_id][h]
    assert before is not None and after is not None
    assert abs(after - question_score) <= abs(before - question_score) + 1e-9
    assert min(before, question_score) - 1e-9 <= after <= max(before, question_score) + 1e-9


@PROPERTY
@given(grid_and_answers(), st.data())
def test_not_addressed_is_left_out_never_counted_as_zero(
    case: tuple[Grid, dict[str, Any]], data: st.DataObject
) -> None:
    grid, answers = case
    optional = [item.id for item in grid.items if item.optional]
    assume(optional)
    skipped = data.draw(st.lists(st.sampled_from(optional), min_size=1, unique=True))
    report = score(grid, answers, frozenset(skipped))
    questions_of = {q.id for item, q in grid.questions() if item is not None and item.id in skipped}
    without = {qid: cells for qid, cells in answers.items() if qid not in questions_of}
    reference = score(grid, without)
    assert report.overall == reference.overall  # as if unanswered: no score, not 0
    for item_id in skipped:
        assert all(v is None for v in report.items[item_id].values())
        assert report.completion.items[item_id] == (0, 0)
    assert report.not_addressed == frozenset(skipped)
    # the worst possible answers on a skipped item would pull the overall down, never up
    worst = copy.deepcopy(answers)
    for item, question in grid.questions():
        if item is not None and item.id in skipped:
            worst.pop(question.id, None)
            if question.type == "level":
                worst[question.id] = {h: grid.scale_min for h in grid.question_horizons(question)}
    with_worst = score(grid, worst)
    for h in grid.horizon_ids:
        if report.overall[h] is not None and with_worst.overall[h] is not None:
            assert with_worst.overall[h] <= report.overall[h] + 1e-9


@PROPERTY
@given(grid_and_answers(), st.data())
def test_completion_counts(case: tuple[Grid, dict[str, Any]], data: st.DataObject) -> None:
    grid, answers = case
    optional_ids = [i.id for i in grid.items if i.optional] + [
        q.id for _, q in grid.questions() if q.optional
    ]
    skipped = frozenset(data.draw(st.lists(st.sampled_from(optional_ids or ["none"]))))
    completion = score(grid, answers, skipped).completion
    expected = answered = 0
    per_item: dict[str | None, list[int]] = {}
    for item, question in grid.questions():
        key = item.id if item is not None else None
        counts = per_item.setdefault(key, [0, 0])
        if key in skipped or question.id in skipped:
            continue
        for h in grid.question_horizons(question):
            counts[1] += 1
            if h in answers.get(question.id, {}):
                counts[0] += 1
    for key, (a, e) in per_item.items():
        if key is None:
            assert completion.systemic == (a, e)
        else:
            assert completion.items[key] == (a, e)
        answered += a
        expected += e
    assert (completion.answered, completion.expected) == (answered, expected)
    assert 0 <= completion.ratio <= 1
    assert completion.ratio == (answered / expected if expected else 1.0)


@PROPERTY
@given(grid_and_answers(fill=1.0, with_systemic=True))
def test_full_answers_complete(case: tuple[Grid, dict[str, Any]]) -> None:
    grid, answers = case
    completion = score(grid, answers).completion
    assert completion.answered == completion.expected and completion.ratio == 1.0

"""Grid keys of the guide's method: ``evidence`` and ``action_plan`` (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assessment.answers import check_not_addressed, effective_not_addressed
from assessment.grid import LevelQuestion, TextQuestion
from assessment.gridfile import load_grid_text

GUIDE = Path(__file__).resolve().parents[1] / "guide" / "guide-bonnes-pratiques-ess.yaml"


def _guide_source() -> str:
    return GUIDE.read_text(encoding="utf-8")


def test_evidence_defaults_by_question_type_and_can_be_set() -> None:
    level = LevelQuestion(id="q", type="level", label="Q")
    assert level.evidence_mode == "expected"
    assert TextQuestion(id="t", type="text", label="T").evidence_mode == "none"
    assert LevelQuestion(id="q", type="level", label="Q", evidence="none").evidence_mode == "none"
    with pytest.raises(ValidationError):
        LevelQuestion(id="q", type="level", label="Q", evidence="souvent")  # type: ignore[arg-type]


def test_evidence_off_its_values_is_a_located_grid_error() -> None:
    source = _guide_source().replace(
        "      - id: gouv-actions\n", "      - id: gouv-actions\n        evidence: toujours\n", 1
    )
    result = load_grid_text(source, "guide.yaml")
    assert not result.ok
    assert any("evidence" in p.path for p in result.problems), result.problems


def test_default_grid_links_its_planned_actions_to_the_plan() -> None:
    result = load_grid_text(_guide_source(), "guide.yaml")
    assert result.grid is not None
    typed = [
        q.id for _, q in result.grid.questions() if isinstance(q, TextQuestion) and q.action_plan
    ]
    assert len(typed) == 8 and all(q.endswith("-actions") for q in typed)


def test_action_plan_questions_are_asked_at_goal_horizons_only() -> None:
    source = _guide_source().replace(
        "      - id: gouv-actions\n", "      - id: gouv-actions\n        horizons: [current]\n", 1
    )
    # the question's own ``horizons`` key then appears twice: drop the later one
    head, _, tail = source.partition("        horizons: [current]\n")
    rest = tail.replace("        horizons: [goal_1y, goal_3y]\n", "", 1)
    result = load_grid_text(head + "        horizons: [current]\n" + rest, "guide.yaml")
    assert not result.ok
    assert any("action_plan: true" in p.message for p in result.problems), result.problems


def test_every_question_of_an_optional_theme_may_be_left_out() -> None:
    grid = load_grid_text(_guide_source(), "guide.yaml").grid
    assert grid is not None
    theme = grid.item("gouvernance")
    assert theme.optional
    ids = [q.id for q in theme.questions]
    assert effective_not_addressed(grid, ids) == set(ids)
    assert check_not_addressed(grid, ids) == []

"""Benchmarks: ``pytest tests/benchmarks --benchmark-only``.

One full assessment of a ~60-question, 3-horizon grid (the shape of the default
guide), and of the default guide itself: scoring, validating the answer set,
and normalising a single cell (what the storage layer does on every save).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from assessment.answers import normalize_value, validate_answers
from assessment.grid import Grid
from assessment.gridfile import load_grid
from assessment.scoring import Scorer, score

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # run alone, tests/ is not on the path
    sys.path.insert(0, str(TESTS))

from gridfactory import big_grid, full_answers  # noqa: E402

DEFAULT = TESTS.parent / "guide" / "guide-bonnes-pratiques-ess.yaml"


@pytest.fixture(scope="module")
def synthetic() -> tuple[Grid, dict[str, dict[str, Any]]]:
    grid = big_grid(n_items=12, per_item=5)  # 60 item questions + 3 systemic
    return grid, full_answers(grid)


@pytest.fixture(scope="module")
def default() -> tuple[Grid, dict[str, dict[str, Any]]]:
    grid = load_grid(DEFAULT)
    return grid, full_answers(grid)


def test_score_synthetic_60_questions(benchmark: Any, synthetic: Any) -> None:
    grid, answers = synthetic
    Scorer.for_grid(grid)  # compiled once, as in production
    report = benchmark(score, grid, answers)
    assert report.completion.answered > 150


def test_score_default_guide(benchmark: Any, default: Any) -> None:
    grid, answers = default
    report = benchmark(score, grid, answers)
    assert report.overall[grid.current_horizon] is not None


def test_validate_answers_default_guide(benchmark: Any, default: Any) -> None:
    grid, answers = default
    clean, errors = benchmark(validate_answers, grid, answers)
    assert errors == [] and clean


def test_normalize_one_value(benchmark: Any, default: Any) -> None:
    grid, _ = default
    qid = next(q.id for _, q in grid.questions() if q.type == "level")
    assert benchmark(normalize_value, grid, qid, grid.current_horizon, 3) == 3


def test_compile_scorer_default_guide(benchmark: Any, default: Any) -> None:
    grid, _ = default
    benchmark(Scorer, grid)

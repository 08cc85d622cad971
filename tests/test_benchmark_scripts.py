"""The page-rerun benchmarks still run on the app as it is (one short run each).

A benchmark that no longer finds what it measures (a widget renamed, a theme no
longer worked on by default) would otherwise be found broken only when someone
wants its figures.  Never a time: the figures are the benchmarks', quoted in the docs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_filling_rerun_benchmark_runs_and_compares_with_its_floor() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "filling_rerun.py"), "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ratio page interaction / floor, server time:" in result.stdout
    assert "ratio page full run / floor, server time:" in result.stdout


def test_dashboard_rerun_benchmark_runs_and_compares_with_its_floor() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "dashboard_rerun.py"),
            *("--orgs", "400", "--campaigns", "2", "--runs", "1"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "×" in result.stdout, result.stdout

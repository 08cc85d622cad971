"""`benchmarks/load.py` as a smoke test: a few users fill through the websocket
protocol, on one process and on two behind nginx; no error, nothing lost.

Never a time: the figures are the benchmark's, quoted in the docs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOAD = ROOT / "benchmarks" / "load.py"

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _run(tmp_path: Path, *args: str) -> dict[str, object]:
    out = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(LOAD), *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.exists(), result.stdout + result.stderr
    report: dict[str, object] = json.loads(out.read_text())
    assert result.returncode == 0, (report, result.stderr[-2000:])
    return report


def _needs_postgres() -> None:
    from sqlalchemy import text

    from assessment.db import create_database_engine

    url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    engine = create_database_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {url}")
    finally:
        engine.dispose()


def test_one_process_no_error_nothing_lost(tmp_path: Path) -> None:
    _needs_postgres()
    report = _run(tmp_path, "--users", "3", "--processes", "1", "--duration", "8", "--think", "2")
    assert report["errors"] == 0 and report["lost"] == 0
    assert isinstance(report["interactions"], int) and report["interactions"] > 0


def test_two_processes_behind_nginx_no_error_nothing_lost(tmp_path: Path) -> None:
    _needs_postgres()
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is missing (.ci/run installs nginx-light)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    report = _run(
        tmp_path, "--users", "4", "--processes", "2", "--duration", "8", "--think", "2",
        "--port", "8720",
    )  # fmt: skip
    assert report["errors"] == 0 and report["lost"] == 0
    assert isinstance(report["interactions"], int) and report["interactions"] > 0


def test_a_killed_process_loses_no_saved_answer(tmp_path: Path) -> None:
    """SIGKILL the busier of two processes mid-run: its users reconnect through nginx
    to the other one, find every answer the app had acknowledged, and carry on."""
    _needs_postgres()
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is missing (.ci/run installs nginx-light)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    report = _run(
        tmp_path, "--users", "4", "--processes", "2", "--duration", "14", "--think", "1.5",
        "--fault", "kill", "--fault-after", "4", "--port", "8740",
    )  # fmt: skip
    assert str(report["fault"]).startswith("killed the process")
    assert report["errors"] == 0 and report["lost"] == 0 and report["drafts_missing"] == 0
    assert isinstance(report["reconnected"], int) and report["reconnected"] >= 1


def test_a_postgresql_restart_is_ridden_through(tmp_path: Path) -> None:
    """Stop the run's own PostgreSQL server for 8 s mid-run, then start it again: the
    app refuses the answers of that window with its temporary French message, then
    saves again by itself (pre-ping, connection retry); nothing lost, no error."""
    _needs_postgres()
    report = _run(
        tmp_path, "--users", "6", "--processes", "1", "--duration", "24", "--think", "1.5",
        "--fault", "postgres", "--fault-after", "4", "--fault-down", "8", "--port", "8760",
    )  # fmt: skip
    assert str(report["fault"]).startswith("stopped PostgreSQL")
    assert report["errors"] == 0 and report["lost"] == 0
    assert isinstance(report["refused_temporarily"], int) and report["refused_temporarily"] >= 1
    assert isinstance(report["answers_after_fault"], int) and report["answers_after_fault"] >= 1

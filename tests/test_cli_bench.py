"""``assessment bench`` on a tiny data set: the table and every JSON key (never a time)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from assessment.cli import main


def test_bench_writes_every_figure_and_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        main, ["bench", "--orgs", "60", "--campaigns", "2", "--repeat", "1", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "agrégat régional" in result.output and "DuckDB" in result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    for operation in ("regional", "national", "peers", "version_check"):
        for key in ("ours_ms", "floor_ms", "ratio"):
            assert isinstance(figures[f"{operation}_{key}"], float)
    assert isinstance(figures["max_aggregate_ratio"], float)
    assert figures["orgs"] == 60 and figures["engine"] == "sqlite"


def test_bench_reuses_a_seeded_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    runner = CliRunner()
    seeded = runner.invoke(
        main,
        ["bench", "--orgs", "60", "--campaigns", "2", "--repeat", "1",
         "--database-url", url, "--json", str(first)],
    )  # fmt: skip
    assert seeded.exit_code == 0, seeded.output
    # --orgs is ignored: the counts are read from the database, and nothing is seeded
    again = runner.invoke(
        main,
        ["bench", "--orgs", "5000", "--repeat", "1", "--database-url", url, "--reuse",
         "--json", str(second)],
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "déjà en base" in again.output
    before = json.loads(first.read_text(encoding="utf-8"))
    after = json.loads(second.read_text(encoding="utf-8"))
    assert before["reused"] is False and after["reused"] is True
    assert after["orgs"] == 60 and after["campaigns"] == 2 and after["seed_seconds"] == 0.0
    assert after["rows"] == before["rows"]


def test_bench_reuse_needs_a_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "--reuse"])
    assert result.exit_code == 2 and "--database-url" in result.output
    empty = CliRunner().invoke(
        main, ["bench", "--reuse", "--database-url", f"sqlite:///{tmp_path / 'empty.sqlite3'}"]
    )
    assert empty.exit_code == 1 and "Rien à réutiliser" in empty.output

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

"""What a rerun of « Résultats » and « Plan d'action » no longer does (issue 10, §5):
build the downloads (built when clicked) or the charts' specifications (built once
per data, then drawn from the cache)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from assessment import action_plan, exports
from assessment.french import typo
from assessment.web import chart_cache

from .test_filling import Env, fill_required, make_env

RESULTS = "resultats"
PLAN = "plan-action"


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    chart_cache.clear()
    return make_env(web_db, cookies)


def _count_calls(monkeypatch: pytest.MonkeyPatch, names: list[str]) -> list[str]:
    calls: list[str] = []
    for name in names:
        original: Callable[..., Any] = getattr(exports, name)

        def counted(
            *args: Any, _f: Callable[..., Any] = original, _n: str = name, **kw: Any
        ) -> Any:
            calls.append(_n)
            return _f(*args, **kw)

        monkeypatch.setattr(exports, name, counted)
    return calls


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """File name → the callable a download button runs when clicked (Streamlit's
    media manager of each AppTest run keeps them; this keeps the last ones)."""
    kept: dict[str, Callable[[], Any]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self: MediaFileManager, data_callable: Any, *args: Any, **kw: Any) -> str:
        kept[str(kw.get("file_name"))] = data_callable
        return original(self, data_callable, *args, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return kept


def _download(
    at: AppTest, label: str, deferred: dict[str, Callable[[], Any]], file_name: str
) -> bytes:
    """What clicking the download button ``label`` (as written by the page, before
    the drawn typography) sends (its data built now)."""
    button = next(d for d in at.get("download_button") if d.label == typo(label))
    assert button.proto.HasField("deferred_file_id"), f"{label}: built on every run"
    data = deferred[file_name]()
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def test_results_downloads_are_built_on_click_only(
    env: Env, monkeypatch: pytest.MonkeyPatch, deferred: dict[str, Callable[[], Any]]
) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2)
    calls = _count_calls(monkeypatch, ["results_csv", "results_json", "results_xlsx"])
    at = env.app(RESULTS).run()
    at.run()
    assert not at.exception
    assert calls == []  # two runs of the page, no download built
    rows = list(
        csv.reader(
            io.StringIO(
                _download(at, "Résultats (CSV)", deferred, f"resultats-{env.year}.csv").decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert calls == ["results_csv"]
    assert any("Gouvernance" in cell for row in rows for cell in row)
    payload = json.loads(_download(at, "Résultats (JSON)", deferred, f"resultats-{env.year}.json"))
    assert calls == ["results_csv", "results_json"] and payload


def test_action_plan_downloads_are_built_on_click_only(
    env: Env, monkeypatch: pytest.MonkeyPatch, deferred: dict[str, Callable[[], Any]]
) -> None:
    action_plan.add_action(
        env.engine,
        env.member,
        env.org,
        campaign_id=env.campaign,
        item_id="gouvernance",
        horizon_id="goal_1y",
        title="Relire les statuts en conseil",
    )
    calls = _count_calls(monkeypatch, ["action_plan_csv", "action_plan_xlsx"])
    at = env.app(PLAN, who="member").run()
    at.run()
    assert not at.exception
    assert calls == []
    content = _download(at, "Plan d'action (CSV)", deferred, f"plan-action-{env.year}.csv").decode(
        "utf-8-sig"
    )
    assert "Relire les statuts en conseil" in content
    assert calls == ["action_plan_csv"]
    assert (
        _download(at, "Plan d'action (Excel)", deferred, f"plan-action-{env.year}.xlsx")[:2]
        == b"PK"
    )  # a workbook
    assert calls == ["action_plan_csv", "action_plan_xlsx"]


def test_results_charts_are_built_once_per_data(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign, level=2)
    at = env.app(RESULTS).run()
    assert not at.exception
    first = chart_cache.stats()
    drawn = len(at.get("vega_lite_chart"))
    assert drawn >= 2 and first["built"] == drawn
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    at.run()
    again = chart_cache.stats()
    assert again["built"] == first["built"]  # nothing validated again
    assert again["reused"] - first["reused"] == drawn
    assert [c.proto.spec for c in at.get("vega_lite_chart")] == specs  # the same charts
    # other data (a better level): a new specification for the chart that shows it
    fill_required(env.engine, env.grid, env.org, env.campaign, level=3)
    env.app(RESULTS).run()
    assert chart_cache.stats()["built"] > again["built"]

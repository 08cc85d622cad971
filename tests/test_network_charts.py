"""Dashboard charts and figures are pure: assert on the Vega-Lite specification."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from assessment import exports
from assessment import network_charts as nc
from assessment.dashboards import HIDDEN, Figure
from assessment.regions import REGIONS


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def test_heatmap_writes_values_and_marks_hidden_cells() -> None:
    cells: list[nc.HeatCell] = [
        {"row": "Gouvernance", "column": "Association", "value": 52.0, "hidden": False},
        {"row": "Gouvernance", "column": "Fondation", "value": None, "hidden": True},
        {"row": "Éthique", "column": "Association", "value": 71.4, "hidden": False},
        {"row": "Éthique", "column": "Fondation", "value": None, "hidden": True},
    ]
    spec = nc.heatmap(cells, title="T", row_title="Thème", column_title="Famille").to_dict()
    values = spec["data"]["values"]
    assert [v["label"] for v in values] == ["52", HIDDEN, "71", HIDDEN]
    assert [v["hidden"] for v in values] == [False, True, False, True]
    layers = _layers(spec)
    assert layers[1]["mark"]["strokeDash"]  # hidden cells: dashed, never shaded
    assert layers[0]["encoding"]["fill"]["scale"]["domain"] == [50, 80]
    assert "2 cases masquées" in spec["description"]
    assert "Gouvernance, Fondation\u00a0: masqué" in spec["description"]


def test_tile_map_places_all_18_regions_once() -> None:
    assert set(nc.TILES) == {r.code for r in REGIONS}
    assert len({(c, r) for c, r, _ in nc.TILES.values()}) == 18
    tiles: list[nc.Tile] = [
        {"code": r.code, "name": r.name, "value": None if r.code == "06" else 50.0 + i}
        for i, r in enumerate(REGIONS)
    ]
    spec = nc.tile_map(tiles, title="Carte", highlight="53").to_dict()
    values = {v["code"]: v for v in spec["data"]["values"]}
    assert len(values) == 18
    assert values["06"]["label"] == HIDDEN and values["06"]["hidden"]
    assert values["53"]["highlight"] and values["53"]["abbr"] == "BRE"
    assert "Carte en tuiles des 18 régions" in spec["description"]


def test_distribution_chart_tells_horizons_apart_without_colour() -> None:
    horizons = ["État des lieux", "Objectif à 1 an"]
    counts: list[nc.BinCount] = [
        {"bin": "0-20", "horizon": horizons[0], "n": None},
        {"bin": "0-20", "horizon": horizons[1], "n": 0},
        {"bin": "20-40", "horizon": horizons[0], "n": 12},
        {"bin": "20-40", "horizon": horizons[1], "n": 7},
    ]
    spec = nc.distribution_chart(counts, horizons, title="R").to_dict()
    bars = _layers(spec)[0]["encoding"]
    assert bars["fill"]["field"] == bars["strokeDash"]["field"] == "horizon"
    assert len({tuple(d) for d in bars["strokeDash"]["scale"]["range"]}) == 2
    labels = [v["label"] for v in spec["data"]["values"]]
    assert labels == [HIDDEN, "0", "12", "7"]
    assert spec["data"]["values"][0]["bin"] == "0–20"


def test_participation_and_comparison_and_bars() -> None:
    statuses = ["Non commencée", "En cours (brouillon)", "Soumise"]
    counts: list[nc.StatusCount] = [
        {"group": "Association", "status": s, "count": n}
        for s, n in zip(statuses, (3, 40, 50), strict=True)
    ]
    spec = nc.participation_chart(counts, statuses, title="P").to_dict()
    bars = _layers(spec)[0]["encoding"]
    assert len(set(bars["fill"]["scale"]["range"])) == 3
    assert "Association, soumise\u00a0: 50" in spec["description"]
    points: list[nc.ScopeScore] = [
        {"item": "Gouvernance", "scope": "Bretagne", "score": 50.0},
        {"item": "Gouvernance", "scope": "France entière", "score": 52.0},
    ]
    spec = nc.comparison_chart(points, ["Bretagne", "France entière"], title="C").to_dict()
    dots = _layers(spec)[1]["encoding"]
    assert dots["shape"]["scale"]["range"][:2] == ["circle", "square"]
    assert dots["fill"]["scale"]["range"] == [nc.SHADES[3], "#ffffff"]
    spec = nc.bar_chart(
        [{"label": "Gouvernance", "value": -2.0}, {"label": "Éthique", "value": None}],
        title="B",
        axis_title="Points",
        unit="pts",
        signed=True,
    ).to_dict()
    assert [v["text"] for v in spec["data"]["values"]] == ["−2 pts", HIDDEN]


values = st.one_of(
    st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(0, 10**6)
)


@given(st.lists(st.tuples(st.text(min_size=1, max_size=8), values, values), max_size=12))
def test_exports_show_exactly_what_the_screen_shows(rows: list[tuple[Any, ...]]) -> None:
    figure = Figure(key="k", title="t", caption="c", header=("a", "b", "c"), rows=tuple(rows))
    exported = exports.table_csv(figure.header, figure.export_rows())
    read = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline=""), delimiter=";"))
    screen = [[cell.replace("\u202f", "") for cell in row] for row in figure.display_rows()]
    assert read[0] == ["a", "b", "c"]
    assert [row[1:] for row in read[1:]] == [row[1:] for row in screen]
    hidden = sum(v is None for row in rows for v in row[1:])
    assert sum(cell == HIDDEN for row in read[1:] for cell in row[1:]) == hidden

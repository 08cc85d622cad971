"""Charts are pure: assert on the Vega-Lite specification, no browser."""

from __future__ import annotations

from typing import Any

from assessment import charts

HORIZONS = ["État des lieux", "Objectif à 1 an", "Objectif à 3 ans"]


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def _marks(spec: dict[str, Any]) -> list[str]:
    out = []
    for layer in _layers(spec):
        mark = layer["mark"]
        out.append(mark["type"] if isinstance(mark, dict) else mark)
    return out


def test_goals_chart_groups_bars_by_horizon_with_shade_and_pattern() -> None:
    rows: list[charts.GoalRow] = [
        {"item": "Gouvernance", "horizon": HORIZONS[0], "score": 25.0},
        {"item": "Gouvernance", "horizon": HORIZONS[1], "score": 50.0},
        {"item": "Gouvernance", "horizon": HORIZONS[2], "score": 75.0},
        {"item": "Salaires", "horizon": HORIZONS[0], "score": 50.0},
        {"item": "Salaires", "horizon": HORIZONS[1], "score": None},
    ]
    spec = charts.goals_chart(rows, HORIZONS).to_dict()
    assert spec["title"] == "État des lieux et objectifs par thème"
    assert _marks(spec) == ["bar", "text"]
    values = spec["data"]["values"]
    assert [(v["item"], v["horizon"], v["score"]) for v in values] == [
        ("Gouvernance", HORIZONS[0], 25.0),
        ("Gouvernance", HORIZONS[1], 50.0),
        ("Gouvernance", HORIZONS[2], 75.0),
        ("Salaires", HORIZONS[0], 50.0),
    ]
    # every bar ends with its value (short: never cut at the edge of a phone)
    assert values[1]["label"] == "50"
    bars = _layers(spec)[0]["encoding"]
    assert bars["y"]["field"] == "item"
    assert bars["y"]["sort"] == ["Gouvernance", "Salaires"]
    assert bars["yOffset"]["field"] == "horizon"
    assert bars["x"]["scale"]["domain"] == [0.0, 100.0]
    # horizons differ by shade AND stroke pattern
    assert bars["fill"]["field"] == bars["strokeDash"]["field"] == "horizon"
    shades = bars["fill"]["scale"]["range"]
    dashes = bars["strokeDash"]["scale"]["range"]
    assert len(set(shades)) == 3 and len({tuple(d) for d in dashes}) == 3
    assert bars["fill"]["legend"]["title"] == "Horizon"
    assert _layers(spec)[0]["mark"]["stroke"] == charts.INK
    assert _layers(spec)[1]["encoding"]["text"]["field"] == "label"


def test_goals_chart_follows_grid_horizons_and_item_order() -> None:
    horizons = ["Actuel", "1 an", "2 ans", "5 ans"]
    rows: list[charts.GoalRow] = [
        {"item": item, "horizon": h, "score": 10.0 * i}
        for item in ("B", "A")
        for i, h in enumerate(horizons)
    ]
    spec = charts.goals_chart(rows, horizons, items=["A", "B"]).to_dict()
    bars = _layers(spec)[0]["encoding"]
    assert bars["y"]["sort"] == ["A", "B"]
    assert bars["fill"]["scale"]["domain"] == horizons
    assert len(bars["strokeDash"]["scale"]["range"]) == 4


def test_goals_chart_without_data_says_so() -> None:
    spec = charts.goals_chart([], HORIZONS).to_dict()
    assert spec["data"]["values"] == [{"message": "Pas encore de données"}]


def test_progress_chart_one_line_per_series_with_shapes_and_values() -> None:
    rows: list[charts.ProgressRow] = [
        {"campaign": "2024", "series": "Ensemble", "score": 40.0},
        {"campaign": "2025", "series": "Ensemble", "score": 55.0},
        {"campaign": "2024", "series": "Gouvernance", "score": 30.0},
        {"campaign": "2025", "series": "Gouvernance", "score": None},
    ]
    spec = charts.progress_chart(rows).to_dict()
    assert spec["title"] == "Score de l’état des lieux par campagne"
    assert _marks(spec) == ["line", "point", "text"]
    line, point, text = _layers(spec)
    assert line["encoding"]["x"]["sort"] == ["2024", "2025"]
    assert line["encoding"]["strokeDash"]["field"] == "series"
    assert point["encoding"]["shape"]["scale"]["range"][:2] == ["circle", "square"]
    values = spec["data"]["values"]
    assert len(values) == 3  # the unanswered point is dropped
    assert [v["value"] for v in values] == ["40", "55", "30"]
    assert text["encoding"]["text"]["field"] == "value"  # each point's value, above it
    assert text["mark"]["baseline"] == "bottom" and text["mark"]["dy"] < 0


def test_progress_chart_years_are_horizontal_and_the_draft_is_provisional() -> None:
    rows: list[charts.ProgressRow] = [
        {"campaign": "2025", "series": "Ensemble", "score": 40.0},
        {"campaign": "2026", "series": "Ensemble", "score": 55.0},
    ]
    spec = charts.progress_chart(rows, provisional="2026").to_dict()
    axis = _layers(spec)[0]["encoding"]["x"]["axis"]
    assert axis["labelAngle"] == 0
    assert "'2026'" in axis["labelExpr"] and "(provisoire)" in axis["labelExpr"]
    values = {v["campaign"]: v for v in spec["data"]["values"]}
    assert values["2026"]["provisional"] and not values["2025"]["provisional"]
    assert values["2026"]["label"] == "Ensemble (55, provisoire)"
    # points are filled, the provisional one hollow
    assert _layers(spec)[1]["mark"]["filled"] is True
    opacity = _layers(spec)[1]["encoding"]["fillOpacity"]
    assert opacity["condition"]["test"] == "datum.provisional"
    assert opacity["condition"]["value"] == 0.0 and opacity["value"] == 1.0
    # nothing provisional: plain labels
    plain = charts.progress_chart(rows).to_dict()
    assert plain["layer"][0]["encoding"]["x"]["axis"]["labelExpr"] == "datum.label"


def test_progress_panels_are_small_multiples_one_per_theme() -> None:
    themes = [f"Thème {i}" for i in range(8)]
    rows: list[charts.ProgressRow] = [
        {"campaign": year, "series": theme, "score": 10.0 * i + (5 if year == "2025" else 0)}
        for i, theme in enumerate(themes)
        for year in ("2024", "2025")
    ]
    panels = charts.progress_panels(rows, provisional="2025")
    assert [name for name, _ in panels] == themes
    for i, (name, chart) in enumerate(panels):
        spec = chart.to_dict()
        assert spec["title"] == name  # the panel names its theme: no end label needed
        context, line, point, text = spec["layer"]
        # the other seven themes in light grey, for context; this one dark
        assert {v["series"] for v in context["data"]["values"]} == set(themes) - {name}
        assert context["mark"]["color"] == "#bbbbbb"
        assert [v["series"] for v in line["data"]["values"]] == [name, name]
        assert line["mark"]["color"] == charts.SHADES[3]
        assert [v["value"] for v in line["data"]["values"]] == [str(10 * i), str(10 * i + 5)]
        assert text["encoding"]["text"]["field"] == "value"
        assert point["mark"]["filled"] is True
        assert point["encoding"]["fillOpacity"]["condition"]["test"] == "datum.provisional"
        # same axes everywhere, years not rotated, the draft marked
        assert line["encoding"]["y"]["scale"]["domain"] == [0.0, 100.0]
        assert line["encoding"]["x"]["axis"]["labelAngle"] == 0
        assert "provisoire" in line["encoding"]["x"]["axis"]["labelExpr"]
        assert spec["width"] == "container"


def test_priorities_chart_sorted_by_gap_with_labels() -> None:
    rows: list[charts.GapRow] = [
        {"item": "A", "gap": 10.0},
        {"item": "B", "gap": 40.0},
        {"item": "C", "gap": 25.0},
    ]
    spec = charts.priorities_chart(rows, limit=2).to_dict()
    assert [v["item"] for v in spec["data"]["values"]] == ["B", "C"]
    assert spec["data"]["values"][0]["label"] == "40 pts"
    bars = _layers(spec)[0]
    assert bars["encoding"]["y"]["sort"] == ["B", "C"]
    assert bars["encoding"]["x"]["title"] == "Écart (points sur 100)"


def test_priorities_axis_reaches_past_the_longest_bar_and_its_label() -> None:
    for longest in (3.0, 25.0, 38.0, 62.0, 100.0):
        rows: list[charts.GapRow] = [{"item": "A", "gap": longest}, {"item": "B", "gap": 1.0}]
        spec = charts.priorities_chart(rows).to_dict()
        scale = _layers(spec)[0]["encoding"]["x"]["scale"]
        assert scale["nice"] is False
        low, high = scale["domain"]
        assert low == 0 and high >= longest * 1.2 and high % 10 == 0, (longest, high)
    assert charts.axis_top(38.0) == 50.0


def test_chart_titles_do_not_repeat_the_page_headings() -> None:
    headings = (
        "Progression d’une campagne à l’autre",
        "Progression d'une campagne à l'autre",
        "Comparaison avec des organisations comparables",
        "Priorités",
        "Scores par thème et par horizon",
    )
    for name, spec in _every_chart().items():
        title = spec.get("title")
        text = title.get("text", "") if isinstance(title, dict) else (title or "")
        assert not any(text.startswith(h) for h in headings), (name, text)
        assert spec.get("description"), name  # the chart's accessible name
    # a chart drawn under a heading that says it all may have no title at all
    untitled = charts.priorities_chart([{"item": "A", "gap": 5.0}], title=None).to_dict()
    assert "title" not in untitled and untitled["description"]


def test_legends_sit_below_in_one_column_and_are_never_cut() -> None:
    goals = _every_chart()["goals"]
    legend = _layers(goals)[0]["encoding"]["fill"]["legend"]
    assert legend["orient"] == "bottom" and legend["columns"] == 1 and legend["labelLimit"] == 0
    rows: list[charts.ProgressRow] = [
        {"campaign": "2025", "series": "Ensemble", "score": 40.0},
        {
            "campaign": "2025",
            "series": "Une question au nom très long (12 organisations)",
            "score": 4.0,
        },
    ]
    line = _layers(charts.progress_chart(rows).to_dict())[0]
    assert line["encoding"]["color"]["legend"]["labelLimit"] == 0
    assert line["encoding"]["color"]["legend"]["orient"] == "bottom"


def test_priorities_chart_empty() -> None:
    spec = charts.priorities_chart([]).to_dict()
    assert spec["data"]["values"][0]["message"] == "Aucun écart à combler"


def test_peer_chart_draws_quartiles_median_and_own_score() -> None:
    groups: list[charts.PeerGroup] = [
        {"group": "Même région", "n": 12, "q1": 30.0, "median": 45.0, "q3": 60.0},
        {"group": "Même famille juridique", "n": 5, "q1": 20.0, "median": 35.0, "q3": 50.0},
    ]
    spec = charts.peer_chart(52.0, groups).to_dict()
    assert spec["title"]["text"] == "Votre score et celui des groupes comparables"
    assert _marks(spec) == ["bar", "tick", "text", "text", "point"]
    box, _median, name, median_text, own_point = _layers(spec)
    values = spec["data"]["values"]
    assert values[0]["group"] == "Même région (12 org.)"
    assert values[1]["median_label"] == "médiane 35 · la moitié entre 20 et 50"
    assert box["encoding"]["x"]["field"] == "q1" and box["encoding"]["x2"]["field"] == "q3"
    assert own_point["mark"]["shape"] == "diamond"
    # group names above their box, figures below it, both from the left edge: never cut
    # by an axis label limit (« (12 or… »), never printed on a mark
    assert box["encoding"]["y"]["axis"] is None
    assert name["encoding"]["text"]["field"] == "group" and name["mark"]["dy"] < 0
    assert median_text["mark"]["dy"] > 0
    for label in (name, median_text):
        assert label["encoding"]["x"] == {"value": 0} and label["mark"]["align"] == "left"
    # « Votre organisation » is named once, in the subtitle, not next to the median
    assert spec["title"]["subtitle"][0] == "Losange\u00a0: votre organisation, 52 sur 100."
    texts = [layer for layer in _layers(spec) if _marks({"layer": [layer]}) == ["text"]]
    assert all(t["encoding"]["text"]["field"] != "own_label" for t in texts)


def test_peer_chart_without_groups_or_own_score() -> None:
    assert charts.peer_chart(50.0, []).to_dict()["data"]["values"][0]["message"] == (
        "Pas assez d'organisations comparables"
    )
    spec = charts.peer_chart(
        None, [{"group": "Ensemble", "n": 9, "q1": 1.0, "median": 2.0, "q3": 3.0}]
    ).to_dict()
    assert _marks(spec) == ["bar", "tick", "text", "text"]
    assert len(spec["title"]["subtitle"]) == 1


def test_chart_values_use_the_one_rounding() -> None:
    rows: list[charts.GoalRow] = [
        {"item": "A", "horizon": HORIZONS[0], "score": 62.5},
        {"item": "A", "horizon": HORIZONS[1], "score": 87.5},
    ]
    values = charts.goals_chart(rows, HORIZONS).to_dict()["data"]["values"]
    assert [v["label"] for v in values] == ["63", "88"]  # halves up, as on the page


def _every_chart() -> dict[str, dict[str, Any]]:
    goals: list[charts.GoalRow] = [{"item": "Éthique", "horizon": HORIZONS[0], "score": 50.0}]
    progress: list[charts.ProgressRow] = [{"campaign": "2025", "series": "Ensemble", "score": 40.0}]
    gaps: list[charts.GapRow] = [{"item": "Éthique", "gap": 20.0}]
    peers: list[charts.PeerGroup] = [
        {"group": "Même région", "n": 5, "q1": 30.0, "median": 50.0, "q3": 70.0}
    ]
    return {
        "goals": charts.goals_chart(goals, HORIZONS).to_dict(),
        "goals-empty": charts.goals_chart([], HORIZONS).to_dict(),
        "progress": charts.progress_chart(progress).to_dict(),
        "priorities": charts.priorities_chart(gaps).to_dict(),
        "peers": charts.peer_chart(52.0, peers).to_dict(),
        "peers-empty": charts.peer_chart(None, []).to_dict(),
    }


def test_charts_use_the_app_font_everywhere() -> None:
    for name, spec in _every_chart().items():
        config = spec["config"]
        assert config["font"] == charts.FONT, name
        assert config["font"].startswith('"Source Sans"'), name  # Streamlit's font
        assert config["font"].endswith("sans-serif"), name
        assert config["title"]["font"] == charts.FONT, name
        for part in ("axis", "legend", "header"):
            assert config[part]["labelFont"] == config[part]["titleFont"] == charts.FONT, (
                name,
                part,
            )
        assert config["text"]["font"] == charts.FONT, name  # value labels on the bars


def test_chart_titles_keep_room_for_accented_capitals() -> None:
    for name, spec in _every_chart().items():
        title = spec["config"]["title"]
        # « État », « Écart »: large enough to tell É from E, and room above it
        assert title["fontSize"] >= 15, name
        assert title["lineHeight"] > title["fontSize"], name
        assert title["offset"] >= 8, name
        assert spec["padding"]["top"] >= 12, name
        axis = spec["config"]["axis"]
        assert axis["labelFontSize"] >= 11 and axis["titleFontSize"] >= 12, name
        assert spec["config"]["legend"]["labelFontSize"] >= 11, name
    assert _every_chart()["goals"]["title"] == "État des lieux et objectifs par thème"

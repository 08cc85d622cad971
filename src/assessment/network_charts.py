"""Pure functions returning the Altair charts of the regional and national dashboards.

Like :mod:`assessment.charts` (whose style, shades, dashes and shapes they
share): plain rows in, a chart out, rows inlined in the specification so that
tests read what a user sees.  Every chart

* carries its alt text as the specification's ``description`` (Vega-Lite puts
  it in the canvas's ``aria-label``), built from the figures it shows, so a
  screen reader gets the same numbers;
* stays readable printed in black and white: values are written on the marks,
  series differ by shade *and* pattern or shape, sequential shades run from
  light to dark;
* draws a hidden (protected) cell as an empty, dashed box marked « masqué »,
  never as a zero.

The figures come from :mod:`assessment.privacy` already protected; nothing is
computed here but positions and labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypedDict

import altair as alt

from assessment.charts import DASHES, INK, SCORE_AXIS_TITLE, SHADES, SHAPES, _cycle, styled
from assessment.french import number, typo

HIDDEN = "masqué"
SEQUENTIAL = ("#eff3ff", "#08306b")
"""Light to dark blue: the luminance alone carries the order (black and white)."""
DARK_TEXT_FROM = 0.6
"""Share of the colour domain above which a cell's label is written in white."""


class HeatCell(TypedDict):
    """One cell of :func:`heatmap`: ``value`` ``None`` with ``hidden`` for a protected cell."""

    row: str
    column: str
    value: float | None
    hidden: bool


class BinCount(TypedDict):
    """One bar of :func:`distribution_chart`: organisations in a score band at a horizon."""

    bin: str
    horizon: str
    n: int | None


class StatusCount(TypedDict):
    """One segment of :func:`participation_chart`."""

    group: str
    status: str
    count: int


class ScopeScore(TypedDict):
    """One point of :func:`comparison_chart`: a theme's score in one scope."""

    item: str
    scope: str
    score: float | None


class Bar(TypedDict):
    """One bar of :func:`bar_chart` (``value`` ``None``: hidden)."""

    label: str
    value: float | None


class Tile(TypedDict):
    """One region of :func:`tile_map`."""

    code: str
    name: str
    value: float | None


def _text(value: float | None, decimals: int = 0) -> str:
    return HIDDEN if value is None else number(value, decimals)


def _described(chart: Any, description: str) -> Any:
    return chart.properties(description=typo(description))


def _empty(title: str, message: str) -> Any:
    return styled(
        _described(
            alt.Chart(alt.Data(values=[{"message": message}]), title=title)
            .mark_text(size=14, color=INK)
            .encode(text="message:N"),
            f"{title} : {message}",
        )
    )


# ---------------------------------------------------------------------------
# heatmap: themes × groups, regions × themes
# ---------------------------------------------------------------------------


def heatmap(
    cells: Sequence[HeatCell],
    *,
    title: str,
    row_title: str,
    column_title: str,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    domain: tuple[float, float] | None = None,
    value_title: str = "Score moyen",
) -> Any:
    """A grid of shaded cells, each with its value written in it; hidden cells are
    white, dashed and marked « masqué ».  ``domain``: the values the shades span
    (default: the shown values, widened to tens, so that differences show)."""
    if not cells:
        return _empty(title, "Pas encore de données")
    if domain is None:
        known = [float(c["value"]) for c in cells if not c["hidden"] and c["value"] is not None]
        domain = (
            (10 * math.floor(min(known) / 10), max(10 * math.ceil(max(known) / 10), 10.0))
            if known
            else (0.0, 100.0)
        )
        if domain[1] <= domain[0]:
            domain = (domain[0], domain[0] + 10)
    row_order = list(rows) if rows is not None else list(dict.fromkeys(c["row"] for c in cells))
    column_order = (
        list(columns) if columns is not None else list(dict.fromkeys(c["column"] for c in cells))
    )
    threshold = domain[0] + DARK_TEXT_FROM * (domain[1] - domain[0])
    values: list[dict[str, Any]] = [
        {
            "row": c["row"],
            "column": c["column"],
            "value": None if c["hidden"] else c["value"],
            "hidden": c["hidden"] or c["value"] is None,
            "label": _text(None if c["hidden"] else c["value"]),
            "dark": (not c["hidden"]) and c["value"] is not None and c["value"] >= threshold,
        }
        for c in cells
    ]
    y = alt.Y("row:N", sort=row_order, title=row_title, axis=alt.Axis(labelLimit=240))
    x = alt.X(
        "column:N",
        sort=column_order,
        title=column_title,
        axis=alt.Axis(labelAngle=-30, labelLimit=160, orient="top"),
    )
    base = alt.Chart(alt.Data(values=values)).encode(
        x=x,
        y=y,
        tooltip=[
            alt.Tooltip("row:N", title=row_title),
            alt.Tooltip("column:N", title=column_title),
            alt.Tooltip("label:N", title=value_title),
        ],
    )
    shown = base.transform_filter("!datum.hidden").mark_rect(stroke="#ffffff", strokeWidth=2)
    shown = shown.encode(
        fill=alt.Fill(
            "value:Q",
            scale=alt.Scale(domain=list(domain), range=list(SEQUENTIAL)),
            title=value_title,
            legend=alt.Legend(orient="bottom", gradientLength=220),
        )
    )
    hidden = base.transform_filter("datum.hidden").mark_rect(
        fill="#ffffff", stroke=INK, strokeDash=[3, 3], strokeWidth=1
    )
    labels = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("datum.dark", alt.value("#ffffff"), alt.value(INK)),
    )
    hidden_count = sum(1 for v in values if v["hidden"])
    description = f"{title}. Tableau de {len(row_order)} lignes ({row_title.lower()}) "
    description += f"et {len(column_order)} colonnes ({column_title.lower()}) ; "
    description += "; ".join(f"{v['row']}, {v['column']} : {v['label']}" for v in values[:60])
    if hidden_count:
        description += f". {hidden_count} cases masquées pour protéger de petits groupes."
    chart = alt.layer(shown, hidden, labels).properties(
        title=title, width="container", height=alt.Step(30)
    )
    return styled(_described(chart, description))


# ---------------------------------------------------------------------------
# distributions
# ---------------------------------------------------------------------------


def distribution_chart(
    counts: Sequence[BinCount],
    horizons: Sequence[str],
    *,
    title: str,
    bins: Sequence[str] | None = None,
) -> Any:
    """Grouped vertical bars: how many organisations fall in each score band, at each
    horizon (shade, stroke pattern and a label per bar); a hidden band is a dashed
    empty box marked « masqué »."""
    if not counts:
        return _empty(title, "Pas encore de données")
    bin_order = list(bins) if bins is not None else list(dict.fromkeys(c["bin"] for c in counts))
    shown_max = max((c["n"] or 0 for c in counts), default=0)
    values: list[dict[str, Any]] = [
        {
            "bin": c["bin"].replace("-", "–"),
            "horizon": c["horizon"],
            "n": c["n"] if c["n"] is not None else 0,
            "stub": max(1.0, shown_max * 0.04),
            "label_at": max(1.0, shown_max * 0.04) if c["n"] is None else c["n"],
            "hidden": c["n"] is None,
            "label": _text(c["n"]),
        }
        for c in counts
    ]
    order = [b.replace("-", "–") for b in bin_order]
    n = len(horizons)
    legend = alt.Legend(title="Horizon", orient="bottom", symbolStrokeColor=INK)
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("bin:N", sort=order, title="Score (sur 100)", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("horizon:N", sort=list(horizons)),
        tooltip=[
            alt.Tooltip("bin:N", title="Tranche de score"),
            alt.Tooltip("horizon:N", title="Horizon"),
            alt.Tooltip("label:N", title="Organisations"),
        ],
    )
    y = alt.Y("n:Q", title="Organisations", scale=alt.Scale(domainMin=0))
    bars = (
        base.transform_filter("!datum.hidden")
        .mark_bar(stroke=INK, strokeWidth=1.2)
        .encode(
            y=y,
            fill=alt.Fill(
                "horizon:N",
                scale=alt.Scale(domain=list(horizons), range=_cycle(SHADES[1:], n)),
                sort=list(horizons),
                legend=legend,
            ),
            strokeDash=alt.StrokeDash(
                "horizon:N",
                scale=alt.Scale(domain=list(horizons), range=_cycle(DASHES, n)),
                sort=list(horizons),
                legend=legend,
            ),
        )
    )
    hidden = (
        base.transform_filter("datum.hidden")
        .mark_bar(fill="#ffffff", stroke=INK, strokeDash=[3, 3])
        .encode(y=alt.Y("stub:Q"))
    )
    labels = (
        base.transform_filter("!datum.hidden")
        .mark_text(dy=-6, fontSize=10, color=INK)
        .encode(y=alt.Y("label_at:Q"), text="label:N")
    )
    # « masqué » upright above its box: as narrow as a bar, however narrow the screen
    hidden_labels = (
        base.transform_filter("datum.hidden")
        .mark_text(angle=270, align="left", baseline="middle", dx=4, fontSize=10, color=INK)
        .encode(y=alt.Y("label_at:Q"), text="label:N")
    )
    description = f"{title}. Nombre d'organisations par tranche de score : " + "; ".join(
        f"{v['horizon']}, {v['bin']} : {v['label']}" for v in values
    )
    chart = alt.layer(bars, hidden, labels, hidden_labels).properties(
        title=title, width="container", height=260
    )
    return styled(_described(chart, description))


# ---------------------------------------------------------------------------
# participation
# ---------------------------------------------------------------------------


def participation_chart(
    counts: Sequence[StatusCount],
    statuses: Sequence[str],
    *,
    title: str,
    groups: Sequence[str] | None = None,
) -> Any:
    """Stacked horizontal bars: per group, organisations not started, in draft and
    submitted (light to dark shades, a stroke pattern each, counts written in)."""
    kept: list[dict[str, Any]] = [dict(c) for c in counts if c["count"]]
    if not kept:
        return _empty(title, "Aucune organisation")
    group_order = (
        list(groups) if groups is not None else list(dict.fromkeys(c["group"] for c in kept))
    )
    rank = {s: i for i, s in enumerate(statuses)}
    totals: dict[str, int] = {}
    for c in kept:
        totals[c["group"]] = totals.get(c["group"], 0) + int(c["count"])
    room = max(totals.values()) * 0.04  # a label needs about that much of the widest bar
    for c in kept:
        c["order"] = rank.get(str(c["status"]), len(rank))
        c["labelled"] = c["count"] >= room
    n = len(statuses)
    legend = alt.Legend(title="Statut", orient="bottom", symbolStrokeColor=INK)
    base = alt.Chart(alt.Data(values=kept)).encode(
        y=alt.Y("group:N", sort=group_order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("count:Q", stack="zero", title="Organisations", axis=alt.Axis(tickCount=6)),
        order=alt.Order("order:Q"),
        tooltip=[
            alt.Tooltip("group:N", title="Groupe"),
            alt.Tooltip("status:N", title="Statut"),
            alt.Tooltip("count:Q", title="Organisations"),
        ],
    )
    shades = ("#e8e8e8", SHADES[1], SHADES[3])
    bars = base.mark_bar(stroke=INK, strokeWidth=1).encode(
        fill=alt.Fill(
            "status:N",
            scale=alt.Scale(domain=list(statuses), range=_cycle(shades, n)),
            sort=list(statuses),
            legend=legend,
        ),
        strokeDash=alt.StrokeDash(
            "status:N",
            scale=alt.Scale(domain=list(statuses), range=_cycle(([3, 2], [1, 0], [1, 0]), n)),
            sort=list(statuses),
            legend=legend,
        ),
    )
    labels = base.transform_filter("datum.labelled").mark_text(dx=-4, align="right", fontSize=10)
    labels = labels.encode(
        x=alt.X("count:Q", stack="zero", bandPosition=1),
        text="count:Q",
        color=alt.condition(alt.datum.order == n - 1, alt.value("#ffffff"), alt.value(INK)),
    )
    description = f"{title}. " + "; ".join(
        f"{c['group']}, {str(c['status']).lower()} : {c['count']}" for c in kept
    )
    chart = alt.layer(bars, labels).properties(title=title, width="container", height=alt.Step(28))
    return styled(_described(chart, description))


# ---------------------------------------------------------------------------
# one scope against another, bars
# ---------------------------------------------------------------------------


def comparison_chart(
    points: Sequence[ScopeScore],
    scopes: Sequence[str],
    *,
    title: str,
    items: Sequence[str] | None = None,
    axis_title: str = SCORE_AXIS_TITLE,
) -> Any:
    """A dot per theme and scope (e.g. the region, a filled circle, and France, an
    open square), joined by a rule, with the values written beside them."""
    kept: list[dict[str, Any]] = [dict(p) for p in points if p["score"] is not None]
    if not kept:
        return _empty(title, "Pas encore de données")
    item_order = list(items) if items is not None else list(dict.fromkeys(p["item"] for p in kept))
    for p in kept:
        p["label"] = number(p["score"], 0)
    n = len(scopes)
    legend = alt.Legend(
        title=None,
        orient="bottom",
        symbolStrokeColor=INK,
        symbolStrokeWidth=2,
        symbolSize=120,
        symbolFillColor="#ffffff",
    )
    y = alt.Y("item:N", sort=item_order, title=None, axis=alt.Axis(labelLimit=220))
    scores = [float(p["score"]) for p in kept]
    low = max(0.0, 10 * math.floor(min(scores) / 10) - 10)
    high = min(100.0, 10 * math.ceil(max(scores) / 10) + 10)
    scale = alt.Scale(domain=[low, high])
    x = alt.X("score:Q", scale=scale, title=axis_title)
    left_of: dict[str, int] = {}  # each theme's lower value is written left of its dot
    for index, p in enumerate(kept):
        first = left_of.get(p["item"])
        if first is None or float(p["score"]) < float(kept[first]["score"]):
            left_of[p["item"]] = index
    for index, p in enumerate(kept):
        p["left"] = left_of[p["item"]] == index
    base = alt.Chart(alt.Data(values=kept))
    rule = base.mark_rule(color=INK, strokeWidth=1).encode(
        y=y, x=alt.X("min(score):Q", scale=scale), x2="max(score):Q"
    )
    dots = base.mark_point(size=120, strokeWidth=2, stroke=INK).encode(
        y=y,
        x=x,
        shape=alt.Shape(
            "scope:N",
            scale=alt.Scale(domain=list(scopes), range=_cycle(SHAPES, n)),
            sort=list(scopes),
            legend=legend,
        ),
        fill=alt.Fill(
            "scope:N",
            scale=alt.Scale(domain=list(scopes), range=_cycle((SHADES[3], "#ffffff"), n)),
            sort=list(scopes),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("item:N", title="Thème"),
            alt.Tooltip("scope:N", title="Périmètre"),
            alt.Tooltip("label:N", title="Score moyen"),
        ],
    )
    left = (
        base.transform_filter("datum.left")
        .mark_text(dx=-10, align="right", fontSize=10, color=INK)
        .encode(y=y, x=x, text="label:N")
    )
    right = (
        base.transform_filter("!datum.left")
        .mark_text(dx=10, align="left", fontSize=10, color=INK)
        .encode(y=y, x=x, text="label:N")
    )
    description = f"{title}. " + "; ".join(
        f"{p['item']}, {p['scope']} : {p['label']}" for p in kept
    )
    chart = alt.layer(rule, dots, left, right).properties(
        title=title, width="container", height=alt.Step(34)
    )
    return styled(_described(chart, description))


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    axis_title: str,
    unit: str = "",
    domain: tuple[float, float] | None = None,
    signed: bool = False,
) -> Any:
    """Horizontal bars in the given order, each labelled with its value (``unit``
    appended); a hidden bar is written « masqué »; ``signed``: ``+3`` / ``−2``."""
    if not bars:
        return _empty(title, "Pas encore de données")
    values: list[dict[str, Any]] = []
    for b in bars:
        v = b["value"]
        if v is None:
            shown = HIDDEN
        else:
            shown = (("+" if v > 0 else "") if signed else "") + number(v, 0)
            shown = shown.replace("-", "−") + (f" {unit}" if unit else "")
        values.append({"label": b["label"], "value": v or 0, "hidden": v is None, "text": shown})
    order = [b["label"] for b in bars]
    scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=True)
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("value:Q", title=axis_title, scale=scale),
        tooltip=[alt.Tooltip("label:N", title="Thème"), alt.Tooltip("text:N", title=axis_title)],
    )
    drawn = base.transform_filter("!datum.hidden").mark_bar(
        fill=SHADES[2], stroke=INK, strokeWidth=1
    )
    labels = base.mark_text(align="left", dx=4, fontSize=10, color=INK).encode(text="text:N")
    description = f"{title}. " + "; ".join(f"{v['label']} : {v['text']}" for v in values)
    chart = alt.layer(drawn, labels).properties(title=title, width="container", height=alt.Step(26))
    return styled(_described(chart, typo(description)))


# ---------------------------------------------------------------------------
# tile-grid map of France's 18 regions
# ---------------------------------------------------------------------------

TILES: dict[str, tuple[int, int, str]] = {
    # code: (column, row, abbreviation); metropolitan France roughly in place,
    # the five overseas regions on a line below
    "32": (2, 0, "HDF"),
    "28": (1, 1, "NOR"),
    "11": (2, 1, "IDF"),
    "44": (3, 1, "GES"),
    "53": (0, 2, "BRE"),
    "52": (1, 2, "PDL"),
    "24": (2, 2, "CVL"),
    "27": (3, 2, "BFC"),
    "75": (1, 3, "NAQ"),
    "84": (2, 3, "ARA"),
    "76": (2, 4, "OCC"),
    "93": (3, 4, "PAC"),
    "94": (4, 5, "COR"),
    "01": (0, 6, "GUA"),
    "02": (1, 6, "MTQ"),
    "03": (2, 6, "GUF"),
    "04": (3, 6, "REU"),
    "06": (4, 6, "MAY"),
}
"""Where each region's tile sits (no boundaries file: a tile grid)."""


def tile_map(
    tiles: Sequence[Tile],
    *,
    title: str,
    value_title: str = "Score moyen",
    decimals: int = 0,
    domain: tuple[float, float] | None = None,
    highlight: str | None = None,
) -> Any:
    """France's 18 regions as a grid of square tiles (overseas regions on the bottom
    line), each shaded by its value and labelled with its abbreviation and value;
    a region without a figure is a white, dashed tile marked « masqué ».
    ``highlight``: a region code drawn with a thick border (the one drilled into)."""
    by_code = {t["code"]: t for t in tiles}
    known = [t["value"] for t in tiles if t["value"] is not None]
    low, high = domain or ((min(known), max(known)) if known else (0.0, 100.0))
    if high <= low:
        high = low + 1
    threshold = low + DARK_TEXT_FROM * (high - low)
    values: list[dict[str, Any]] = []
    for code, (column, row, abbreviation) in TILES.items():
        tile = by_code.get(code)
        value = tile["value"] if tile else None
        name = tile["name"] if tile else code
        values.append(
            {
                "code": code,
                "name": name,
                "column": column,
                "row": row,
                "value": value,
                "hidden": value is None,
                "abbr": abbreviation,
                "label": _text(value, decimals),
                "dark": value is not None and value >= threshold,
                "highlight": code == highlight,
            }
        )
    x = alt.X("column:O", axis=None, scale=alt.Scale(paddingInner=0.08))
    y = alt.Y("row:O", axis=None, scale=alt.Scale(paddingInner=0.08))
    base = alt.Chart(alt.Data(values=values)).encode(
        x=x,
        y=y,
        tooltip=[alt.Tooltip("name:N", title="Région"), alt.Tooltip("label:N", title=value_title)],
    )
    shown = (
        base.transform_filter("!datum.hidden")
        .mark_rect(stroke=INK, strokeWidth=1)
        .encode(
            fill=alt.Fill(
                "value:Q",
                scale=alt.Scale(domain=[low, high], range=list(SEQUENTIAL)),
                title=value_title,
                legend=alt.Legend(orient="bottom", gradientLength=200),
            ),
            strokeWidth=alt.condition("datum.highlight", alt.value(4), alt.value(1)),
        )
    )
    hidden = base.transform_filter("datum.hidden").mark_rect(
        fill="#ffffff", stroke=INK, strokeDash=[3, 3]
    )
    color = alt.condition("datum.dark", alt.value("#ffffff"), alt.value(INK))
    abbreviations = base.mark_text(dy=-9, fontSize=12, fontWeight="bold").encode(
        text="abbr:N", color=color
    )
    numbers = base.mark_text(dy=9, fontSize=12).encode(text="label:N", color=color)
    description = f"{title}. Carte en tuiles des 18 régions : " + "; ".join(
        f"{v['name']} : {v['label']}" for v in values
    )
    chart = alt.layer(shown, hidden, abbreviations, numbers).properties(
        title=title, width=5 * 64, height=7 * 64
    )
    return styled(_described(chart, description))

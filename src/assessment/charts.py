"""Pure functions returning Altair charts of results (no Streamlit here).

Every chart takes plain data (lists of dicts, numbers) so that it can be built
and tested without a browser: tests assert on ``chart.to_dict()``.  Rows are
inlined in the specification (``alt.Data(values=...)``), never hashed into a
named dataset, so the values a user sees are the values a test reads.

Charts must stay readable when printed in black and white (a results page is
often printed for the general assembly): horizons and series are told apart by
**shade and** stroke pattern, point shape and text labels, never by colour
alone.  Labels are French; items are named by their ``short_title``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import altair as alt

# Grey-safe shades: light → dark, distinct in luminance (and colour-blind safe).
SHADES: tuple[str, ...] = ("#c6dbef", "#6baed6", "#2171b5", "#08306b", "#9ecae1", "#4292c6")
# Stroke patterns, one per horizon/series: solid, dashed, dotted, dash-dot...
DASHES: tuple[list[int], ...] = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [1, 4])
# Point shapes, one per series.
SHAPES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle-up",
    "diamond",
    "cross",
    "triangle-down",
    "triangle-right",
    "triangle-left",
    "stroke",
    "wedge",
)
INK = "#222222"
FONT = '"Source Sans", "Source Sans Pro", "Source Sans 3", sans-serif'
"""Streamlit's own font (« Source Sans » in Streamlit ≥ 1.4x, « Source Sans Pro »
before), so that a chart reads like the page around it."""
TITLE_FONT_SIZE = 16
LABEL_FONT_SIZE = 12
AXIS_TITLE_FONT_SIZE = 13
PADDING = {"top": 14, "right": 8, "bottom": 8, "left": 8}
"""Room above the title: accented capitals (« É ») rise above the font size Vega
measures, and were clipped at the top of the canvas."""
SCORE_DOMAIN = (0.0, 100.0)
SCORE_AXIS_TITLE = "Score (sur 100)"


class GoalRow(TypedDict):
    """One bar of :func:`goals_chart`: an item's score at one horizon."""

    item: str
    horizon: str
    score: float | None


class ProgressRow(TypedDict):
    """One point of :func:`progress_chart`: a series' score in one campaign."""

    campaign: str
    series: str
    score: float | None


class GapRow(TypedDict):
    """One bar of :func:`priorities_chart`: how far an item is from its goal."""

    item: str
    gap: float


class PeerGroup(TypedDict):
    """One peer group of :func:`peer_chart` (already k-anonymous)."""

    group: str
    n: int
    q1: float
    median: float
    q3: float


def _cycle(values: Sequence[Any], n: int) -> list[Any]:
    return [values[i % len(values)] for i in range(n)]


def _fmt(score: float | None) -> str:
    return "" if score is None else f"{score:.0f}".replace(".", ",")


def styled(chart: alt.TopLevelMixin) -> Any:
    """``chart`` in the app's font, with sizes and padding that keep accents legible.

    Applied last, to the chart a function returns (a configured chart cannot be
    layered any more).
    """
    return (
        chart.properties(padding=PADDING)
        .configure(font=FONT)
        .configure_title(
            font=FONT,
            fontSize=TITLE_FONT_SIZE,
            fontWeight=600,
            color=INK,
            offset=12,
            anchor="start",
            lineHeight=TITLE_FONT_SIZE + 6,
        )
        .configure_axis(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=LABEL_FONT_SIZE,
            titleFontSize=AXIS_TITLE_FONT_SIZE,
            titleFontWeight=600,
            titlePadding=10,
            labelColor=INK,
            titleColor=INK,
        )
        .configure_legend(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=LABEL_FONT_SIZE,
            titleFontSize=AXIS_TITLE_FONT_SIZE,
            titleFontWeight=600,
            titlePadding=6,
            labelColor=INK,
            titleColor=INK,
        )
        .configure_header(
            labelFont=FONT,
            titleFont=FONT,
            labelFontSize=LABEL_FONT_SIZE,
            titleFontSize=AXIS_TITLE_FONT_SIZE,
        )
        .configure_text(font=FONT)
    )


def _empty(title: str, message: str = "Pas encore de données") -> Any:
    return styled(
        alt.Chart(alt.Data(values=[{"message": message}]), title=title)
        .mark_text(size=14, color=INK)
        .encode(text="message:N")
    )


def goals_chart(
    rows: Sequence[GoalRow],
    horizons: Sequence[str],
    *,
    items: Sequence[str] | None = None,
    title: str = "État des lieux et objectifs par thème",
    domain: tuple[float, float] = SCORE_DOMAIN,
    axis_title: str = SCORE_AXIS_TITLE,
) -> alt.LayerChart | alt.Chart:
    """Grouped horizontal bars: each item's current state and goals.

    ``horizons`` are horizon labels in grid order (current state first); each
    gets a shade, a stroke pattern and its own value label, so the chart reads
    the same in black and white.  ``items`` fixes the item order (grid order by
    default: order of first appearance in ``rows``).  Missing scores
    (``None``) draw no bar.
    """
    if not rows:
        return _empty(title)
    item_order = list(items) if items is not None else list(dict.fromkeys(r["item"] for r in rows))
    values = [
        {
            "item": r["item"],
            "horizon": r["horizon"],
            "score": r["score"],
            "label": f"{r['horizon']} : {_fmt(r['score'])}",
        }
        for r in rows
        if r["score"] is not None
    ]
    n = len(horizons)
    horizon_scale = alt.Scale(
        domain=list(horizons), range=_cycle(SHADES[1:] if n > 1 else SHADES, n)
    )
    legend = alt.Legend(title="Horizon", orient="bottom", symbolStrokeColor=INK)
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("item:N", sort=item_order, title=None, axis=alt.Axis(labelLimit=220)),
        yOffset=alt.YOffset("horizon:N", sort=list(horizons), scale=alt.Scale(paddingInner=0.1)),
        x=alt.X("score:Q", scale=alt.Scale(domain=list(domain)), title=axis_title),
        tooltip=[
            alt.Tooltip("item:N", title="Thème"),
            alt.Tooltip("horizon:N", title="Horizon"),
            alt.Tooltip("score:Q", title="Score", format=".0f"),
        ],
    )
    bars = base.mark_bar(stroke=INK, strokeWidth=1.2).encode(
        fill=alt.Fill("horizon:N", scale=horizon_scale, sort=list(horizons), legend=legend),
        strokeDash=alt.StrokeDash(
            "horizon:N",
            scale=alt.Scale(domain=list(horizons), range=_cycle(DASHES, n)),
            sort=list(horizons),
            legend=legend,
        ),
    )
    labels = base.mark_text(align="left", dx=3, fontSize=10, color=INK).encode(text="label:N")
    return styled(
        alt.layer(bars, labels).properties(
            title=title, height=alt.Step(max(10, 36 // max(n, 1))), width="container"
        )
    )


def progress_chart(
    rows: Sequence[ProgressRow],
    *,
    campaigns: Sequence[str] | None = None,
    title: str = "Progression d'une campagne à l'autre",
    domain: tuple[float, float] = SCORE_DOMAIN,
    axis_title: str = SCORE_AXIS_TITLE,
    version_breaks: Sequence[str] = (),
) -> alt.LayerChart | alt.Chart:
    """One line per series (an item, or « Ensemble ») across campaigns.

    Series differ by shade, stroke pattern and point shape, and each line is
    labelled with its name at its last point.  ``version_breaks``: campaigns
    answered on another grid version than the one before; each gets a dashed
    rule labelled « Nouvelle version de la grille ».
    """
    kept: list[dict[str, Any]] = [dict(r) for r in rows if r["score"] is not None]
    if not kept:
        return _empty(title)
    campaign_order: list[str] = (
        list(campaigns) if campaigns is not None else sorted({r["campaign"] for r in kept})
    )
    series: list[str] = list(dict.fromkeys(r["series"] for r in kept))
    n = len(series)
    last: dict[str, dict[str, Any]] = {}
    rank = {c: i for i, c in enumerate(campaign_order)}
    for r in kept:
        r["label"] = f"{r['series']} ({_fmt(r['score'])})"
        prev = last.get(r["series"])
        if prev is None or rank.get(r["campaign"], -1) >= rank.get(prev["campaign"], -1):
            last[r["series"]] = r
    for r in kept:
        r["is_last"] = r is last[r["series"]]
    legend = alt.Legend(title="Série", orient="bottom", symbolStrokeColor=INK)
    base = alt.Chart(alt.Data(values=kept)).encode(
        x=alt.X("campaign:O", sort=campaign_order, title="Campagne"),
        y=alt.Y("score:Q", scale=alt.Scale(domain=list(domain)), title=axis_title),
        tooltip=[
            alt.Tooltip("series:N", title="Série"),
            alt.Tooltip("campaign:O", title="Campagne"),
            alt.Tooltip("score:Q", title="Score", format=".0f"),
        ],
    )
    shade = alt.Scale(domain=series, range=_cycle(SHADES[1:4], n))
    lines = base.mark_line(strokeWidth=2).encode(
        color=alt.Color("series:N", scale=shade, sort=series, legend=legend),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=series, range=_cycle(DASHES, n)),
            sort=series,
            legend=legend,
        ),
    )
    points = base.mark_point(filled=True, size=70, stroke=INK, strokeWidth=1).encode(
        color=alt.Color("series:N", scale=shade, sort=series, legend=legend),
        shape=alt.Shape(
            "series:N",
            scale=alt.Scale(domain=series, range=_cycle(SHAPES, n)),
            sort=series,
            legend=legend,
        ),
    )
    labels = (
        base.mark_text(align="left", dx=7, fontSize=10, color=INK)
        .encode(text="label:N")
        .transform_filter(alt.datum.is_last)
    )
    layers: list[Any] = [lines, points, labels]
    if version_breaks:
        marks = alt.Chart(
            alt.Data(
                values=[
                    {"campaign": c, "note": "Nouvelle version de la grille"} for c in version_breaks
                ]
            )
        ).encode(x=alt.X("campaign:O", sort=campaign_order))
        layers.append(marks.mark_rule(strokeDash=[2, 3], color=INK, opacity=0.6))
        layers.append(
            marks.mark_text(align="left", baseline="top", dx=4, y=4, fontSize=10, color=INK).encode(
                text="note:N"
            )
        )
    return styled(alt.layer(*layers).properties(title=title, width="container", height=320))


def priorities_chart(
    rows: Sequence[GapRow],
    *,
    title: str = "Priorités : écart entre l'état des lieux et l'objectif",
    axis_title: str = "Écart (points sur 100)",
    limit: int | None = None,
) -> alt.LayerChart | alt.Chart:
    """Horizontal bars of each item's gap to its goal, largest first, labelled."""
    kept: list[dict[str, Any]] = sorted(
        (dict(r) for r in rows if r["gap"] is not None), key=lambda r: -float(r["gap"])
    )
    if limit is not None:
        kept = kept[:limit]
    if not kept:
        return _empty(title, "Aucun écart à combler")
    for r in kept:
        r["label"] = f"{_fmt(r['gap'])} pts"
    order: list[str] = [str(r["item"]) for r in kept]
    base = alt.Chart(alt.Data(values=kept)).encode(
        y=alt.Y("item:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("gap:Q", title=axis_title, scale=alt.Scale(domainMin=0)),
        tooltip=[
            alt.Tooltip("item:N", title="Thème"),
            alt.Tooltip("gap:Q", title="Écart", format=".0f"),
        ],
    )
    bars = base.mark_bar(fill=SHADES[2], stroke=INK, strokeWidth=1)
    labels = base.mark_text(align="left", dx=3, fontSize=10, color=INK).encode(text="label:N")
    return styled(
        alt.layer(bars, labels).properties(title=title, width="container", height=alt.Step(24))
    )


def peer_chart(
    own: float | None,
    groups: Sequence[PeerGroup],
    *,
    own_label: str = "Votre organisation",
    title: str = "Comparaison avec des organisations comparables",
    domain: tuple[float, float] = SCORE_DOMAIN,
    axis_title: str = SCORE_AXIS_TITLE,
) -> alt.LayerChart | alt.Chart:
    """Own score against each peer group's quartiles (box from Q1 to Q3, median tick).

    ``groups`` must already be k-anonymous (see :mod:`assessment.privacy`);
    the chart only draws what it is given.  The own score is a dark diamond
    with its value, the median a black tick, the interquartile range a light
    box: distinct by shape and shade.
    """
    if not groups:
        return _empty(title, "Pas assez d'organisations comparables")
    values: list[dict[str, Any]] = [
        {
            "group": f"{g['group']} ({g['n']} org.)",
            "q1": g["q1"],
            "median": g["median"],
            "q3": g["q3"],
            "median_label": f"médiane {_fmt(g['median'])}",
            "own": own,
            "own_label": f"{own_label} : {_fmt(own)}" if own is not None else "",
        }
        for g in groups
    ]
    order: list[str] = [str(v["group"]) for v in values]
    y = alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=240))
    x_scale = alt.Scale(domain=list(domain))
    base = alt.Chart(alt.Data(values=values))
    box = base.mark_bar(fill=SHADES[0], stroke=INK, strokeWidth=1, height=18).encode(
        y=y,
        x=alt.X("q1:Q", scale=x_scale, title=axis_title),
        x2="q3:Q",
        tooltip=[
            alt.Tooltip("group:N", title="Groupe"),
            alt.Tooltip("q1:Q", title="1er quartile", format=".0f"),
            alt.Tooltip("median:Q", title="Médiane", format=".0f"),
            alt.Tooltip("q3:Q", title="3e quartile", format=".0f"),
        ],
    )
    median = base.mark_tick(color=INK, thickness=3, size=26).encode(
        y=y, x=alt.X("median:Q", scale=x_scale)
    )
    median_text = base.mark_text(dy=-16, fontSize=10, color=INK).encode(
        y=y, x=alt.X("median:Q", scale=x_scale), text="median_label:N"
    )
    layers: list[alt.Chart] = [box, median, median_text]
    if own is not None:
        own_point = base.mark_point(
            shape="diamond", filled=True, size=160, color=SHADES[3], stroke=INK
        ).encode(y=y, x=alt.X("own:Q", scale=x_scale))
        own_text = base.mark_text(dy=18, fontSize=10, color=INK, fontWeight="bold").encode(
            y=y, x=alt.X("own:Q", scale=x_scale), text="own_label:N"
        )
        layers += [own_point, own_text]
    return styled(
        alt.layer(*layers).properties(title=title, width="container", height=alt.Step(56))
    )

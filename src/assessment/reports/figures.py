"""The report's charts: the app's own Altair builders, rendered on the server.

Each :class:`~assessment.reports.model.ChartData` goes through the same
function of :mod:`assessment.charts` as the results page, then
vl-convert (Vega-Lite in Rust, no browser) turns it into SVG for the PDF or
PNG for the editable document.  The app's charts are ``width="container"``;
on paper the width is fixed here.
"""

from __future__ import annotations

from typing import Any

import vl_convert

from assessment import charts
from assessment.reports.model import ChartData

PAPER_WIDTH = 470
"""Width in pixels of the plotting area (A4 text width at about 96 dpi, less the legend)."""
PNG_SCALE = 2.0
BAR_STEP = 16
"""Height of one bar on paper: room for its value label (10 px) above the next bar."""


def altair_chart(data: ChartData) -> Any:
    """The Altair chart of ``data``, from :mod:`assessment.charts`."""
    if data.kind == "goals":
        return charts.goals_chart(data.rows, data.horizons, title=data.title)
    if data.kind == "priorities":
        return charts.priorities_chart(data.rows, title=data.title)
    if data.kind == "progress":
        return charts.progress_chart(data.rows, campaigns=data.campaigns, title=data.title)
    raise ValueError(f"unknown chart kind {data.kind!r}")


def spec(data: ChartData, width: float = 1.0) -> dict[str, Any]:
    """The Vega-Lite specification, at a fixed paper width."""
    out: dict[str, Any] = altair_chart(data).to_dict()
    out["width"] = int(PAPER_WIDTH * width)
    if data.kind == "goals":
        out["height"] = {"step": BAR_STEP}
    return out


def svg(data: ChartData, width: float = 1.0) -> str:
    return str(vl_convert.vegalite_to_svg(spec(data, width)))


def png(data: ChartData, width: float = 1.0) -> bytes:
    return bytes(vl_convert.vegalite_to_png(spec(data, width), scale=PNG_SCALE))

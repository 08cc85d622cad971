"""Altair charts built once per data version, then drawn from their specification.

A chart builder of :mod:`assessment.charts` (pure: data in, chart out) costs
little; turning its result into a Vega-Lite specification does not: Altair's
``configure_*`` chain copies the chart and ``to_dict()`` validates the whole
specification against the Vega-Lite schema, which ``st.altair_chart`` does on
every run of the page (12–28 % of a « Résultats » rerun).  :func:`show` builds
the specification once per builder and data, keeps it in a small per-process
cache (the key is the data itself, so two sessions with the same data share it
and nothing of one organisation's data reaches another's page), and draws it
with ``st.vega_lite_chart``, which takes the specification as is.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

import altair as alt
import streamlit as st

MAX_CHARTS = 256
"""Specifications kept per process (least recently used first out)."""

_specs: OrderedDict[str, dict[str, Any]] = OrderedDict()
_lock = threading.Lock()
_stats = {"built": 0, "reused": 0}


def _key(build: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The builder and its data (``repr`` of plain rows, lists and strings)."""
    return repr((build.__module__, build.__qualname__, args, sorted(kwargs.items())))


def spec_for(build: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The Vega-Lite specification of ``build(*args, **kwargs)``, built once per data.

    The specification is made as ``st.altair_chart`` makes it (Altair's theme
    « none », so that no default size is added).  The caller must not change the
    returned dict (:func:`show` draws a copy)."""
    key = _key(build, args, kwargs)
    with _lock:
        found = _specs.get(key)
        if found is not None:
            _specs.move_to_end(key)
            _stats["reused"] += 1
            return found
    chart = build(*args, **kwargs)
    with _lock:
        with alt.theme.enable("none"):
            spec: dict[str, Any] = chart.to_dict()
        _specs[key] = spec
        _stats["built"] += 1
        while len(_specs) > MAX_CHARTS:
            _specs.popitem(last=False)
    return spec


def show(
    build: Callable[..., Any],
    *args: Any,
    width: Literal["stretch", "content"] = "stretch",
    **kwargs: Any,
) -> None:
    """Draw ``build(*args, **kwargs)`` (an Altair chart) from its cached specification."""
    spec = spec_for(build, *args, **kwargs)
    st.vega_lite_chart(spec=copy.deepcopy(spec), width=width, theme=None)


def stats() -> dict[str, int]:
    """How many specifications were built and how many reused (tests, benchmarks)."""
    with _lock:
        return dict(_stats)


def clear() -> None:
    with _lock:
        _specs.clear()
        _stats.update(built=0, reused=0)

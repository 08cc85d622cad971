"""Server time of one rerun of the network dashboards, against the same page drawn
from in-memory data, in the same run.

Usage::

    python benchmarks/dashboard_rerun.py [--orgs 20000] [--campaigns 3] [--runs 15]
        [--database-url URL] [--profile PREFIX]

What is measured, with ``streamlit.testing`` (``AppTest``), on a throw-away
SQLite database (or the empty one ``--database-url`` names, e.g. PostgreSQL)
seeded by :func:`assessment.demo.seed_demo`:

* **page**: « Tableau de bord régional » of the chamber of the largest region
  (:mod:`assessment.web.views.regional_dashboard`) and « Vue nationale »
  (:mod:`assessment.web.views.national_overview`), each as its role sees it:
  participation, protected figures through :mod:`assessment.privacy`, charts,
  tables and downloads;
* **floor**: the same page script, with every function that reads the
  database (:mod:`assessment.campaigns`, :mod:`assessment.dashboards`'s
  figures, :func:`assessment.assessments.get_assessment`) replaced by its
  result held in memory (recorded during the warm-up runs): the same widgets,
  charts, tables and downloads, drawn from in-memory data.

Two kinds of rerun, interleaved page/floor so that machine noise hits both:

* **widget**: the heatmap's dimension (regional) or the drilled region
  (national) changes, the data do not;
* **submission**: before each rerun (not timed), one organisation of the
  region reopens its assessment of the open campaign, changes one answer and
  submits again, so the page reads a new data version: the participation of
  the open campaign (live) and the results of the last closed one, which the
  submission does not move (the floor draws its recorded figures).

"Server time" is taken between the script runner's ``SCRIPT_STARTED`` and
``SCRIPT_STOPPED_*`` events, as in ``benchmarks/filling_rerun.py``; the
session-cookie check of ``app.py`` is left out of both (the actor is put in
the session state).  Run it under ``flock /tmp/heavy.lock``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

SCRIPT = """
import streamlit as st
from assessment.permissions import Actor, Role
from assessment.web import state

st.session_state[state.ACTOR_KEY] = Actor(
    user_id=None, email="bench@bench.test", role=Role.__ROLE__, region=__REGION__
)
st.session_state[state.RESOLVED_KEY] = True
import dashboard_rerun

dashboard_rerun.draw("__PAGE__", floor=__FLOOR__)
"""

_events: list[tuple[str, float]] = []
_memory: dict[tuple[Any, ...], Any] = {}
_misses = [0]
_recording = [True]
_profile: dict[str, Any] = {}


def _instrument() -> None:
    from streamlit.testing.v1 import local_script_runner as lsr

    original = lsr.LocalScriptRunner.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)

        def record(sender: Any, event: Any, **_: Any) -> None:
            _events.append((str(getattr(event, "name", event)), time.perf_counter()))

        self.on_event.connect(record, weak=False)

    lsr.LocalScriptRunner.__init__ = init  # type: ignore[method-assign]


def _server_time() -> float:
    start = stop = None
    for name, moment in _events:
        if name == "SCRIPT_STARTED":
            start, stop = moment, None
        elif name.startswith("SCRIPT_STOPPED") and start is not None and stop is None:
            stop = moment
    _events.clear()
    if start is None or stop is None:
        raise RuntimeError("no complete script run recorded")
    return stop - start


def _key(value: Any) -> Any:
    from sqlalchemy import Engine

    from assessment.grid import Grid

    if isinstance(value, Engine):
        return "engine"
    if isinstance(value, Grid):
        return ("grid", value.id, value.version)
    if isinstance(value, list | tuple):
        return tuple(_key(v) for v in value)
    return repr(value)


def _held(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def in_memory(*args: Any, **kwargs: Any) -> Any:
        key = (name, _key(args), _key(sorted(kwargs.items())))
        if key not in _memory:
            if not _recording[0]:
                _misses[0] += 1
            _memory[key] = fn(*args, **kwargs)
        return _memory[key]

    return in_memory


READERS = {
    "assessment.campaigns": (
        "list_campaigns",
        "current_campaign",
        "participation",
        "count_participation",
        "shared_assessments",
    ),
    "assessment.assessments": ("get_assessment",),
    "assessment.dashboards": (
        "results_campaign",
        "published_years",
        "distribution_figure",
        "theme_heatmap",
        "scope_comparison",
        "progress_and_potential",
        "trends_figure",
        "attainment_figure",
        "regions_overall",
        "regions_heatmap",
        "regions_trends",
    ),
}


@contextlib.contextmanager
def in_memory() -> Iterator[None]:
    """Every database read of the pages answered from memory, for one script run."""
    import importlib

    saved = []
    for module_name, names in READERS.items():
        module = importlib.import_module(module_name)
        for name in names:
            original = getattr(module, name)
            saved.append((module, name, original))
            setattr(module, name, _held(f"{module_name}.{name}", original))
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def draw(page: str, *, floor: bool) -> None:
    from assessment.web.views import national_overview, regional_dashboard

    render = regional_dashboard.render if page == "regional" else national_overview.render
    if floor:
        with in_memory():
            render()
        return
    profiler = _profile.get(_profile.get("kind"))
    if profiler is None:
        render()
        return
    profiler.enable()  # the script runner's thread, where the page runs
    try:
        render()
    finally:
        profiler.disable()


class _Subject:
    def __init__(self, make: Callable[[], Any], change: Callable[[Any, int], None]) -> None:
        self.at = make()
        self.change = change
        self.turn = 0
        self.server: dict[str, list[float]] = {"widget": [], "submission": []}

    def rerun(self, kind: str | None) -> None:
        at = self.at
        if self.turn:
            self.change(at, self.turn)
        self.turn += 1
        _events.clear()
        at.run()
        server = _server_time()
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        if kind is not None:
            self.server[kind].append(server)


def _seed(folder: Path, orgs: int, campaigns: int, url: str | None) -> Any:
    os.environ["DATABASE_URL"] = url or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["ASSESSMENT_GRIDS_DIR"] = str(ROOT / "guide")
    os.environ["ASSESSMENT_DATA_DIR"] = str(folder)
    os.environ["ASSESSMENT_MODE"] = "demo"
    from assessment.demo import seed_demo
    from assessment.settings import get_settings
    from assessment.web import startup

    get_settings.cache_clear()
    engine = startup.ready_engine()
    started = time.perf_counter()
    seed_demo(engine, orgs=orgs, campaigns=campaigns)
    print(f"{orgs} organisations, {campaigns} campaigns seeded in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=20_000)
    parser.add_argument("--campaigns", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--database-url",
        help="an empty database to seed and measure (default: a temporary SQLite file)",
    )
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="profile the page's timed reruns (not the floor's) with cProfile, "
        "into PREFIX-<page>-<rerun>.prof",
    )
    args = parser.parse_args()
    _instrument()
    from streamlit.testing.v1 import AppTest

    from assessment.demo import DEMO_REGION
    from assessment.privacy.bench import Resubmitter

    with tempfile.TemporaryDirectory() as tmp:
        engine = _seed(Path(tmp), args.orgs, args.campaigns, args.database_url)
        resubmit = Resubmitter(engine, region=DEMO_REGION, count=args.runs * 2 + 2)
        dims = ["legal_family", "size_band", "sector"]
        from assessment.regions import REGIONS

        codes = [r.code for r in REGIONS]

        def regional_change(at: Any, turn: int) -> None:
            at.radio(key="cress_heat_dim").set_value(dims[turn % len(dims)])

        def national_change(at: Any, turn: int) -> None:
            at.selectbox(key="national_region").set_value(codes[turn % 3])

        results = []
        for page, role, region, change in (
            ("regional", "REGIONAL", repr(DEMO_REGION), regional_change),
            ("national", "NATIONAL", "None", national_change),
        ):

            def make(floor: bool, page: str = page, role: str = role,
                     region: str = region) -> Any:  # fmt: skip
                script = (
                    SCRIPT.replace("__ROLE__", role)
                    .replace("__REGION__", region)
                    .replace("__PAGE__", page)
                    .replace("__FLOOR__", str(floor))
                )
                return AppTest.from_string(script, default_timeout=600)

            _recording[0] = True
            floor = _Subject(lambda: make(True), change)
            ours = _Subject(lambda: make(False), change)
            for _ in range(4):  # warm-up: every widget value recorded, caches filled
                floor.rerun(None)
                ours.rerun(None)
            _recording[0] = False
            _misses[0] = 0
            if args.profile:
                import cProfile

                _profile.update(widget=cProfile.Profile(), submission=cProfile.Profile())
            _profile["kind"] = "widget"
            for _ in range(args.runs):
                floor.rerun("widget")
                ours.rerun("widget")
            _profile["kind"] = "submission"
            for _ in range(args.runs):
                resubmit()
                floor.rerun("submission")
                ours.rerun("submission")
            _profile["kind"] = None
            if args.profile:
                for kind in ("widget", "submission"):
                    _profile[kind].dump_stats(f"{args.profile}-{page}-{kind}.prof")
            results.append((page, floor, ours, _misses[0]))

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    print(f"python {sys.version.split()[0]}, {engine.dialect.name}, {args.orgs} organisations, "
          f"{args.runs} interleaved reruns of each kind")  # fmt: skip
    print(f"{'page':<10}{'rerun':<12}{'page (ms)':>11}{'floor (ms)':>12}{'ratio':>8}")
    for page, floor, ours, misses in results:
        for kind in ("widget", "submission"):
            p, f = ms(ours.server[kind]), ms(floor.server[kind])
            print(f"{page:<10}{kind:<12}{p:>11.1f}{f:>12.1f}{p / f:>7.2f}×")
        if misses:
            print(f"  ({page}: the floor read the database {misses} times after its warm-up)")
    print("floor: the same page script, every database read answered from memory")


if __name__ == "__main__":
    # the page script's ``import dashboard_rerun`` must find this module, not a second
    # copy: the recording switch, the misses and the profilers live here
    sys.modules.setdefault("dashboard_rerun", sys.modules["__main__"])
    main()

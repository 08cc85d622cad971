"""Server time of one rerun of « Mon auto-évaluation » after one answer changes.

Usage::

    python benchmarks/filling_rerun.py [--runs 30]

What is measured, with ``streamlit.testing`` (``AppTest``) and the default grid:

* **page**: the filling page (:mod:`assessment.web.views.filling`) of a
  signed-in organisation admin, on a fresh SQLite database (default grid
  synced, one organisation, an open campaign).  Each measured rerun changes
  one level answer, so the rerun includes the save
  (``assessments.save_answer`` with its permission check and transaction),
  the gentle checks, completion, and drawing every widget;
* **floor**: ``benchmarks/floor_script.py``, the same widgets with no
  storage, scoring, permissions, callbacks or fragments.

"Server time" is taken between the script runner's ``SCRIPT_STARTED`` and
``SCRIPT_STOPPED_*`` events (widget callbacks run inside that window), so
AppTest's own parsing of the element tree is left out; the wall time of
``AppTest.run()`` is printed too.  ``AppTest`` always reruns the whole script:
in a browser, ``st.fragment`` reruns only the changed item, so the page
figure is an upper bound for a real interaction.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE_SCRIPT = """
import streamlit as st
from assessment.permissions import Actor, Role
from assessment.web import state

st.session_state[state.ACTOR_KEY] = Actor(
    user_id=None, email="admin@bench.test", role=Role.ORG_ADMIN, organisation_id=__ORG_ID__
)
st.session_state[state.RESOLVED_KEY] = True
from assessment.web.views import filling

filling.render()
"""
QUESTION = "gouv-regles"
HORIZON = "current"

_events: list[tuple[str, float]] = []


def _instrument() -> None:
    """Record the script runner's start/stop events with a timestamp."""
    from streamlit.testing.v1 import local_script_runner as lsr

    original = lsr.LocalScriptRunner.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)

        def record(sender: Any, event: Any, **_: Any) -> None:
            _events.append((str(getattr(event, "name", event)), time.perf_counter()))

        self.on_event.connect(record, weak=False)

    lsr.LocalScriptRunner.__init__ = init  # type: ignore[method-assign]


def _server_time() -> float:
    """Seconds between the last SCRIPT_STARTED and the following SCRIPT_STOPPED_*."""
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


def _prepare_database(folder: Path) -> int:
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["ASSESSMENT_GRIDS_DIR"] = str(ROOT / "guide")
    os.environ["ASSESSMENT_DATA_DIR"] = str(folder)
    from assessment.campaigns import create_campaign
    from assessment.organisations import create_organisation, siren_with_key
    from assessment.permissions import Actor
    from assessment.settings import get_settings
    from assessment.web import startup

    get_settings.cache_clear()
    engine = startup.ready_engine()
    system = Actor.system()
    org = create_organisation(
        engine,
        system,
        name="Association du banc d'essai",
        siren=siren_with_key("12345678"),
        region="84",
        legal_family="association",
        size_band="1-9",
    )
    today = date.today()
    create_campaign(
        engine,
        system,
        year=today.year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=30),
    )
    return org


class _Subject:
    """One app under test, rerun after one answer changes."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.at = make()
        self.server: list[float] = []
        self.wall: list[float] = []
        self.turn = 0
        for _ in range(WARM_UP):
            self.rerun(record=False)

    def rerun(self, *, record: bool = True) -> None:
        at = self.at
        if self.turn:
            at.radio(key=f"fill:q:{QUESTION}:{HORIZON}").set_value(self.turn % 5)
        self.turn += 1
        _events.clear()
        started = time.perf_counter()
        at.run()
        wall = time.perf_counter() - started
        server = _server_time()
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        if record:
            self.wall.append(wall)
            self.server.append(server)


WARM_UP = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    _instrument()
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        org = _prepare_database(Path(tmp))
        page_script = PAGE_SCRIPT.replace("__ORG_ID__", str(org))
        floor_file = str(ROOT / "benchmarks" / "floor_script.py")
        floor = _Subject(lambda: AppTest.from_file(floor_file, default_timeout=120))
        page = _Subject(lambda: AppTest.from_string(page_script, default_timeout=120))
        # interleaved, so that machine noise hits both alike
        for _ in range(args.runs):
            floor.rerun()
            page.rerun()

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    print(f"python {sys.version.split()[0]}, {args.runs} interleaved reruns each")
    for name, subject in (("floor", floor), ("page", page)):
        print(
            f"{name:5}  median server time: {ms(subject.server):7.1f} ms"
            f"   (AppTest.run wall time {ms(subject.wall):7.1f} ms)"
        )
    print(f"ratio page / floor, server time: {ms(page.server) / ms(floor.server):.2f}×")
    print(f"ratio page / floor, wall time:   {ms(page.wall) / ms(floor.wall):.2f}×")


if __name__ == "__main__":
    main()

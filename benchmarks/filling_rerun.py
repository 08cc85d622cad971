"""Server time of « Mon auto-évaluation » after one answer changes, and of a full run.

Usage::

    python benchmarks/filling_rerun.py [--runs 30]

What is measured, with ``streamlit.testing`` (``AppTest``) and the default grid:

* **page, interaction**: the filling page (:mod:`assessment.web.views.filling`)
  of a signed-in organisation admin (a real web session, its cookie resolved as
  a browser's), on a fresh SQLite database (default grid synced, one
  organisation, an open campaign).  Each measured interaction changes one
  level answer: the callback saves it (``assessments.save_answer`` with its
  permission check and transaction) and asks for a rerun of the parts it
  changed (its item, the progress and « Enregistré » lines, the submission:
  keyed fragments, ``st.rerun([keys])``), which AppTest runs as the server
  does;
* **page, full run**: the whole page run again (as after a reload or a change
  of themes): every widget drawn, every item scored;
* **floor**: ``benchmarks/floor_script.py``, the same widgets with no
  storage, scoring, permissions, callbacks or fragments, run in full.

"Server time" is taken from the script runner's first ``SCRIPT_STARTED`` to its
last ``SCRIPT_STOPPED_*`` / ``FRAGMENT_STOPPED_*`` event (widget callbacks and
any rerun they ask for run inside that window), so
AppTest's own parsing of the element tree is left out; the wall time of
``AppTest.run()`` is printed too.  Server CPU per interaction with real
websocket clients (fragments as a browser sends them) is measured by
``benchmarks/load.py``.
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
from assessment.web import auth_routes, state

# the browser's cookies (AppTest has none): a real web session of the bench's admin
_jar = {auth_routes.SESSION_COOKIE: "__COOKIE__", auth_routes.BROWSER_COOKIE: "bench-browser"}
state.request_cookies = lambda: _jar
state.begin_run()
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
    """Seconds from the first ``SCRIPT_STARTED`` of an ``AppTest.run()`` to the last
    ``*_STOPPED_*`` event: the whole interaction, reruns it asks for included (a
    full rerun after a callback, or the fragment-only run of keyed fragments)."""
    started = [moment for name, moment in _events if name == "SCRIPT_STARTED"]
    stopped = [moment for name, moment in _events if "STOPPED" in name]
    _events.clear()
    if not started or not stopped or stopped[-1] < started[0]:
        raise RuntimeError("no complete script run recorded")
    return stopped[-1] - started[0]


def _prepare_database(folder: Path) -> tuple[int, str]:
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["ASSESSMENT_GRIDS_DIR"] = str(ROOT / "guide")
    os.environ["ASSESSMENT_DATA_DIR"] = str(folder)
    from assessment import accounts, assessments
    from assessment.campaigns import create_campaign
    from assessment.organisations import create_organisation, siren_with_key
    from assessment.permissions import Actor, Role
    from assessment.settings import get_settings
    from assessment.web import auth_routes, startup

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
    campaign = create_campaign(
        engine,
        system,
        year=today.year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=30),
    )
    email = "admin@bench.test"
    user_id = accounts.create_user(
        engine,
        system,
        email=email,
        password="banc d'essai du remplissage",
        role=Role.ORG_ADMIN,
        organisation_id=org,
    )
    admin = Actor(user_id=user_id, email=email, role=Role.ORG_ADMIN, organisation_id=org)
    # every theme worked on (a page-created assessment starts with them unticked)
    assessments.open_assessment(engine, admin, org, campaign)
    token = accounts.open_web_session(engine, admin)
    return org, auth_routes.session_cookie_value(engine, token)


class _Subject:
    """One app under test: rerun after one answer changes (``interaction``), or
    run again in full (``full``)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.at = make()
        self.server: dict[str, list[float]] = {"interaction": [], "full": []}
        self.wall: dict[str, list[float]] = {"interaction": [], "full": []}
        self.turn = 0
        self.at.run()
        for _ in range(WARM_UP):
            self.rerun("interaction", record=False)
            self.rerun("full", record=False)

    def rerun(self, kind: str, *, record: bool = True) -> None:
        at = self.at
        if kind == "interaction":
            self.turn += 1
            at.radio(key=f"fill:q:{QUESTION}:{HORIZON}").set_value(self.turn % 5)
        _events.clear()
        started = time.perf_counter()
        at.run()
        wall = time.perf_counter() - started
        server = _server_time()
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        if record:
            self.wall[kind].append(wall)
            self.server[kind].append(server)


WARM_UP = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    _instrument()
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        _org, cookie = _prepare_database(Path(tmp))
        page_script = PAGE_SCRIPT.replace("__COOKIE__", cookie)
        floor_file = str(ROOT / "benchmarks" / "floor_script.py")
        floor = _Subject(lambda: AppTest.from_file(floor_file, default_timeout=120))
        page = _Subject(lambda: AppTest.from_string(page_script, default_timeout=120))
        # interleaved, so that machine noise hits all alike
        for _ in range(args.runs):
            for kind in ("interaction", "full"):
                floor.rerun(kind)
                page.rerun(kind)

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    print(f"python {sys.version.split()[0]}, {args.runs} interleaved reruns each")
    rows = (
        ("floor (answer changed, full run)", floor, "interaction"),
        ("page, interaction (answer saved)", page, "interaction"),
        ("page, full run", page, "full"),
    )
    for name, subject, kind in rows:
        print(
            f"{name:34} median server time: {ms(subject.server[kind]):7.1f} ms"
            f"   (AppTest.run wall time {ms(subject.wall[kind]):7.1f} ms)"
        )
    bare = ms(floor.server["interaction"])
    print(
        f"ratio page interaction / floor, server time: {ms(page.server['interaction']) / bare:.2f}×"
    )
    print(f"ratio page full run / floor, server time:    {ms(page.server['full']) / bare:.2f}×")
    print(
        "ratio page full run / floor, wall time:      "
        f"{ms(page.wall['full']) / ms(floor.wall['interaction']):.2f}×"
    )


if __name__ == "__main__":
    main()

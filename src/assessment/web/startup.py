"""The database as the web app needs it: :func:`assessment.startup.open_database`.

Both the Streamlit script (:func:`assessment.web.state.engine`) and the ASGI
sign-in routes (:mod:`assessment.web.auth_routes`) call :func:`ready_engine`.
The first call in a process migrates, backfills, syncs the grids of
``guide/`` and purges; later calls return the same engine (and run the daily
purge on the first call of a day).  In production mode, a database marked as
a demo is refused (:func:`assessment.demo_mark.check_mode`), checked once per
process and database; a refusal is never remembered, so it is raised again on
every call.  No Streamlit import here.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from assessment import demo_mark, startup
from assessment.settings import get_settings

_checked: set[str] = set()
_lock = threading.Lock()


def _forget() -> None:
    with _lock:
        _checked.clear()


startup.on_clear_caches(_forget)


def ready_engine(url: str | None = None) -> Engine:
    """The prepared engine for ``url`` (``None``: the settings' database)."""
    engine = startup.open_database(url)
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        if key in _checked:
            return engine
    demo_mark.check_mode(engine, get_settings().mode)
    with _lock:
        _checked.add(key)
    return engine

"""The database as the web app needs it, opened once per process.

Both the Streamlit script (:func:`assessment.web.state.engine`) and the ASGI
sign-in routes (:mod:`assessment.web.auth_routes`) call :func:`ready_engine`:
the first call for a database URL creates the engine, runs the migrations and
syncs the grids of ``guide/`` (:func:`assessment.db.open_database`); later
calls return the same engine.  No Streamlit import here.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from assessment import db
from assessment.settings import get_settings

_ready: dict[str, Engine] = {}
_lock = threading.Lock()


def ready_engine(url: str | None = None) -> Engine:
    """The migrated engine for ``url`` (``None``: the settings' database)."""
    key = db.normalise_url(url or get_settings().resolved_database_url)
    with _lock:
        engine = _ready.get(key)
        if engine is None:
            engine = _ready[key] = db.open_database(key)
        return engine


def forget_engines() -> None:
    """Tests: the next :func:`ready_engine` call opens (and migrates) again."""
    with _lock:
        _ready.clear()

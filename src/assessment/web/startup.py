"""The database as the web app needs it: :func:`assessment.startup.open_database`.

Both the Streamlit script (:func:`assessment.web.state.engine`) and the ASGI
sign-in routes (:mod:`assessment.web.auth_routes`) call :func:`ready_engine`.
The first call in a process migrates, backfills, syncs the grids of
``guide/`` and purges; later calls return the same engine (and run the daily
purge on the first call of a day).  No Streamlit import here, and no cache of
its own.
"""

from __future__ import annotations

from sqlalchemy import Engine

from assessment import startup


def ready_engine(url: str | None = None) -> Engine:
    """The prepared engine for ``url`` (``None``: the settings' database)."""
    return startup.open_database(url)

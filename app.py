"""Entry point: ``streamlit run app.py``.

Streamlit discovers the module-level ``app`` (an ``st.App``, served by
uvicorn) and runs ``src/assessment/web/main.py`` for each browser tab.  Beside
Streamlit's own routes, ``app`` serves the sign-in cookie routes
(``/auth/session``, ``/auth/signout``: :mod:`assessment.web.auth_routes`),
gives each browser its ``ess_browser`` cookie (sign-in tickets are bound to it),
forbids framing by other sites, and shows any error the script did not catch
as a French message with an error id (:mod:`assessment.web.guard`).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.middleware import Middleware

from assessment import demo_mark
from assessment.logs import configure_logging
from assessment.settings import get_settings
from assessment.web import guard
from assessment.web.auth_routes import BrowserIdMiddleware, SecurityHeadersMiddleware, auth_routes
from assessment.web.startup import ready_engine

SCRIPT = Path(__file__).resolve().parent / "src" / "assessment" / "web" / "main.py"

BASE_PATH = str(st.get_option("server.baseUrlPath") or "")


def check_database() -> None:
    """Open (and migrate) the database before serving; production mode refuses a demo one."""
    demo_mark.check_mode(ready_engine(), get_settings().mode)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    configure_logging(get_settings().log_level)  # one JSON line per event, no personal data
    try:
        await asyncio.to_thread(check_database)
    except demo_mark.DemoDatabaseError as refused:
        print(refused.message, file=sys.stderr)
        raise SystemExit(1) from refused
    yield


app = st.App(
    SCRIPT,
    routes=auth_routes(ready_engine, base_path=BASE_PATH),
    middleware=[
        Middleware(SecurityHeadersMiddleware),
        Middleware(BrowserIdMiddleware, base_path=BASE_PATH),
    ],
    on_script_error=guard.on_script_error,
    lifespan=lifespan,
)

if __name__ == "__main__":
    app.run()

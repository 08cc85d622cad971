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

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from assessment.web import guard
from assessment.web.auth_routes import BrowserIdMiddleware, SecurityHeadersMiddleware, auth_routes
from assessment.web.startup import ready_engine

SCRIPT = Path(__file__).resolve().parent / "src" / "assessment" / "web" / "main.py"

BASE_PATH = str(st.get_option("server.baseUrlPath") or "")

app = st.App(
    SCRIPT,
    routes=auth_routes(ready_engine, base_path=BASE_PATH),
    middleware=[
        Middleware(SecurityHeadersMiddleware),
        Middleware(BrowserIdMiddleware, base_path=BASE_PATH),
    ],
    on_script_error=guard.on_script_error,
)

if __name__ == "__main__":
    app.run()

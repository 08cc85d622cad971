"""What every page uses: the engine, the signed-in actor, grids, refusals.

Pages stay thin: they read state from here, call the core, and draw.

* :func:`engine` — the database, opened, migrated and synced with ``guide/``
  once per process (:func:`assessment.startup.open_database`), not on every
  rerun;
* :func:`current_actor` / :func:`require_actor` — who is signed in, from the
  ``ess_session`` cookie (see :mod:`assessment.web.auth_routes`), resolved by
  the core (:func:`accounts.actor_for_session`) once per script run: the app's
  entry point calls :func:`begin_run` first, and every later call in the run
  reads the actor kept in ``st.session_state``;
* :func:`grid` — a published grid version, parsed once per process
  (:func:`assessment.grid_store.get_grid`);
* :func:`refuse` and :func:`call` — a polite French refusal (and the page
  stops), also for a core :class:`PermissionDenied`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import Engine

from assessment import accounts
from assessment.db import NotFound
from assessment.grid import Grid
from assessment.grid_store import get_grid
from assessment.permissions import Actor, PermissionDenied
from assessment.settings import get_settings
from assessment.web import auth_routes, startup

P = ParamSpec("P")
R = TypeVar("R")

ACTOR_KEY = "_auth_actor"
"""``st.session_state`` key: the actor resolved at the start of this run (or ``None``)."""
RESOLVED_KEY = "_auth_resolved"
EXPIRED_KEY = "_auth_session_ended"
"""True when the browser sent a session cookie that no longer works."""
SIGNED_OUT_KEY = "_auth_signed_out_here"
"""True once this tab signed out (until the reload that follows, its cookie is stale)."""
HOME_PAGE_KEY = "_nav_home_page"
"""The ``st.Page`` a refusal links back to (set by the navigation each run)."""


# ---------------------------------------------------------------------------
# engine and grids
# ---------------------------------------------------------------------------


def engine() -> Engine:
    """The app's database (created and migrated on first use in this process)."""
    return startup.ready_engine()


def grid(grid_id: str, version: str) -> Grid:
    """A published grid version (published versions never change: parsed once)."""
    return get_grid(engine(), grid_id, version)


# ---------------------------------------------------------------------------
# who is signed in
# ---------------------------------------------------------------------------


def request_cookies() -> Mapping[str, str]:
    """The cookies the browser sent when it opened this tab's connection.

    The one place that reads ``st.context.cookies`` (tests replace it: AppTest
    has no browser).  The value is fixed for a connection: the sign-in and
    sign-out routes reload the page, which opens a new connection.
    """
    return st.context.cookies


def browser_id() -> str | None:
    """This browser's ``ess_browser`` cookie (sign-in tickets are bound to it)."""
    return request_cookies().get(auth_routes.BROWSER_COOKIE) or None


def session_token() -> str | None:
    """The web-session token in the browser's cookie (``None``: absent or forged)."""
    raw = request_cookies().get(auth_routes.SESSION_COOKIE)
    if not raw:
        return None
    return auth_routes.token_from_cookie(engine(), raw)


def begin_run() -> Actor | None:
    """Resolve the session cookie for this script run (the entry point calls it first)."""
    raw = request_cookies().get(auth_routes.SESSION_COOKIE)
    token = session_token()
    actor = accounts.actor_for_session(engine(), token) if token else None
    st.session_state[ACTOR_KEY] = actor
    st.session_state[RESOLVED_KEY] = True
    st.session_state[EXPIRED_KEY] = (
        bool(raw) and actor is None and not st.session_state.get(SIGNED_OUT_KEY)
    )
    return actor


def current_actor() -> Actor | None:
    """The signed-in user of this run, or ``None``."""
    if not st.session_state.get(RESOLVED_KEY):
        return begin_run()
    actor: Actor | None = st.session_state.get(ACTOR_KEY)
    return actor


def session_ended() -> bool:
    """Whether the browser came with a session that has expired or was revoked."""
    return bool(st.session_state.get(EXPIRED_KEY))


def require_actor() -> Actor:
    """The signed-in user; otherwise a refusal and the page stops."""
    actor = current_actor()
    if actor is None:
        refuse("Vous devez vous connecter pour accéder à cette page.")
    return actor


def forget_actor() -> None:
    """This tab signs out at once (the cookie itself is cleared by ``/auth/signout``)."""
    st.session_state[ACTOR_KEY] = None
    st.session_state[RESOLVED_KEY] = True
    st.session_state[EXPIRED_KEY] = False


# ---------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------


def refuse(message: str) -> NoReturn:
    """Say politely why not, offer the way back home, and stop the page."""
    st.warning(message, icon=":material/lock:")
    home = st.session_state.get(HOME_PAGE_KEY)
    if home is not None:
        st.page_link(home, label="Retour à l'accueil", icon=":material/home:")
    st.stop()


def call(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)``; a :class:`PermissionDenied` (or a record that does
    not exist) becomes a polite refusal and the page stops."""
    try:
        return fn(*args, **kwargs)
    except PermissionDenied as denied:
        refuse(denied.message)
    except NotFound as missing:
        refuse(missing.message)


def settings_mode() -> str:
    return get_settings().mode


def secrets_section(name: str) -> Mapping[str, Any] | None:
    """A section of ``.streamlit/secrets.toml`` (``None`` when absent or unreadable)."""
    try:
        if name not in st.secrets:
            return None
        section = st.secrets[name]
    except (FileNotFoundError, KeyError, OSError, ValueError):
        return None
    return section if isinstance(section, Mapping) else None

"""What every page uses: the engine, the signed-in actor, grids, refusals.

Pages stay thin: they read state from here, call the core, and draw.

* :func:`engine` — the database, opened, migrated and synced with ``guide/``
  once per process (:func:`assessment.startup.open_database`), not on every
  rerun;
* :func:`current_actor` / :func:`require_actor` — who is signed in, from the
  ``ess_session`` cookie (see :mod:`assessment.web.auth_routes`), resolved by
  the core (:func:`accounts.actor_for_session`) once per script run: the app's
  entry point calls :func:`begin_run` first, and every later call in the run
  reads the actor kept in ``st.session_state``.  That is for reading;
* :func:`writer` — **every write** asks for its actor here, at the moment of the
  write: the cookie is checked against the database again, so a session that
  was revoked, expired, closed in another tab, ended by a password change or
  whose account was deactivated writes nothing (:class:`SessionEnded`), even
  from a tab opened before.  Widget callbacks (which Streamlit runs *before*
  the script, and before a fragment-only rerun that never reaches the entry
  point) go through :func:`write_callback`, which hands them that fresh actor;
  ``st.fragment`` bodies go through :func:`fragment`.  Then the whole app
  reruns, and with no valid session it shows the sign-in page, saying that the
  session has ended;
* :func:`guarded` — the page runs inside it: an unexpected error is logged
  with an id and shown as a French message quoting it (:mod:`.guard`), never
  as a traceback;
* :func:`grid` — a published grid version, parsed once per process;
* :func:`refuse` and :func:`call` — a polite French refusal (and the page
  stops), also for a core :class:`PermissionDenied`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import Engine

from assessment import accounts
from assessment.db import NotFound
from assessment.errors import UserError
from assessment.grid import Grid
from assessment.grid_store import get_grid
from assessment.permissions import Actor, PermissionDenied
from assessment.settings import get_settings
from assessment.web import auth_routes, guard, startup

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
RERUN_APP_KEY = "_auth_rerun_app"
"""True once a callback found the session ended: the next fragment run reruns the app."""
WRITE_REFUSED_KEY = "_auth_write_refused"
"""True when a change was refused because the session had ended (the sign-in page says so)."""
ERROR_KEY = "_guard_error_id"
"""The French message of an error in a callback (with its id), shown by the run that follows."""


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


def _actor_now() -> Actor | None:
    """The session cookie's actor, asked of the database now (``None``: no valid session)."""
    token = session_token()
    return accounts.actor_for_session(engine(), token) if token else None


def begin_run() -> Actor | None:
    """Resolve the session cookie for this script run (the entry point calls it first)."""
    raw = request_cookies().get(auth_routes.SESSION_COOKIE)
    actor = _actor_now()
    st.session_state.pop(RERUN_APP_KEY, None)
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
# writes: the session is checked at the moment of each one
# ---------------------------------------------------------------------------


class SessionEnded(Exception):
    """This tab's session no longer allows writing; nothing was written.

    Raised by :func:`writer`; :func:`guarded` (page runs, fragments) and
    :func:`write_callback` (callbacks) turn it into a rerun of the whole app,
    which then shows the sign-in page, or the page with the account's
    current rights when only they changed.
    """


def writer() -> Actor:
    """The actor of a write about to happen, checked against the database now.

    Raises :class:`SessionEnded` when the session no longer works (revoked,
    expired, idle too long, signed out elsewhere, password changed, account
    deactivated) or no longer belongs to the actor this tab was drawn for.
    """
    shown: Actor | None = st.session_state.get(ACTOR_KEY)
    actor = _actor_now() if shown is not None else None
    if actor is None or actor != shown:
        st.session_state[ACTOR_KEY] = None
        st.session_state[RERUN_APP_KEY] = True
        if actor is None:
            st.session_state[WRITE_REFUSED_KEY] = True
        raise SessionEnded()
    return actor


def write_refused() -> bool:
    """Whether this tab's last change was refused because its session had ended."""
    return bool(st.session_state.get(WRITE_REFUSED_KEY))


def write_callback(fn: Callable[Concatenate[Actor, P], object]) -> Callable[P, None]:
    """Wrap a widget callback that writes: it gets the actor from :func:`writer`.

    Callbacks run before the script (and before fragment-only reruns): an
    ended session makes the callback do nothing, and the run that follows
    reruns the whole app.  An unexpected error is reported like a page's.
    """

    @functools.wraps(fn)
    def callback(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(writer(), *args, **kwargs)
        except SessionEnded:
            return
        except UserError as error:  # a French message nobody caught: show it next run
            st.session_state[ERROR_KEY] = error.message
        except Exception as error:
            st.session_state[ERROR_KEY] = guard.describe(error, where="callback")

    return callback


@contextmanager
def guarded(where: str = "") -> Iterator[None]:
    """Run a page (or a fragment) so that a visitor never sees a traceback.

    :class:`SessionEnded` reruns the whole app; a :class:`UserError` nobody
    caught shows its French message; any other exception is logged with an id
    and shown as a French message quoting it.  ``st.stop`` and ``st.rerun`` go
    through (they are not ``Exception`` subclasses).
    """
    pending = st.session_state.pop(ERROR_KEY, None)
    if pending:
        st.error(pending, icon=":material/error:")
    try:
        yield
    except SessionEnded:
        st.rerun(scope="app")
    except UserError as error:
        st.error(error.message, icon=":material/error:")
    except Exception as error:
        guard.show(guard.describe(error, where=where))


def fragment(body: Callable[P, None], *, key: str | None = None) -> Callable[P, None]:
    """``st.fragment(body, key=key)``, guarded: a fragment-only rerun never reaches the
    app's entry point, so it checks here whether a callback just found the
    session ended (then the whole app reruns) and catches errors like a page.
    With a ``key``, a widget callback reruns it with ``st.rerun([key, ...])``."""

    @functools.wraps(body)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        if st.session_state.get(RERUN_APP_KEY):
            st.rerun(scope="app")
        with guarded(where=getattr(body, "__qualname__", "fragment")):
            body(*args, **kwargs)

    wrapped: Callable[P, None] = st.fragment(run, key=key)
    return wrapped


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

"""Fixtures of the Streamlit tests: a fresh database per test, and signed-in AppTests.

* ``web_db`` — an empty, migrated SQLite database of its own (``DATABASE_URL``
  points at it; the settings and every per-process cache are reset);
* ``demo_db`` — the same, holding the demo data (``demo.DEMO_ORGANISATIONS`` organisations, 3
  campaigns) and one demo account per role (a copy of a file seeded once per
  test session);
* ``cookies`` — what the test "browser" sends: a dict the app reads instead of
  ``st.context.cookies`` (AppTest has no browser), with an ``ess_browser`` id;
* ``app_as(role)`` — an :class:`AppTest` of ``src/assessment/web/main.py``
  signed in as the demo account of ``role`` through the real path: a
  password sign-in, a web session in the database and its signed cookie in
  ``cookies``, resolved by the app like any browser's;
* :func:`open_page` — the AppTest counterpart of typing a page's URL.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from assessment import accounts, db, demo, grid_store, startup
from assessment.permissions import Actor, Role
from assessment.settings import get_settings
from assessment.web import auth_routes, state
from assessment.web import startup as web_startup
from assessment.web.views import signin

ROOT = Path(__file__).resolve().parents[2]
MAIN_SCRIPT = ROOT / "src" / "assessment" / "web" / "main.py"
GUIDE = ROOT / "guide"
APPTEST_TIMEOUT = 60
DEMO_EMAILS: dict[Role, str] = {account.role: account.email for account in demo.DEMO_ACCOUNTS}
BROWSER_ID = "test-browser-0001"


def cheap_hasher() -> PasswordHasher:
    """argon2id with tiny costs: the tests check behaviour, not hashing cost."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def reset_process_caches() -> None:
    """Forget every engine, secret and cache the app keeps per process."""
    startup.clear_caches()


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "password_hasher", cheap_hasher())
    monkeypatch.setattr(accounts, "_dummy_hash", None)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo data and accounts, seeded once per test session."""
    path = tmp_path_factory.mktemp("web-template") / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "password_hasher", cheap_hasher())
        patch.setenv("ASSESSMENT_GRIDS_DIR", str(GUIDE))
        get_settings.cache_clear()
        engine = db.create_database_engine(f"sqlite:///{path}")
        try:
            db.migrate(engine)
            grid_store.sync_grids_from_dir(engine, GUIDE)
            demo.prepare_demo_database(
                engine, orgs=signin.DEMO_ORGANISATIONS, campaigns=signin.DEMO_CAMPAIGNS
            )
        finally:
            engine.dispose()
    get_settings.cache_clear()
    return path


def _use_database(monkeypatch: pytest.MonkeyPatch, path: Path, mode: str) -> Engine:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ASSESSMENT_MODE", mode)
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GUIDE))
    monkeypatch.setenv("ASSESSMENT_DATA_DIR", str(path.parent))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    reset_process_caches()
    return web_startup.ready_engine()


@pytest.fixture
def web_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield
    reset_process_caches()


@pytest.fixture
def web_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_settings: None) -> Engine:
    """An empty database (demo mode), migrated, the guide's grid published."""
    return _use_database(monkeypatch, tmp_path / "web.sqlite3", "demo")


@pytest.fixture
def production_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_settings: None) -> Engine:
    """An empty database in production mode."""
    return _use_database(monkeypatch, tmp_path / "web.sqlite3", "production")


@pytest.fixture
def demo_db(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_settings: None
) -> Engine:
    """A database holding the demo data and the demo accounts (demo mode)."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    return _use_database(monkeypatch, path, "demo")


@pytest.fixture
def cookies(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The cookies the app sees (``st.context.cookies`` of a real browser)."""
    jar: dict[str, str] = {auth_routes.BROWSER_COOKIE: BROWSER_ID}
    monkeypatch.setattr(state, "request_cookies", lambda: jar)
    return jar


def new_app() -> AppTest:
    return AppTest.from_file(str(MAIN_SCRIPT), default_timeout=APPTEST_TIMEOUT)


def sign_in_cookie(engine: Engine, email: str, password: str = demo.DEMO_PASSWORD) -> str:
    """The ``ess_session`` cookie value a browser holds after signing in as ``email``."""
    actor = accounts.authenticate(engine, email, password)
    token = accounts.open_web_session(engine, actor)
    return auth_routes.session_cookie_value(engine, token)


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Go to ``/<url_path>`` as a browser would (then call ``.run()``).

    ``st.navigation`` pages are identified by the hash of their url path;
    AppTest's public ``switch_page`` only knows file pages, and a page can
    only be asked for once the app has run (and registered its pages): a
    first run happens here if needed.
    """
    if not at._finished_page_script_hash:
        at.run()
    at._page_hash = calc_hash(url_path)
    return at


@dataclass
class SignedIn:
    app: AppTest
    actor: Actor
    cookie: str


@pytest.fixture
def app_as(demo_db: Engine, cookies: dict[str, str]) -> Callable[[Role], SignedIn]:
    """``app_as(Role.MEMBER)``: an AppTest (not yet run) signed in as that demo account."""

    def build(role: Role) -> SignedIn:
        email = DEMO_EMAILS[role]
        cookie = sign_in_cookie(demo_db, email)
        cookies[auth_routes.SESSION_COOKIE] = cookie
        actor = accounts.actor_for_session(demo_db, auth_routes.token_from_cookie(demo_db, cookie))
        assert actor is not None
        return SignedIn(new_app(), actor, cookie)

    return build


def warnings_text(at: AppTest) -> str:
    return "\n".join(str(w.value) for w in at.warning)


def errors_text(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.error)

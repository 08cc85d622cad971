"""No visitor ever sees a traceback: a French message quoting an error id instead.

The error is logged under that id with its type and stack only (no message:
it may hold what the visitor typed, or an SQL statement and its parameters).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from streamlit.config import ShowErrorDetailsConfigOptions
from streamlit.testing.v1 import AppTest

from assessment import accounts, assessments, db
from assessment.permissions import Actor, Role
from assessment.web import guard, startup
from assessment.web.views import account, signin

from .conftest import GUIDE, ROOT, new_app, open_page, reset_process_caches
from .test_filling import Env, key, make_env

ERROR_ID = re.compile(r"référence ([0-9A-F]{8})")
SECRET = "membre@demo.test SELECT * FROM users /srv/app/secret.py"
"""What an exception message may hold: personal data, SQL, server paths."""


def _everything_shown(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("error", "warning", "info", "success", "markdown", "exception", "code", "text"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    parts += [str(e.proto) for e in at.get("exception")]
    return "\n".join(parts)


def _error_id(at: AppTest) -> str:
    found = [ERROR_ID.search(str(e.value)) for e in at.error]
    ids = [m.group(1) for m in found if m]
    assert len(ids) == 1, [str(e.value) for e in at.error]
    return ids[0]


def _no_internals(at: AppTest) -> None:
    assert not at.exception
    shown = _everything_shown(at)
    for word in ("Traceback", "RuntimeError", "SELECT", "/srv/", 'File "', "DataError"):
        assert word not in shown, word


def test_the_config_hides_error_details_from_visitors() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    value = config["client"]["showErrorDetails"]
    assert value == ShowErrorDetailsConfigOptions.NONE.value
    assert value in {option.value for option in ShowErrorDetailsConfigOptions}


def test_a_failing_page_shows_a_french_message_with_an_id(
    app_as, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(account, "render", broken)
    at = open_page(app_as(Role.MEMBER).app, "compte")
    with caplog.at_level(logging.ERROR, logger=guard.logger.name):
        at.run()
    _no_internals(at)
    error_id = _error_id(at)
    assert "Une erreur inattendue est survenue" in str(at.error[0].value)
    logged = [r.getMessage() for r in caplog.records if error_id in r.getMessage()]
    assert len(logged) == 1
    assert "builtins.RuntimeError" in logged[0] and "in broken" in logged[0]
    assert SECRET not in logged[0] and "membre@" not in logged[0]
    # the frame around the page is still drawn: the menu is there
    assert at.session_state["_nav_visible_pages"]


def test_a_failing_callback_shows_the_message_on_the_next_run(
    web_db: Engine, cookies: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env: Env = make_env(web_db, cookies)
    at = env.app().run()

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(assessments, "save_answer", broken)
    at.radio(key=key("gouv-regles", "current")).set_value(2).run()
    _no_internals(at)
    _error_id(at)
    assert [t.value for t in at.title] == ["Mon auto-évaluation"]  # still on the page


def test_an_error_outside_the_page_is_caught_by_the_app_hook() -> None:
    """``st.App(on_script_error=guard.on_script_error)`` for what the script lets through."""

    def script() -> None:
        from assessment.web import guard

        assert guard.on_script_error(RuntimeError("boom /srv/x")) is True

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert ERROR_ID.search(str(at.error[0].value))
    assert "boom" not in str(at.error[0].value)


def test_app_py_wires_the_hook_and_the_headers() -> None:
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "on_script_error=guard.on_script_error" in source


# ---------------------------------------------------------------------------
# the sign-in form with a NUL byte, on PostgreSQL (where it used to show the SQL)
# ---------------------------------------------------------------------------


@pytest.fixture
def postgres_web_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_settings: None
) -> Iterator[Engine]:
    """The app on a fresh PostgreSQL schema of the test server (demo mode)."""
    base = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = db.create_database_engine(base)
    schema = f"w_{secrets.token_hex(6)}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
    separator = "&" if "?" in base else "?"
    monkeypatch.setenv("DATABASE_URL", f"{base}{separator}options=-csearch_path%3D{schema}")
    monkeypatch.setenv("ASSESSMENT_MODE", "demo")
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GUIDE))
    monkeypatch.setenv("ASSESSMENT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    reset_process_caches()
    try:
        yield startup.ready_engine()
    finally:
        reset_process_caches()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.mark.postgres
def test_a_nul_byte_in_the_sign_in_email_gives_a_french_error(
    postgres_web_db: Engine, cookies: dict[str, str]
) -> None:
    accounts.create_user(
        postgres_web_db,
        Actor.system(),
        email="membre@demo.test",
        password="Un mot de passe assez long 42",
        role=Role.NATIONAL,
    )
    at = new_app().run()
    at.text_input(key=signin.EMAIL_KEY).input("membre\x00@demo.test")
    at.text_input(key=signin.PASSWORD_KEY).input("Un mot de passe assez long 42")
    next(b for b in at.button if b.label == "Se connecter").click()
    at.run()
    _no_internals(at)
    assert at.error, "a clear French error"
    assert [t.value for t in at.title] == ["Connexion"]
    assert "psycopg" not in _everything_shown(at)


def test_an_unreachable_database_reads_as_a_passing_fault() -> None:
    """A PostgreSQL restart: a French, temporary message with its reference, no internals."""
    from sqlalchemy.exc import OperationalError

    from assessment.web import guard

    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    shown = guard.describe(lost, where="test")
    assert "momentanément indisponible" in shown and "pas été enregistrée" in shown
    assert "SELECT" not in shown and "server closed" not in shown
    assert "momentanément" not in guard.describe(ValueError("x"), where="test")

"""Demo mode in the app: offered on an empty database only, never on a real one."""

from __future__ import annotations

import asyncio
import runpy
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from assessment import accounts, demo, demo_mark
from assessment.organisations import create_organisation
from assessment.permissions import Actor

from .conftest import GUIDE, ROOT, new_app, reset_process_caches

DEMO_BUTTON = "Mode démonstration"


def _buttons(at: object) -> list[str]:
    return [b.label for b in at.button]  # type: ignore[attr-defined]


def test_a_real_database_without_accounts_offers_no_demo(web_db: Engine, cookies: dict) -> None:
    """The attack: real organisations, no account yet, the default (demo) mode."""
    create_organisation(
        web_db,
        Actor.system(),
        name="Mutuelle réelle",
        siren="552100554",
        region="84",
        legal_family="mutual",
        size_band="50-249",
    )
    at = new_app().run()
    assert not at.exception
    assert DEMO_BUTTON not in _buttons(at)
    assert not any("Comptes de démonstration" in str(h.proto.body) for h in at.html)
    # the first-account instructions instead
    assert "assessment users add --role national" in at.code[0].value
    assert accounts.list_users(web_db, Actor.system()) == []


def test_a_fresh_machine_gets_demo_mode_and_the_database_is_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_settings: None, cookies: dict
) -> None:
    """The README's run command: no settings at all, demo mode on the new SQLite file."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(GUIDE, tmp_path / "guide")
    for name in ("DATABASE_URL", "ASSESSMENT_SETTINGS", "ASSESSMENT_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ASSESSMENT_DATA_DIR", raising=False)
    monkeypatch.delenv("ASSESSMENT_GRIDS_DIR", raising=False)
    reset_process_caches()
    at = new_app().run()
    assert not at.exception
    assert (tmp_path / "data" / "assessment.sqlite3").is_file()
    next(b for b in at.button if b.label == DEMO_BUTTON).click().run(timeout=120)
    assert not at.exception
    assert any("Comptes de démonstration" in str(h.proto.body) for h in at.html)
    from assessment.web import state

    assert demo_mark.is_demo(state.engine())


def test_production_mode_refuses_a_demo_database_with_a_french_message(
    demo_db: Engine, cookies: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSESSMENT_MODE", "production")
    reset_process_caches()
    at = new_app().run()
    assert not at.exception
    messages = [str(e.value) for e in at.error]
    assert any("Mode production" in m and "démonstration" in m for m in messages), messages
    assert not at.text_input  # no sign-in form: the app does not run on it
    assert demo.DEMO_PASSWORD not in "\n".join(str(h.proto.body) for h in at.html)


def test_production_mode_does_not_start_the_server_on_a_demo_database(
    demo_db: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSESSMENT_MODE", "production")
    reset_process_caches()
    lifespan = runpy.run_path(str(ROOT / "app.py"))["lifespan"]  # st.App(lifespan=...)

    async def start() -> None:
        async with lifespan(None):
            pass

    # a thread of its own: an earlier test of the session may have left an event loop
    # running in this one
    raised: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(start())
        except BaseException as exc:  # SystemExit expected
            raised.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(timeout=120)
    # uvicorn: "Application startup failed. Exiting."
    assert raised and isinstance(raised[0], SystemExit), raised
    assert "Mode production (ASSESSMENT_MODE=production)" in capsys.readouterr().err
    reset_process_caches()

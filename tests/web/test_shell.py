"""The shell's helpers: refusals, OpenID Connect mapping, the account page, start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from assessment import accounts, demo, grid_store
from assessment.french import typo
from assessment.permissions import Actor, Role
from assessment.settings import get_settings
from assessment.web import oidc, startup, state

from .conftest import DEMO_EMAILS, GUIDE, new_app, open_page, reset_process_caches
from .markdown_text import shown

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32}
PROVIDER = {
    "client_id": "id",
    "client_secret": "secret",
    "server_metadata_url": "https://id.example/.well-known/openid-configuration",
}


# ---------------------------------------------------------------------------
# OpenID Connect
# ---------------------------------------------------------------------------


def test_no_provider_without_an_auth_section() -> None:
    assert oidc.providers(None) == []
    assert oidc.providers({}) == []
    assert oidc.providers({"proconnect": PROVIDER}) == []  # no redirect_uri / cookie_secret


def test_named_and_default_providers() -> None:
    assert oidc.providers({**AUTH, "proconnect": PROVIDER, "google": PROVIDER}) == [
        oidc.Provider("proconnect", "ProConnect"),
        oidc.Provider("google", "Google"),
    ]
    assert oidc.providers({**AUTH, **PROVIDER}) == [
        oidc.Provider(None, "votre fournisseur d'identité")
    ]
    incomplete = {"client_id": "id"}
    assert oidc.providers({**AUTH, "partial": incomplete}) == []


def test_identity_maps_to_the_local_account(demo_db: Engine) -> None:
    email = DEMO_EMAILS[Role.ORG_ADMIN]
    actor = oidc.actor_for_identity(demo_db, email.upper(), email_verified=True)
    assert actor is not None and actor.email == email and actor.role is Role.ORG_ADMIN
    assert oidc.actor_for_identity(demo_db, email, email_verified=None) is not None


def test_identity_without_a_local_account_is_refused(demo_db: Engine) -> None:
    assert oidc.actor_for_identity(demo_db, "stranger@example.org", email_verified=True) is None
    assert oidc.actor_for_identity(demo_db, None, email_verified=True) is None
    hostile = f"{DEMO_EMAILS[Role.MEMBER]}\x00"  # refused characters: no account, no error
    assert oidc.actor_for_identity(demo_db, hostile, email_verified=True) is None


def test_unverified_identity_is_refused(demo_db: Engine) -> None:
    email = DEMO_EMAILS[Role.MEMBER]
    assert oidc.actor_for_identity(demo_db, email, email_verified=False) is None
    assert oidc.actor_for_identity(demo_db, email, email_verified="false") is None


def test_identity_of_a_deactivated_account_is_refused(demo_db: Engine) -> None:
    email = DEMO_EMAILS[Role.MEMBER]
    user = next(u for u in accounts.list_users(demo_db, Actor.system()) if u.email == email)
    accounts.set_user_active(demo_db, Actor.system(), user.id, False)
    assert oidc.actor_for_identity(demo_db, email, email_verified=True) is None


# ---------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------


def _refusal_script() -> None:
    from assessment.permissions import Action, Actor, Role, require
    from assessment.web import state

    member = Actor(user_id=1, email="m@example.org", role=Role.MEMBER, organisation_id=1)
    state.call(require, member, Action.MANAGE_GRIDS)
    import streamlit as st

    st.write("not reached")


def test_call_turns_permission_denied_into_a_polite_refusal() -> None:
    at = AppTest.from_function(_refusal_script).run()
    assert not at.exception
    refusal = typo("La gestion des grilles est réservée à l'instance nationale.")
    assert at.warning[0].value == refusal
    assert not at.markdown


def _signed_out_script() -> None:
    from assessment.web import state

    state.begin_run()
    state.require_actor()


def test_require_actor_refuses_when_signed_out(web_db: Engine, cookies: dict) -> None:
    at = AppTest.from_function(_signed_out_script).run()
    assert at.warning[0].value == "Vous devez vous connecter pour accéder à cette page."


# ---------------------------------------------------------------------------
# account page
# ---------------------------------------------------------------------------


def test_change_password_ends_every_session(app_as, demo_db: Engine) -> None:
    signed = app_as(Role.MEMBER)
    at = open_page(signed.app, "compte").run()
    current, new, again = at.text_input
    current.input(demo.DEMO_PASSWORD)
    new.input("un-nouveau-mot-de-passe")
    again.input("un-nouveau-mot-de-passe")
    next(b for b in at.button if b.label == "Changer le mot de passe").click().run()
    assert not at.exception
    assert "Mot de passe changé" in at.success[0].value
    email = DEMO_EMAILS[Role.MEMBER]
    assert accounts.authenticate(demo_db, email, "un-nouveau-mot-de-passe").email == email
    assert accounts.actor_for_session(demo_db, state.session_token()) is None


def test_change_password_refuses_a_mismatch(app_as) -> None:
    at = open_page(app_as(Role.MEMBER).app, "compte").run()
    current, new, again = at.text_input
    current.input(demo.DEMO_PASSWORD)
    new.input("un-nouveau-mot-de-passe")
    again.input("un-autre-mot-de-passe!")
    next(b for b in at.button if b.label == "Changer le mot de passe").click().run()
    assert "diffèrent" in at.error[0].value


def test_change_password_with_a_wrong_current_one(app_as) -> None:
    at = open_page(app_as(Role.MEMBER).app, "compte").run()
    current, new, again = at.text_input
    current.input("pas-le-bon")
    new.input("un-nouveau-mot-de-passe")
    again.input("un-nouveau-mot-de-passe")
    next(b for b in at.button if b.label == "Changer le mot de passe").click().run()
    assert shown(at.error[0].value) == "Le mot de passe actuel est incorrect."


# ---------------------------------------------------------------------------
# start-up
# ---------------------------------------------------------------------------


def test_engine_is_opened_once_per_process(web_db: Engine) -> None:
    assert startup.ready_engine() is web_db
    assert startup.ready_engine(get_settings().resolved_database_url) is web_db


def test_a_fresh_machine_creates_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_settings: None
) -> None:
    """No DATABASE_URL: the SQLite file under data_dir is created and migrated."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    monkeypatch.setenv("ASSESSMENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GUIDE))
    reset_process_caches()
    engine = startup.ready_engine()
    assert (tmp_path / "data" / "assessment.sqlite3").is_file()
    assert grid_store.latest_version(engine)


@pytest.fixture
def oidc_configured(monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setattr(oidc, "authlib_installed", lambda: True)
    return {"auth": {**AUTH, "proconnect": PROVIDER}}


def test_oidc_button_shown_when_configured(
    demo_db: Engine, cookies: dict, oidc_configured: dict
) -> None:
    at = new_app()
    at.secrets = oidc_configured
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button if b.label.startswith("Se connecter avec")] == [
        "Se connecter avec ProConnect"
    ]


def test_oidc_identity_with_an_account_goes_to_the_cookie_exchange(
    demo_db: Engine, cookies: dict, oidc_configured: dict
) -> None:
    at = new_app()
    at.secrets = oidc_configured
    at.user = {"is_logged_in": True, "email": DEMO_EMAILS[Role.NATIONAL], "email_verified": True}
    at.run()
    assert not at.exception
    assert "Connexion réussie" in at.success[0].value
    assert any("/auth/session?ticket=" in str(h.proto.body) for h in at.html)


def test_oidc_identity_without_an_account_is_politely_refused(
    demo_db: Engine, cookies: dict, oidc_configured: dict
) -> None:
    at = new_app()
    at.secrets = oidc_configured
    at.user = {"is_logged_in": True, "email": "inconnu@example.org", "email_verified": True}
    at.run()
    assert not at.exception
    assert typo("Aucun compte de l'outil n'est associé") in at.warning[0].value
    assert [b.label for b in at.button if b.label == "Utiliser un autre compte"]
    assert not any("/auth/session?ticket=" in str(h.proto.body) for h in at.html)

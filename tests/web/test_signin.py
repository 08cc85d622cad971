"""Sign-in page: password check, the ticket → cookie exchange, sign-out, demo and first run."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from assessment import accounts, demo
from assessment.french import typo
from assessment.permissions import Actor, Role
from assessment.web import auth_routes, state
from assessment.web.navigation import VISIBLE_PAGES_KEY
from assessment.web.views import signin

from .conftest import (
    BROWSER_ID,
    DEMO_EMAILS,
    errors_text,
    new_app,
    open_page,
)
from .markdown_text import shown

REFUSED = "Adresse e-mail ou mot de passe incorrect."


def _submit(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key=signin.EMAIL_KEY).input(email)
    at.text_input(key=signin.PASSWORD_KEY).input(password)
    next(b for b in at.button if b.label == "Se connecter").click()
    return at.run()


def _ticket_url(at: AppTest) -> str:
    for element in at.html:
        found = re.search(r'href="([^"]*/auth/session\?[^"]*)"', str(element.proto.body))
        if found:
            return found.group(1).replace("&amp;", "&")
    raise AssertionError("no redirection to /auth/session on the page")


def _demo_accounts_table(at: AppTest) -> str | None:
    for element in at.html:
        body = str(element.proto.body)
        if "Comptes de démonstration" in body:
            return body
    return None


def _exchange(engine: Engine, url: str) -> tuple[str, str]:
    """What the browser does with the ticket URL: the cookie it gets and where it goes."""
    client = TestClient(
        Starlette(routes=auth_routes.auth_routes(lambda: engine)), follow_redirects=False
    )
    client.cookies.set(auth_routes.BROWSER_COOKIE, BROWSER_ID)
    response = client.get(url)
    assert response.status_code == 303
    return response.cookies[auth_routes.SESSION_COOKIE], response.headers["location"]


def test_signed_out_visitor_sees_only_the_sign_in_page(demo_db: Engine, cookies: dict) -> None:
    at = new_app().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Connexion"]
    assert at.session_state[VISIBLE_PAGES_KEY] == ["connexion"]
    assert at.text_input(key=signin.EMAIL_KEY).label == "Adresse e-mail"


def test_wrong_password_and_unknown_email_get_the_same_message(
    demo_db: Engine, cookies: dict
) -> None:
    wrong_password = _submit(new_app().run(), DEMO_EMAILS[Role.MEMBER], "not-the-password")
    unknown_email = _submit(new_app().run(), "nobody@example.org", "not-the-password")
    assert shown(errors_text(wrong_password)) == REFUSED
    assert shown(errors_text(unknown_email)) == REFUSED
    assert state.ACTOR_KEY not in cookies  # nothing leaked into the cookies
    assert auth_routes.SESSION_COOKIE not in cookies


def test_repeated_failures_are_slowed_down(demo_db: Engine, cookies: dict) -> None:
    at = new_app().run()
    for _ in range(7):
        at = _submit(at, DEMO_EMAILS[Role.MEMBER], "not-the-password")
    assert "Trop de tentatives" in errors_text(at)


def test_empty_fields_are_asked_for(demo_db: Engine, cookies: dict) -> None:
    at = _submit(new_app().run(), "", "")
    assert "Saisissez votre adresse e-mail" in errors_text(at)


def test_sign_in_goes_through_the_server_cookie_and_shows_the_role_pages(
    demo_db: Engine, cookies: dict
) -> None:
    at = _submit(new_app().run(), DEMO_EMAILS[Role.MEMBER], demo.DEMO_PASSWORD)
    assert not at.exception
    assert "Connexion réussie" in at.success[0].value
    url = _ticket_url(at)
    query = parse_qs(urlsplit(url).query)
    assert query["next"] == ["/"]
    # the page never writes the cookie: the browser gets it from the server
    assert auth_routes.SESSION_COOKIE not in cookies
    cookie, location = _exchange(demo_db, url)
    assert location == "/"
    cookies[auth_routes.SESSION_COOKIE] = cookie
    home = new_app().run()  # the reload after the redirect: a new connection
    assert not home.exception
    assert home.session_state[VISIBLE_PAGES_KEY] == [
        "auto-evaluation",
        "plan-action",
        "resultats",
        "organisation",
        "compte",
    ]
    assert home.session_state[state.ACTOR_KEY].email == DEMO_EMAILS[Role.MEMBER]


def test_a_deep_link_comes_back_to_its_page_after_sign_in(demo_db: Engine, cookies: dict) -> None:
    at = open_page(new_app(), "organisation").run()
    assert [t.value for t in at.title] == ["Connexion"]
    at = _submit(at, DEMO_EMAILS[Role.ORG_ADMIN], demo.DEMO_PASSWORD)
    _cookie, location = _exchange(demo_db, _ticket_url(at))
    assert location == "/organisation"


def test_no_browser_cookie_means_no_sign_in(demo_db: Engine, cookies: dict) -> None:
    del cookies[auth_routes.BROWSER_COOKIE]
    at = _submit(new_app().run(), DEMO_EMAILS[Role.MEMBER], demo.DEMO_PASSWORD)
    assert "cookie" in errors_text(at)
    assert not at.success


def test_the_session_survives_new_connections(app_as, cookies: dict) -> None:
    signed = app_as(Role.NATIONAL)
    first = signed.app.run()
    again = new_app().run()  # a reload, or a new tab: same cookie, new connection
    for at in (first, again):
        assert at.session_state[VISIBLE_PAGES_KEY] == [
            "vue-nationale",
            "grilles-campagnes",
            "organisations-reseau",
            "comptes-reseau",
            "compte",
        ]


def test_sign_out_revokes_the_session_and_clears_the_cookie(
    app_as, demo_db: Engine, cookies: dict
) -> None:
    signed = app_as(Role.MEMBER)
    at = open_page(signed.app, "compte").run()
    assert not at.exception
    at.button(key="account_signout").click().run()
    assert not at.exception
    token = auth_routes.token_from_cookie(demo_db, signed.cookie)
    assert accounts.actor_for_session(demo_db, token) is None
    assert at.session_state[VISIBLE_PAGES_KEY] == ["connexion"]
    assert "Vous êtes déconnecté." in [s.value for s in at.success]
    assert any('action="/auth/signout"' in str(h.proto.body) for h in at.html)
    # the old cookie, sent again by a reload before the server cleared it, no longer works
    reloaded = new_app().run()
    assert reloaded.session_state[state.ACTOR_KEY] is None
    assert reloaded.session_state[VISIBLE_PAGES_KEY] == ["connexion"]


def test_sidebar_sign_out(app_as, demo_db: Engine, cookies: dict) -> None:
    signed = app_as(Role.REGIONAL)
    at = signed.app.run()
    at.sidebar.button(key="sidebar_signout").click().run()
    assert at.session_state[VISIBLE_PAGES_KEY] == ["connexion"]
    token = auth_routes.token_from_cookie(demo_db, signed.cookie)
    assert accounts.actor_for_session(demo_db, token) is None


def test_an_ended_session_says_so(app_as, demo_db: Engine, cookies: dict) -> None:
    signed = app_as(Role.MEMBER)
    token = auth_routes.token_from_cookie(demo_db, signed.cookie)
    assert token is not None
    accounts.close_web_session(demo_db, token)
    at = signed.app.run()
    assert at.session_state[VISIBLE_PAGES_KEY] == ["connexion"]
    assert "Votre session a pris fin" in at.info[0].value


def test_a_forged_cookie_is_ignored(demo_db: Engine, cookies: dict) -> None:
    cookies[auth_routes.SESSION_COOKIE] = "forged.value"
    at = new_app().run()
    assert at.session_state[state.ACTOR_KEY] is None


def test_expired_ticket_notice(demo_db: Engine, cookies: dict) -> None:
    at = new_app()
    at.query_params[auth_routes.EXPIRED_TICKET_PARAM] = auth_routes.EXPIRED_TICKET_VALUE
    at.run()
    assert "Le lien de connexion a expiré" in at.warning[0].value


def test_demo_mode_button_seeds_and_lists_the_accounts(web_db: Engine, cookies: dict) -> None:
    at = new_app().run()
    assert _demo_accounts_table(at) is None
    demo_button = next(b for b in at.button if b.label == "Mode démonstration")
    demo_button.click().run(timeout=120)
    assert not at.exception
    table = _demo_accounts_table(at)
    assert table is not None
    for account in demo.DEMO_ACCOUNTS:
        assert f"<td><code>{account.email}</code></td><td><code>{demo.DEMO_PASSWORD}" in table
    assert not [b for b in at.button if b.label == "Mode démonstration"]
    # and a listed account signs in
    at = _submit(at, DEMO_EMAILS[Role.ORG_ADMIN], demo.DEMO_PASSWORD)
    assert "Connexion réussie" in at.success[0].value


def test_demo_accounts_are_listed_on_a_demo_database(demo_db: Engine, cookies: dict) -> None:
    table = _demo_accounts_table(new_app().run())
    assert table is not None
    assert all(account.email in table for account in demo.DEMO_ACCOUNTS)
    assert table.count(demo.DEMO_PASSWORD) == len(demo.DEMO_ACCOUNTS)


def test_production_mode_has_no_demo_and_explains_the_first_account(
    production_db: Engine, cookies: dict
) -> None:
    at = new_app().run()
    assert not at.exception
    assert not [b for b in at.button if b.label == "Mode démonstration"]
    assert "assessment users add --role national" in at.code[0].value
    assert typo("Aucun compte n'existe encore") in at.info[0].value
    assert _demo_accounts_table(at) is None


def test_production_mode_with_accounts_shows_only_the_form(
    production_db: Engine, cookies: dict
) -> None:
    accounts.create_user(
        production_db,
        Actor.system(),
        email="cn@example.org",
        password="a-long-password",
        role=Role.NATIONAL,
    )
    at = new_app().run()
    assert not at.code and not at.info and _demo_accounts_table(at) is None
    at = _submit(at, "cn@example.org", "a-long-password")
    assert "Connexion réussie" in at.success[0].value


def test_no_oidc_button_when_not_configured(demo_db: Engine, cookies: dict) -> None:
    at = new_app().run()
    assert not [b for b in at.button if b.label.startswith("Se connecter avec")]

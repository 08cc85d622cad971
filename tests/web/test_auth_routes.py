"""The sign-in cookie routes: ticket exchange, sign-out, browser binding."""

from __future__ import annotations

import functools
import runpy
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from streamlit.web.server.app_discovery import discover_asgi_app

from assessment import accounts
from assessment.tables import utcnow
from assessment.web import auth_routes
from assessment.web.auth_routes import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    BrowserIdMiddleware,
    SecurityHeadersMiddleware,
    issue_ticket,
    safe_next,
    token_from_cookie,
)

from .conftest import BROWSER_ID, DEMO_EMAILS, ROOT, reset_process_caches

ROLE_EMAIL = next(iter(DEMO_EMAILS.values()))


def _page(_request: Request) -> Response:
    return HTMLResponse("<!doctype html><title>app</title>")


def _asset(_request: Request) -> Response:
    return PlainTextResponse("body {}", media_type="text/css")


def _app(engine: Engine) -> Starlette:
    return Starlette(
        routes=[
            *auth_routes.auth_routes(lambda: engine),
            Route("/", _page),
            Route("/static/app.css", _asset),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(BrowserIdMiddleware)],
    )


@pytest.fixture
def client(demo_db: Engine) -> TestClient:
    client = TestClient(_app(demo_db), base_url="http://testserver", follow_redirects=False)
    client.cookies.set(BROWSER_COOKIE, BROWSER_ID)
    return client


def _ticket(engine: Engine, browser: str = BROWSER_ID) -> str:
    actor = accounts.authenticate(engine, ROLE_EMAIL, "demo-ess-2026")
    return issue_ticket(engine, actor, browser)


def _set_cookies(response: Response) -> dict[str, str]:
    """Each Set-Cookie header of a response, by cookie name (the raw header)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        found[header.split("=", 1)[0]] = header
    return found


def _cookie_value(header: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    return next(iter(jar.values())).value


def test_app_py_exposes_an_st_app_with_the_routes() -> None:
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.app_name == "app"


def test_exchange_sets_an_httponly_samesite_cookie_and_redirects(
    client: TestClient, demo_db: Engine
) -> None:
    ticket = _ticket(demo_db)
    response = client.get("/auth/session", params={"ticket": ticket, "next": "/resultats"})
    assert response.status_code == 303
    assert response.headers["location"] == "/resultats"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    header = _set_cookies(response)[SESSION_COOKIE]
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # plain http
    assert not any(a.startswith(("max-age", "expires")) for a in attributes)
    token = token_from_cookie(demo_db, _cookie_value(header))
    assert token is not None
    actor = accounts.actor_for_session(demo_db, token)
    assert actor is not None and actor.email == ROLE_EMAIL


def test_exchange_ends_an_openid_connect_identity(client: TestClient, demo_db: Engine) -> None:
    client.cookies.set("_streamlit_user", "identity")
    response = client.get("/auth/session", params={"ticket": _ticket(demo_db)})
    cookies = _set_cookies(response)
    assert SESSION_COOKIE in cookies
    assert "max-age=0" in cookies["_streamlit_user"].lower()


def test_cookie_is_secure_over_https(demo_db: Engine) -> None:
    client = TestClient(_app(demo_db), base_url="https://testserver", follow_redirects=False)
    client.cookies.set(BROWSER_COOKIE, BROWSER_ID)
    response = client.get("/auth/session", params={"ticket": _ticket(demo_db)})
    header = _set_cookies(response)[SESSION_COOKIE]
    assert "secure" in [part.strip().lower() for part in header.split(";")]


def test_ticket_is_single_use(client: TestClient, demo_db: Engine) -> None:
    ticket = _ticket(demo_db)
    first = client.get("/auth/session", params={"ticket": ticket})
    assert SESSION_COOKIE in _set_cookies(first)
    client.cookies.delete(SESSION_COOKIE)
    second = client.get("/auth/session", params={"ticket": ticket, "next": "/resultats"})
    assert second.status_code == 303
    assert second.headers["location"] == "/resultats?connexion=expiree"
    assert SESSION_COOKIE not in _set_cookies(second)


def test_ticket_expires_after_60_seconds(
    client: TestClient, demo_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = _ticket(demo_db)
    later = functools.partial(
        accounts.consume_web_session, now=lambda: utcnow() + timedelta(seconds=61)
    )
    monkeypatch.setattr(auth_routes.accounts, "consume_web_session", later)
    response = client.get("/auth/session", params={"ticket": ticket})
    assert response.headers["location"] == "/?connexion=expiree"
    assert SESSION_COOKIE not in _set_cookies(response)


def test_ticket_still_works_within_60_seconds(
    client: TestClient, demo_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = _ticket(demo_db)
    later = functools.partial(
        accounts.consume_web_session, now=lambda: utcnow() + timedelta(seconds=50)
    )
    monkeypatch.setattr(auth_routes.accounts, "consume_web_session", later)
    response = client.get("/auth/session", params={"ticket": ticket})
    assert SESSION_COOKIE in _set_cookies(response)


def test_ticket_only_works_in_the_browser_that_asked(client: TestClient, demo_db: Engine) -> None:
    ticket = _ticket(demo_db, browser="someone-else")
    response = client.get("/auth/session", params={"ticket": ticket})
    assert "connexion=expiree" in response.headers["location"]
    assert SESSION_COOKIE not in _set_cookies(response)


def test_ticket_without_browser_cookie_is_refused(client: TestClient, demo_db: Engine) -> None:
    ticket = _ticket(demo_db)
    client.cookies.delete(BROWSER_COOKIE)
    response = client.get("/auth/session", params={"ticket": ticket})
    assert SESSION_COOKIE not in _set_cookies(response)


def test_forged_or_tampered_tickets_are_refused(client: TestClient, demo_db: Engine) -> None:
    ticket = _ticket(demo_db)
    token, _, mac = ticket.rpartition(".")
    for forged in ("", "abc", f"{token}.{'A' * len(mac)}", f"{token}x.{mac}", "a" * 500):
        response = client.get("/auth/session", params={"ticket": forged})
        assert SESSION_COOKIE not in _set_cookies(response), forged


def test_a_ticket_is_not_a_session_cookie(demo_db: Engine) -> None:
    """The HMAC purposes differ: a leaked ticket cannot be replayed as a cookie."""
    ticket = _ticket(demo_db)
    assert token_from_cookie(demo_db, ticket) is None


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "evil", "", "/a\r\nb"],
)
def test_next_must_be_a_local_path(client: TestClient, demo_db: Engine, target: str) -> None:
    assert safe_next(target) == "/"
    response = client.get("/auth/session", params={"ticket": _ticket(demo_db), "next": target})
    assert response.headers["location"] == "/"


def test_next_keeps_local_paths() -> None:
    assert safe_next("/resultats?x=1") == "/resultats?x=1"


def _signed_in(client: TestClient, demo_db: Engine) -> str:
    response = client.get("/auth/session", params={"ticket": _ticket(demo_db)})
    value = _cookie_value(_set_cookies(response)[SESSION_COOKIE])
    client.cookies.set(SESSION_COOKIE, value)
    return value


def test_signout_revokes_the_session_and_clears_the_cookie(
    client: TestClient, demo_db: Engine
) -> None:
    cookie = _signed_in(client, demo_db)
    token = token_from_cookie(demo_db, cookie)
    assert accounts.actor_for_session(demo_db, token) is not None
    response = client.post("/auth/signout", headers={"origin": "http://testserver"})
    assert response.status_code == 303
    assert response.headers["location"] == "/?deconnexion=1"
    header = _set_cookies(response)[SESSION_COOKIE].lower()
    assert "max-age=0" in header and "httponly" in header
    assert accounts.actor_for_session(demo_db, token) is None


def test_signout_from_another_site_is_refused(client: TestClient, demo_db: Engine) -> None:
    cookie = _signed_in(client, demo_db)
    response = client.post("/auth/signout", headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert accounts.actor_for_session(demo_db, token_from_cookie(demo_db, cookie)) is not None


def test_signout_page_without_scripts_offers_a_form(client: TestClient) -> None:
    response = client.get("/auth/signout")
    assert response.status_code == 200
    assert 'method="post"' in response.text and "Se déconnecter" in response.text


def test_signout_without_a_session_still_clears(client: TestClient) -> None:
    client.cookies.set("_streamlit_user", "identity")
    response = client.post("/auth/signout", headers={"origin": "http://testserver"})
    assert response.status_code == 303
    assert SESSION_COOKIE in _set_cookies(response)
    assert "_streamlit_user" in _set_cookies(response)


def test_browser_cookie_is_given_with_the_first_page(demo_db: Engine) -> None:
    client = TestClient(_app(demo_db), follow_redirects=False)
    first = client.get("/")
    header = _set_cookies(first)[BROWSER_COOKIE]
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert len(_cookie_value(header)) >= 32
    again = client.get("/")  # the client now sends it back
    assert BROWSER_COOKIE not in _set_cookies(again)


def test_browser_cookie_is_not_set_on_assets(demo_db: Engine) -> None:
    client = TestClient(_app(demo_db), follow_redirects=False)
    assert BROWSER_COOKIE not in _set_cookies(client.get("/static/app.css"))


def test_browser_cookie_on_a_document_navigation_whatever_the_type(demo_db: Engine) -> None:
    client = TestClient(_app(demo_db), follow_redirects=False)
    response = client.get("/static/app.css", headers={"sec-fetch-dest": "document"})
    assert BROWSER_COOKIE in _set_cookies(response)


def test_routes_follow_the_base_url_path(demo_db: Engine, tmp_path: Path) -> None:
    app = Starlette(routes=auth_routes.auth_routes(lambda: demo_db, base_path="/evaluation/"))
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(BROWSER_COOKIE, BROWSER_ID)
    response = client.get("/evaluation/auth/session", params={"ticket": _ticket(demo_db)})
    assert response.headers["location"] == "/evaluation/"
    assert "path=/evaluation/" in _set_cookies(response)[SESSION_COOKIE].lower()


def test_a_malformed_cookie_elsewhere_on_the_domain_keeps_the_browser_id(demo_db: Engine) -> None:
    """``SimpleCookie`` dropped every cookie of a header holding ``t={"a": 1}``, and a new
    ``ess_browser`` was issued on every page (breaking sign-in tickets)."""
    client = TestClient(_app(demo_db), follow_redirects=False)
    header = f't={{"a": 1}}; {BROWSER_COOKIE}={BROWSER_ID}; other=x'
    response = client.get("/", headers={"cookie": header})
    assert BROWSER_COOKIE not in _set_cookies(response)
    # and a ticket issued for that browser id still works through that header
    ticket = _ticket(demo_db)
    exchanged = client.get("/auth/session", params={"ticket": ticket}, headers={"cookie": header})
    assert SESSION_COOKIE in _set_cookies(exchanged)


def test_no_other_site_may_frame_the_app(client: TestClient) -> None:
    for path in ("/", "/static/app.css", "/auth/signout"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == "frame-ancestors 'self'", path
        assert response.headers["x-frame-options"] == "SAMEORIGIN", path


def test_the_real_app_sends_the_frame_headers_on_streamlit_pages(
    web_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``app.py``'s ``st.App``: Streamlit's own page and health check carry the headers."""
    app = runpy.run_path(str(ROOT / "app.py"))["app"]
    with TestClient(app, follow_redirects=False) as client:
        for path in ("/", "/_stcore/health"):
            response = client.get(path, headers={"sec-fetch-dest": "document"})
            assert response.headers.get("content-security-policy") == "frame-ancestors 'self'"
            assert response.headers.get("x-frame-options") == "SAMEORIGIN"
        assert BROWSER_COOKIE in _set_cookies(client.get("/", headers={"cookie": "t={}"}))
    reset_process_caches()

"""Sign-in cookies, set and cleared by the server (Starlette routes mounted by ``st.App``).

Streamlit cannot set a cookie from a script, and a cookie written by
JavaScript could not be ``HttpOnly``.  So the sign-in page and these routes
share the work:

1. the Streamlit sign-in page checks the password (:func:`accounts.authenticate`)
   and calls :func:`issue_ticket`: a **ticket** is a web-session row of the core
   that lives 60 seconds (``accounts.open_web_session(max_age=60 s)``, stored
   hashed in the database, so any app process can redeem it), sealed with an
   HMAC bound to this browser (below);
2. the page sends the browser (top window) to ``/auth/session?ticket=…&next=…``;
3. :func:`exchange` checks the seal, redeems the ticket once (one atomic
   ``UPDATE … RETURNING`` closes the ticket session: of several concurrent
   redemptions, one wins), opens the real web session and answers with
   ``Set-Cookie`` (``HttpOnly``, ``SameSite=Lax``, ``Secure`` over https,
   ``Path=/``, no ``Max-Age``: it ends with the browser session) and a
   redirect to ``next`` (a local path only);
4. every script run reads the cookie through ``st.context.cookies`` and asks
   :func:`accounts.actor_for_session` (expired, idle or revoked: signed out);
5. ``POST /auth/signout`` revokes the session row and clears the cookie.

Cookie and ticket values are ``<token>.<hmac>``: the token is random (256
bits) and stored only as a hash, which would already be enough to make it
unguessable; the HMAC (key: :func:`accounts.shared_secret`, in the database,
the same for every process) adds purpose separation — a ticket can never be
replayed as a session cookie or the other way round — and lets forged values
be refused without a database query.

**Login CSRF.**  :class:`BrowserIdMiddleware` gives every browser a random,
``HttpOnly`` ``ess_browser`` cookie with its first HTML page.  A ticket's HMAC
covers that value, so a ticket only works in the browser that asked for it:
another site cannot sign a visitor in to the other site's own account.

:class:`SecurityHeadersMiddleware` tells browsers that no other site may
frame the app (``Content-Security-Policy: frame-ancestors 'self'`` and
``X-Frame-Options: SAMEORIGIN``, against clickjacking).

Nothing here touches Streamlit script state; the handlers take an
``engine_provider`` so that tests can give them their own database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assessment import accounts, startup
from assessment.permissions import Actor

SESSION_COOKIE = "ess_session"
"""The signed-in browser's session cookie (``<token>.<hmac>``)."""
BROWSER_COOKIE = "ess_browser"
"""A random id per browser, binding sign-in tickets to the browser that asked."""
SESSION_PATH = "/auth/session"
SIGNOUT_PATH = "/auth/signout"
TICKET_TTL = timedelta(seconds=60)
EXPIRED_TICKET_PARAM = "connexion"
"""``?connexion=expiree`` on the app's URL: the ticket was refused."""
EXPIRED_TICKET_VALUE = "expiree"
SIGNED_OUT_PARAM = "deconnexion"
"""``?deconnexion=1`` on the app's URL after ``/auth/signout``."""
SECRET_NAME = "web-cookie-hmac"
STREAMLIT_IDENTITY_COOKIE = "_streamlit_user"
"""Streamlit's ``st.login`` identity cookie (and its chunks ``_streamlit_user-1``…)."""
_NEXT_MAX_LENGTH = 2000

EngineProvider = Callable[[], Engine]

_secrets: dict[str, bytes] = {}


# ---------------------------------------------------------------------------
# sealed values
# ---------------------------------------------------------------------------


def _key(engine: Engine) -> bytes:
    cache_key = str(engine.url)
    key = _secrets.get(cache_key)
    if key is None:
        key = _secrets[cache_key] = accounts.shared_secret(engine, SECRET_NAME).encode()
    return key


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def seal(engine: Engine, purpose: str, value: str) -> str:
    """``value.<hmac(purpose, value)>``; ``value`` must not contain ``.``."""
    if "." in value:
        raise ValueError("sealed values must not contain '.'")
    return f"{value}.{_mac(_key(engine), purpose, value)}"


def unseal(engine: Engine, purpose: str, sealed: str | None) -> str | None:
    """The value inside ``sealed`` if its HMAC is right for ``purpose``, else ``None``."""
    if not sealed or len(sealed) > 200 or "." not in sealed:
        return None
    value, _, mac = sealed.rpartition(".")
    if not value or not hmac.compare_digest(mac, _mac(_key(engine), purpose, value)):
        return None
    return value


def _ticket_purpose(browser_id: str) -> str:
    return f"ticket\x00{browser_id}"


def session_cookie_value(engine: Engine, token: str) -> str:
    return seal(engine, "session", token)


def token_from_cookie(engine: Engine, cookie_value: str | None) -> str | None:
    """The web-session token in a session cookie, or ``None`` when absent or forged."""
    return unseal(engine, "session", cookie_value)


def forget_secrets() -> None:
    """Tests: re-read the HMAC key from the database on next use."""
    _secrets.clear()


startup.on_clear_caches(forget_secrets)


# ---------------------------------------------------------------------------
# tickets
# ---------------------------------------------------------------------------


def issue_ticket(engine: Engine, actor: Actor, browser_id: str) -> str:
    """A one-time, 60-second ticket that :func:`exchange` turns into a session cookie."""
    if not browser_id:
        raise ValueError("a ticket must be bound to a browser")
    token = accounts.open_web_session(engine, actor, max_age=TICKET_TTL)
    return seal(engine, _ticket_purpose(browser_id), token)


def redeem_ticket(engine: Engine, ticket: str | None, browser_id: str | None) -> str | None:
    """Use a ticket once: the token of a new web session, or ``None`` if refused.

    Refused: forged, issued to another browser, older than 60 seconds, or
    already used.
    """
    if not ticket or not browser_id:
        return None
    ticket_token = unseal(engine, _ticket_purpose(browser_id), ticket)
    if ticket_token is None:
        return None
    actor = accounts.consume_web_session(engine, ticket_token)
    if actor is None:
        return None
    return accounts.open_web_session(engine, actor)


# ---------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site (no scheme, no host), else ``default``."""
    if not value or len(value) > _NEXT_MAX_LENGTH:
        return default
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def ticket_url(ticket: str, next_path: str, base_path: str = "") -> str:
    """Where the sign-in page sends the browser once the password is checked."""
    query = urlencode({"ticket": ticket, "next": safe_next(next_path)})
    return f"{_base(base_path)}{SESSION_PATH}?{query}"


def _base(base_path: str) -> str:
    base = base_path.strip("/")
    return f"/{base}" if base else ""


def _with_param(path: str, name: str, value: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({name: value})}"


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _same_origin(request: Request) -> bool:
    """POSTs must come from this site (``Origin``, or ``Sec-Fetch-Site``)."""
    origin = request.headers.get("origin")
    if origin is not None:
        expected = f"{request.url.scheme}://{request.url.netloc}"
        return origin == expected
    site = request.headers.get("sec-fetch-site")
    return site in (None, "same-origin", "none")


# ---------------------------------------------------------------------------
# routes
# ---------------------------------------------------------------------------


def auth_routes(engine_provider: EngineProvider, base_path: str = "") -> list[BaseRoute]:
    """The routes to give ``st.App(routes=...)``."""
    base = _base(base_path)
    cookie_path = f"{base}/" if base else "/"
    home = cookie_path

    def exchange(request: Request) -> Response:
        next_path = safe_next(request.query_params.get("next"), home)
        engine = engine_provider()
        token = redeem_ticket(
            engine, request.query_params.get("ticket"), request.cookies.get(BROWSER_COOKIE)
        )
        if token is None:
            target = _with_param(next_path, EXPIRED_TICKET_PARAM, EXPIRED_TICKET_VALUE)
            return _no_store(RedirectResponse(target, status_code=303))
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_cookie_value(engine, token),
            path=cookie_path,
            secure=_is_https(request),
            httponly=True,
            samesite="lax",
        )
        # an OpenID Connect identity (st.login) has served: our session takes over,
        # so that its idle timeout applies to it as well
        _drop_streamlit_identity(request, response, cookie_path)
        return _no_store(response)

    def signout(request: Request) -> Response:
        if request.method == "GET":
            return _no_store(HTMLResponse(_signout_form(f"{base}{SIGNOUT_PATH}")))
        if not _same_origin(request):
            return _no_store(Response("Requête refusée.", status_code=403))
        engine = engine_provider()
        token = token_from_cookie(engine, request.cookies.get(SESSION_COOKIE))
        if token is not None:
            accounts.close_web_session(engine, token)
        response = RedirectResponse(_with_param(home, SIGNED_OUT_PARAM, "1"), status_code=303)
        response.delete_cookie(
            SESSION_COOKIE,
            path=cookie_path,
            secure=_is_https(request),
            httponly=True,
            samesite="lax",
        )
        _drop_streamlit_identity(request, response, cookie_path)
        return _no_store(response)

    return [
        Route(f"{base}{SESSION_PATH}", exchange, methods=["GET"]),
        Route(f"{base}{SIGNOUT_PATH}", signout, methods=["GET", "POST"]),
    ]


def _drop_streamlit_identity(request: Request, response: Response, path: str) -> None:
    """Clear the identity cookie(s) Streamlit keeps after ``st.login``."""
    for name in request.cookies:
        if name.startswith(STREAMLIT_IDENTITY_COOKIE):
            response.delete_cookie(name, path=path)


def _signout_form(action: str) -> str:
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Déconnexion</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem auto; max-width: 32rem">
<h1>Déconnexion</h1>
<form method="post" action="{html.escape(action)}">
<button type="submit">Se déconnecter</button>
</form></body></html>"""


# ---------------------------------------------------------------------------
# middleware
# ---------------------------------------------------------------------------


def _request_cookies(scope: Scope) -> Mapping[str, str]:
    """The request's cookies, parsed as Starlette (and browsers) do: one malformed
    cookie elsewhere on the domain (``t={"a": 1}``) does not hide the others."""
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return cookie_parser(value.decode("latin-1"))
    return {}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


class BrowserIdMiddleware:
    """Gives each browser a random ``ess_browser`` cookie with its first page.

    Set on HTML responses (and on any response to a document navigation)
    that arrive without it; ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over
    https, ending with the browser session.
    """

    def __init__(self, app: ASGIApp, base_path: str = "") -> None:
        self.app = app
        self.cookie_path = f"{_base(base_path)}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or BROWSER_COOKIE in _request_cookies(scope):
            await self.app(scope, receive, send)
            return
        is_document = _header(scope, b"sec-fetch-dest") == "document"
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                content_type = headers.get("content-type", "")
                if is_document or content_type.startswith("text/html"):
                    cookie = (
                        f"{BROWSER_COOKIE}={secrets.token_urlsafe(24)}; "
                        f"Path={self.cookie_path}; HttpOnly; SameSite=Lax"
                    )
                    if secure:
                        cookie += "; Secure"
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


FRAME_ANCESTORS = "frame-ancestors 'self'"


class SecurityHeadersMiddleware:
    """No other site may frame the app: ``Content-Security-Policy: frame-ancestors
    'self'`` and ``X-Frame-Options: SAMEORIGIN`` on every HTTP response (a
    response that already has them keeps its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers.append("content-security-policy", FRAME_ANCESTORS)
                if "x-frame-options" not in headers:
                    headers.append("x-frame-options", "SAMEORIGIN")
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""Optional sign-in through an OpenID Connect provider (Streamlit's ``st.login``).

Off unless ``.streamlit/secrets.toml`` has an ``[auth]`` section that names a
provider, and Authlib is installed (``pip install "Authlib>=1.3.2"``).  For
example, with ProConnect (the French public sector's identity federation) or
a regional chamber's own provider::

    [auth]
    redirect_uri = "https://evaluation.example.org/oauth2callback"
    cookie_secret = "…a long random string…"

    [auth.proconnect]
    client_id = "…"
    client_secret = "…"
    server_metadata_url = "https://…/.well-known/openid-configuration"

The sign-in page then shows « Se connecter avec ProConnect ».  The identity
only counts when its e-mail address is that of an active **local** account:
the provider proves who the person is; this tool's accounts still say what
they may do.  No account: a polite refusal, nothing is created.  Once mapped,
the browser goes through the same ticket → cookie exchange as a password
sign-in (:mod:`assessment.web.auth_routes`), which also drops the identity
cookie Streamlit kept: from then on this tool's session (and its idle timeout)
is what counts; when it ends, signing in again goes back to the provider.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from assessment import accounts
from assessment.permissions import Actor

_SHARED_KEYS = frozenset({"redirect_uri", "cookie_secret", "expose_tokens"})
_PROVIDER_KEYS = ("client_id", "server_metadata_url")
_KNOWN_LABELS = {
    "proconnect": "ProConnect",
    "google": "Google",
    "microsoft": "Microsoft",
    "okta": "Okta",
    "auth0": "Auth0",
    "keycloak": "Keycloak",
}


@dataclass(frozen=True, slots=True)
class Provider:
    key: str | None
    """The name given to ``st.login`` (``None``: the provider set directly in ``[auth]``)."""
    label: str


def authlib_installed() -> bool:
    return importlib.util.find_spec("authlib") is not None


def _is_provider(section: Any) -> bool:
    return isinstance(section, Mapping) and all(section.get(key) for key in _PROVIDER_KEYS)


def providers(auth: Mapping[str, Any] | None) -> list[Provider]:
    """The providers configured in the ``[auth]`` secrets section (none: no button)."""
    if not auth or not auth.get("redirect_uri") or not auth.get("cookie_secret"):
        return []
    found: list[Provider] = []
    if _is_provider(auth):
        found.append(Provider(None, "votre fournisseur d'identité"))
    for key, section in auth.items():
        if key in _SHARED_KEYS or not _is_provider(section):
            continue
        found.append(Provider(str(key), _KNOWN_LABELS.get(str(key).lower(), str(key).title())))
    return found


def actor_for_identity(engine: Engine, email: str | None, *, email_verified: Any) -> Actor | None:
    """The local account of an identity the provider vouched for, or ``None``.

    ``None`` when the address is missing, explicitly unverified by the
    provider, or not that of an active account.
    """
    if not email or email_verified is False or str(email_verified).lower() == "false":
        return None
    try:
        address = accounts.normalise_email(email)
    except accounts.AccountError:  # refused characters: no account can have this address
        return None
    for user in accounts.list_users(engine, Actor.system()):
        if user.email == address:
            return user.actor() if user.active else None
    return None

"""« Connexion »: the sign-in form, demo mode, first-run instructions.

Demo mode (``ASSESSMENT_MODE=demo``, the default) offers to seed demo data
only on an entirely empty database, and lists the demo accounts only on a
database marked as a demo (:mod:`assessment.demo_mark`): a database holding
real organisations never gets the demo accounts, whose password is public.

The password is checked by the core (:func:`accounts.authenticate`: one
message whether the address exists or not, throttled after repeated
failures); the browser then fetches its session cookie from the server
(:mod:`assessment.web.auth_routes`).
"""

from __future__ import annotations

import threading

import streamlit as st
from sqlalchemy import Engine

from assessment import accounts, demo, demo_mark, startup
from assessment.errors import UserError
from assessment.french import number
from assessment.permissions import Actor
from assessment.web import auth_routes, layout, oidc, state
from assessment.web.safe import md_escape

DEMO_ORGANISATIONS = demo.DEMO_ORGANISATIONS
DEMO_CAMPAIGNS = demo.DEMO_CAMPAIGNS
EMAIL_KEY = "signin_email"
PASSWORD_KEY = "signin_password"

_known_to_have_users: set[str] = set()
_lock = threading.Lock()


def has_users(engine: Engine) -> bool:
    """Whether any account exists (once true, remembered for the process)."""
    key = str(engine.url)
    with _lock:
        if key in _known_to_have_users:
            return True
    found = bool(accounts.list_users(engine, Actor.system()))
    if found:
        with _lock:
            _known_to_have_users.add(key)
    return found


def demo_accounts_present(engine: Engine) -> list[demo.DemoAccount]:
    """The demo accounts that exist in the database (demo mode only)."""
    emails = {user.email for user in accounts.list_users(engine, Actor.system())}
    return [account for account in demo.DEMO_ACCOUNTS if account.email in emails]


def _forget_has_users() -> None:
    """Tests: start again from an empty database."""
    with _lock:
        _known_to_have_users.clear()


startup.on_clear_caches(_forget_has_users)


def _send_to_exchange(engine: Engine, actor: Actor, next_path: str) -> None:
    browser = state.browser_id()
    if browser is None:
        st.error(
            "Votre navigateur n'a pas accepté le cookie de connexion. Rechargez la page ; "
            "si le problème persiste, autorisez les cookies pour ce site."
        )
        return
    ticket = auth_routes.issue_ticket(engine, actor, browser)
    url = auth_routes.ticket_url(ticket, next_path, layout.base_path())
    st.success("Connexion réussie. Ouverture de votre espace…", icon=":material/check_circle:")
    layout.go_to(url, "Continuer")
    st.stop()


def client_address() -> str | None:
    """The IP address this tab's connection comes from (``None`` on localhost).

    Streamlit reads it from the ASGI scope, where uvicorn puts the proxy's
    ``X-Forwarded-For`` address only for proxies listed in its
    ``forwarded_allow_ips``: a client cannot choose its own.
    """
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _password_form(engine: Engine, next_path: str) -> None:
    with st.form("signin", enter_to_submit=True):
        st.text_input("Adresse e-mail", key=EMAIL_KEY, autocomplete="email")
        st.text_input(
            "Mot de passe", key=PASSWORD_KEY, type="password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Se connecter", type="primary")
    if not submitted:
        return
    email = str(st.session_state.get(EMAIL_KEY) or "")
    password = str(st.session_state.get(PASSWORD_KEY) or "")
    if not email.strip() or not password:
        st.error("Saisissez votre adresse e-mail et votre mot de passe.")
        return
    try:
        actor = accounts.authenticate(engine, email, password, client=client_address())
    except UserError as refused:  # wrong password, throttled, or text refused as typed
        st.error(md_escape(refused.message), icon=":material/error:")
        return
    _send_to_exchange(engine, actor, next_path)


def _oidc(engine: Engine, next_path: str) -> None:
    auth = state.secrets_section("auth")
    found = oidc.providers(auth)
    if not found or not oidc.authlib_installed():
        return
    if st.user.is_logged_in:
        email = st.user.get("email")
        actor = oidc.actor_for_identity(
            engine, str(email) if email else None, email_verified=st.user.get("email_verified")
        )
        if actor is None:
            st.warning(
                f"Aucun compte de l'outil n'est associé à l'adresse « {md_escape(email or '?')} ». "
                "Demandez au référent de l'auto-évaluation de votre organisation de vous inviter, "
                "ou connectez-vous avec un autre compte.",
                icon=":material/person_off:",
            )
            st.button("Utiliser un autre compte", on_click=st.logout)
        else:
            _send_to_exchange(engine, actor, next_path)
        return
    st.markdown("ou")
    for provider in found:
        if st.button(f"Se connecter avec {provider.label}", key=f"oidc_{provider.key}"):
            if provider.key is None:
                st.login()
            else:
                st.login(provider.key)


def _demo(engine: Engine) -> bool:
    """The demo offer: seed an empty database, or the accounts of a demo one.  ``False``
    when there is nothing to offer (a database with real data)."""
    if demo_mark.is_empty(engine):
        st.subheader("Mode démonstration")
        st.markdown(
            "La base est vide. Le mode démonstration charge des organisations fictives "
            f"({number(DEMO_ORGANISATIONS, 0)} organisations, {DEMO_CAMPAIGNS} campagnes) "
            "et crée un compte par rôle pour découvrir l'outil."
        )
        if st.button("Mode démonstration", icon=":material/play_circle:"):
            with st.spinner("Préparation des données de démonstration…"):
                try:
                    demo.prepare_demo_database(
                        engine, orgs=DEMO_ORGANISATIONS, campaigns=DEMO_CAMPAIGNS
                    )
                except demo.SeedError as refused:
                    if not demo_mark.is_demo(engine):  # real data arrived meanwhile
                        st.error(str(refused), icon=":material/error:")
                        return True
                    demo.create_demo_accounts(engine)  # another visitor seeded it meanwhile
            st.rerun()
        return True
    if not demo_mark.is_demo(engine):
        return False
    present = demo_accounts_present(engine)
    if not present:
        return False
    st.subheader("Mode démonstration")
    st.markdown("Données fictives. Connectez-vous avec l'un de ces comptes :")
    layout.table(
        "Comptes de démonstration",
        ["Profil", "Adresse e-mail", "Mot de passe"],
        [[account.label, account.email, demo.DEMO_PASSWORD] for account in present],
        code_columns=2,
    )
    return True


def _first_account_instructions() -> None:
    st.info(
        "Aucun compte n'existe encore. Sur le serveur, créez le premier compte de "
        "l'instance nationale :",
        icon=":material/terminal:",
    )
    st.code(
        "assessment users add --role national --email prenom.nom@example.org",
        language="shell",
    )
    st.caption(
        "La commande demande le mot de passe (ou le lit dans ASSESSMENT_PASSWORD). "
        "Rechargez ensuite cette page."
    )


def _notices() -> None:
    params = st.query_params
    if params.get(auth_routes.EXPIRED_TICKET_PARAM) == auth_routes.EXPIRED_TICKET_VALUE:
        st.warning(
            "Le lien de connexion a expiré ou a déjà servi. Reconnectez-vous.",
            icon=":material/schedule:",
        )
        del params[auth_routes.EXPIRED_TICKET_PARAM]
    elif params.get(auth_routes.SIGNED_OUT_PARAM):
        st.success("Vous êtes déconnecté.", icon=":material/logout:")
        del params[auth_routes.SIGNED_OUT_PARAM]
    elif state.write_refused():
        st.warning(
            "Votre session a pris fin (inactivité, déconnexion ou compte modifié) : "
            "votre dernière modification n'a pas été enregistrée. Reconnectez-vous, "
            "puis refaites-la.",
            icon=":material/schedule:",
        )
    elif state.session_ended():
        st.info(
            "Votre session a pris fin (inactivité ou déconnexion). Reconnectez-vous.",
            icon=":material/schedule:",
        )
    elif layout.signed_out_here():
        st.success("Vous êtes déconnecté.", icon=":material/logout:")


def render(next_path: str = "/") -> None:
    engine = state.engine()
    settings_mode = state.settings_mode()
    st.title("Connexion")
    _notices()
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("Connectez-vous pour remplir l'auto-évaluation de votre organisation.")
        _password_form(engine, next_path)
        _oidc(engine, next_path)
    with right:
        if settings_mode == "demo" and _demo(engine):
            return
        if not has_users(engine):
            _first_account_instructions()

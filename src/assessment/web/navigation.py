"""Which pages each role sees, and what a page the role may not use shows instead.

Every page is registered on every run (so every URL resolves), but only the
role's pages are shown in the menu:

* signed out: only « Connexion »; any other page's URL shows the sign-in form
  and, once signed in, comes back to that page;
* signed in: the role's pages (the first one is the home page, at ``/``);
  another role's page is hidden and its URL shows a polite refusal;
* signed in with a temporary password: only « Mon compte », to replace it
  (the core refuses everything else anyway).  The core
  checks permissions again on every call, so a refusal here is a courtesy,
  never the only guard.

Pages are modules of :mod:`assessment.web.views` exposing ``render() -> None``,
imported when first shown.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from assessment.french import typo
from assessment.permissions import (
    MUST_CHANGE_PASSWORD_FR,
    ORGANISATION_ROLES,
    ROLE_LABELS_FR,
    Actor,
    Role,
)
from assessment.web import state

PAGES_PACKAGE = "assessment.web.views"
VISIBLE_PAGES_KEY = "_nav_visible_pages"
"""``st.session_state`` key: url paths of the pages in this run's menu (in order)."""


@dataclass(frozen=True, slots=True)
class PageSpec:
    url_path: str
    title: str
    icon: str
    module: str
    roles: frozenset[Role] | None
    """Who may open it; ``None``: everyone signed in; empty: signed-out visitors only."""
    with_temporary_password: bool = False
    """Also open to a user who must first replace a temporary password."""

    def allows(self, actor: Actor | None) -> bool:
        if actor is None:
            return self.roles is not None and not self.roles
        if actor.must_change_password and not self.with_temporary_password:
            return False
        if self.roles is None:
            return True
        return actor.role in self.roles


_ORG = frozenset(ORGANISATION_ROLES)
_REGIONAL = frozenset({Role.REGIONAL})
_NATIONAL = frozenset({Role.NATIONAL})
_STAFF = frozenset({Role.REGIONAL, Role.NATIONAL})

SIGNIN = PageSpec("connexion", "Connexion", ":material/login:", "signin", frozenset())
PAGES: tuple[PageSpec, ...] = (
    PageSpec("auto-evaluation", "Mon auto-évaluation", ":material/edit_note:", "filling", _ORG),
    PageSpec("plan-action", "Plan d'action", ":material/checklist:", "action_plan", _ORG),
    PageSpec("resultats", "Résultats", ":material/bar_chart:", "results", _ORG),
    PageSpec(
        "organisation", "Mon organisation", ":material/apartment:", "organisation_profile", _ORG
    ),
    PageSpec(
        "tableau-regional",
        "Tableau de bord régional",
        ":material/map:",
        "regional_dashboard",
        _REGIONAL,
    ),
    PageSpec("vue-nationale", "Vue nationale", ":material/public:", "national_overview", _NATIONAL),
    PageSpec(
        "grilles-campagnes",
        "Grilles et campagnes",
        ":material/table_view:",
        "grids_campaigns",
        _NATIONAL,
    ),
    PageSpec(
        "organisations-reseau",
        "Organisations",
        ":material/domain:",
        "organisations_admin",
        _STAFF,
    ),
    PageSpec(
        "comptes-reseau",
        "Comptes du réseau",
        ":material/manage_accounts:",
        "accounts_admin",
        _NATIONAL,
    ),
    PageSpec(
        "compte",
        "Mon compte",
        ":material/account_circle:",
        "account",
        None,
        with_temporary_password=True,
    ),
    SIGNIN,
)
PAGES_BY_URL: dict[str, PageSpec] = {spec.url_path: spec for spec in PAGES}


def visible_pages(actor: Actor | None) -> list[PageSpec]:
    """The menu of ``actor`` (signed out: ``None``), home page first."""
    return [spec for spec in PAGES if spec.allows(actor)]


def _base_path() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def page_url(spec: PageSpec, *, home: bool = False) -> str:
    """The local URL of a page (``/`` for the home page)."""
    return f"{_base_path()}/" if home else f"{_base_path()}/{spec.url_path}"


def _render_module(spec: PageSpec) -> None:
    name = f"{PAGES_PACKAGE}.{spec.module}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name != name:
            raise
        st.title(spec.title)
        st.info("Cette page sera bientôt disponible.", icon=":material/construction:")
        return
    module.render()


def _page_runner(spec: PageSpec) -> Callable[[], None]:
    def run() -> None:
        _render_module(spec)

    return run


def _signin_runner(next_path: str) -> Callable[[], None]:
    def run() -> None:
        from assessment.web.views import signin

        signin.render(next_path=next_path)

    return run


def _refusal_runner(spec: PageSpec, actor: Actor) -> Callable[[], None]:
    def run() -> None:
        st.title(spec.title)
        if actor.must_change_password:
            state.refuse(MUST_CHANGE_PASSWORD_FR)
        state.refuse(
            f"La page « {spec.title} » n'est pas accessible avec un compte "
            f"« {ROLE_LABELS_FR[actor.role]} »."
        )

    return run


def _go_home_runner(home: StreamlitPage) -> Callable[[], None]:
    def run() -> None:
        st.switch_page(home)

    return run


def build(actor: Actor | None) -> tuple[list[StreamlitPage], StreamlitPage]:
    """Every page for this run (the role's visible, the others hidden), and the home page."""
    menu = visible_pages(actor)
    home_spec = menu[0]
    pages: dict[str, StreamlitPage] = {}
    for spec in menu:
        runner = _signin_runner(page_url(spec, home=True)) if actor is None else _page_runner(spec)
        pages[spec.url_path] = st.Page(
            runner,
            title=typo(spec.title),
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec is home_spec,
        )
    home = pages[home_spec.url_path]
    for spec in PAGES:
        if spec.url_path in pages:
            continue
        if actor is None:
            runner = _signin_runner(page_url(spec))
        elif spec is SIGNIN:
            runner = _go_home_runner(home)
        else:
            runner = _refusal_runner(spec, actor)
        pages[spec.url_path] = st.Page(
            runner,
            title=typo(spec.title),
            icon=spec.icon,
            url_path=spec.url_path,
            visibility="hidden",
        )
    st.session_state[state.HOME_PAGE_KEY] = home
    st.session_state[VISIBLE_PAGES_KEY] = [spec.url_path for spec in menu]
    ordered = [pages[spec.url_path] for spec in PAGES]
    return ordered, home

"""The Streamlit script behind ``app.py``: page set-up, who is signed in, the menu.

Run on every rerun: set the page up, resolve the session cookie once
(:func:`state.begin_run`), build the role's navigation, draw the frame
(sidebar identity, sign-out), then run the current page.  All of it runs
inside :func:`state.guarded`: an unexpected error is shown as a French message
with an error id, never as a traceback.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assessment.permissions import ROLE_LABELS_FR, Actor
from assessment.web import layout, navigation, state, typography

APP_TITLE = "Auto-évaluation ESS"
# The browser tab's icon, shipped in the package (a Material icon would be fetched
# from Google's font server, and fail offline).  A comment, not a docstring: in the
# app's script Streamlit's « magic » would draw a bare string on every page.
PAGE_ICON = Path(__file__).resolve().parent / "static" / "favicon.png"


def _sidebar(actor: Actor) -> None:
    with st.sidebar:
        layout.identity(actor.email, ROLE_LABELS_FR[actor.role])
        st.button(
            "Se déconnecter",
            key="sidebar_signout",
            icon=":material/logout:",
            on_click=layout.sign_out,
        )


def main() -> None:
    typography.install()
    st.set_page_config(
        page_title=APP_TITLE,
        page_icon=PAGE_ICON,
        layout="wide",
        # open beside the page on a desktop, closed over it on a phone (< 768 px)
        initial_sidebar_state="auto",
        # no menu at all (client.toolbarMode = "minimal" shows only these items):
        # Streamlit's « About » box says « Made with Streamlit » in English
        menu_items={"Get help": None, "Report a bug": None, "About": None},
    )
    layout.apply_style()
    with state.guarded("main"):
        state.engine()
        actor = state.begin_run()
        if layout.signed_out_here():
            layout.clear_cookie()
        pages, _home = navigation.build(actor)
        current = st.navigation(pages, position="sidebar" if actor else "hidden")
        layout.header()
        if actor is not None:
            _sidebar(actor)
        current.run()
    layout.footer()


main()

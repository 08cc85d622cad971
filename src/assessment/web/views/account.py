"""« Mon compte »: who is signed in, change the password, sign out.

A user signed in with a temporary password (invitation or reset) sees only
this page, asking for a new password first (the core refuses everything else).
"""

from __future__ import annotations

import streamlit as st

from assessment import accounts
from assessment.french import typo
from assessment.organisations import get_organisation
from assessment.permissions import ROLE_LABELS_FR
from assessment.regions import region_name
from assessment.web import layout, state
from assessment.web.safe import md_escape


def render() -> None:
    actor = state.require_actor()
    engine = state.engine()
    st.title("Mon compte")
    if actor.must_change_password:
        st.warning(
            typo(
                "Votre mot de passe est provisoire : choisissez-en un nouveau pour accéder "
                "à l'outil. Saisissez d'abord le mot de passe provisoire qui vous a été transmis."
            ),
            icon=":material/key:",
        )
    st.markdown(
        f"**Adresse e-mail :** {md_escape(actor.email)}  \n**Rôle :** {ROLE_LABELS_FR[actor.role]}"
    )
    if actor.organisation_id is not None and not actor.must_change_password:
        organisation = state.call(get_organisation, engine, actor, actor.organisation_id)
        st.markdown(f"**Organisation :** {md_escape(organisation.name)}")
    if actor.region is not None:
        st.markdown(f"**Région :** {region_name(actor.region)}")

    st.subheader("Changer de mot de passe")
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(
            "Mot de passe provisoire" if actor.must_change_password else "Mot de passe actuel",
            type="password",
            autocomplete="current-password",
        )
        new = st.text_input(
            "Nouveau mot de passe",
            type="password",
            autocomplete="new-password",
            help=f"Au moins {accounts.PASSWORD_MIN_LENGTH} caractères.",
        )
        again = st.text_input(
            "Confirmez le nouveau mot de passe", type="password", autocomplete="new-password"
        )
        submitted = st.form_submit_button("Changer le mot de passe")
    if submitted:
        if new != again:
            st.error("Les deux saisies du nouveau mot de passe diffèrent.")
        else:
            assert actor.user_id is not None
            try:
                state.call(
                    accounts.change_password,
                    engine,
                    state.writer(),
                    actor.user_id,
                    new_password=new,
                    current_password=current,
                )
            except accounts.AccountError as problem:
                st.error(md_escape(problem.message))
            else:
                # every session of the account ended, this one included
                st.session_state[state.SIGNED_OUT_KEY] = True
                state.forget_actor()
                st.success("Mot de passe changé. Reconnectez-vous avec le nouveau.")
                layout.clear_cookie()
                st.stop()

    st.subheader("Déconnexion")
    st.button(
        "Se déconnecter",
        key="account_signout",
        type="primary",
        icon=":material/logout:",
        on_click=layout.sign_out,
    )

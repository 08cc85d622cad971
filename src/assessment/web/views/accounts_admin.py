"""« Comptes du réseau » (national body): the chambers' accounts and its own staff's.

Accounts are created by invitation (a temporary password shown once, to
replace at first sign-in), deactivated, or reset by invitation.  Every action
is a core call (:mod:`assessment.accounts`), which checks the permission again
and writes the staff's trail shown at the bottom.
"""

from __future__ import annotations

import streamlit as st

from assessment import accounts
from assessment.french import plural, typo
from assessment.permissions import ROLE_LABELS_FR, Action, Role, require
from assessment.regions import REGIONS
from assessment.web import state
from assessment.web.views import _accounts

INVITED_KEY = "accounts_admin_invited"
FORM_KEY = "accounts_admin_invite"


def render() -> None:
    actor = state.require_actor()
    state.call(require, actor, Action.MANAGE_USERS)
    engine = state.engine()
    st.title("Comptes du réseau")
    st.markdown(
        typo(
            "Les comptes des CRESS et de l'instance nationale. Les comptes des organisations "
            "sont créés par leurs référents de l'auto-évaluation ; le premier référent d'une "
            "organisation est invité depuis la page « Organisations »."
        )
    )

    st.subheader("Inviter un compte")
    with st.form(FORM_KEY, clear_on_submit=True):
        email = st.text_input("Adresse e-mail", autocomplete="off")
        role = st.radio(
            "Rôle",
            [Role.REGIONAL, Role.NATIONAL],
            format_func=lambda r: ROLE_LABELS_FR[r],
            horizontal=True,
        )
        region = st.selectbox(
            typo("Région (comptes de CRESS)"),
            REGIONS,
            format_func=lambda r: typo(f"{r.name} ({r.cress})"),
        )
        submitted = st.form_submit_button("Inviter", type="primary")
    if submitted:
        _accounts.send_invitation(
            actor,
            INVITED_KEY,
            email=email,
            role=role,
            region=region.code if role is Role.REGIONAL else None,
        )
    _accounts.show_invitation(INVITED_KEY)

    staff = state.call(accounts.list_users, engine, actor, staff_only=True)
    st.subheader("Comptes")
    st.caption(plural(len(staff), "compte"))
    st.dataframe(_accounts.accounts_frame(staff), hide_index=True)
    _accounts.account_actions(actor, staff, key="accounts_admin", reset=True)

    st.subheader("Journal des comptes")
    _accounts.trail(
        state.call(accounts.staff_trail, engine, actor),
        empty="Aucune action sur les comptes du réseau pour l'instant.",
    )

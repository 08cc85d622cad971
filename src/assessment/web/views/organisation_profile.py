"""« Mon organisation »: the organisation's profile; sharing and invitations for its admins.

Every change is a core call, which checks the permission again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assessment import accounts
from assessment.organisations import NAF_SECTIONS, get_organisation, set_shared_with_region
from assessment.permissions import ROLE_LABELS_FR, Action, Actor, Role, can
from assessment.regions import REGIONS_BY_CODE
from assessment.web import state

SHARE_KEY = "organisation_share_toggle"
INVITED_KEY = "organisation_last_invitation"


@state.write_callback
def _on_share_change(actor: Actor, organisation_id: int) -> None:
    shared = bool(st.session_state.get(SHARE_KEY))
    state.call(set_shared_with_region, state.engine(), actor, organisation_id, shared)


def _invite(actor: Actor, organisation_id: int) -> None:
    st.subheader("Inviter un membre")
    with st.form("invite_member", clear_on_submit=True):
        email = st.text_input("Adresse e-mail du nouveau membre", autocomplete="off")
        role = st.radio(
            "Rôle",
            [Role.MEMBER, Role.ORG_ADMIN],
            format_func=lambda r: ROLE_LABELS_FR[r],
            horizontal=True,
        )
        submitted = st.form_submit_button("Inviter")
    if submitted:
        try:
            invitation = state.call(
                accounts.invite_member,
                state.engine(),
                state.writer(),
                organisation_id,
                email=email,
                role=role,
            )
        except accounts.AccountError as problem:
            st.error(problem.message)
        else:
            st.session_state[INVITED_KEY] = (invitation.email, invitation.temporary_password)
    invited = st.session_state.get(INVITED_KEY)
    if invited:
        address, password = invited
        st.success(
            f"Compte créé pour {address}. Transmettez-lui ce mot de passe provisoire "
            "(il ne sera plus affiché) et demandez-lui de le changer dans « Mon compte » :",
            icon=":material/person_add:",
        )
        st.code(password, language=None)
        if st.button("J'ai transmis le mot de passe"):
            del st.session_state[INVITED_KEY]
            st.rerun()


def _members(actor: Actor, organisation_id: int) -> None:
    users = state.call(accounts.list_users, state.engine(), actor, organisation_id=organisation_id)
    st.subheader("Membres")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Adresse e-mail": user.email,
                    "Rôle": ROLE_LABELS_FR[user.role],
                    "Actif": "oui" if user.active else "non",
                }
                for user in users
            ]
        ),
        hide_index=True,
    )


def render() -> None:
    actor = state.require_actor()
    if actor.organisation_id is None:
        state.refuse("Cette page est réservée aux membres d'une organisation.")
    engine = state.engine()
    organisation = state.call(get_organisation, engine, actor, actor.organisation_id)
    st.title("Mon organisation")
    st.header(organisation.name)
    region = REGIONS_BY_CODE[organisation.region]
    sector = NAF_SECTIONS.get(organisation.sector or "", "—")
    st.markdown(
        f"**Identifiant :** {organisation.identifier}  \n"
        f"**Famille juridique :** {organisation.legal_family_label}  \n"
        f"**Taille :** {organisation.size_band_label}  \n"
        f"**Secteur d'activité :** {sector}  \n"
        f"**Région :** {region.name} ({region.cress})"
    )

    st.subheader("Partage avec la CRESS")
    admin = can(actor, Action.SHARE_WITH_REGION, organisation.target)
    if admin:
        st.session_state.setdefault(SHARE_KEY, organisation.shared_with_region)
        st.toggle(
            "Partager nos réponses avec la CRESS",
            key=SHARE_KEY,
            on_change=_on_share_change,
            args=(organisation.id,),
            help=f"La {region.cress} pourra lire vos réponses détaillées. Sans partage, "
            "elle ne voit que des résultats agrégés et anonymes. Vous pouvez changer "
            "d'avis à tout moment.",
        )
    elif organisation.shared_with_region:
        st.markdown(f"Vos réponses sont partagées avec la {region.cress}.")
    else:
        st.markdown(
            f"Vos réponses ne sont pas partagées avec la {region.cress} : elle ne voit "
            "que des résultats agrégés et anonymes."
        )
    if not admin:
        st.caption("Seuls les administrateurs de l'organisation gèrent le partage et les membres.")
        return
    _members(actor, organisation.id)
    _invite(actor, organisation.id)

"""« Mon organisation »: the organisation's profile; for its admins, sharing,
profile changes, accounts and the organisation's trail.

Its admins change the name and contact details at once; a change of region,
legal family, size band or sector is a request that the CRESS (or the national
body) accepts.  The trail shows every account and profile action on the
organisation, staff's included.  Every change is a core call, which checks the
permission again.
"""

from __future__ import annotations

import streamlit as st

from assessment import accounts, organisations
from assessment.french import typo
from assessment.organisations import (
    LEGAL_FAMILIES,
    NAF_SECTIONS,
    SIZE_BANDS,
    OrganisationError,
    OrganisationInfo,
    get_organisation,
    set_shared_with_region,
)
from assessment.permissions import ROLE_LABELS_FR, Action, Actor, Role, can
from assessment.regions import REGIONS_BY_CODE, region_name
from assessment.web import state
from assessment.web.safe import md_escape
from assessment.web.views import _accounts

SHARE_KEY = "organisation_share_toggle"
INVITED_KEY = "organisation_last_invitation"
INVITE_EMAIL_KEY = "organisation_invite_email"


@state.write_callback
def _on_share_change(actor: Actor, organisation_id: int) -> None:
    shared = bool(st.session_state.get(SHARE_KEY))
    state.call(set_shared_with_region, state.engine(), actor, organisation_id, shared)


def _invite(actor: Actor, organisation_id: int) -> None:
    st.subheader("Inviter un compte")
    with st.form("invite_member", clear_on_submit=True):
        email = st.text_input(
            "Adresse e-mail de la personne à inviter", autocomplete="off", key=INVITE_EMAIL_KEY
        )
        role = st.radio(
            "Rôle",
            [Role.MEMBER, Role.ORG_ADMIN],
            format_func=lambda r: ROLE_LABELS_FR[r],
            horizontal=True,
        )
        submitted = st.form_submit_button("Inviter")
    if submitted:
        _accounts.send_invitation(
            actor, INVITED_KEY, email=email, role=role, organisation_id=organisation_id
        )
    _accounts.show_invitation(INVITED_KEY)


def _members(actor: Actor, organisation_id: int) -> None:
    users = state.call(accounts.list_users, state.engine(), actor, organisation_id=organisation_id)
    st.subheader("Comptes de l'organisation")
    st.dataframe(_accounts.accounts_frame(users), hide_index=True)
    _accounts.account_actions(actor, users, key="organisation_members", reset=True)


def _edit(actor: Actor, organisation: OrganisationInfo) -> None:
    st.subheader("Modifier le profil")
    pending = state.call(
        organisations.pending_change_request, state.engine(), actor, organisation.id
    )
    if pending is not None:
        st.info(
            typo(
                f"Changement de catégorie en attente de l'examen de la "
                f"{REGIONS_BY_CODE[organisation.region].cress} : "
                + ", ".join(_labelled(k, v) for k, v in pending.changes.items())
                + "."
            ),
            icon=":material/hourglass_top:",
        )
    with st.form("organisation_edit"):
        values = {
            "name": st.text_input("Nom", value=organisation.name),
            "contact_email": st.text_input(
                "E-mail de contact", value=organisation.contact_email or ""
            ),
            "contact_phone": st.text_input("Téléphone", value=organisation.contact_phone or ""),
            "postal_address": st.text_area(
                "Adresse postale", value=organisation.postal_address or ""
            ),
        }
        st.caption(
            typo(
                "Un changement de région, de famille, de taille ou de secteur est examiné par "
                "votre CRESS avant de s'appliquer : il change les groupes auxquels vos "
                "résultats sont comparés."
            )
        )
        values |= _accounts.category_fields("organisation_edit", organisation)
        submitted = st.form_submit_button("Enregistrer")
    if submitted:
        try:
            state.call(
                organisations.update_organisation,
                state.engine(),
                state.writer(),
                organisation.id,
                **{key: value or None for key, value in values.items()},
            )
        except OrganisationError as problem:
            st.error(problem.message, icon=":material/error:")
        else:
            st.rerun()


def _labelled(field: str, value: object) -> str:
    labels = {
        "region": ("région", lambda v: region_name(str(v))),
        "legal_family": ("famille", lambda v: LEGAL_FAMILIES[str(v)]),
        "size_band": ("taille", lambda v: SIZE_BANDS[str(v)]),
        "sector": ("secteur", lambda v: NAF_SECTIONS.get(str(v), "—")),
    }
    name, show = labels.get(field, (field, str))
    return f"{name} → {show(value) if value else '—'}"


def _trail(actor: Actor, organisation_id: int) -> None:
    st.subheader(typo("Journal de l'organisation"))
    st.caption(
        typo(
            "Toutes les actions sur les comptes et le profil de l'organisation, y compris "
            "celles de la CRESS et de l'instance nationale."
        )
    )
    _accounts.trail(
        state.call(organisations.organisation_trail, state.engine(), actor, organisation_id),
        empty="Aucune action enregistrée.",
    )


def render() -> None:
    actor = state.require_actor()
    if actor.organisation_id is None:
        state.refuse("Cette page est réservée aux comptes d'une organisation.")
    engine = state.engine()
    organisation = state.call(get_organisation, engine, actor, actor.organisation_id)
    st.title("Mon organisation")
    st.header(md_escape(organisation.name))
    region = REGIONS_BY_CODE[organisation.region]
    sector = NAF_SECTIONS.get(organisation.sector or "", "—")
    st.markdown(
        f"**Identifiant :** {md_escape(organisation.identifier)}  \n"
        f"**Famille juridique :** {organisation.legal_family_label}  \n"
        f"**Taille :** {organisation.size_band_label}  \n"
        f"**Secteur d'activité :** {sector}  \n"
        f"**Région :** {region.name} ({region.cress})"
    )
    contacts = [
        value
        for value in (
            organisation.contact_email,
            organisation.contact_phone,
            organisation.postal_address,
        )
        if value
    ]
    if contacts:
        st.caption("Contact")
        st.text("\n".join(contacts))

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
        st.caption("Seuls les référents de l'auto-évaluation gèrent le partage et les comptes.")
        return
    _edit(actor, organisation)
    _members(actor, organisation.id)
    _invite(actor, organisation.id)
    _trail(actor, organisation.id)

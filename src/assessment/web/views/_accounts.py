"""Drawing helpers shared by the pages that manage accounts and organisations.

* a temporary password (invitation or reset) is shown once: kept in
  ``st.session_state`` until the person at the screen says it was handed over;
* account lists and trails are drawn as data frames (plain text: an address
  never becomes a link);
* each account action is a core call: the core checks the permission again.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from assessment import accounts
from assessment.admin_audit import AdminEventInfo
from assessment.french import plural, saved_at, typo
from assessment.organisations import LEGAL_FAMILIES, NAF_SECTIONS, SIZE_BANDS, OrganisationInfo
from assessment.permissions import ROLE_LABELS_FR, Actor, Role
from assessment.regions import REGIONS, region_name
from assessment.web import state

HANDED_OVER = "J'ai transmis le mot de passe"


def remember_invitation(key: str, invitation: accounts.Invitation) -> None:
    """Keep a temporary password until :func:`show_invitation` has shown it once."""
    st.session_state[key] = (invitation.email, invitation.temporary_password)


def send_invitation(
    actor: Actor,
    key: str,
    *,
    email: str,
    role: Role,
    organisation_id: int | None = None,
    region: str | None = None,
) -> None:
    """Invite through the core; the temporary password is kept for :func:`show_invitation`."""
    try:
        invitation = state.call(
            accounts.invite_user,
            state.engine(),
            state.writer(),
            email=email,
            role=role,
            organisation_id=organisation_id,
            region=region,
        )
    except accounts.AccountError as problem:
        st.error(problem.message)
    else:
        remember_invitation(key, invitation)


def category_fields(
    prefix: str, current: OrganisationInfo | None, *, default_region: str | None = None
) -> dict[str, str]:
    """Region, legal family, size band and sector pickers (the aggregate groups)."""
    regions = [r.code for r in REGIONS]
    families, sizes, sectors = list(LEGAL_FAMILIES), list(SIZE_BANDS), ["", *NAF_SECTIONS]
    region = current.region if current else (default_region or regions[0])
    return {
        "region": st.selectbox(
            "Région",
            regions,
            index=regions.index(region),
            format_func=lambda code: typo(region_name(code)),
            key=f"{prefix}_region",
        ),
        "legal_family": st.selectbox(
            "Famille juridique",
            families,
            index=families.index(current.legal_family) if current else 0,
            format_func=lambda family: typo(LEGAL_FAMILIES[family]),
            key=f"{prefix}_family",
        ),
        "size_band": st.selectbox(
            "Taille",
            sizes,
            index=sizes.index(current.size_band) if current else 0,
            format_func=SIZE_BANDS.__getitem__,
            key=f"{prefix}_size",
        ),
        "sector": st.selectbox(
            typo("Secteur d'activité (NAF)"),
            sectors,
            index=sectors.index(current.sector or "") if current else 0,
            format_func=lambda code: typo(NAF_SECTIONS.get(code, "—")),
            key=f"{prefix}_sector",
        ),
    }


def show_invitation(key: str) -> None:
    """The temporary password waiting to be handed over (then forgotten)."""
    kept = st.session_state.get(key)
    if not kept:
        return
    address, password = kept
    st.success(
        typo(
            "Transmettez ce mot de passe provisoire à la personne (il ne sera plus affiché). "
            "À sa première connexion, elle devra en choisir un nouveau avant toute chose :"
        ),
        icon=":material/key:",
    )
    st.code(f"{address}\n{password}", language=None)
    if st.button(typo(HANDED_OVER), key=f"{key}_done"):
        del st.session_state[key]
        st.rerun()


def accounts_frame(users: Sequence[accounts.UserInfo]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Adresse e-mail": user.email,
                "Rôle": ROLE_LABELS_FR[user.role],
                "Région": region_name(user.region) if user.region else "",
                "Actif": "oui" if user.active else "non",
                "Mot de passe provisoire": "oui" if user.must_change_password else "",
                "Dernière connexion": saved_at(user.last_sign_in_at)
                if user.last_sign_in_at
                else "jamais",
            }
            for user in users
        ],
        columns=[
            "Adresse e-mail",
            "Rôle",
            "Région",
            "Actif",
            "Mot de passe provisoire",
            "Dernière connexion",
        ],
    )


def account_actions(
    actor: Actor,
    users: Sequence[accounts.UserInfo],
    *,
    key: str,
    reset: bool,
) -> None:
    """Pick an account, then deactivate / reactivate it (and reset it, when ``reset``)."""
    others = [user for user in users if user.id != actor.user_id]
    if not others:
        return
    chosen: accounts.UserInfo = st.selectbox(
        "Compte", others, format_func=lambda user: user.email, key=f"{key}_pick"
    )
    columns = st.columns(2)
    with columns[0]:
        label = "Désactiver le compte" if chosen.active else "Réactiver le compte"
        if st.button(label, key=f"{key}_active", icon=":material/person_off:"):
            engine = state.engine()
            state.call(
                accounts.set_user_active, engine, state.writer(), chosen.id, not chosen.active
            )
            st.rerun()
    if reset:
        with columns[1]:
            if st.button(
                "Réinitialiser le mot de passe", key=f"{key}_reset", icon=":material/lock_reset:"
            ):
                invitation = state.call(
                    accounts.issue_reset, state.engine(), state.writer(), chosen.id
                )
                remember_invitation(f"{key}_invitation", invitation)
                st.rerun()
        show_invitation(f"{key}_invitation")


def trail(events: Sequence[AdminEventInfo], *, empty: str) -> None:
    """An administrative trail, latest first."""
    if not events:
        st.caption(typo(empty))
        return
    st.caption(plural(len(events), "action"))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Quand": saved_at(event.at),
                    "Par": event.actor_email,
                    "Rôle": _role_label(event.actor_role),
                    "Action": event.label,
                    "Compte": event.subject_email or "",
                    "Détail": _details(event),
                }
                for event in events
            ]
        ),
        hide_index=True,
    )


def _role_label(value: str) -> str:
    try:
        return ROLE_LABELS_FR[Role(value)]
    except ValueError:
        return value


def _details(event: AdminEventInfo) -> str:
    parts = []
    for field, change in event.details.items():
        if isinstance(change, list) and len(change) == 2:
            parts.append(f"{field} : {change[0] or '—'} → {change[1] or '—'}")
        elif field == "role":
            parts.append(_role_label(str(change)))
    return typo(" ; ".join(parts))

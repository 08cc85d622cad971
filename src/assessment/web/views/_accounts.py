"""Drawing helpers shared by the pages that manage accounts.

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
from assessment.permissions import ROLE_LABELS_FR, Actor, Role
from assessment.regions import region_name
from assessment.web import state

HANDED_OVER = "J'ai transmis le mot de passe"


def remember_invitation(key: str, invitation: accounts.Invitation) -> None:
    """Keep a temporary password until :func:`show_invitation` has shown it once."""
    st.session_state[key] = (invitation.email, invitation.temporary_password)


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
            state.call(accounts.set_user_active, engine, actor, chosen.id, not chosen.active)
            st.rerun()
    if reset:
        with columns[1]:
            if st.button(
                "Réinitialiser le mot de passe", key=f"{key}_reset", icon=":material/lock_reset:"
            ):
                invitation = state.call(accounts.issue_reset, state.engine(), actor, chosen.id)
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

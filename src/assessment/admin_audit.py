"""The administrative trail: account and profile actions, per organisation.

Every account action that touches an organisation (invitation, reset,
deactivation, a temporary password replaced…) and every change of its profile
is written here, in the same transaction as the action, by
:mod:`assessment.accounts` and :mod:`assessment.organisations`.  The trail of
one organisation is shown to its admins (« Mon organisation »); events about
the staff's accounts (``organisation_id`` ``None``) to the national body.

This module only writes and reads rows: the permission checks are done by the
callers (:func:`assessment.organisations.organisation_trail`,
:func:`assessment.accounts.staff_trail`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.permissions import Actor
from assessment.tables import AdminEvent, utcnow

KIND_LABELS_FR: dict[str, str] = {
    "account_created": "Compte créé par l'opérateur",
    "account_invited": "Compte créé par invitation (mot de passe provisoire)",
    "first_admin_invited": "Premier référent de l'auto-évaluation invité (mot de passe provisoire)",
    "account_reset": "Mot de passe réinitialisé (mot de passe provisoire)",
    "temporary_password_replaced": "Mot de passe provisoire remplacé par son titulaire",
    "password_changed": "Mot de passe changé par son titulaire",
    "account_deactivated": "Compte désactivé",
    "account_reactivated": "Compte réactivé",
    "invitation_to_existing_address": "Invitation d'une adresse qui a déjà un compte "
    "(aucun compte créé)",
    "organisations_imported": "Organisations importées (CSV)",
    "profile_updated": "Profil modifié",
    "profile_change_requested": "Changement de catégorie demandé",
    "profile_change_accepted": "Changement de catégorie accepté",
    "profile_change_refused": "Changement de catégorie refusé",
    "sharing_changed": "Partage avec la CRESS modifié",
}


@dataclass(frozen=True, slots=True)
class AdminEventInfo:
    at: datetime
    actor_email: str
    actor_role: str
    kind: str
    subject_email: str | None
    details: Mapping[str, Any]

    @property
    def label(self) -> str:
        return KIND_LABELS_FR.get(self.kind, self.kind)


def record(
    session: Session,
    actor: Actor,
    kind: str,
    *,
    organisation_id: int | None = None,
    subject_user_id: int | None = None,
    subject_email: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one event to the trail, in the caller's transaction."""
    if kind not in KIND_LABELS_FR:
        raise ValueError(f"unknown trail event kind: {kind}")
    session.add(
        AdminEvent(
            organisation_id=organisation_id,
            at=utcnow(),
            actor_user_id=actor.user_id,
            actor_email=actor.email,
            actor_role=actor.role.value,
            kind=kind,
            subject_user_id=subject_user_id,
            subject_email=subject_email,
            details=dict(details) if details else None,
        )
    )


def events(
    session: Session, *, organisation_id: int | None, limit: int = 200
) -> list[AdminEventInfo]:
    """One organisation's events (``None``: the staff's), latest first."""
    column = AdminEvent.organisation_id
    where = column.is_(None) if organisation_id is None else column == organisation_id
    rows = session.scalars(
        select(AdminEvent).where(where).order_by(AdminEvent.id.desc()).limit(limit)
    )
    return [
        AdminEventInfo(
            at=row.at,
            actor_email=row.actor_email,
            actor_role=row.actor_role,
            kind=row.kind,
            subject_email=row.subject_email,
            details=row.details or {},
        )
        for row in rows
    ]

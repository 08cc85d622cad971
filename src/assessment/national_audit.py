"""What the national body did: one row per action on a grid version or a campaign.

Written in the same transaction as the change it records (:func:`record` takes
the caller's session), so a change and its audit line stand or fall together.
Read by the national body only (``Action.MANAGE_GRIDS`` or
``Action.MANAGE_CAMPAIGNS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessment.db import read_session
from assessment.permissions import Action, Actor, PermissionDenied, can
from assessment.tables import NationalAuditEvent, utcnow

SubjectKind = Literal["grid", "campaign"]

ACTION_LABELS_FR: dict[str, str] = {
    "draft_saved": "brouillon enregistré",
    "draft_deleted": "brouillon supprimé",
    "published": "publiée",
    "retired": "retirée",
    "campaign_created": "campagne créée",
    "campaign_opened": "ouverte en avance",
    "campaign_closed": "close",
    "campaign_reopened": "rouverte",
    "campaign_extended": "clôture reportée",
}


@dataclass(frozen=True, slots=True)
class NationalEvent:
    at: datetime
    user_email: str
    action: str
    subject_kind: str
    subject: str
    detail: dict[str, Any]

    @property
    def label(self) -> str:
        return ACTION_LABELS_FR.get(self.action, self.action)


def record(
    session: Session,
    actor: Actor,
    action: str,
    subject_kind: SubjectKind,
    subject: str,
    **detail: Any,
) -> None:
    """Add one audit line to the caller's transaction."""
    session.add(
        NationalAuditEvent(
            at=utcnow(),
            user_id=actor.user_id,
            user_email=actor.email,
            action=action,
            subject_kind=subject_kind,
            subject=subject,
            detail=detail,
        )
    )


def grid_subject(grid_id: str, version: str) -> str:
    return f"{grid_id}@{version}"


def list_events(
    engine: Engine,
    actor: Actor,
    *,
    subject_kind: SubjectKind | None = None,
    subject: str | None = None,
    limit: int = 500,
) -> list[NationalEvent]:
    """The latest actions first (national body only)."""
    if not (can(actor, Action.MANAGE_GRIDS) or can(actor, Action.MANAGE_CAMPAIGNS)):
        raise PermissionDenied(
            actor, Action.MANAGE_GRIDS, "Le journal des actions nationales est réservé au national."
        )
    query = select(NationalAuditEvent).order_by(
        NationalAuditEvent.at.desc(), NationalAuditEvent.id.desc()
    )
    if subject_kind is not None:
        query = query.where(NationalAuditEvent.subject_kind == subject_kind)
    if subject is not None:
        query = query.where(NationalAuditEvent.subject == subject)
    with read_session(engine) as session:
        return [
            NationalEvent(
                row.at, row.user_email, row.action, row.subject_kind, row.subject, row.detail or {}
            )
            for row in session.scalars(query.limit(limit))
        ]


def latest_by_subject(events: list[NationalEvent]) -> dict[str, NationalEvent]:
    """The most recent event of each subject (``events`` latest first)."""
    out: dict[str, NationalEvent] = {}
    for event in events:
        out.setdefault(event.subject, event)
    return out

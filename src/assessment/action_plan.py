"""The organisation's action plan: actions linked to a grid item and the goal they serve.

Members and admins of the organisation write (``Action.EDIT_ACTION_PLAN``);
whoever may read its assessments reads it (``Action.READ_ASSESSMENT``: also
its CRESS when the organisation shares its answers).  When an action belongs
to a campaign, its item and horizon are checked against that campaign's grid.
Text fields go through :mod:`assessment.text_input`.  The plan is exported by
:func:`assessment.exports.action_rows` (CSV, XLSX), with :data:`STATUSES` as
its status labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.french import typo
from assessment.grid import Grid
from assessment.grid_store import get_grid
from assessment.organisations import load_organisation, organisation_target
from assessment.permissions import Action, Actor, require
from assessment.tables import ActionPlanAction, Campaign, utcnow
from assessment.text_input import CODE, NOTES, SHORT_TEXT, TITLE, clean_text

STATUSES: dict[str, str] = {
    "todo": "À faire",
    "in_progress": "En cours",
    "done": "Réalisée",
    "dropped": "Abandonnée",
}
SYSTEMIC_ITEM = "systemic"
"""``item_id`` of actions about the cross-item (systemic) view."""
TITLE_MAX_LENGTH = TITLE.max_length
OWNER_MAX_LENGTH = SHORT_TEXT.max_length
NOTES_MAX_LENGTH = NOTES.max_length
FIELD_LABELS = {
    "title": "Action",
    "owner": "Responsable",
    "notes": "Notes",
    "item_id": "Thème",
    "horizon_id": "Objectif visé",
}
"""French field names in error messages: the labels of the page's fields."""


class ActionPlanError(UserError, ValueError):
    """An action that cannot be saved (French message naming the field)."""


@dataclass(frozen=True, slots=True)
class PlannedAction:
    id: int
    organisation_id: int
    campaign_id: int | None
    item_id: str
    horizon_id: str | None
    title: str
    owner: str
    due_on: date | None
    status: str
    notes: str
    created_at: datetime
    updated_at: datetime

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


def _info(row: ActionPlanAction) -> PlannedAction:
    return PlannedAction(
        id=row.id,
        organisation_id=row.organisation_id,
        campaign_id=row.campaign_id,
        item_id=row.item_id,
        horizon_id=row.horizon_id,
        title=row.title,
        owner=row.owner,
        due_on=row.due_on,
        status=row.status,
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _campaign_grid(engine: Engine, session: Session, campaign_id: int | None) -> Grid | None:
    if campaign_id is None:
        return None
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Campagne n° {campaign_id} introuvable.")
    return get_grid(engine, campaign.grid_id, campaign.grid_version)


def _check(values: dict[str, Any], grid: Grid | None) -> dict[str, Any]:
    text_fields = {"title": TITLE, "owner": SHORT_TEXT, "notes": NOTES}
    text_fields |= {"item_id": CODE, "horizon_id": CODE}
    cleaned = {
        key: clean_text(values.get(key) or "", FIELD_LABELS[key], kind, error=ActionPlanError)
        for key, kind in text_fields.items()
    }
    title, owner, notes = cleaned["title"], cleaned["owner"], cleaned["notes"]
    title = " ".join(title.split())
    if not title:
        raise ActionPlanError(
            typo(f"{FIELD_LABELS['title']} : ce champ est obligatoire (décrivez l'action à mener).")
        )
    status = values.get("status") or "todo"
    if status not in STATUSES:
        raise ActionPlanError(
            f"Statut : « {status} » n'est pas un statut connu ({', '.join(STATUSES)})."
        )
    due_on = values.get("due_on")
    if due_on is not None and not isinstance(due_on, date):
        raise ActionPlanError("Échéance : une date est attendue.")
    item_id = cleaned["item_id"]
    if not item_id:
        raise ActionPlanError("Thème : le thème de la grille concerné est obligatoire.")
    horizon_id = cleaned["horizon_id"] or None
    if grid is not None:
        items = {item.id for item in grid.items}
        if grid.systemic is not None:
            items.add(SYSTEMIC_ITEM)
        if item_id not in items:
            raise ActionPlanError(f"Thème : « {item_id} » n'est pas un thème de la grille.")
        if horizon_id is not None and horizon_id not in grid.goal_horizons:
            raise ActionPlanError(
                f"Objectif visé : « {horizon_id} » n'est pas un horizon d'objectif de la grille "
                f"({', '.join(grid.goal_horizons)})."
            )
    return {
        "title": title,
        "owner": owner,
        "notes": notes,
        "status": status,
        "due_on": due_on,
        "item_id": item_id,
        "horizon_id": horizon_id,
    }


def list_actions(
    engine: Engine, actor: Actor, organisation_id: int, *, campaign_id: int | None = None
) -> list[PlannedAction]:
    """The organisation's actions (one campaign's, when given), by due date."""
    with read_session(engine) as session:
        organisation = load_organisation(session, organisation_id)
        require(actor, Action.READ_ASSESSMENT, organisation_target(organisation))
        query = select(ActionPlanAction).where(ActionPlanAction.organisation_id == organisation_id)
        if campaign_id is not None:
            query = query.where(ActionPlanAction.campaign_id == campaign_id)
        query = query.order_by(
            ActionPlanAction.due_on.is_(None), ActionPlanAction.due_on, ActionPlanAction.id
        )
        return [_info(row) for row in session.scalars(query)]


def add_action(
    engine: Engine,
    actor: Actor,
    organisation_id: int,
    *,
    item_id: str,
    title: str,
    horizon_id: str | None = None,
    owner: str = "",
    due_on: date | None = None,
    status: str = "todo",
    notes: str = "",
    campaign_id: int | None = None,
) -> int:
    """Add an action to the organisation's plan; returns its id."""
    with write_session(engine) as session:
        organisation = load_organisation(session, organisation_id)
        require(actor, Action.EDIT_ACTION_PLAN, organisation_target(organisation))
        values = _check(
            {
                "item_id": item_id,
                "title": title,
                "horizon_id": horizon_id,
                "owner": owner,
                "due_on": due_on,
                "status": status,
                "notes": notes,
            },
            _campaign_grid(engine, session, campaign_id),
        )
        now = utcnow()
        row = ActionPlanAction(
            organisation_id=organisation_id,
            campaign_id=campaign_id,
            created_at=now,
            updated_at=now,
            updated_by=actor.user_id,
            **values,
        )
        session.add(row)
        session.flush()
        return row.id


_EDITABLE = ("item_id", "horizon_id", "title", "owner", "due_on", "status", "notes")


def _load(session: Session, action_id: int) -> ActionPlanAction:
    row = session.get(ActionPlanAction, action_id)
    if row is None:
        raise NotFound(f"Action n° {action_id} introuvable.")
    return row


def update_action(engine: Engine, actor: Actor, action_id: int, **changes: Any) -> PlannedAction:
    """Change some fields of an action (``item_id, horizon_id, title, owner, due_on,
    status, notes``)."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    with write_session(engine) as session:
        row = _load(session, action_id)
        organisation = load_organisation(session, row.organisation_id)
        require(actor, Action.EDIT_ACTION_PLAN, organisation_target(organisation))
        current = {key: getattr(row, key) for key in _EDITABLE}
        values = _check(current | changes, _campaign_grid(engine, session, row.campaign_id))
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        row.updated_by = actor.user_id
        session.flush()
        return _info(row)


def delete_action(engine: Engine, actor: Actor, action_id: int) -> None:
    with write_session(engine) as session:
        row = _load(session, action_id)
        organisation = load_organisation(session, row.organisation_id)
        require(actor, Action.EDIT_ACTION_PLAN, organisation_target(organisation))
        session.delete(row)

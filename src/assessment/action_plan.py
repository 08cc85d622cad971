"""The organisation's action plan: actions linked to a grid item and the goal they serve.

Members and admins of the organisation write (``Action.EDIT_ACTION_PLAN``);
whoever may read its assessments reads it (``Action.READ_ASSESSMENT``: also
its CRESS when the organisation shares its answers).  When an action belongs
to a campaign, its item and horizon are checked against that campaign's grid.
Text fields go through :mod:`assessment.text_input`.

Actions are entered once: the lines of an « Actions prévues » answer (a text
question with ``action_plan: true``) are actions of the plan, linked to their
question (``question_id``), kept in step by :func:`sync_typed_actions` in the
transaction that saves the answer.  The plan is exported by
:func:`assessment.exports.action_rows` (CSV, XLSX), with :data:`STATUSES` as
its status labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
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
    question_id: str | None = None
    """The « Actions prévues » question the action was typed at (``None``: added on the
    plan page)."""

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
        question_id=row.question_id,
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
_TYPED_FIELDS = ("title", "item_id", "horizon_id")
"""What an action typed at an « Actions prévues » question takes from there."""


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
        if row.question_id is not None:
            moved = [k for k in _TYPED_FIELDS if values[k] != current[k]]
            if moved:
                raise ActionPlanError(
                    f"{FIELD_LABELS[moved[0]]} : cette action a été saisie à la question "
                    "« Actions prévues » de l'auto-évaluation ; modifiez-la là-bas."
                )
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


_BULLETS = "-*•–—·"


def typed_titles(text: str) -> list[str]:
    """The action titles of an « Actions prévues » answer: one per non-blank line, list
    bullets removed, spaces collapsed, duplicates once, each cut to the title's length."""
    titles: list[str] = []
    for line in text.splitlines():
        title = " ".join(line.split()).lstrip(_BULLETS).strip()
        if len(title) > TITLE_MAX_LENGTH:
            title = title[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
        if title and title not in titles:
            titles.append(title)
    return titles


RENAME_SIMILARITY = 0.6
"""How alike an edited line must be to the line it replaces to keep its action."""


def _closest(title: str, rows: list[ActionPlanAction]) -> ActionPlanAction | None:
    """The row whose title ``title`` most likely rewrites (``None``: a new action)."""
    best, score = None, RENAME_SIMILARITY
    for row in rows:
        ratio = SequenceMatcher(None, row.title.casefold(), title.casefold()).ratio()
        if ratio >= score:
            best, score = row, ratio
    return best


def _untouched(row: ActionPlanAction) -> bool:
    """Nothing was added to the action on the plan page."""
    return row.status == "todo" and not row.owner and row.due_on is None and not row.notes


def sync_typed_actions(
    session: Session,
    actor: Actor,
    *,
    organisation_id: int,
    campaign_id: int,
    item_id: str,
    question_id: str,
    horizon_id: str,
    text: str,
) -> None:
    """Make the plan's actions typed at ``question_id`` / ``horizon_id`` match ``text``.

    Called inside the transaction that saves the answer.  No duplicates when the text
    is edited: a line already an action keeps it; an edited line renames the linked
    action whose line it most resembles (owner, due date and status stay); other lines
    are new actions; linked actions left over are deleted when nothing was added to
    them on the plan page, otherwise kept in the plan and unlinked from the text.
    """
    organisation = load_organisation(session, organisation_id)
    require(actor, Action.EDIT_ACTION_PLAN, organisation_target(organisation))
    titles = typed_titles(text)
    rows = list(
        session.scalars(
            select(ActionPlanAction)
            .where(
                ActionPlanAction.organisation_id == organisation_id,
                ActionPlanAction.campaign_id == campaign_id,
                ActionPlanAction.question_id == question_id,
                ActionPlanAction.horizon_id == horizon_id,
            )
            .order_by(ActionPlanAction.id)
        )
    )
    by_title = {row.title: row for row in reversed(rows)}
    kept = {id(by_title[t]) for t in titles if t in by_title}
    free = [row for row in rows if id(row) not in kept]
    now = utcnow()
    for title in titles:
        if title in by_title:
            continue
        row = _closest(title, free)
        if row is not None:
            free.remove(row)
            row.title = title
        else:
            row = ActionPlanAction(
                organisation_id=organisation_id,
                campaign_id=campaign_id,
                item_id=item_id,
                horizon_id=horizon_id,
                question_id=question_id,
                title=title,
                owner="",
                due_on=None,
                status="todo",
                notes="",
                created_at=now,
            )
            session.add(row)
        row.updated_at = now
        row.updated_by = actor.user_id
    for row in free:
        if _untouched(row):
            session.delete(row)
        else:
            row.question_id = None
            row.updated_at = now
            row.updated_by = actor.user_id
    session.flush()

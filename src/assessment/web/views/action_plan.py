"""« Plan d'action »: actions linked to an item and a goal, editable by members.

Thin page over :mod:`assessment.action_plan` (storage and rules) and
:mod:`assessment.exports` (CSV / XLSX).  Each action is edited in its own
form (one save per action, easy to test and to use on a phone); a table
gives the overview, with filters by item, status, owner and lateness.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from assessment import action_plan, assessments, campaigns, exports
from assessment.french import number, plural, typo
from assessment.grid import Grid, text
from assessment.permissions import Action, Actor, PermissionDenied, Target, can
from assessment.web import state
from assessment.web.safe import md_escape

PREFIX = "plan"
STATUS_LABELS = action_plan.STATUSES
ALL = "Tous"


def is_late(action: Any, today: date | None = None) -> bool:
    """Past its due date and neither done nor dropped."""
    today = today or date.today()
    return (
        action.status in ("todo", "in_progress")
        and action.due_on is not None
        and action.due_on < today
    )


def item_choices(grid: Grid) -> dict[str, str]:
    """Item id → label (short title), the systemic view last."""
    lang = grid.language
    out = {i.id: text(i.short_title or i.title, lang) for i in grid.items}
    if grid.systemic is not None:
        out[action_plan.SYSTEMIC_ITEM] = text(grid.systemic.title, lang)
    return out


def goal_choices(grid: Grid) -> dict[str | None, str]:
    labels: dict[str | None, str] = {h.id: text(h.label, grid.language) for h in grid.horizons[1:]}
    labels[None] = "Sans objectif précis"
    return labels


def filter_actions(
    actions: Sequence[Any],
    *,
    items: Sequence[str] = (),
    statuses: Sequence[str] = (),
    owner: str | None = None,
    late_only: bool = False,
    today: date | None = None,
) -> list[Any]:
    """The actions matching every given filter (empty filter = no filter)."""
    return [
        a
        for a in actions
        if (not items or a.item_id in items)
        and (not statuses or a.status in statuses)
        and (owner is None or a.owner == owner)
        and (not late_only or is_late(a, today))
    ]


def _campaign(engine: Any, actor: Actor) -> campaigns.CampaignInfo | None:
    current = campaigns.current_campaign(engine)
    if current is not None:
        return current
    assert actor.organisation_id is not None
    summaries = assessments.list_assessments(engine, actor, actor.organisation_id)
    if not summaries:
        return None
    return campaigns.get_campaign(engine, summaries[0].campaign_id)


def typed_at(grid: Grid, action: Any | None) -> str:
    """For an action typed at an « Actions prévues » question: where (its title, theme
    and goal are changed there); empty otherwise."""
    question_id = getattr(action, "question_id", None)
    if not question_id:
        return ""
    try:
        label = text(grid.question(question_id).label, grid.language)
    except KeyError:
        label = question_id
    return typo(
        f"Saisie à la question « {label} » de « Mon auto-évaluation » : modifiez son "
        "intitulé, son thème ou son objectif là-bas (une action par ligne)."
    )


def _action_fields(grid: Grid, key: str, action: Any | None, disabled: bool) -> dict[str, Any]:
    """The fields of an action form; returns the values entered."""
    items = item_choices(grid)
    goals = goal_choices(grid)
    item_ids = list(items)
    goal_ids = list(goals)
    statuses = list(STATUS_LABELS)
    typed = typed_at(grid, action)
    if typed:
        st.caption(typed)
    title = st.text_input(
        "Action",
        value=action.title if action else "",
        max_chars=action_plan.TITLE_MAX_LENGTH,
        key=f"{key}:title",
        disabled=disabled or bool(typed),
    )
    left, right = st.columns(2)
    item_id = left.selectbox(
        "Thème",
        item_ids,
        index=item_ids.index(action.item_id) if action and action.item_id in items else 0,
        format_func=items.__getitem__,
        key=f"{key}:item",
        disabled=disabled or bool(typed),
    )
    horizon_id = right.selectbox(
        "Objectif visé",
        goal_ids,
        index=goal_ids.index(action.horizon_id) if action and action.horizon_id in goals else 0,
        format_func=goals.__getitem__,
        key=f"{key}:goal",
        disabled=disabled or bool(typed),
    )
    left, middle, right = st.columns(3)
    owner = left.text_input(
        "Responsable",
        value=action.owner if action else "",
        max_chars=action_plan.OWNER_MAX_LENGTH,
        key=f"{key}:owner",
        disabled=disabled,
    )
    due_on = middle.date_input(
        "Échéance",
        value=action.due_on if action else None,
        format="DD/MM/YYYY",
        key=f"{key}:due",
        disabled=disabled,
    )
    status = right.selectbox(
        "Statut",
        statuses,
        index=statuses.index(action.status) if action else 0,
        format_func=STATUS_LABELS.__getitem__,
        key=f"{key}:status",
        disabled=disabled,
    )
    notes = st.text_area(
        "Notes",
        value=action.notes if action else "",
        max_chars=action_plan.NOTES_MAX_LENGTH,
        height=80,
        key=f"{key}:notes",
        disabled=disabled,
    )
    return {
        "title": title,
        "item_id": item_id,
        "horizon_id": horizon_id,
        "owner": owner,
        "due_on": due_on if isinstance(due_on, date) else None,
        "status": status,
        "notes": notes,
    }


def _add_form(engine: Any, actor: Actor, grid: Grid, campaign_id: int | None) -> None:
    with (
        st.expander("Ajouter une action", expanded=False, icon=":material/add:"),
        st.form(f"{PREFIX}:add", clear_on_submit=True),
    ):
        values = _action_fields(grid, f"{PREFIX}:new", None, False)
        added = st.form_submit_button("Ajouter", type="primary", key=f"{PREFIX}:add:submit")
    if added:
        if actor.organisation_id is None:
            state.refuse("Seuls les comptes d'une organisation ont un plan d'action.")
        try:
            action_plan.add_action(
                engine, state.writer(), actor.organisation_id, campaign_id=campaign_id, **values
            )
        except (action_plan.ActionPlanError, PermissionDenied) as error:
            st.error(md_escape(error.message))
            return
        st.session_state[f"{PREFIX}:flash"] = f"Action ajoutée : {values['title']}"
        st.rerun()


def _edit_form(engine: Any, actor: Actor, grid: Grid, action: Any, editable: bool) -> None:
    late = is_late(action)
    label = f"{md_escape(action.title)} — {STATUS_LABELS.get(action.status, action.status)}"
    if late:
        label += " · en retard"
    with st.expander(label, icon=":material/warning:" if late else None):
        with st.form(f"{PREFIX}:edit:{action.id}"):
            values = _action_fields(grid, f"{PREFIX}:a{action.id}", action, not editable)
            left, right = st.columns(2)
            save = left.form_submit_button(
                "Enregistrer",
                type="primary",
                disabled=not editable,
                key=f"{PREFIX}:save:{action.id}",
            )
            delete = right.form_submit_button(
                "Supprimer", disabled=not editable, key=f"{PREFIX}:delete:{action.id}"
            )
        if save:
            try:
                action_plan.update_action(engine, state.writer(), action.id, **values)
            except (action_plan.ActionPlanError, PermissionDenied) as error:
                st.error(md_escape(error.message))
                return
            st.session_state[f"{PREFIX}:flash"] = f"Action enregistrée : {values['title']}"
            st.rerun()
        if delete:
            try:
                action_plan.delete_action(engine, state.writer(), action.id)
            except PermissionDenied as error:
                st.error(md_escape(error.message))
                return
            st.session_state[f"{PREFIX}:flash"] = f"Action supprimée : {action.title}"
            st.rerun()


def overview(grid: Grid, actions: Sequence[Any], today: date | None = None) -> pd.DataFrame:
    """The table shown above the forms (French labels, lateness flagged)."""
    items = item_choices(grid)
    goals = goal_choices(grid)
    return pd.DataFrame(
        [
            {
                "Thème": items.get(a.item_id, a.item_id),
                "Objectif": goals.get(a.horizon_id, a.horizon_id or ""),
                "Action": a.title,
                "Responsable": a.owner,
                "Échéance": a.due_on.strftime("%d/%m/%Y") if a.due_on else "",
                "Statut": STATUS_LABELS.get(a.status, a.status),
                "En retard": "Oui" if is_late(a, today) else "",
            }
            for a in actions
        ],
        columns=["Thème", "Objectif", "Action", "Responsable", "Échéance", "Statut", "En retard"],
    )


def render() -> None:
    """Draw the page."""
    actor = state.require_actor()
    st.title("Plan d'action")
    if actor.organisation_id is None:
        state.refuse("Cette page est réservée aux comptes d'une organisation.")
        return
    engine = state.engine()
    campaign = _campaign(engine, actor)
    if campaign is None:
        st.info("Aucune campagne pour l'instant : le plan d'action suit l'auto-évaluation.")
        return
    grid = state.grid(campaign.grid_id, campaign.grid_version)
    st.caption(
        f"{md_escape(campaign.label)} — des actions pour atteindre les objectifs à 1 et 3 ans, "
        "à présenter chaque année en assemblée générale."
    )
    try:
        actions = action_plan.list_actions(
            engine, actor, actor.organisation_id, campaign_id=campaign.id
        )
    except PermissionDenied as error:
        state.refuse(error.message)
        return
    flash = st.session_state.pop(f"{PREFIX}:flash", None)
    if flash:
        st.success(md_escape(flash))  # it quotes the action's title
    editable = can(actor, Action.EDIT_ACTION_PLAN, Target(organisation_id=actor.organisation_id))
    if editable:
        _add_form(engine, actor, grid, campaign.id)

    if not actions:
        st.info("Aucune action pour l'instant.")
        return
    items = item_choices(grid)
    owners = sorted({a.owner for a in actions if a.owner})
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    chosen_items = c1.multiselect(
        "Thème",
        list(items),
        format_func=items.__getitem__,
        placeholder="Tous les thèmes",
        key=f"{PREFIX}:f:item",
    )
    chosen_status = c2.multiselect(
        "Statut",
        list(STATUS_LABELS),
        format_func=STATUS_LABELS.__getitem__,
        placeholder="Tous les statuts",
        key=f"{PREFIX}:f:st",
    )
    owner = c3.selectbox("Responsable", [ALL, *owners], key=f"{PREFIX}:f:owner")
    late_only = c4.checkbox("En retard", key=f"{PREFIX}:f:late")
    shown = filter_actions(
        actions,
        items=chosen_items,
        statuses=chosen_status,
        owner=None if owner == ALL else owner,
        late_only=late_only,
    )
    late_count = sum(1 for a in actions if is_late(a))
    st.caption(
        f"{plural(len(shown), 'action affichée')} sur {number(len(actions), 0)}"
        + (f" · {late_count} en retard" if late_count else "")
    )
    st.dataframe(
        overview(grid, shown),
        hide_index=True,
        width="stretch",
        # on a phone the table scrolls sideways: the action's title stays in view
        column_config={"Action": st.column_config.TextColumn(pinned=True, width="medium")},
    )
    for action in shown:
        _edit_form(engine, actor, grid, action, editable)

    st.subheader("Télécharger le plan d'action")
    left, right = st.columns(2)
    left.download_button(
        "Plan d'action (CSV)",
        lambda: exports.action_plan_csv(grid, actions),
        file_name=f"plan-action-{campaign.year}.csv",
        mime="text/csv",
        key=f"{PREFIX}:csv",
        on_click="ignore",
    )
    right.download_button(
        "Plan d'action (Excel)",
        lambda: exports.action_plan_xlsx(grid, actions),
        file_name=f"plan-action-{campaign.year}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{PREFIX}:xlsx",
        on_click="ignore",
    )

"""What the report needs, read through the core with the acting user's rights.

Only the organisation's own members (and the operator at the shell) get its
report: :data:`~assessment.permissions.Action.READ_REPORT` is checked first,
before anything is read, and every read below checks its own permission too.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from assessment import action_plan, assessments
from assessment.campaigns import list_campaigns
from assessment.errors import UserError
from assessment.french import typo
from assessment.grid_store import get_grid
from assessment.organisations import get_organisation
from assessment.permissions import Action, Actor, require
from assessment.reports.model import Earlier, ReportInputs


class ReportError(UserError, LookupError):
    """No report can be made as asked (French message)."""


def load_inputs(
    engine: Engine, actor: Actor, organisation_id: int, year: int, *, today: date | None = None
) -> ReportInputs:
    """The organisation, campaign, assessment, earlier campaigns and action plan."""
    organisation = get_organisation(engine, actor, organisation_id)
    require(actor, Action.READ_REPORT, organisation.target)
    campaign = next((c for c in list_campaigns(engine) if c.year == year), None)
    if campaign is None:
        raise ReportError(typo(f"Aucune campagne {year}."))
    summaries = assessments.list_assessments(engine, actor, organisation_id)
    current = next((s for s in summaries if s.campaign_id == campaign.id), None)
    if current is None:
        raise ReportError(
            typo(f"{organisation.name} n'a pas d'auto-évaluation pour la campagne {year}.")
        )
    state = assessments.get_assessment(engine, actor, current.id)
    earlier = [
        Earlier(s.year, get_grid(engine, s.grid_id, s.grid_version),
                assessments.get_assessment(engine, actor, s.id))
        for s in summaries
        if s.year < year
    ]  # fmt: skip
    actions = [
        a
        for a in action_plan.list_actions(engine, actor, organisation_id)
        if a.campaign_id in (campaign.id, None)
    ]
    return ReportInputs(
        organisation=organisation,
        campaign=campaign,
        grid=get_grid(engine, state.grid_id, state.grid_version),
        state=state,
        actions=actions,
        earlier=earlier,
        today=today or date.today(),
    )

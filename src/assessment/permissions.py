"""Who may do what: every permission rule of the product, in one place.

Every core function that reads or writes takes the acting :class:`Actor` and
calls :func:`require` (or :func:`can`) before touching data, so no page, CLI
command or future API can bypass these rules.

Roles:

* ``member`` — organisation member: reads and edits its own organisation's
  assessments and action plan, and gets its general-assembly report;
* ``org_admin`` — organisation admin: a member who also submits, reopens,
  shares with the regional chamber, edits the organisation, invites members and
  exports or imports its answers as a file;
* ``regional`` — regional chamber (CRESS) of one region: reads aggregates of
  its region only, and one organisation's answers only when that organisation
  shares them with its chamber;
* ``national`` — national council (CNCRESS): manages campaigns, grid versions,
  organisations and accounts, and reads aggregates of every region;
* ``system`` — the operator at the server's shell (CLI, migrations, demo seed).
  Never given to a signed-in web user.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from assessment.errors import UserError


class Role(StrEnum):
    MEMBER = "member"
    ORG_ADMIN = "org_admin"
    REGIONAL = "regional"
    NATIONAL = "national"
    SYSTEM = "system"


ROLE_LABELS_FR: dict[Role, str] = {
    Role.MEMBER: "Membre d'une organisation",
    Role.ORG_ADMIN: "Administrateur d'une organisation",
    Role.REGIONAL: "Chambre régionale (CRESS)",
    Role.NATIONAL: "Conseil national (CNCRESS)",
    Role.SYSTEM: "Opérateur",
}

ORGANISATION_ROLES = frozenset({Role.MEMBER, Role.ORG_ADMIN})


class Action(StrEnum):
    # one organisation's data
    READ_ORGANISATION = "read_organisation"
    EDIT_ORGANISATION = "edit_organisation"
    READ_ASSESSMENT = "read_assessment"
    EDIT_ASSESSMENT = "edit_assessment"
    SUBMIT_ASSESSMENT = "submit_assessment"
    REOPEN_ASSESSMENT = "reopen_assessment"
    SHARE_WITH_REGION = "share_with_region"
    EDIT_ACTION_PLAN = "edit_action_plan"
    INVITE_MEMBER = "invite_member"
    READ_REPORT = "read_report"
    """The general-assembly report: the organisation's own members, never its CRESS."""
    EXCHANGE_ANSWERS = "exchange_answers"
    """Answers exported or imported as a JSON file: the organisation's admins."""
    # aggregates
    READ_AGGREGATES = "read_aggregates"
    # national administration
    MANAGE_CAMPAIGNS = "manage_campaigns"
    MANAGE_GRIDS = "manage_grids"
    MANAGE_ORGANISATIONS = "manage_organisations"
    MANAGE_USERS = "manage_users"


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user (or the operator) on whose behalf the core acts."""

    user_id: int | None
    email: str
    role: Role
    organisation_id: int | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if self.role in ORGANISATION_ROLES and self.organisation_id is None:
            raise ValueError(f"role {self.role} needs an organisation")
        if self.role is Role.REGIONAL and not self.region:
            raise ValueError("a regional chamber account needs a region")
        if self.role not in ORGANISATION_ROLES and self.organisation_id is not None:
            raise ValueError(f"role {self.role} has no organisation")
        if self.role is not Role.REGIONAL and self.region is not None:
            raise ValueError(f"role {self.role} has no region scope")

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, email="operator@localhost", role=Role.SYSTEM)


@dataclass(frozen=True, slots=True)
class Target:
    """What an action is about.

    ``organisation_id`` and ``organisation_region`` describe one organisation;
    ``shared_with_region`` is that organisation's choice to show its answers to
    its regional chamber.  For aggregates, ``region`` is the region asked for
    (``None`` = every region, the national picture).
    """

    organisation_id: int | None = None
    organisation_region: str | None = None
    shared_with_region: bool = False
    region: str | None = None


class PermissionDenied(UserError, PermissionError):
    """Raised by :func:`require`; ``message`` is French and safe to show."""

    def __init__(self, actor: Actor, action: Action, message: str) -> None:
        super().__init__(message)
        self.actor = actor
        self.action = action


_OWN_ORG_MEMBER = frozenset(
    {
        Action.READ_ORGANISATION,
        Action.READ_ASSESSMENT,
        Action.EDIT_ASSESSMENT,
        Action.EDIT_ACTION_PLAN,
        Action.READ_REPORT,
    }
)
_OWN_ORG_ADMIN = _OWN_ORG_MEMBER | {
    Action.EDIT_ORGANISATION,
    Action.SUBMIT_ASSESSMENT,
    Action.REOPEN_ASSESSMENT,
    Action.SHARE_WITH_REGION,
    Action.INVITE_MEMBER,
    Action.EXCHANGE_ANSWERS,
}
_NATIONAL = frozenset(
    {
        Action.READ_ORGANISATION,
        Action.READ_AGGREGATES,
        Action.MANAGE_CAMPAIGNS,
        Action.MANAGE_GRIDS,
        Action.MANAGE_ORGANISATIONS,
        Action.MANAGE_USERS,
    }
)


def can(actor: Actor, action: Action, target: Target | None = None) -> bool:
    """The whole rule set.  ``target`` is required for organisation actions."""
    target = target or Target()
    role = actor.role
    if role is Role.SYSTEM:
        return True
    if role in ORGANISATION_ROLES:
        allowed = _OWN_ORG_ADMIN if role is Role.ORG_ADMIN else _OWN_ORG_MEMBER
        if action is Action.READ_AGGREGATES:
            # peers' anonymised figures (k-anonymity enforced by aggregation)
            return True
        return (
            action in allowed
            and target.organisation_id is not None
            and target.organisation_id == actor.organisation_id
        )
    if role is Role.REGIONAL:
        in_region = (
            target.organisation_id is not None and target.organisation_region == actor.region
        )
        if action is Action.READ_AGGREGATES:
            return target.region == actor.region
        if action is Action.READ_ORGANISATION:
            return in_region
        if action is Action.READ_ASSESSMENT:
            return in_region and target.shared_with_region
        return False
    if role is Role.NATIONAL:
        return action in _NATIONAL
    return False  # pragma: no cover - exhaustive over Role


_REFUSALS_FR: dict[Action, str] = {
    Action.READ_ORGANISATION: "Vous n'avez pas accès à cette organisation.",
    Action.EDIT_ORGANISATION: "Seuls les administrateurs de l'organisation peuvent la modifier.",
    Action.READ_ASSESSMENT: "Vous n'avez pas accès aux réponses de cette organisation.",
    Action.EDIT_ASSESSMENT: "Vous ne pouvez pas modifier cette auto-évaluation.",
    Action.SUBMIT_ASSESSMENT: "Seuls les administrateurs de l'organisation peuvent la soumettre.",
    Action.REOPEN_ASSESSMENT: "Seuls les administrateurs de l'organisation peuvent la rouvrir.",
    Action.SHARE_WITH_REGION: "Seuls les administrateurs de l'organisation gèrent le partage.",
    Action.EDIT_ACTION_PLAN: "Vous ne pouvez pas modifier ce plan d'action.",
    Action.INVITE_MEMBER: "Seuls les administrateurs de l'organisation invitent des membres.",
    Action.READ_REPORT: "Seuls les membres de l'organisation peuvent obtenir son rapport.",
    Action.EXCHANGE_ANSWERS: (
        "Seuls les administrateurs de l'organisation peuvent exporter ou importer ses réponses."
    ),
    Action.READ_AGGREGATES: "Vous n'avez pas accès aux résultats agrégés de ce périmètre.",
    Action.MANAGE_CAMPAIGNS: "La gestion des campagnes est réservée au conseil national.",
    Action.MANAGE_GRIDS: "La gestion des grilles est réservée au conseil national.",
    Action.MANAGE_ORGANISATIONS: "La gestion des organisations est réservée au conseil national.",
    Action.MANAGE_USERS: "La gestion des comptes est réservée au conseil national.",
}


def require(actor: Actor, action: Action, target: Target | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may do ``action`` on ``target``."""
    if not can(actor, action, target):
        raise PermissionDenied(actor, action, _REFUSALS_FR[action])


def aggregate_regions(actor: Actor) -> str | None:
    """The region an actor's aggregate views are limited to (``None``: all regions).

    Regional chambers are held to their region.  Everyone else may ask for any
    region or the national picture (organisation users for peer comparison);
    :mod:`assessment.aggregation` only ever returns groups of at least
    ``MIN_GROUP_SIZE`` organisations.
    """
    if actor.role is Role.REGIONAL:
        return actor.region
    return None

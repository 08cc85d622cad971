"""Who may do what: every permission rule of the product, in one place.

Every core function that reads or writes takes the acting :class:`Actor` and
calls :func:`require` (or :func:`can`) before touching data, so no page, CLI
command or future API can bypass these rules.

Roles:

* ``member`` — organisation member: reads and edits its own organisation's
  assessments and action plan, gets its general-assembly report, and reads its
  own peer groups (``READ_PEERS``), never other aggregates;
* ``org_admin`` — organisation admin: a member who also submits, reopens,
  shares with the regional chamber, edits the organisation's name and contact
  details (a change of region, legal family, size band or sector is reviewed
  by the chamber or the national body), manages its accounts, and exports or
  imports its answers as a file;
* ``regional`` — regional chamber (CRESS) of one region: reads aggregates of
  its region, and the national picture not broken down by region, and one
  organisation's answers only when that organisation shares them with its
  chamber; sees who has started, drafted or submitted in its region (never
  their answers); manages the organisations of its region
  (create, edit, import, review profile changes, invite the *first* admin of
  an organisation that has none, deactivate their accounts);
* ``national`` — the national body (its name is the setting
  ``ASSESSMENT_NATIONAL_BODY_NAME``, « ESS France » by default): manages
  campaigns, grid versions, organisations, the chambers' and its own staff's
  accounts, reads aggregates and participation of every region, and alone
  exports pseudonymised microdata for research;
* ``system`` — the operator at the server's shell (CLI, migrations, demo seed).
  Never given to a signed-in web user.

No account power reaches answers: staff (national, regional) never set a
password, never add an account to an organisation that has an admin, and never
reset an organisation's account; every such action is recorded in the
organisation's trail (:mod:`assessment.admin_audit`).  An actor whose password
is temporary (``must_change_password``) may do nothing but change it
(:func:`can` refuses every action).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from assessment.errors import UserError
from assessment.settings import get_settings


class Role(StrEnum):
    MEMBER = "member"
    ORG_ADMIN = "org_admin"
    REGIONAL = "regional"
    NATIONAL = "national"
    SYSTEM = "system"


_FIXED_ROLE_LABELS_FR: dict[Role, str] = {
    Role.MEMBER: "Contributeur à l’auto-évaluation",
    Role.ORG_ADMIN: "Référent de l’auto-évaluation",
    Role.REGIONAL: "Chambre régionale (CRESS)",
    Role.SYSTEM: "Opérateur",
}


def role_label(role: Role) -> str:
    """The French label of a role; the national role is named by the settings."""
    if role is Role.NATIONAL:
        return f"Instance nationale ({get_settings().national_body_name})"
    return _FIXED_ROLE_LABELS_FR[role]


class _RoleLabels(Mapping[Role, str]):
    """``ROLE_LABELS_FR[role]``: :func:`role_label`, read when asked (settings may change)."""

    def __getitem__(self, role: Role) -> str:
        return role_label(Role(role))

    def __iter__(self) -> Iterator[Role]:
        return iter(Role)

    def __len__(self) -> int:
        return len(Role)


ROLE_LABELS_FR: Mapping[Role, str] = _RoleLabels()

ORGANISATION_ROLES = frozenset({Role.MEMBER, Role.ORG_ADMIN})
STAFF_ROLES = frozenset({Role.REGIONAL, Role.NATIONAL})


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
    """An organisation's admin adds an account to it."""
    READ_ORGANISATION_TRAIL = "read_organisation_trail"
    """The organisation's trail of account and profile actions."""
    # accounts (the target describes the account: its organisation, or staff)
    MANAGE_ACCOUNT = "manage_account"
    """List, deactivate or reactivate an account."""
    RESET_ACCOUNT = "reset_account"
    """Issue a new temporary password that the user must replace at sign-in."""
    INVITE_FIRST_ADMIN = "invite_first_admin"
    """Staff invite the first admin of an organisation that has none."""
    SET_PASSWORD = "set_password"
    """Create an account with a chosen password (the operator only)."""
    READ_REPORT = "read_report"
    """The general-assembly report: the organisation's own members, never its CRESS."""
    EXCHANGE_ANSWERS = "exchange_answers"
    """Answers exported or imported as a JSON file: the organisation's admins."""
    # aggregates
    READ_AGGREGATES = "read_aggregates"
    READ_PEERS = "read_peers"
    """An organisation's peer groups, as its results page shows them."""
    READ_NATIONAL_PICTURE = "read_national_picture"
    """National-scope aggregates not broken down by region (a chamber's comparison)."""
    READ_OPEN_CAMPAIGN_FIGURES = "read_open_campaign_figures"
    """Score figures of a campaign still open: the operator only (benchmarks, checks).
    Every signed-in role reads a campaign's score figures from its close, when they
    can no longer move (see ``docs/privacy.md``, *Published at the close*)."""
    # running a campaign: who has started, drafted, submitted (never their answers)
    READ_PARTICIPATION = "read_participation"
    # pseudonymised microdata for research
    EXPORT_MICRODATA = "export_microdata"
    # staff administration
    MANAGE_CAMPAIGNS = "manage_campaigns"
    MANAGE_GRIDS = "manage_grids"
    MANAGE_ORGANISATIONS = "manage_organisations"
    """Create, edit and import organisations (national; a chamber in its region)."""
    REVIEW_PROFILE_CHANGE = "review_profile_change"
    """Accept or refuse an organisation's request to change its categories."""
    MANAGE_USERS = "manage_users"
    """List every account and manage the staff's (national)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user (or the operator) on whose behalf the core acts."""

    user_id: int | None
    email: str
    role: Role
    organisation_id: int | None = None
    region: str | None = None
    must_change_password: bool = False
    """Signed in with a temporary password: may only change it."""

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

    ``organisation_id`` and ``organisation_region`` describe one organisation
    (an organisation about to be created: its region only);
    ``shared_with_region`` is that organisation's choice to show its answers to
    its regional chamber, ``has_admin`` whether it has an active admin.  For
    aggregates, ``region`` is the region asked for (``None`` = every region,
    the national picture).  For account actions the target is the account's
    organisation, or ``staff_account`` for a chamber's or the national body's
    account.  ``by_region`` whether aggregate figures are broken down by region.
    """

    organisation_id: int | None = None
    organisation_region: str | None = None
    shared_with_region: bool = False
    region: str | None = None
    has_admin: bool = False
    staff_account: bool = False
    by_region: bool = False


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
    Action.READ_ORGANISATION_TRAIL,
    Action.MANAGE_ACCOUNT,
    Action.RESET_ACCOUNT,
    Action.EXCHANGE_ANSWERS,
}
_NATIONAL = frozenset(
    {
        Action.READ_ORGANISATION,
        Action.READ_ORGANISATION_TRAIL,
        Action.READ_AGGREGATES,
        Action.READ_PEERS,
        Action.READ_NATIONAL_PICTURE,
        Action.READ_PARTICIPATION,
        Action.EXPORT_MICRODATA,
        Action.MANAGE_CAMPAIGNS,
        Action.MANAGE_GRIDS,
        Action.MANAGE_ORGANISATIONS,
        Action.REVIEW_PROFILE_CHANGE,
        Action.MANAGE_USERS,
        Action.MANAGE_ACCOUNT,
    }
)
_REGIONAL_IN_REGION = frozenset(
    {
        Action.READ_ORGANISATION,
        Action.READ_ORGANISATION_TRAIL,
        Action.MANAGE_ORGANISATIONS,
        Action.REVIEW_PROFILE_CHANGE,
        Action.MANAGE_ACCOUNT,
    }
)


def can(actor: Actor, action: Action, target: Target | None = None) -> bool:
    """The whole rule set.  ``target`` is required for organisation actions."""
    target = target or Target()
    role = actor.role
    if actor.must_change_password:
        return False  # only :func:`assessment.accounts.change_password`, on oneself
    if role is Role.SYSTEM:
        return True
    if action is Action.SET_PASSWORD:
        return False  # no signed-in user sets another's password
    if role in ORGANISATION_ROLES:
        allowed = _OWN_ORG_ADMIN if role is Role.ORG_ADMIN else _OWN_ORG_MEMBER
        if action is Action.READ_AGGREGATES:
            # no free browsing of other groups: an organisation gets its peer groups only
            return False
        if action is Action.READ_PEERS:
            return target.organisation_id is not None and (
                target.organisation_id == actor.organisation_id
            )
        return (
            action in allowed
            and not target.staff_account
            and target.organisation_id is not None
            and target.organisation_id == actor.organisation_id
        )
    if action is Action.INVITE_FIRST_ADMIN:
        # staff may give an organisation its first admin, never join one that has one
        if target.has_admin or target.organisation_id is None:
            return False
        return role is Role.NATIONAL or (
            role is Role.REGIONAL and target.organisation_region == actor.region
        )
    if role is Role.REGIONAL:
        in_region = not target.staff_account and target.organisation_region == actor.region
        if action is Action.READ_AGGREGATES:
            # its region, and the national picture (not broken down by region)
            return target.region == actor.region or (target.region is None and not target.by_region)
        if action is Action.READ_PARTICIPATION:
            return target.region == actor.region
        if action is Action.READ_NATIONAL_PICTURE:
            return True
        if action is Action.READ_ASSESSMENT:
            return in_region and target.organisation_id is not None and target.shared_with_region
        if action is Action.MANAGE_ORGANISATIONS:
            return in_region  # also an organisation about to be created in the region
        return in_region and target.organisation_id is not None and action in _REGIONAL_IN_REGION
    if role is Role.NATIONAL:
        if action is Action.RESET_ACCOUNT:
            # the chambers' and its own staff's accounts; never an organisation's
            # (a temporary password it knows would open the organisation's answers)
            return target.staff_account
        return action in _NATIONAL
    return False  # pragma: no cover - exhaustive over Role


_REFUSALS_FR: dict[Action, str] = {
    Action.READ_ORGANISATION: "Vous n'avez pas accès à cette organisation.",
    Action.EDIT_ORGANISATION: (
        "Seuls les référents de l'auto-évaluation peuvent modifier l'organisation."
    ),
    Action.READ_ASSESSMENT: "Vous n'avez pas accès aux réponses de cette organisation.",
    Action.EDIT_ASSESSMENT: "Vous ne pouvez pas modifier cette auto-évaluation.",
    Action.SUBMIT_ASSESSMENT: "Seuls les référents de l'auto-évaluation peuvent la soumettre.",
    Action.REOPEN_ASSESSMENT: "Seuls les référents de l'auto-évaluation peuvent la rouvrir.",
    Action.SHARE_WITH_REGION: "Seuls les référents de l'auto-évaluation gèrent le partage.",
    Action.EDIT_ACTION_PLAN: "Vous ne pouvez pas modifier ce plan d'action.",
    Action.INVITE_MEMBER: "Seuls les référents de l'auto-évaluation invitent d'autres personnes.",
    Action.READ_ORGANISATION_TRAIL: "Le journal de l'organisation est réservé à ses "
    "référents de l'auto-évaluation.",
    Action.MANAGE_ACCOUNT: "Vous ne pouvez pas gérer ce compte.",
    Action.RESET_ACCOUNT: "Vous ne pouvez pas réinitialiser le mot de passe de ce compte : "
    "seuls les référents de l'auto-évaluation de son organisation le peuvent.",
    Action.INVITE_FIRST_ADMIN: "Cette organisation a déjà un référent de l'auto-évaluation : "
    "c'est lui qui invite les autres personnes.",
    Action.SET_PASSWORD: "Personne ne peut choisir le mot de passe d'un autre compte.",
    Action.READ_REPORT: "Seuls les comptes de l'organisation peuvent obtenir son rapport.",
    Action.EXCHANGE_ANSWERS: (
        "Seuls les référents de l'auto-évaluation peuvent exporter ou importer ses réponses."
    ),
    Action.READ_AGGREGATES: "Vous n'avez pas accès aux résultats agrégés de ce périmètre.",
    Action.READ_PEERS: "Vous n'avez pas accès à la comparaison de cette organisation.",
    Action.READ_NATIONAL_PICTURE: "Vous n'avez pas accès aux résultats nationaux.",
    Action.READ_OPEN_CAMPAIGN_FIGURES: "Les résultats d'une campagne sont publiés à sa clôture.",
    Action.READ_PARTICIPATION: "Vous n'avez pas accès au suivi de la campagne de ce périmètre.",
    Action.EXPORT_MICRODATA: "Les microdonnées de recherche sont réservées à l'instance nationale.",
    Action.MANAGE_CAMPAIGNS: "La gestion des campagnes est réservée à l'instance nationale.",
    Action.MANAGE_GRIDS: "La gestion des grilles est réservée à l'instance nationale.",
    Action.MANAGE_ORGANISATIONS: "La gestion des organisations est réservée à l'instance nationale "
    "et aux CRESS, chacune pour sa région.",
    Action.REVIEW_PROFILE_CHANGE: "Les changements de catégorie sont examinés par la CRESS de "
    "l'organisation ou l'instance nationale.",
    Action.MANAGE_USERS: "La gestion des comptes est réservée à l'instance nationale.",
}


def require(actor: Actor, action: Action, target: Target | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may do ``action`` on ``target``."""
    if not can(actor, action, target):
        if actor.must_change_password:
            raise PermissionDenied(actor, action, MUST_CHANGE_PASSWORD_FR)
        raise PermissionDenied(actor, action, _REFUSALS_FR[action])


MUST_CHANGE_PASSWORD_FR = (
    "Votre mot de passe est provisoire : choisissez-en un nouveau dans « Mon compte » "
    "avant toute autre chose."
)

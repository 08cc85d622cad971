"""Answers read from a file (spreadsheet or JSON), checked, before they touch the database.

Whatever the file, an import becomes one :class:`IncomingAnswers`: normalised
values and comments by ``(question_id, horizon_id)``, "not addressed" marks of
optional items and questions, and where each came from (for the French list
of what would change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from assessment.campaigns import CampaignInfo, list_campaigns
from assessment.errors import UserError
from assessment.french import typo
from assessment.grid import Grid

Key = tuple[str, str]


class ExchangeError(UserError, ValueError):
    """An export or import that cannot be done as asked (French message)."""


@dataclass
class IncomingAnswers:
    grid_id: str
    grid_version: str
    values: dict[Key, Any] = field(default_factory=dict)
    comments: dict[Key, str] = field(default_factory=dict)
    marks: dict[str, bool] = field(default_factory=dict)
    """Optional item or question id → ``True`` not addressed this year, ``False`` addressed."""
    where: dict[Key | str, str] = field(default_factory=dict)
    """Where each value or mark (by its id) is in the file."""
    comment_where: dict[Key, str] = field(default_factory=dict)
    """Where each comment is in the file."""
    not_applicable: frozenset[str] | None = None
    """Questions the file marks « non applicable » (``None``: the file does not say)."""


def campaign_for_year(engine: Engine, year: int) -> CampaignInfo:
    """The campaign of ``year`` (campaigns are public reference data)."""
    for campaign in list_campaigns(engine):
        if campaign.year == year:
            return campaign
    raise ExchangeError(typo(f"Aucune campagne {year} dans cette installation."))


def version_bridge(source_grid_id: str, source_version: str, target: Grid) -> Any | None:
    """HOOK for grid versions that say how one replaces another (``replaces:``).

    Returns how to carry answers of ``source_grid_id@source_version`` over to
    ``target``, or ``None`` when the grids do not say.  The grid format of this
    branch has no ``replaces:`` yet, so this always returns ``None`` and a file
    of another version is refused (:func:`require_same_grid`).  When the grid
    format gains it, return a mapping of question ids here and translate the
    keys of :class:`IncomingAnswers` before planning the import.
    """
    return None


def require_same_grid(grid_id: str, grid_version: str, target: Grid, *, where: str = "") -> None:
    """Refuse a file of another grid, or of another version without a bridge."""
    if grid_id == target.id and grid_version == target.version:
        return
    prefix = f"{where} : " if where else ""
    if grid_id != target.id:
        raise ExchangeError(
            typo(
                f"{prefix}ce fichier a été préparé pour la grille « {grid_id} », mais cette "
                f"auto-évaluation utilise la grille « {target.id} » : rien n'a été importé."
            )
        )
    if version_bridge(grid_id, grid_version, target) is None:
        raise ExchangeError(
            typo(
                f"{prefix}ce fichier a été préparé avec la version {grid_version} de la grille, "
                f"mais cette auto-évaluation utilise la version {target.version}, et la grille "
                "ne dit pas comment l'une remplace l'autre : rien n'a été importé. Téléchargez "
                "le modèle de la version en cours."
            )
        )

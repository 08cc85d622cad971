"""Answers read from a file (spreadsheet or JSON), checked, before they touch the database.

Whatever the file, an import becomes one :class:`IncomingAnswers`: normalised
values and comments by ``(question_id, horizon_id)``, "not addressed" marks of
optional items and questions, and where each came from (for the French list
of what would change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from assessment.campaigns import CampaignInfo, list_campaigns
from assessment.errors import UserError
from assessment.exchange.problems import ImportRefused, Problem, answer_problem_text
from assessment.french import plural, typo
from assessment.grid import Grid, text
from assessment.gridtools.lineage import MERGE_RULE_FR, Lineage, carry
from assessment.text_input import COMMENT, SHORT_TEXT, TextInputError, clean_text

Key = tuple[str, str]
COMMENT_MAX_LENGTH = COMMENT.max_length


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
    bridged_from: str | None = None
    """The grid version the file was made for, when it was carried over to this one."""
    left_out: list[str] = field(default_factory=list)
    """French: answers of the file to questions that the version no longer has."""
    not_applicable: frozenset[str] | None = None
    """Questions the file marks « non applicable » (``None``: the file does not say)."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Theme id → why the organisation works on it this year (cleaned; blanks left out)."""
    reason_where: dict[str, str] = field(default_factory=dict)
    """Where each reason is in the file."""


def clean_reason(raw: str) -> str:
    """A theme's reason as stored (:func:`assessment.text_input.clean_text`, one line of
    at most 200 characters); :class:`~assessment.text_input.TextInputError` otherwise."""
    from assessment.assessments import CHOICE_REASON_LABEL

    return clean_text(raw, CHOICE_REASON_LABEL, SHORT_TEXT)


def reason_problem(refused: TextInputError) -> str:
    """French, for a :class:`Problem`: « la raison du choix du thème ne convient pas —
    200 caractères au plus (250 donnés) »."""
    return f"la raison du choix du thème ne convient pas — {refused.problem}"


def campaign_for_year(engine: Engine, year: int) -> CampaignInfo:
    """The campaign of ``year`` (campaigns are public reference data)."""
    for campaign in list_campaigns(engine):
        if campaign.year == year:
            return campaign
    raise ExchangeError(typo(f"Aucune campagne {year} dans cette installation."))


def _located(where: str, message: str) -> Problem:
    """A problem at ``where`` as :class:`IncomingAnswers` records it (``Sheet!D7``, or a
    JSON path; several joined by ``, ``)."""
    places = [w for w in where.split(", ") if w]
    split = [w.rpartition("!") for w in places]
    sheets = {sheet for sheet, bang, _ in split if bang}
    if places and len(sheets) == 1 and all(bang for _, bang, _ in split):
        return Problem(message, sheet=sheets.pop(), cell=", ".join(c for _, _, c in split))
    return Problem(message, cell=where or None)


@dataclass(frozen=True)
class VersionBridge:
    """How the answers of a file made for ``source`` go into ``target``: another
    version of the same grid, linked to it by ``replaces`` (either way)."""

    source: Grid
    target: Grid
    lineage: Lineage

    def _label(self, grid: Grid, question_id: str) -> str:
        return text(grid.question(question_id).label, grid.language)

    def translate(self, incoming: IncomingAnswers) -> IncomingAnswers:
        """``incoming`` (read against :attr:`source`) re-keyed onto :attr:`target`'s
        questions (:func:`assessment.gridtools.lineage.carry`: merges take the rule
        :data:`~assessment.gridtools.lineage.MERGE_RULE_FR`), every value checked
        against the new question.  A value that no longer fits, answers that differ
        and cannot be merged, or a « not addressed » mark on a theme no longer
        optional are :class:`ImportRefused`, located in the file; answers to
        questions with no continuation are left out and listed in ``left_out``."""
        from assessment.answers import AnswerError, normalize_value, plan_for

        source, target = self.source, self.target
        new, old = target.version, source.version
        carried = carry(
            self.lineage, source, target, incoming.values, incoming.comments, incoming.marks
        )
        out = IncomingAnswers(target.id, target.version, bridged_from=old)
        problems: list[Problem] = []

        def where_of(keys: tuple[Key, ...], comment: bool = False) -> str:
            places = (incoming.comment_where if comment else incoming.where) if keys else {}
            return ", ".join(dict.fromkeys(places.get(k, "") for k in keys if places.get(k)))

        for key, value in carried.values.items():
            origin = carried.origin[key]
            where = where_of(origin)
            try:
                clean = normalize_value(target, key[0], key[1], value)
            except AnswerError as error:
                problems.append(
                    _located(
                        where,
                        typo(
                            f"cette réponse à « {self._label(source, origin[0][0])} » "
                            f"(version {old}) va dans « {self._label(target, key[0])} » "
                            f"(version {new}), où elle ne convient pas : "
                            f"{answer_problem_text(error)}"
                        ),
                    )
                )
                continue
            if clean is not None:
                out.values[key] = clean
                out.where[key] = where
        for key, differing in carried.conflicts.items():
            problems.append(
                _located(
                    where_of(differing),
                    typo(
                        "ces réponses différentes vont dans une seule question de la version "
                        f"{new}, « {self._label(target, key[0])} » : gardez-en une seule "
                        f"(règle : {MERGE_RULE_FR[0].lower()}{MERGE_RULE_FR[1:]})"
                    ),
                )
            )
        for key, comment in carried.comments.items():
            try:
                normalize_value(target, key[0], key[1], None)
            except AnswerError as error:
                problems.append(
                    _located(
                        where_of(carried.comment_origin.get(key, ()), comment=True),
                        typo(
                            f"ce commentaire va dans « {self._label(target, key[0])} » "
                            f"(version {new}) : {answer_problem_text(error)}"
                        ),
                    )
                )
                continue
            out.comments[key] = comment[:COMMENT_MAX_LENGTH]
            out.comment_where[key] = where_of(carried.comment_origin.get(key, ()), comment=True)
        optional = plan_for(target).optional_ids
        links = {
            **self.lineage.bridge(source, target, "item"),
            **self.lineage.bridge(source, target, "question"),
        }
        for ident, skipped in carried.marks.items():
            where = ", ".join(
                dict.fromkeys(w for o in links.get(ident, []) if (w := incoming.where.get(o)))
            )
            if ident in optional:
                out.marks[ident] = skipped
                out.where[ident] = where
            elif skipped:
                problems.append(
                    _located(
                        where,
                        typo(
                            f"« non traité cette année » ne s'applique plus : dans la version "
                            f"{new}, « {ident} » n'est pas facultatif"
                        ),
                    )
                )
        item_links = self.lineage.bridge(source, target, "item")
        for item in target.items:
            origins = [o for o in item_links.get(item.id, []) if o in incoming.reasons]
            found = list(dict.fromkeys(incoming.reasons[o] for o in origins))
            if not found:
                continue
            where = ", ".join(dict.fromkeys(incoming.reason_where.get(o, "") for o in origins))
            try:
                out.reasons[item.id] = clean_reason(" ; ".join(found))
            except TextInputError as refused:
                problems.append(
                    _located(
                        where,
                        typo(
                            f"ces raisons du choix vont dans un seul thème de la version {new}, "
                            f"« {text(item.title, target.language)} » : {refused.problem}"
                        ),
                    )
                )
                continue
            out.reason_where[item.id] = where
        for question_id, horizon_id in carried.orphans:
            out.left_out.append(
                typo(
                    f"{incoming.where.get((question_id, horizon_id), question_id)} : "
                    f"« {self._label(source, question_id)} » n'a pas de suite dans la "
                    f"version {new}"
                )
            )
        if problems:
            raise ImportRefused(
                problems,
                intro=typo(
                    f"Ce fichier a été préparé avec la version {old} de la grille ; ses "
                    f"réponses ont été reportées sur la version {new}, mais "
                    f"{plural(len(problems), 'problème')} "
                    f"{'empêche' if len(problems) == 1 else 'empêchent'} l'import : "
                    "rien n'a été importé."
                ),
            )
        return out


def version_bridge(
    source_grid_id: str, source_version: str, target: Grid, versions: Sequence[Grid] = ()
) -> VersionBridge | None:
    """How to carry answers of ``source_grid_id@source_version`` over to ``target``, or
    ``None`` when the grids do not say: another grid, a version not among ``versions``
    (the grid's published versions, :func:`assessment.grid_store.published_grids`),
    or versions that no ``replaces`` links."""
    if source_grid_id != target.id:
        return None
    source = next(
        (g for g in versions if (g.id, g.version) == (source_grid_id, source_version)), None
    )
    if source is None:
        return None
    lineage = Lineage.of([*(g for g in versions if g.id == target.id), target])
    return VersionBridge(source, target, lineage) if lineage.links(source, target) else None


def require_same_grid(
    grid_id: str,
    grid_version: str,
    target: Grid,
    *,
    where: str = "",
    versions: Sequence[Grid] = (),
) -> VersionBridge | None:
    """Refuse a file of another grid, or of another version without a bridge; the
    bridge when the file's version is linked to ``target``'s by ``replaces``."""
    if grid_id == target.id and grid_version == target.version:
        return None
    prefix = f"{where} : " if where else ""
    if grid_id != target.id:
        raise ExchangeError(
            typo(
                f"{prefix}ce fichier a été préparé pour la grille « {grid_id} », mais cette "
                f"auto-évaluation utilise la grille « {target.id} » : rien n'a été importé."
            )
        )
    bridge = version_bridge(grid_id, grid_version, target, versions)
    if bridge is None:
        raise ExchangeError(
            typo(
                f"{prefix}ce fichier a été préparé avec la version {grid_version} de la grille, "
                f"mais cette auto-évaluation utilise la version {target.version}, et la grille "
                "ne dit pas comment l'une remplace l'autre : rien n'a été importé. Téléchargez "
                "le modèle de la version en cours."
            )
        )
    return bridge

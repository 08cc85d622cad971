"""The order of things on the page: a :class:`~assessment.reports.model.Report` as blocks.

Both renderers (PDF with Typst, DOCX with python-docx) draw the same list of
blocks, so the two documents say the same thing in the same order.  Two
layouts: :func:`full_layout` (cover, one-page summary, charts, one section
per theme addressed, systemic view, questions for the debate) and
:func:`short_layout` (two pages for employees and volunteers).  Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from assessment.french import typo
from assessment.reports.model import AnswerLine, ChartData, Report, Section

SHORT_ACTIONS = 8
SHORT_DEBATE = 3
SHORT_TEXT = 220


@dataclass(frozen=True)
class Block:
    kind: str = field(init=False, default="")


@dataclass(frozen=True)
class Cover(Block):
    kind: str = field(init=False, default="cover")
    kicker: str
    title: str
    subtitle: str
    lines: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Heading(Block):
    kind: str = field(init=False, default="heading")
    text: str
    level: int = 1
    new_page: bool = False


@dataclass(frozen=True)
class Para(Block):
    kind: str = field(init=False, default="para")
    text: str
    label: str = ""
    """Bold words before the text (« Points forts : »)."""
    style: str = "body"
    """``body``, ``lead`` (larger) or ``note`` (smaller, grey)."""


@dataclass(frozen=True)
class Bullets(Block):
    kind: str = field(init=False, default="bullets")
    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Table(Block):
    kind: str = field(init=False, default="table")
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    """Relative column widths."""
    caption: str = ""
    bold_last: bool = False


@dataclass(frozen=True)
class Answers(Block):
    kind: str = field(init=False, default="answers")
    lines: tuple[AnswerLine, ...]
    evidence_label: str = typo("Éléments de preuve :")


@dataclass(frozen=True)
class Figure(Block):
    kind: str = field(init=False, default="figure")
    chart: ChartData
    width: float = 1.0
    """Fraction of the text width."""


def _scores_table(report: Report) -> Table:
    return Table(
        header=("Thème", *report.horizons),
        rows=tuple((row.theme, *row.scores) for row in report.score_rows),
        widths=(2.2, *(1.0 for _ in report.horizons)),
        caption="Scores sur 100, par thème et par horizon",
        bold_last=True,
    )


def _progress_table(report: Report) -> Table:
    year, before = report.year, report.previous_year
    return Table(
        header=(
            "Thème",
            f"État des lieux {before}",
            f"Objectif à 1 an fixé en {before}",
            f"État des lieux {year}",
            "Évolution",
            "Objectif",
        ),
        rows=tuple(
            (r.theme, r.before, r.goal_set, r.now, r.change, r.verdict) for r in report.progress
        ),
        widths=(2.0, 1.1, 1.3, 1.1, 1.0, 1.0),
        caption=typo(f"Progression depuis {before} et objectifs fixés l'an dernier"),
        bold_last=True,
    )


def _themes_paragraphs(report: Report) -> list[Block]:
    count = len(report.themes_addressed)
    total = count + len(report.themes_not_addressed)
    blocks: list[Block] = [
        Para(
            ", ".join(report.themes_addressed) + "." if report.themes_addressed else "aucun.",
            label=typo(f"Thèmes traités cette année ({count} sur {total}) :"),
        )
    ]
    if report.themes_not_addressed:
        blocks.append(
            Para(", ".join(report.themes_not_addressed) + ".", label="Non traités cette année :")
        )
    for reason in report.choice_reasons:
        blocks.append(Para(reason.text, label=typo(f"{reason.question} ({reason.horizon}) :")))
    return blocks


def _section_blocks(section: Section, report: Report) -> list[Block]:
    goals_header = report.horizons[1:]
    blocks: list[Block] = [
        Heading(section.title, 1, new_page=True),
        Para(" · ".join(f"{h} : {s}" for h, s in section.scores), style="lead"),
        Heading(report.horizons[0], 2),
    ]
    blocks.append(
        Answers(section.current) if section.current else Para("Aucune question à ce stade.")
    )
    if section.goals and goals_header:
        blocks += [
            Heading("Objectifs", 2),
            Table(
                header=("Question", *goals_header),
                rows=tuple((g.question, *g.goals) for g in section.goals),
                widths=(2.6, *(1.0 for _ in goals_header)),
            ),
        ]
    if section.texts:
        blocks.append(Heading("Enjeux et actions prévues", 2))
        blocks += [Para(t.text, label=typo(f"{t.question} ({t.horizon}) :")) for t in section.texts]
    blocks.append(Heading("Plan d'action", 2))
    if section.actions:
        blocks.append(
            Table(
                header=("Action", "Objectif", "Responsable", "Échéance", "Statut"),
                rows=tuple((a.title, a.goal, a.owner, a.due, a.status) for a in section.actions),
                widths=(2.8, 1.2, 1.3, 1.0, 1.0),
            )
        )
    else:
        blocks.append(Para("Aucune action du plan d'action pour ce thème.", style="note"))
    return blocks


def typeset(value: Any) -> Any:
    """``value`` with French typography on every string it holds (idempotent)."""
    if isinstance(value, str):
        return typo(value)
    if isinstance(value, tuple):
        return tuple(typeset(v) for v in value)
    if isinstance(value, list):
        return [typeset(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: typeset(getattr(value, f.name)) for f in fields(value) if f.init}
        return replace(value, **changes)
    return value


def full_layout(report: Report) -> list[Block]:
    """Cover, summary, charts, themes, systemic view, debate."""
    return typeset(_full_layout(report))


def short_layout(report: Report) -> list[Block]:
    """Two pages: where we stand, strengths, what we will do, what to discuss."""
    return typeset(_short_layout(report))


def _full_layout(report: Report) -> list[Block]:
    blocks: list[Block] = [
        Cover(
            kicker="Rapport à l'assemblée générale",
            title=report.organisation,
            subtitle=typo(f"Auto-évaluation des bonnes pratiques — {report.campaign}"),
            lines=(
                report.organisation_details,
                f"Document établi le {report.generated_on}",
                typo(f"Grille : {report.grid}"),
                report.status,
            ),
            note=typo(
                "Présentation annuelle des pratiques de l'entreprise au regard du guide "
                "des bonnes pratiques des entreprises de l'économie sociale et solidaire "
                "(loi n° 2014-856 du 31 juillet 2014, article 3)."
            ),
        ),
        Heading("Synthèse", 1, new_page=True),
        *_themes_paragraphs(report),
        _scores_table(report),
        Para(report.overall, style="lead"),
        Para(
            ", ".join(report.strengths) + "." if report.strengths else "—", label="Points forts :"
        ),
        Para(
            " ; ".join(report.to_work_on) + "." if report.to_work_on else "aucun écart à combler.",
            label="À travailler en priorité :",
        ),
        Para(report.progress_summary, label="Progression :"),
    ]
    if report.progress:
        blocks.append(_progress_table(report))
    blocks.append(Heading("En images", 1, new_page=True))
    blocks += [Figure(chart) for chart in report.charts]
    for section in report.sections:
        blocks += _section_blocks(section, report)
    if report.systemic is not None:
        blocks += _section_blocks(report.systemic, report)
    blocks += [
        Heading("Questions pour le débat de l'assemblée générale", 1, new_page=True),
        Para(
            "Proposées à partir des écarts et des objectifs non atteints : à compléter, "
            "reformuler ou retirer avant l'assemblée.",
            style="note",
        ),
        Bullets(report.debate, numbered=True),
    ]
    return blocks


def _cut(value: str, limit: int = SHORT_TEXT) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _short_layout(report: Report) -> list[Block]:
    blocks: list[Block] = [
        Heading(typo(f"Notre auto-évaluation {report.year} en bref"), 1),
        Para(
            typo(f"{report.organisation} — {report.campaign} — établi le {report.generated_on}"),
            style="lead",
        ),
        Para(typo(f"Grille : {report.grid}. {report.status}"), style="note"),
        Heading("Où nous en sommes", 2),
        *_themes_paragraphs(report)[:2],
        _scores_table(report),
        Para(report.overall, style="lead"),
        Para(
            ", ".join(report.strengths) + "." if report.strengths else "—", label="Points forts :"
        ),
        Para(
            " ; ".join(report.to_work_on) + "." if report.to_work_on else "aucun écart à combler.",
            label="À travailler en priorité :",
        ),
        Para(report.progress_summary, label="Progression :"),
        Figure(report.charts[0], width=0.8),
        Heading("Ce que nous prévoyons", 2),
    ]
    if report.actions:
        shown = [
            typo(f"{a.title} — {a.status.lower()}, échéance {a.due}")
            for a in report.actions[:SHORT_ACTIONS]
        ]
        if len(report.actions) > SHORT_ACTIONS:
            shown.append(typo(f"… et {len(report.actions) - SHORT_ACTIONS} autres actions."))
        blocks.append(Bullets(tuple(shown)))
    else:
        texts = [t for s in report.sections for t in s.texts if t.horizon == report.horizons[-1]]
        blocks.append(
            Bullets(tuple(_cut(f"{t.text}") for t in texts[:SHORT_ACTIONS]))
            if texts
            else Para("Le plan d'action est en préparation.")
        )
    blocks += [
        Heading("Pour en débattre", 2),
        Bullets(tuple(_cut(q) for q in report.debate[:SHORT_DEBATE])),
    ]
    return blocks

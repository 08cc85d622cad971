"""The content of the general-assembly report, built from the core's data: pure, no I/O.

:func:`build_report` takes what :mod:`assessment.reports.loading` read (the
organisation, the campaign, its grid, the assessment, earlier campaigns, the
action plan) and returns a :class:`Report`: every sentence and number already
in French (:mod:`assessment.french`), ready for any renderer.  What comes
from where:

* current state, goals, stakes and planned actions: the answers, in the
  organisation's own words (text questions at goal horizons, e.g. « Enjeux
  et axes de progrès », « Actions prévues »);
* evidence: the comments stored with the answers;
* reasons for the choice of themes: the one line typed for each theme worked
  on (``AssessmentState.choice_reasons``), then the systemic view's texts at
  goal horizons (e.g. « Quels thèmes comptez-vous travailler en priorité, et
  pourquoi ? »);
* scores, gaps, attainment: :mod:`assessment.scoring`;
* questions for the debate: drawn from unmet goals, the largest gaps, goals
  without an action and themes left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assessment.action_plan import STATUSES, SYSTEMIC_ITEM, PlannedAction
from assessment.answers import is_visible
from assessment.assessments import AssessmentState
from assessment.campaigns import CampaignInfo
from assessment.french import date as french_date
from assessment.french import number, plural, points_between, typo, whole
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    TextQuestion,
    YesNoQuestion,
    text,
)
from assessment.organisations import OrganisationInfo
from assessment.scoring import OVERALL, ScoreReport, attainment, coverage, priorities, score

NO_SCORE = "—"
NO_ANSWER = "Sans réponse"
NOT_ADDRESSED = "Non traité cette année"
NOT_APPLICABLE = "Non applicable"
STRENGTHS = 3
TO_WORK_ON = 3
DEBATE_QUESTIONS = 8


def score_text(value: float | None) -> str:
    """``62 / 100``; ``—`` without a score."""
    return NO_SCORE if value is None else typo(f"{number(whole(value), 0)} / 100")


def points_text(value: float | None) -> str:
    """``+6 points``, ``−3 points``, ``0 point`` (``value``: a difference of shown
    scores, :func:`~assessment.french.points_between`)."""
    if value is None:
        return NO_SCORE
    shown = whole(value)
    sign = "+" if shown > 0 else "−" if shown < 0 else ""
    return sign + plural(abs(shown), "point")


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerLine:
    """A question's current state: the answer, what the level means, the evidence."""

    question: str
    answer: str
    descriptor: str = ""
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class GoalLine:
    """A question's goals: one text per goal horizon (``—`` when not set)."""

    question: str
    goals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WrittenText:
    """A text the organisation wrote for a goal horizon (stakes, planned actions)."""

    question: str
    horizon: str
    text: str


@dataclass(frozen=True, slots=True)
class ActionLine:
    title: str
    goal: str
    owner: str
    due: str
    status: str


@dataclass(frozen=True, slots=True)
class Section:
    """One theme addressed (or the systemic view)."""

    id: str
    title: str
    short_title: str
    scores: tuple[tuple[str, str], ...]
    """``(horizon label, score text)`` for each horizon."""
    current: tuple[AnswerLine, ...]
    goals: tuple[GoalLine, ...]
    texts: tuple[WrittenText, ...]
    actions: tuple[ActionLine, ...]


@dataclass(frozen=True, slots=True)
class ScoreRow:
    theme: str
    scores: tuple[str, ...]
    addressed: bool = True


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One theme from the previous campaign to this one (progress and last year's goal)."""

    theme: str
    before: str
    goal_set: str
    now: str
    change: str
    verdict: str


@dataclass(frozen=True)
class ChartData:
    """Rows for one chart of :mod:`assessment.charts` and its French alternative text."""

    kind: str
    """``goals``, ``priorities`` or ``progress``."""
    title: str
    alt: str
    rows: list[Any]
    horizons: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    title: str
    organisation: str
    organisation_details: str
    campaign: str
    year: int
    generated_on: str
    grid: str
    status: str
    horizons: tuple[str, ...]
    themes_addressed: tuple[str, ...]
    themes_not_addressed: tuple[str, ...]
    choice_reasons: tuple[WrittenText, ...]
    score_rows: tuple[ScoreRow, ...]
    overall: str
    """« Score d'ensemble … sur N thèmes traités sur M »."""
    strengths: tuple[str, ...]
    to_work_on: tuple[str, ...]
    previous_year: int | None
    progress: tuple[ProgressRow, ...]
    progress_summary: str
    sections: tuple[Section, ...]
    systemic: Section | None
    debate: tuple[str, ...]
    charts: tuple[ChartData, ...]
    actions: tuple[ActionLine, ...]
    """Every live action of the plan (for the short version)."""


# ---------------------------------------------------------------------------
# building it
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Earlier:
    """An earlier campaign of the same organisation, scored on its own grid version."""

    year: int
    grid: Grid
    state: AssessmentState


@dataclass(frozen=True)
class ReportInputs:
    organisation: OrganisationInfo
    campaign: CampaignInfo
    grid: Grid
    state: AssessmentState
    actions: Sequence[PlannedAction]
    earlier: Sequence[Earlier] = ()
    today: date = field(default_factory=date.today)


def _label(grid: Grid, item_id: str) -> str:
    item = grid.item(item_id)
    return text(item.short_title or item.title, grid.language)


def level_text(grid: Grid, value: int) -> str:
    for level in grid.scale:
        if level.value == value:
            return f"{value} – {text(level.label, grid.language)}"
    return str(value)


def answer_text(grid: Grid, question: Question, value: Any) -> str:
    """A stored answer in words: ``2 – Structuré``, ``45 %``, ``Oui``, an option's label."""
    lang = grid.language
    if value is None:
        return NO_ANSWER
    if isinstance(question, LevelQuestion):
        return level_text(grid, int(value))
    if isinstance(question, NumberQuestion):
        unit = text(question.unit, lang) if question.unit else ""
        return typo(f"{number(value, 2)} {unit}".strip())
    if isinstance(question, YesNoQuestion):
        return "Oui" if value else "Non"
    if isinstance(question, ChoiceQuestion):
        labels = {o.value: text(o.label, lang) for o in question.options}
        values = value if isinstance(value, list) else [value]
        return " ; ".join(labels.get(str(v), str(v)) for v in values)
    return typo(str(value))


def _descriptor(
    grid: Grid, question: Question, value: Any, levels: dict[int, Any] | None = None
) -> str:
    if not isinstance(question, LevelQuestion) or value is None:
        return ""
    described = (question.levels or {} if levels is None else levels).get(int(value))
    if described is None:
        for level in grid.scale:
            if level.value == value:
                described = level.description
    return typo(text(described, grid.language)) if described else ""


def _section(
    grid: Grid,
    state: AssessmentState,
    report: ScoreReport,
    section_id: str,
    title: str,
    short_title: str,
    questions: Sequence[Question],
    scores: dict[str, float | None],
    actions: Sequence[PlannedAction],
) -> Section:
    lang = grid.language
    current = grid.current_horizon
    goals = grid.goal_horizons
    labels = {h.id: text(h.label, lang) for h in grid.horizons}
    answers, comments = state.answers, state.comments
    na = report.not_applicable
    current_lines: list[AnswerLine] = []
    goal_lines: list[GoalLine] = []
    texts: list[WrittenText] = []
    for question in questions:
        wording = question.wording(state.profile)
        label = typo(text(wording.label, lang))
        horizons = grid.question_horizons(question)
        skipped = question.id in report.not_addressed
        if question.id in report.not_applicable:
            current_lines.append(AnswerLine(label, NOT_APPLICABLE, "", ""))
            continue
        if current in horizons and is_visible(grid, question, current, answers, na):
            value = answers.get(question.id, {}).get(current)
            current_lines.append(
                AnswerLine(
                    label,
                    NOT_ADDRESSED if skipped else answer_text(grid, question, value),
                    "" if skipped else _descriptor(grid, question, value, wording.levels),
                    typo(comments.get(question.id, {}).get(current, "")),
                )
            )
        asked_goals = [g for g in goals if g in horizons]
        if not asked_goals or skipped:
            continue
        if isinstance(question, TextQuestion):
            for goal in asked_goals:
                written = answers.get(question.id, {}).get(goal)
                if written and is_visible(grid, question, goal, answers, na):
                    texts.append(WrittenText(label, labels[goal], typo(str(written))))
            continue
        cells = []
        for goal in goals:
            if goal not in asked_goals or not is_visible(grid, question, goal, answers, na):
                cells.append(NO_SCORE)
                continue
            value = answers.get(question.id, {}).get(goal)
            shown = NO_SCORE if value is None else answer_text(grid, question, value)
            note = comments.get(question.id, {}).get(goal)
            cells.append(typo(f"{shown} ({note})") if note else shown)
        goal_lines.append(GoalLine(label, tuple(cells)))
    return Section(
        id=section_id,
        title=typo(title),
        short_title=typo(short_title),
        scores=tuple((labels[h], score_text(scores.get(h))) for h in grid.horizon_ids),
        current=tuple(current_lines),
        goals=tuple(goal_lines),
        texts=tuple(texts),
        actions=tuple(_action_line(grid, a) for a in actions),
    )


def _action_line(grid: Grid, action: PlannedAction) -> ActionLine:
    labels = {h.id: text(h.label, grid.language) for h in grid.horizons}
    return ActionLine(
        title=typo(action.title),
        goal=labels.get(action.horizon_id or "", ""),
        owner=typo(action.owner),
        due=french_date(action.due_on, empty="—"),
        status=STATUSES.get(action.status, action.status),
    )


def _alt_goals(rows: Sequence[dict[str, Any]], horizons: Sequence[str]) -> str:
    by_item: dict[str, list[str]] = {}
    for row in rows:
        by_item.setdefault(row["item"], []).append(f"{row['horizon']} {score_text(row['score'])}")
    parts = [f"{item} : {', '.join(values)}" for item, values in by_item.items()]
    return typo(
        "Graphique en barres horizontales : pour chaque thème traité, le score "
        f"({', '.join(horizons)}). " + " ; ".join(parts) + "."
    )


def _debate(
    grid: Grid,
    report: ScoreReport,
    previous: ScoreReport | None,
    previous_year: int | None,
    year: int,
    actions: Sequence[PlannedAction],
) -> list[str]:
    questions: list[str] = []
    lang = grid.language
    goal_label = text(grid.horizons[1].label, lang).lower() if len(grid.horizons) > 1 else ""
    if previous is not None and previous_year is not None:
        for key, result in attainment(grid, previous, report).items():
            if key == OVERALL or result.reached is not False:
                continue
            questions.append(
                f"L'objectif fixé en {previous_year} pour « {_label(grid, key)} » "
                f"({score_text(result.target)}) n'est pas atteint en {year} "
                f"({score_text(result.achieved)}) : qu'est-ce qui a freiné, et faut-il le "
                "maintenir, l'ajuster ou y consacrer d'autres moyens ?"
            )
    for priority in [p for p in priorities(grid, report) if p.gap > 0][:3]:
        questions.append(
            f"« {_label(grid, priority.item_id)} » : de {score_text(priority.current)} "
            f"aujourd'hui à {score_text(priority.goal)} dans un an "
            f"({points_text(points_between(priority.current, priority.goal))}) ; "
            "cet objectif est-il réaliste, et les actions prévues suffisent-elles ?"
        )
    live = {(a.item_id, a.horizon_id) for a in actions if a.status != "dropped"}
    live_items = {a.item_id for a in actions if a.status != "dropped"}
    if grid.goal_horizons:
        first_goal = grid.goal_horizons[0]
        for item in grid.items:
            if item.id in report.not_addressed or item.id in live_items:
                continue
            if (item.id, first_goal) in live:
                continue
            questions.append(
                f"Aucune action du plan n'accompagne l'{goal_label} de "
                f"« {_label(grid, item.id)} » : qui s'en charge, et avec quels moyens ?"
            )
    for item in grid.items:
        if item.id in report.not_addressed:
            questions.append(
                f"« {_label(grid, item.id)} » n'a pas été traité cette année : faut-il "
                "l'inscrire au programme de la prochaine campagne ?"
            )
    if not questions:
        questions.append(
            "Les objectifs sont atteints et suivis : quels thèmes voulons-nous approfondir "
            "l'an prochain, et avec qui ?"
        )
    return [typo(q) for q in questions[:DEBATE_QUESTIONS]]


def _coverage_before(grid: Grid, report: ScoreReport, year: int, now: int) -> str:
    """`` contre 2 en 2025`` when the earlier overall score stood on another number of
    themes (the two overall scores do not stand on the same themes)."""
    before = coverage(grid, report).count
    return "" if before == now else f" contre {number(before, 0)} en {year}"


def build_report(inputs: ReportInputs) -> Report:
    """The whole report's content (long and short versions read from it)."""
    grid, state, campaign = inputs.grid, inputs.state, inputs.campaign
    lang = grid.language
    report = score(grid, state.answers, state.not_addressed, state.not_applicable_ids(grid))
    labels = [text(h.label, lang) for h in grid.horizons]
    current = grid.current_horizon
    addressed = [i for i in grid.items if i.id not in report.not_addressed]
    skipped = [i for i in grid.items if i.id in report.not_addressed]
    by_item: dict[str, list[PlannedAction]] = {}
    for action in inputs.actions:
        by_item.setdefault(action.item_id, []).append(action)

    sections = tuple(
        _section(
            grid, state, report, item.id, text(item.title, lang), _label(grid, item.id),
            item.questions, report.items.get(item.id, {}), by_item.get(item.id, []),
        )
        for item in addressed
    )  # fmt: skip
    systemic = None
    reasons: list[WrittenText] = []
    if grid.systemic is not None:
        title = text(grid.systemic.title, lang)
        systemic = _section(
            grid, state, report, SYSTEMIC_ITEM, title, title, grid.systemic.questions,
            report.systemic, by_item.get(SYSTEMIC_ITEM, []),
        )  # fmt: skip
        reasons = list(systemic.texts)
    # why each theme worked on was chosen (one line per theme, typed in the form)
    reasons = [
        WrittenText(typo(text(item.title, lang)), "raison du choix", typo(reason))
        for item in addressed
        if (reason := state.choice_reasons.get(item.id))
    ] + reasons

    score_rows = [
        ScoreRow(
            _label(grid, item.id),
            tuple(
                NOT_ADDRESSED if item.id in report.not_addressed
                else score_text(report.items[item.id].get(h))
                for h in grid.horizon_ids
            ),
            item.id not in report.not_addressed,
        )
        for item in grid.items
    ]  # fmt: skip
    covered = coverage(grid, report)
    score_rows.append(
        ScoreRow(
            typo(f"Ensemble, {covered.text()}"),
            tuple(score_text(report.overall.get(h)) for h in grid.horizon_ids),
        )
    )
    scored = [i for i in addressed if report.items[i.id].get(current) is not None]
    overall = typo(
        f"Score d'ensemble ({labels[0].lower()}) : {score_text(report.overall.get(current))}, "
        f"{covered.text()}."
    )
    ranked = sorted(scored, key=lambda i: -(report.items[i.id][current] or 0.0))
    strengths = [
        typo(f"{_label(grid, i.id)} ({score_text(report.items[i.id][current])})")
        for i in ranked[:STRENGTHS]
    ]
    gaps = [p for p in priorities(grid, report) if p.gap > 0][:TO_WORK_ON]
    to_work_on = [
        typo(
            f"{_label(grid, p.item_id)} : de {score_text(p.current)} à {score_text(p.goal)} "
            f"({points_text(points_between(p.current, p.goal))})"
        )
        for p in gaps
    ]

    earlier = [e for e in inputs.earlier if e.year < campaign.year]
    previous = max(earlier, key=lambda e: e.year) if earlier else None
    previous_report = (
        score(
            previous.grid,
            previous.state.answers,
            previous.state.not_addressed,
            previous.state.not_applicable_ids(previous.grid),
        )
        if previous is not None
        else None
    )
    progress: list[ProgressRow] = []
    progress_summary = "Première campagne : la progression apparaîtra l'an prochain."
    if previous is not None and previous_report is not None:
        reached = attainment(grid, previous_report, report)
        before_now = previous.grid.current_horizon
        for key in [*(i.id for i in grid.items), OVERALL]:
            if key == OVERALL:
                before = previous_report.overall.get(before_now)
                now = report.overall.get(current)
                theme = "Ensemble"
            else:
                before = previous_report.items.get(key, {}).get(before_now)
                now = report.items.get(key, {}).get(current)
                theme = _label(grid, key)
            result = reached.get(key)
            if before is None and now is None:
                continue
            verdict = NO_SCORE
            if result is not None and result.reached is not None:
                verdict = "Atteint" if result.reached else "Non atteint"
            progress.append(
                ProgressRow(
                    theme, score_text(before),
                    score_text(result.target if result else None), score_text(now),
                    points_text(
                        None if before is None or now is None else points_between(before, now)
                    ),
                    verdict,
                )
            )  # fmt: skip
        overall_before = previous_report.overall.get(before_now)
        overall_now = report.overall.get(current)
        met = [k for k, r in reached.items() if k != OVERALL and r.reached]
        set_goals = [k for k, r in reached.items() if k != OVERALL and r.reached is not None]
        progress_summary = typo(
            f"Depuis {previous.year}, le score d'ensemble passe de {score_text(overall_before)} "
            f"à {score_text(overall_now)} ("
            + points_text(
                None if overall_before is None or overall_now is None
                else points_between(overall_before, overall_now)
            )
            + f"), {covered.text()}"
            + _coverage_before(previous.grid, previous_report, previous.year, covered.count)
            + f" ; objectifs à 1 an fixés en {previous.year} atteints : {len(met)} sur "
            f"{len(set_goals)}."
        )  # fmt: skip

    goal_rows = [
        {"item": _label(grid, i.id), "horizon": label, "score": report.items[i.id].get(h.id)}
        for i in addressed
        for h, label in zip(grid.horizons, labels, strict=True)
    ]
    charts = [
        ChartData(
            "goals", "État des lieux et objectifs par thème", _alt_goals(goal_rows, labels),
            goal_rows, horizons=labels,
        )
    ]  # fmt: skip
    all_gaps = [p for p in priorities(grid, report) if p.gap > 0]
    if all_gaps:
        gap_rows: list[dict[str, Any]] = [
            {"item": _label(grid, p.item_id), "gap": float(points_between(p.current, p.goal))}
            for p in all_gaps
        ]
        charts.append(
            ChartData(
                "priorities",
                "Priorités : écart entre l'état des lieux et l'objectif",
                typo(
                    "Graphique en barres : écart entre l'état des lieux et l'objectif à un an, "
                    "du plus grand au plus petit. "
                    + " ; ".join(f"{r['item']} : {points_text(r['gap'])}" for r in gap_rows)
                    + "."
                ),
                gap_rows,
            )
        )
    if previous is not None:
        series: list[dict[str, Any]] = [
            {
                "campaign": str(e.year),
                "series": "Ensemble",
                "score": score(e.grid, e.state.answers, e.state.not_addressed).overall.get(
                    e.grid.current_horizon
                ),
            }
            for e in sorted(earlier, key=lambda e: e.year)
        ]
        series.append(
            {"campaign": str(campaign.year), "series": "Ensemble",
             "score": report.overall.get(current)}
        )  # fmt: skip
        charts.append(
            ChartData(
                "progress",
                "Progression d'une campagne à l'autre",
                typo(
                    "Graphique en courbe : score d'ensemble de l'état des lieux, campagne par "
                    "campagne. " + " ; ".join(f"{r['campaign']} : {score_text(r['score'])}"
                                             for r in series) + "."
                ),
                series,
                campaigns=[r["campaign"] for r in series],
            )
        )  # fmt: skip

    org = inputs.organisation
    status = (
        f"Auto-évaluation soumise le {french_date(state.submitted_at)}."
        if state.status == "submitted" and state.submitted_at
        else "Auto-évaluation en cours, non soumise : résultats provisoires."
    )
    live_actions = [a for a in inputs.actions if a.status != "dropped"]
    return Report(
        title=typo(f"Rapport à l'assemblée générale — {org.name} — {campaign.label}"),
        organisation=typo(org.name),
        organisation_details=typo(
            f"{org.legal_family_label} · {org.identifier} · {org.region_name}"
        ),
        campaign=typo(campaign.label),
        year=campaign.year,
        generated_on=french_date(inputs.today),
        grid=typo(f"« {text(grid.title, lang)} », version {grid.version} ({grid.id})"),
        status=typo(status),
        horizons=tuple(labels),
        themes_addressed=tuple(_label(grid, i.id) for i in addressed),
        themes_not_addressed=tuple(_label(grid, i.id) for i in skipped),
        choice_reasons=tuple(reasons),
        score_rows=tuple(score_rows),
        overall=overall,
        strengths=tuple(strengths),
        to_work_on=tuple(to_work_on),
        previous_year=previous.year if previous else None,
        progress=tuple(progress),
        progress_summary=progress_summary,
        sections=sections,
        systemic=systemic,
        debate=tuple(
            _debate(
                grid,
                report,
                previous_report,
                previous.year if previous else None,
                campaign.year,
                inputs.actions,
            )
        ),
        charts=tuple(charts),
        actions=tuple(_action_line(grid, a) for a in live_actions),
    )

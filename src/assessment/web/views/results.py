"""« Résultats »: scores, goals, priorities, progress, peers, downloads.

Thin page: the numbers come from :mod:`assessment.scoring` and
:mod:`assessment.privacy`, the charts from :mod:`assessment.charts`, the
files from :mod:`assessment.exports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from assessment import action_plan, assessments, charts, exchange, exports, privacy, reports
from assessment.comparisons import GroupStats, ThemeComparison, standing, theme_comparisons
from assessment.french import plural, points_between, typo, whole
from assessment.grid import Grid, LevelQuestion, text
from assessment.gridtools.lineage import (
    Lineage,
    carried_answer,
    carried_item_scores,
    carried_report,
    version_breaks,
)
from assessment.organisations import LEGAL_FAMILIES, SIZE_BANDS
from assessment.permissions import Action, Actor, PermissionDenied, Target, can
from assessment.regions import REGIONS_BY_CODE
from assessment.scoring import (
    OVERALL,
    ScoreReport,
    attainment,
    priorities,
    score,
    score_function,
)
from assessment.scoring import coverage as score_coverage
from assessment.settings import get_settings
from assessment.web import chart_cache, screen, state
from assessment.web.safe import md_escape

PREFIX = "results"
NOT_ADDRESSED = "Non traité"
NOT_APPLICABLE = "Non applicable"
NO_SCORE = "—"
REACHED = "Atteint"
NOT_REACHED = "Non atteint"


def format_score(value: float | None) -> str:
    """``62 / 100``; ``—`` when there is no score (halves rounded up: :func:`whole`)."""
    return NO_SCORE if value is None else f"{whole(value):d} / 100"


def format_points(value: float | None) -> str:
    """``+25``, ``-3``, ``0`` (a difference already computed from shown scores)."""
    if value is None:
        return NO_SCORE
    shown = whole(value)
    return f"+{shown}" if shown > 0 else str(shown)


def shown_gap(start: float | None, end: float | None) -> int | None:
    """The difference between two scores as the page shows them (« de 63 à 88 »
    says « +25 »): computed from the rounded scores, never rounded apart."""
    return None if start is None or end is None else points_between(start, end)


def completion_text(report: ScoreReport) -> str:
    """« 114 / 114 réponses obligatoires · 0 / 87 facultatives. »"""
    return f"{report.completion.counts.summary()}."


def _short_label(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def item_label(grid: Grid, item_id: str) -> str:
    item = grid.item(item_id)
    return text(item.short_title or item.title, grid.language)


@dataclass(frozen=True, slots=True)
class Scored:
    """One assessment of the organisation, scored against its own grid version."""

    summary: assessments.AssessmentSummary
    grid: Grid
    state: assessments.AssessmentState
    report: ScoreReport


def _score(engine: Any, actor: Actor, summary: assessments.AssessmentSummary) -> Scored:
    current = assessments.get_assessment(engine, actor, summary.id)
    grid = state.grid(summary.grid_id, summary.grid_version)
    report = score(grid, current.answers, current.not_addressed, current.not_applicable_ids(grid))
    return Scored(summary, grid, current, report)


def overall_label(grid: Grid, report: ScoreReport) -> str:
    """« Ensemble, sur 3 thèmes traités sur 8 » (the current state's coverage)."""
    return typo(f"Ensemble, {score_coverage(grid, report).text()}")


def _item_not_applicable(grid: Grid, report: ScoreReport, item_id: str) -> bool:
    """Every question of the item is « non applicable »."""
    return bool(report.not_applicable) and all(
        q.id in report.not_applicable for q in grid.item(item_id).questions
    )


# ---------------------------------------------------------------------------
# Tables (pure helpers, used by the page and its tests)
# ---------------------------------------------------------------------------


def score_table(grid: Grid, report: ScoreReport) -> pd.DataFrame:
    """Rows: each item then « Ensemble » (and the systemic view); columns: horizons."""
    labels = [text(h.label, grid.language) for h in grid.horizons]
    rows: list[dict[str, str]] = []
    for item in grid.items:
        row = {"Thème": item_label(grid, item.id)}
        for horizon, label in zip(grid.horizon_ids, labels, strict=True):
            row[label] = (
                NOT_ADDRESSED
                if item.id in report.not_addressed
                else NOT_APPLICABLE
                if _item_not_applicable(grid, report, item.id)
                else format_score(report.items[item.id].get(horizon))
            )
        rows.append(row)
    current = score_coverage(grid, report)
    overall: dict[str, str] = {"Thème": overall_label(grid, report)}
    for h, label in zip(grid.horizon_ids, labels, strict=True):
        shown = format_score(report.overall.get(h))
        at_horizon = score_coverage(grid, report, h)
        if at_horizon.count != current.count and report.overall.get(h) is not None:
            shown += typo(f" ({at_horizon.text()})")
        overall[label] = shown
    rows.append(overall)
    if grid.systemic is not None and report.systemic:
        rows.append(
            {"Thème": text(grid.systemic.title, grid.language)}
            | {
                label: format_score(report.systemic.get(h))
                for h, label in zip(grid.horizon_ids, labels, strict=True)
            }
        )
    return pd.DataFrame(rows)


def not_applicable_labels(grid: Grid, report: ScoreReport) -> list[str]:
    """The labels of the questions « non applicable », in grid order."""
    return [
        text(question.label, grid.language)
        for _, question in grid.questions()
        if question.id in report.not_applicable
    ]


def not_applicable_note(labels: list[str]) -> str:
    """« Non applicable (hors des scores) : A ; B. », with no full stop after a label
    that ends a question (« … organisés ? », not « … organisés ?. »)."""
    listed = " ; ".join(label.rstrip() for label in labels)
    end = "" if listed.endswith(("?", "!", ".", "…")) else "."
    return typo(f"{NOT_APPLICABLE} (hors des scores) : {listed}{end}")


def goal_rows(grid: Grid, report: ScoreReport) -> list[charts.GoalRow]:
    rows: list[charts.GoalRow] = []
    for item in grid.items:
        if item.id in report.not_addressed:
            continue
        for horizon in grid.horizons:
            rows.append(
                {
                    "item": item_label(grid, item.id),
                    "horizon": text(horizon.label, grid.language),
                    "score": report.items[item.id].get(horizon.id),
                }
            )
    return rows


_PEER_LABELS = {
    "region": "Même région",
    "legal_family": "Même famille juridique",
    "size_band": "Même tranche de taille",
}


def _peer_value_label(dimension: str, value: Any) -> str:
    if dimension == "region":
        region = REGIONS_BY_CODE.get(value)
        return region.name if region else str(value)
    if dimension == "legal_family":
        return LEGAL_FAMILIES.get(value, str(value))
    if dimension == "size_band":
        return SIZE_BANDS.get(value, str(value))
    return str(value)


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _scores_section(current: Scored) -> None:
    grid, report = current.grid, current.report
    st.subheader("Scores par thème et par horizon")
    # an HTML table: every column fits a phone (headers wrap), read as a table
    screen.frame_table(
        score_table(grid, report),
        "Score de chaque thème à chaque horizon",
        key=f"{PREFIX}:scores",
    )
    st.caption(f"Scores sur 100. {completion_text(report)}")
    covered = score_coverage(grid, report)
    if not covered.complete:
        st.caption(
            typo(
                f"Score d'ensemble {covered.text()} : la moyenne des seuls thèmes traités. "
                "Il ne se compare pas à celui d'une organisation qui a traité d'autres "
                "thèmes : comparez thème par thème."
            )
        )
    not_applicable = not_applicable_labels(grid, report)
    if not_applicable:
        st.caption(not_applicable_note(not_applicable))
    horizons = [text(h.label, grid.language) for h in grid.horizons]
    chart_cache.show(charts.goals_chart, goal_rows(grid, report), horizons)


def choice_lines(
    grid: Grid, not_addressed: frozenset[str], reasons: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Markdown lines: each theme worked on with the reason for choosing it (and the
    questions left out in it), then the themes « non traités cette année »."""
    chosen: list[str] = []
    left_out: list[str] = []
    for item in grid.items:
        label = md_escape(item_label(grid, item.id))
        if item.id in not_addressed:
            left_out.append(label)
            continue
        reason = reasons.get(item.id)
        line = f"- **{label}**" + (
            typo(f" : {md_escape(reason)}") if reason else typo(" : raison non précisée")
        )
        skipped = sum(1 for q in item.questions if q.id in not_addressed)
        if skipped:
            line += typo(
                f" ({plural(skipped, 'question non traitée', 'questions non traitées')} "
                "cette année)"
            )
        chosen.append(line)
    return chosen, left_out


def _choices_section(current: Scored) -> None:
    st.subheader(typo("Thèmes choisis cette année et pourquoi"))
    chosen, left_out = choice_lines(
        current.grid, frozenset(current.state.not_addressed), current.state.choice_reasons
    )
    if chosen:
        st.markdown("\n".join(chosen))
    if left_out:
        st.caption(typo("Non traités cette année : " + ", ".join(left_out)))


def _priorities_section(current: Scored) -> None:
    grid, report = current.grid, current.report
    st.subheader("Priorités")
    ranked = [p for p in priorities(grid, report) if (shown_gap(p.current, p.goal) or 0) > 0]
    if not ranked:
        st.info("Aucun écart entre l'état des lieux et l'objectif à 1 an pour l'instant.")
        return
    goal_label = text(grid.horizons[1].label, grid.language) if len(grid.horizons) > 1 else ""
    st.markdown(
        f"Les thèmes où l'écart entre l'état des lieux et l'{goal_label.lower()} est le "
        "plus grand :"
    )
    st.markdown(
        "\n".join(
            f"{p.rank}. **{item_label(grid, p.item_id)}** : de {format_score(p.current)} "
            f"à {format_score(p.goal)} ({format_points(shown_gap(p.current, p.goal))} points)"
            for p in ranked
        )
    )
    rows: list[charts.GapRow] = [
        {"item": item_label(grid, p.item_id), "gap": float(shown_gap(p.current, p.goal) or 0)}
        for p in ranked
    ]
    chart_cache.show(charts.priorities_chart, rows)


def _progress_section(history: list[Scored], current: Scored) -> None:
    st.subheader("Progression d'une campagne à l'autre")
    earlier = [s for s in history if s.summary.year < current.summary.year]
    if not earlier:
        st.info("La progression s'affichera à partir de votre deuxième campagne.")
        return
    grid = current.grid
    # items and questions renamed, split or merged across versions (``replaces``)
    lineage = Lineage.of(s.grid for s in [*earlier, current])
    series = st.radio(
        "Afficher",
        ("Ensemble", "Chaque thème", "Une question"),
        horizontal=True,
        key=f"{PREFIX}:series",
    )
    question: LevelQuestion | None = None
    if series == "Une question":
        levels = [q for _, q in grid.questions() if isinstance(q, LevelQuestion)]
        question = st.selectbox(
            "Question",
            levels,
            format_func=lambda q: text(q.label, grid.language),
            key=f"{PREFIX}:question",
        )
    rows: list[charts.ProgressRow] = []
    for scored in [*earlier, current]:
        year = str(scored.summary.year)
        now = scored.grid.current_horizon
        if series == "Ensemble":
            rows.append(
                {"campaign": year, "series": "Ensemble", "score": scored.report.overall[now]}
            )
        elif question is not None:
            value = carried_answer(
                lineage, grid, scored.grid, scored.state.answers, question.id, now
            )
            to_score = score_function(scored.grid, question)
            rows.append(
                {
                    "campaign": year,
                    "series": _short_label(text(question.label, grid.language)),
                    "score": to_score(value)
                    if to_score is not None and value is not None
                    else None,
                }
            )
        else:
            items = carried_item_scores(lineage, grid, scored.grid, scored.report)
            for item in grid.items:
                rows.append(
                    {
                        "campaign": year,
                        "series": item_label(grid, item.id),
                        "score": items[item.id].get(now),
                    }
                )
    campaigns_order = sorted({r["campaign"] for r in rows})
    ordered = sorted([*earlier, current], key=lambda s: s.summary.year)
    keys = [(str(s.summary.year), s.grid.key) for s in ordered]
    breaks = [keys[i][0] for i in version_breaks(keys)]
    provisional = str(current.summary.year) if current.state.status != "submitted" else None
    if series == "Chaque thème":
        # small multiples: one chart per theme, two by two (stacked on a phone)
        panels = charts.progress_panels(
            rows, campaigns=campaigns_order, version_breaks=breaks, provisional=provisional
        )
        for start in range(0, len(panels), 2):
            pair = panels[start : start + 2]
            for column, (_name, chart) in zip(st.columns(2), pair, strict=False):
                column.altair_chart(chart, width="stretch", theme=None)
    else:
        chart_cache.show(
            charts.progress_chart,
            rows,
            campaigns=campaigns_order,
            version_breaks=breaks,
            provisional=provisional,
        )
    if provisional is not None:
        st.caption(
            typo(
                f"Campagne {provisional} provisoire (point creux) : l'auto-évaluation "
                "n'est pas encore soumise."
            )
        )
    if breaks:
        changes = ", ".join(
            f"{keys[i - 1][0]} → {keys[i][0]} (version {ordered[i - 1].grid.version} → "
            f"{ordered[i].grid.version})"
            for i in version_breaks(keys)
        )
        st.caption(
            typo(
                f"La grille a changé de version : {changes}. Les thèmes et questions "
                "renommés ou regroupés sont suivis d'une version à l'autre ; ceux qui n'ont "
                "pas de suite s'arrêtent à la rupture."
            )
        )

    last = max(earlier, key=lambda s: s.summary.year)
    results = attainment(
        grid, carried_report(lineage, grid, last.grid, last.report), current.report
    )
    if not results:
        return
    goal_label = text(grid.horizons[1].label, grid.language)
    st.markdown(
        f"**Objectifs fixés en {last.summary.year} ({goal_label.lower()}) : "
        f"atteints en {current.summary.year} ?**"
    )
    table = []
    for key, result in results.items():
        if result.target is None and result.achieved is None:
            continue
        verdict = (
            NO_SCORE if result.reached is None else (REACHED if result.reached else NOT_REACHED)
        )
        table.append(
            {
                "Thème": overall_label(grid, current.report)
                if key == OVERALL
                else item_label(grid, key),
                f"Objectif {last.summary.year}": format_score(result.target),
                f"État des lieux {current.summary.year}": format_score(result.achieved),
                "Écart": format_points(result.gap),  # the verdict stands on it
                "Résultat": verdict,
            }
        )
    if table:
        screen.frame_table(
            pd.DataFrame(table),
            f"Objectifs {last.summary.year} et état des lieux {current.summary.year}",
            key=f"{PREFIX}:attainment",
        )


def peer_groups(tables: list[privacy.ProtectedTable]) -> dict[str, list[GroupStats]]:
    """Each theme's peer groups with quartiles (the overall measure is left out: it
    stands on different themes from one organisation to the next)."""
    out: dict[str, list[GroupStats]] = {}
    for table in tables:
        if table.measure == privacy.OVERALL_MEASURE:
            continue
        for cell in table.cells:
            if cell.quartiles is None or cell.n is None:
                continue
            ((dimension, value),) = cell.key.items()
            q1, median, q3 = cell.quartiles
            out.setdefault(table.measure, []).append(
                GroupStats(dimension, str(value), cell.n, q1, median, q3)
            )
    return out


def _peer_group_label(group: GroupStats) -> str:
    return f"{_PEER_LABELS[group.dimension]} : {_peer_value_label(group.dimension, group.value)}"


def peer_table(grid: Grid, comparisons: list[ThemeComparison]) -> pd.DataFrame:
    """One row per theme: own score and each peer group's median (``—`` when not shown)."""
    rows = []
    for comparison in comparisons:
        row = {
            "Thème": item_label(grid, comparison.item_id),
            "Votre score": NOT_ADDRESSED
            if comparison.own is None
            else format_score(comparison.own),
        }
        medians = {g.dimension: g for g in comparison.groups}
        for dimension, label in _PEER_LABELS.items():
            group = medians.get(dimension)
            row[f"Médiane, {label.lower()}"] = (
                NO_SCORE if group is None else f"{format_score(group.median)} ({group.n} org.)"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _peers_section(engine: Any, actor: Actor, current: Scored) -> None:
    st.subheader("Comparaison avec des organisations comparables")
    k = get_settings().min_group_size
    try:
        tables = privacy.peers(
            engine, actor, current.summary.organisation_id, campaign_year=current.summary.year
        )
    except (PermissionDenied, privacy.NotPublished) as error:
        # an open campaign: the comparison arrives at its close, fixed from then on
        st.info(md_escape(error.message))
        return
    grid, report = current.grid, current.report
    comparisons = theme_comparisons(grid, report, peer_groups(tables))
    compared = [c for c in comparisons if c.compared]
    if not compared:
        st.info(
            typo(
                f"Comparaison indisponible : elle n'apparaît, thème par thème, que lorsqu'au "
                f"moins {privacy.QUARTILE_MIN} organisations comparables (même région, même "
                "famille juridique ou même tranche de taille) ont traité ce thème et soumis "
                f"leur auto-évaluation de la campagne (et jamais pour un groupe de moins de "
                f"{k}), pour que personne ne soit identifiable."
            )
        )
        return
    st.markdown(
        typo(
            "Thème par thème, parmi les organisations qui ont traité ce thème. Le score "
            "d'ensemble n'est pas comparé : il ne porte que sur les thèmes traités "
            f"({score_coverage(grid, report).text()})."
        )
    )
    st.markdown(typo(standing(comparisons).text()))
    st.dataframe(peer_table(grid, comparisons), hide_index=True, width="stretch")
    chosen = st.selectbox(
        "Thème comparé",
        compared,
        format_func=lambda c: item_label(grid, c.item_id),
        key=f"{PREFIX}:peer_theme",
    )
    if chosen is None:
        return
    groups: list[charts.PeerGroup] = [
        {
            "group": _peer_group_label(g),
            "n": g.n,
            "q1": g.q1,
            "median": g.median,
            "q3": g.q3,
        }
        for g in chosen.groups
    ]
    theme = item_label(grid, chosen.item_id)
    chart_cache.show(
        charts.peer_chart,
        chosen.own,
        groups,
        title=typo(f"Comparaison avec des organisations comparables : {theme}"),
        subject=f"état des lieux du thème « {theme} »",
    )
    note = next((t.note_fr for t in tables if t.measure == chosen.item_id), "")
    st.caption(
        typo(
            f"État des lieux, thème « {theme} ». Boîte : du 1er au 3e quartile ; trait : médiane. "
        )
        + note
    )


def _deferred(build: Any, *args: Any, **kwargs: Any) -> Any:
    """``data`` for ``st.download_button``: built when clicked, on Streamlit's thread
    (the core checks the permission then)."""
    return lambda: build(*args, **kwargs)


def _report_section(engine: Any, actor: Actor, current: Scored) -> None:
    st.subheader(typo("Rapport à l'assemblée générale"))
    organisation_id, year = current.summary.organisation_id, current.summary.year
    st.markdown(
        typo(
            "Le rapport annuel reprend l'état des lieux, les objectifs, les éléments de "
            "preuve, les enjeux, le plan d'action et des questions pour le débat. La version "
            "courte (deux pages) s'adresse aux salariés et aux bénévoles."
        )
    )
    for short, name in ((False, "Rapport"), (True, "Version courte")):
        choices = [("pdf", "PDF"), ("docx", "Word"), ("odt", "ODT")]
        for column, (fmt, kind) in zip(st.columns(3), choices, strict=True):
            column.download_button(
                f"{name} ({kind})",
                _deferred(reports.generate, engine, actor, organisation_id, year, fmt, short=short),
                file_name=reports.file_name(year, fmt, short=short),
                mime=reports.FORMATS[fmt],
                key=f"{PREFIX}:report:{fmt}:{short}",
                on_click="ignore",
            )


def _written(current: Scored) -> dict[str, Any]:
    """What the organisation wrote besides its answers: evidence and reasons for its choice."""
    return {
        "comments": current.state.comments,
        "choice_reasons": current.state.choice_reasons,
    }


def _downloads_section(current: Scored) -> None:
    st.subheader("Télécharger")
    grid, report = current.grid, current.report
    year = current.summary.year
    meta = {
        "organisation_id": current.summary.organisation_id,
        "campagne": year,
        "statut": current.state.status,
        "revision": current.state.revision,
    }
    left, right = st.columns(2)
    left.download_button(
        "Résultats (CSV)",
        _deferred(exports.results_csv, grid, report, current.state.answers, **_written(current)),
        file_name=f"resultats-{year}.csv",
        mime="text/csv",
        key=f"{PREFIX}:csv",
        on_click="ignore",
    )
    right.download_button(
        "Résultats (JSON)",
        _deferred(
            exports.results_json,
            grid,
            report,
            current.state.answers,
            meta=meta,
            **_written(current),
        ),
        file_name=f"resultats-{year}.json",
        mime="application/json",
        key=f"{PREFIX}:json",
        on_click="ignore",
    )
    left.download_button(
        "Résultats (XLSX)",
        _deferred(exports.results_xlsx, grid, report, current.state.answers, **_written(current)),
        file_name=f"resultats-{year}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{PREFIX}:xlsx",
        on_click="ignore",
    )
    actor = state.require_actor()
    target = Target(organisation_id=current.summary.organisation_id)
    if can(actor, Action.EXCHANGE_ANSWERS, target):
        right.download_button(
            "Auto-évaluation à transférer (JSON)",
            _deferred(
                exchange.export_answers,
                state.engine(),
                actor,
                current.summary.organisation_id,
                year,
            ),
            file_name=exchange.export_file_name(year, current.summary.organisation_id),
            mime="application/json",
            key=f"{PREFIX}:exchange",
            on_click="ignore",
            help=typo(
                "Réponses, justificatifs et thèmes non traités, à importer dans une autre "
                "installation (réservé aux référents de l'auto-évaluation)."
            ),
        )


def coverage(
    grid: Grid, report: ScoreReport, actions: list[Any], today: date | None = None
) -> tuple[list[tuple[str, str, int]], list[tuple[str, str]], list[Any]]:
    """Which goals have actions: ``(covered, uncovered, late)``.

    ``covered``: (item label, horizon label, number of live actions);
    ``uncovered``: goals (addressed item × goal horizon) with no live action;
    ``late``: live actions past their due date.  Abandoned actions do not count.
    """
    today = today or date.today()
    live = [a for a in actions if getattr(a, "status", None) != "dropped"]
    counts: dict[tuple[str, str | None], int] = {}
    for a in live:
        counts[(a.item_id, a.horizon_id)] = counts.get((a.item_id, a.horizon_id), 0) + 1
    covered: list[tuple[str, str, int]] = []
    uncovered: list[tuple[str, str]] = []
    labels = {h.id: text(h.label, grid.language) for h in grid.horizons}
    for item in grid.items:
        if item.id in report.not_addressed:
            continue
        for horizon in grid.goal_horizons:
            n = counts.get((item.id, horizon), 0)
            if n:
                covered.append((item_label(grid, item.id), labels[horizon], n))
            else:
                uncovered.append((item_label(grid, item.id), labels[horizon]))
    late = [a for a in live if a.status != "done" and a.due_on is not None and a.due_on < today]
    return covered, uncovered, late


def _coverage_section(engine: Any, actor: Actor, current: Scored) -> None:
    st.subheader("Plan d'action : couverture des objectifs")
    try:
        actions = action_plan.list_actions(
            engine, actor, current.summary.organisation_id, campaign_id=current.summary.campaign_id
        )
    except PermissionDenied as error:
        st.info(md_escape(error.message))
        return
    covered, uncovered, late = coverage(current.grid, current.report, list(actions))
    if covered:
        st.markdown(
            "**Objectifs avec des actions :** "
            + " ; ".join(f"{item} – {horizon} ({n})" for item, horizon, n in covered)
        )
    if uncovered:
        st.warning(
            "**Objectifs sans action :** "
            + " ; ".join(f"{item} – {horizon}" for item, horizon in uncovered)
        )
    elif covered:
        st.success("Chaque objectif a au moins une action.")
    if late:
        st.error(
            "**Actions en retard :** "
            + " ; ".join(f"{md_escape(a.title)} (échéance {a.due_on:%d/%m/%Y})" for a in late)
        )
    if uncovered or not covered:
        st.caption("Ajoutez des actions depuis la page « Plan d'action ».")


def render() -> None:
    """Draw the page."""
    actor = state.require_actor()
    st.title("Résultats")
    if actor.organisation_id is None:
        state.refuse("Cette page est réservée aux comptes d'une organisation.")
        return
    engine = state.engine()
    try:
        summaries = assessments.list_assessments(engine, actor, actor.organisation_id)
    except PermissionDenied as error:
        state.refuse(error.message)
        return
    if not summaries:
        st.info("Aucune auto-évaluation pour l'instant : commencez par « Mon auto-évaluation ».")
        return
    by_year = {s.year: s for s in summaries}
    years = sorted(by_year, reverse=True)
    year = st.selectbox(
        "Campagne", years, key=f"{PREFIX}:year", format_func=lambda y: f"Campagne {y}"
    )
    history = [_score(engine, actor, by_year[y]) for y in sorted(by_year) if y <= year]
    current = history[-1]
    if current.state.status != "submitted":
        st.info(
            "Résultats provisoires : cette auto-évaluation n'est pas encore soumise "
            "(elle n'entre pas dans les comparaisons)."
        )
    _scores_section(current)
    _choices_section(current)
    _priorities_section(current)
    _progress_section(history[:-1], current)
    _peers_section(engine, actor, current)
    _coverage_section(engine, actor, current)
    _report_section(engine, actor, current)
    _downloads_section(current)

"""Commands for grid authors: ``validate``, ``schema`` and ``show``.

Thin adapters: the work is done by :mod:`assessment.gridfile`; :func:`outline`
is the plain-text plan printed by ``show``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from assessment.grid import (
    ChoiceQuestion,
    Condition,
    Grid,
    LevelQuestion,
    NumberQuestion,
    Question,
    text,
)
from assessment.gridfile import (
    GridLoadResult,
    GridProblem,
    check_grid_dir,
    grid_json_schema,
    load_grid_file,
)
from assessment.messages import render, show_value

_EXISTING_PATH = click.Path(exists=True, path_type=Path)


def _load_all(paths: tuple[Path, ...]) -> tuple[list[GridLoadResult], list[GridProblem]]:
    """Results for every grid file named or found in the folders given, once each."""
    results: list[GridLoadResult] = []
    folder_problems: list[GridProblem] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            outcome = check_grid_dir(path)
            folder_problems.extend(outcome.folder_problems)
            fresh = [r for r in outcome.results if Path(r.source).resolve() not in seen]
        else:
            fresh = [load_grid_file(path)] if path.resolve() not in seen else []
        seen.update(Path(r.source).resolve() for r in fresh)
        results.extend(fresh)
    return results, folder_problems


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=_EXISTING_PATH)
@click.option("--strict", is_flag=True, help="Les avertissements comptent comme des erreurs.")
def validate(paths: tuple[Path, ...], strict: bool) -> None:
    """Vérifie des grilles (fichiers, ou tous les *.yaml / *.yml de dossiers).

    Chaque problème est écrit sur la sortie d'erreur sous la forme
    FICHIER:LIGNE:COLONNE: message, et le code de sortie est 1 ; sinon un
    résumé « OK » et le code 0.
    """
    results, folder_problems = _load_all(paths)
    problems = [*folder_problems, *(p for r in results for p in r.problems)]
    warnings = [w for r in results for w in r.warnings]
    for problem in [*problems, *warnings]:
        click.echo(str(problem), err=True)
    blocking = [*problems, *warnings] if strict else problems
    if blocking:
        files = len({p.source for p in blocking})
        click.echo(render("cli_failed_summary", errors=len(blocking), files=files), err=True)
        raise SystemExit(1)
    for result in results:
        assert result.grid is not None
        grid = result.grid
        click.echo(
            render(
                "cli_ok_file",
                source=result.source,
                title=text(grid.title),
                key=grid.key,
                items=len(grid.items),
                questions=sum(1 for _ in grid.questions()),
            )
        )
    if warnings:
        click.echo(render("cli_warnings_summary", warnings=len(warnings)), err=True)
    click.echo(render("cli_ok_summary", count=len(results)))


@click.command("schema")
def schema() -> None:
    """Affiche le schéma JSON du format des grilles (pour les éditeurs, p. ex. VS Code)."""
    click.echo(json.dumps(grid_json_schema(), indent=2, ensure_ascii=False))


@click.command("show")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(path: Path) -> None:
    """Affiche le plan lisible d'une grille : échelle, horizons, items et questions."""
    result = load_grid_file(path)
    if result.grid is None or result.problems:
        for problem in result.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    click.echo(outline(result.grid), nl=False)


COMMANDS: list[click.Command] = [validate, schema, show]


# ---------------------------------------------------------------------------
# outline (assessment show)
# ---------------------------------------------------------------------------
def outline(grid: Grid) -> str:
    """A readable plain-text outline of ``grid``, in French."""
    lines = [
        render(
            "outline_grid",
            title=text(grid.title),
            id=grid.id,
            version=grid.version,
            language=grid.language,
        ),
        "",
        render("outline_scale"),
        *(f"  {level.value} = {text(level.label)}" for level in grid.scale),
        "",
        render("outline_horizons"),
        *(f"  {h.id} — {text(h.label)}" for h in grid.horizons),
        "",
        render("outline_items", count=len(grid.items)),
    ]
    for index, item in enumerate(grid.items, start=1):
        flags = [render("outline_optional_item")] if item.optional else []
        if item.weight != 1:
            flags.append(render("outline_weight", weight=item.weight))
        shown_flags = f" [{', '.join(flags)}]" if flags else ""
        lines.append(
            "  "
            + render(
                "outline_item",
                index=index,
                id=item.id,
                title=text(item.title),
                flags=shown_flags,
            )
        )
        lines.extend(_question_lines(grid, item.questions))
    if grid.systemic is not None:
        lines += ["", render("outline_systemic", title=text(grid.systemic.title))]
        lines.extend(_question_lines(grid, grid.systemic.questions))
    return "\n".join(lines) + "\n"


def _question_lines(grid: Grid, questions: Sequence[Question]) -> list[str]:
    lines = []
    for question in questions:
        flags = [render("outline_required" if question.is_required else "outline_not_required")]
        if question.optional:
            flags.append(render("outline_optional"))
        if question.weight != 1:
            flags.append(render("outline_weight", weight=question.weight))
        horizons = grid.question_horizons(question)
        if horizons != grid.horizon_ids:
            flags.append(render("outline_horizons_of", horizons=horizons))
        flags.extend(_type_details(question))
        if question.show_if is not None:
            flags.append(render("outline_show_if", condition=_condition(question.show_if)))
        if question.applies_to is not None:
            criteria = [
                f"{key} : {', '.join(values)}"
                for key in ("size_band", "legal_family")
                if (values := getattr(question.applies_to, key)) is not None
            ]
            flags.append(render("outline_applies_to", criteria=" et ".join(criteria)))
        if question.may_not_apply:
            flags.append(render("outline_may_not_apply"))
        if question.variants:
            flags.append(render("outline_variants", count=len(question.variants)))
        lines.append(f"     - {question.id} [{question.type}] {text(question.label)}")
        lines.append(f"       ({' ; '.join(flags)})")
    return lines


def _type_details(question: Question) -> list[str]:
    if isinstance(question, ChoiceQuestion):
        return [render("outline_options", options=[o.value for o in question.options])]
    if isinstance(question, NumberQuestion):
        details = []
        if question.unit is not None:
            details.append(render("outline_unit", unit=text(question.unit)))
        if question.min is not None or question.max is not None:
            low = show_value(question.min) if question.min is not None else "…"
            high = show_value(question.max) if question.max is not None else "…"
            details.append(render("outline_bounds", min=low, max=high))
        return details
    if isinstance(question, LevelQuestion) and question.levels:
        return [render("outline_levels", levels=sorted(question.levels))]
    return []


def _condition(condition: Condition) -> str:
    target = condition.question
    if condition.horizon is not None:
        target += f"@{condition.horizon}"
    if condition.equals is not None:
        return f"{target} = {show_value(condition.equals)}"
    if condition.in_ is not None:
        return f"{target} ∈ {{{show_value(condition.in_)}}}"
    return f"{target} " + render("outline_answered" if condition.answered else "outline_unanswered")

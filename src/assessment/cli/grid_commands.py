"""Commands for grid authors: ``validate``, ``schema`` and ``show``.

Thin adapters: the work is done by :mod:`assessment.grid_loader`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from assessment.grid import text
from assessment.grid_loader import (
    GridLoadResult,
    GridProblem,
    check_grid_dir,
    grid_json_schema,
    load_grid_file,
    outline,
)
from assessment.messages import render

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

"""Report and file commands: ``report``, ``template``, ``answers export``, ``answers import``.

A thin adapter over :mod:`assessment.reports` and :mod:`assessment.exchange`.
Like the other database commands, they act as the operator
(``Actor.system()``) on the settings' database.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from assessment import startup
from assessment.db import dispose_engines
from assessment.errors import UserError
from assessment.french import plural, typo
from assessment.gridfile import GridError, load_grid
from assessment.permissions import Actor

F = TypeVar("F", bound=Callable[..., Any])
IMPORT_KINDS = {".xlsx": "xlsx", ".json": "json"}


def _user_errors(func: F) -> F:
    """French messages instead of tracebacks (every problem of a refused import on
    stderr); engines closed on the way out."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from assessment.exchange import ImportRefused

        try:
            return func(*args, **kwargs)
        except ImportRefused as refused:
            for problem in refused.problems:
                click.echo(str(problem), err=True)
            count = len(refused.problems)
            raise click.ClickException(
                typo(f"{plural(count, 'problème')} : rien n'a été importé.")
            ) from refused
        except UserError as error:
            raise click.ClickException(error.message) from error
        except GridError as error:
            raise click.ClickException(f"Grille refusée :\n{error}") from error
        finally:
            dispose_engines()

    return wrapper  # type: ignore[return-value]


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise click.ClickException(typo(f"Impossible d'écrire {path} : {error.strerror}")) from None


@click.command("report")
@click.option("--org", "organisation_id", type=int, required=True, help="N° de l'organisation.")
@click.option("--campaign", "year", type=int, required=True, help="Année de la campagne.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Fichier produit : .pdf (impression), .docx ou .odt (modifiables).",
)
@click.option("--short", is_flag=True, help="Version courte (deux pages) pour les équipes.")
@_user_errors
def report_command(organisation_id: int, year: int, out: Path, short: bool) -> None:
    """Rapport annuel à l'assemblée générale d'une organisation pour une campagne."""
    from assessment import reports

    fmt = reports.format_of(out)
    engine = startup.open_database()
    data = reports.generate(engine, Actor.system(), organisation_id, year, fmt, short=short)
    _write(out, data)
    version = "version courte" if short else "rapport complet"
    click.echo(typo(f"{out} : {version}, {fmt.upper()}, {len(data) // 1024} Ko."))


@click.command("template")
@click.argument("grid_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Modèle produit (.xlsx).",
)
@_user_errors
def template_command(grid_file: Path, out: Path) -> None:
    """Modèle de tableur (XLSX) d'une grille, à remplir puis importer."""
    from assessment.exchange import template_xlsx

    if out.suffix.lower() != ".xlsx":
        raise click.ClickException(typo("Le modèle s'écrit dans un fichier .xlsx."))
    grid = load_grid(grid_file)
    _write(out, template_xlsx(grid))
    click.echo(typo(f"{out} : modèle de « {grid.id} » version {grid.version}."))


@click.group("answers")
def answers_group() -> None:
    """Réponses d'une auto-évaluation en fichier : export JSON, import XLSX ou JSON."""


@answers_group.command("export")
@click.option("--org", "organisation_id", type=int, required=True, help="N° de l'organisation.")
@click.option("--campaign", "year", type=int, required=True, help="Année de la campagne.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Fichier .json."
)
@_user_errors
def answers_export(organisation_id: int, year: int, out: Path) -> None:
    """Exporte une auto-évaluation (grille et version, réponses, justificatifs, thèmes non
    traités) en JSON, pour l'importer dans une autre installation."""
    from assessment.exchange import export_answers

    engine = startup.open_database()
    data = export_answers(engine, Actor.system(), organisation_id, year)
    _write(out, data)
    click.echo(typo(f"{out} : auto-évaluation {year} de l'organisation n° {organisation_id}."))


@answers_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "organisation_id", type=int, required=True, help="N° de l'organisation.")
@click.option("--campaign", "year", type=int, required=True, help="Année de la campagne.")
@click.option("--dry-run", is_flag=True, help="Vérifie et montre ce qui changerait, sans écrire.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Remplace aussi les réponses déjà saisies en ligne qui diffèrent du fichier.",
)
@_user_errors
def answers_import(
    file: Path, organisation_id: int, year: int, dry_run: bool, overwrite: bool
) -> None:
    """Importe un modèle de tableur rempli (.xlsx) ou un export JSON dans le brouillon de
    l'auto-évaluation : tout ou rien, chaque cellule qui ne convient pas signalée."""
    from assessment.exchange import apply_import, conflict_lines, plan_file

    kind = IMPORT_KINDS.get(file.suffix.lower())
    if kind is None:
        raise click.ClickException(typo("Fichier .xlsx (modèle de tableur) ou .json attendu."))
    engine = startup.open_database()
    actor = Actor.system()
    plan = plan_file(engine, actor, organisation_id, year, file.read_bytes(), kind=kind)
    for note in plan.notes:
        click.echo(note)
    for change in plan.changes:
        mark = "!" if change.conflict else "+"
        horizon = f" ({change.horizon})" if change.horizon else ""
        click.echo(
            typo(
                f"{mark} {change.where} — {change.section} — {change.question}{horizon}, "
                f"{change.field} : {change.old} → {change.new}"
            )
        )
    click.echo(plan.summary())
    if dry_run:
        if plan.conflicts and not overwrite:
            click.echo(
                typo(
                    "Les cellules marquées « ! » diffèrent de ce qui est saisi en ligne : "
                    "l'import les refusera sans --overwrite."
                )
            )
        click.echo(typo("Essai (--dry-run) : rien n'a été écrit."))
        return
    if plan.conflicts and not overwrite:
        for line in conflict_lines(plan):
            click.echo(line, err=True)
        raise click.ClickException(
            typo(
                f"{plural(len(plan.conflicts), 'cellule')} déjà "
                f"{'remplie' if len(plan.conflicts) == 1 else 'remplies'} en ligne autrement : "
                "rien n'a été importé. Relancez avec --overwrite pour les remplacer."
            )
        )
    if plan.is_empty:
        return
    revision = apply_import(engine, actor, plan, overwrite=overwrite)
    click.echo(typo(f"Import terminé (révision {revision})."))


COMMANDS: list[click.Command] = [report_command, template_command, answers_group]

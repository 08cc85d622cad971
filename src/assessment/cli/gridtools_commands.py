"""``assessment grids diff`` and ``assessment grids dry-run``: the national body's grid
tools outside the app.

Thin adapters over :mod:`assessment.gridtools` -- the same functions as the
« Grilles et campagnes » page.  ``dry-run`` reads the settings' database as the
operator and prints protected aggregates only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assessment import startup
from assessment.db import NotFound, dispose_engines
from assessment.errors import UserError
from assessment.grid import Grid
from assessment.grid_store import check_source, previous_version
from assessment.gridfile import load_grid_file
from assessment.gridtools.diff import diff_grids
from assessment.gridtools.dryrun import campaign_by_year, dry_run, summary_lines
from assessment.permissions import Actor
from assessment.settings import SettingsError

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _grid(path: Path, previous: Grid | None = None) -> Grid:
    """The grid of ``path`` (``replaces`` checked against ``previous``), or exit 1."""
    loaded = load_grid_file(path)
    if loaded.grid is not None and not loaded.problems:
        loaded = check_source(path.read_text(encoding="utf-8-sig"), str(path), previous)
    if loaded.grid is None or loaded.problems:
        for problem in loaded.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    return loaded.grid


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group("grids")
def grids_group() -> None:
    """Outils des versions de grille : différences, essai sur une campagne."""


@grids_group.command("diff")
@click.argument("old", type=_FILE)
@click.argument("new", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def diff_command(old: Path, new: Path, as_json: bool) -> None:
    """Affiche ce qui change de OLD.yaml à NEW.yaml : items et questions ajoutés,
    supprimés, remplacés, reformulés, repondérés, niveaux et conditions modifiés."""
    before = _grid(old)
    after = _grid(new)
    if after.id == before.id:  # a next version: its ``replaces`` must point into OLD
        after = _grid(new, before)
    result = diff_grids(before, after)
    if as_json:
        _echo_json(result.to_dict())
        return
    click.echo(f"{result.old} → {result.new} : {result.summary()}")
    for change in result.changes:
        click.echo(f"  {change.sentence}")


@grids_group.command("dry-run")
@click.argument("draft", type=_FILE)
@click.option("--campaign", "year", type=int, required=True, help="Année de la campagne.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def dry_run_command(draft: Path, year: int, as_json: bool) -> None:
    """Essaie DRAFT.yaml sur les réponses soumises de la campagne YEAR : scores qui
    changeraient, moyennes régionales, questions qui perdent leur historique
    (agrégats protégés uniquement)."""
    try:
        engine = startup.open_database()
        loaded = _grid(draft)
        previous = previous_version(engine, loaded.id, loaded.version)
        grid = _grid(draft, previous)
        campaign = campaign_by_year(engine, year)
        result = dry_run(engine, Actor.system(), grid, campaign)
    except (UserError, NotFound, SettingsError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        dispose_engines()
    if as_json:
        _echo_json(result.to_dict())
        return
    for line in summary_lines(result):
        click.echo(line)


COMMANDS: list[click.Command] = [grids_group]

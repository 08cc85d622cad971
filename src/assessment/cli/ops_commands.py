"""Operations commands: ``backup`` and ``restore`` of the embedded SQLite database.

A thin adapter over :mod:`assessment.backup`.  PostgreSQL is backed up with
``pg_dump`` (see ``docs/deployment.md``): the commands say so.
"""

from __future__ import annotations

from pathlib import Path

import click

from assessment import french
from assessment.backup import BackupError, backup_sqlite, restore_sqlite
from assessment.settings import SettingsError, get_settings


def _size(size_bytes: int) -> str:
    return french.with_unit(size_bytes / 1_000_000, "Mo", decimals=1)


@click.command("backup")
@click.option(
    "--out",
    "destination",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier de sauvegarde à créer (jamais écrasé).",
)
def backup_command(destination: Path) -> None:
    """Sauvegarde à chaud la base SQLite (API de sauvegarde en ligne de SQLite)."""
    try:
        info = backup_sqlite(get_settings().resolved_database_url, destination)
    except (BackupError, SettingsError) as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"Sauvegarde écrite : {info.path} ({_size(info.size_bytes)}, "
        f"schéma {info.revision or 'inconnu'}), contrôle d'intégrité réussi."
    )


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
def restore_command(backup: Path, yes: bool) -> None:
    """Remplace la base SQLite par une sauvegarde (arrêtez l'application avant)."""
    url = get_settings().resolved_database_url
    if not yes:
        click.confirm(
            "La base actuelle sera remplacée par la sauvegarde. L'application est-elle arrêtée ?",
            abort=True,
        )
    try:
        info = restore_sqlite(backup, url)
    except (BackupError, SettingsError) as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"Base restaurée : {info.path} (schéma {info.revision}) ; "
        "`assessment db upgrade` la mettra à jour si besoin."
    )


COMMANDS = [backup_command, restore_command]

"""``assessment bench``: a thin adapter over :func:`assessment.privacy.bench.run`."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("bench")
@click.option("--orgs", type=click.IntRange(50), default=20_000, show_default=True,
              help="Nombre d'organisations de démonstration générées.")  # fmt: skip
@click.option("--campaigns", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Nombre de campagnes annuelles.")  # fmt: skip
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Écrit chaque mesure et chaque ratio dans ce fichier JSON.")  # fmt: skip
@click.option("--database-url", default=None,
              help="Base vide à utiliser (par défaut : un fichier SQLite temporaire).")  # fmt: skip
@click.option("--repeat", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Mesures par opération (la médiane est retenue).")  # fmt: skip
@click.option("--reuse", is_flag=True,
              help="La base --database-url contient déjà les données (un banc précédent, "
                   "seed-demo) : mesurer sans les générer ; --orgs et --campaigns sont "
                   "alors lus dans la base.")  # fmt: skip
def bench_command(
    orgs: int,
    campaigns: int,
    json_file: Path | None,
    database_url: str | None,
    repeat: int,
    reuse: bool,
) -> None:
    """Mesure les agrégats protégés face à DuckDB (GROUP BY en mémoire, même exécution)."""
    from assessment.privacy.bench import BenchError, run

    if reuse and database_url is None:
        raise click.UsageError("--reuse demande --database-url (une base déjà remplie).")
    try:
        result = run(
            orgs=orgs,
            campaigns=campaigns,
            database_url=database_url,
            repeat=repeat,
            progress=lambda message: click.echo(message, err=True),
            reuse=reuse,
        )
    except BenchError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(result.table())
    if json_file is not None:
        json_file.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")


COMMANDS = [bench_command]

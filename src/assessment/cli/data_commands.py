"""Database commands: ``db upgrade``, ``db reset-demo``, ``users add``, ``orgs import``,
``seed-demo``.

A thin adapter over :mod:`assessment.startup`, :mod:`assessment.accounts`,
:mod:`assessment.organisations` and :mod:`assessment.demo`.  The database is
the one of the settings (``DATABASE_URL``, ``assessment.toml`` ...); commands
act as the operator (``Actor.system()``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine

from assessment import demo_mark, startup
from assessment.accounts import AccountError, create_user
from assessment.db import NotFound, dispose_engines, get_engine
from assessment.grid_store import GridStoreError
from assessment.gridfile import GridError
from assessment.organisations import import_organisations_csv
from assessment.permissions import ROLE_LABELS_FR, Actor, Role
from assessment.regions import REGION_CODES, normalise_region
from assessment.settings import SettingsError, get_settings

PASSWORD_ENV = "ASSESSMENT_PASSWORD"
F = TypeVar("F", bound=Callable[..., Any])


def _friendly_errors(func: F) -> F:
    """French one-line errors instead of tracebacks; engines closed on the way out."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (
            SettingsError,
            AccountError,
            GridStoreError,
            NotFound,
            demo_mark.DemoDatabaseError,
        ) as exc:
            raise click.ClickException(str(exc)) from exc
        except GridError as exc:
            raise click.ClickException(f"Grille refusée :\n{exc}") from exc
        finally:
            dispose_engines()

    return wrapper  # type: ignore[return-value]


def _database() -> Engine:
    """The settings' database, migrated and with the grids folder synced; production
    mode refuses a demo database."""
    engine = startup.open_database()
    demo_mark.check_mode(engine, get_settings().mode)
    return engine


# ---------------------------------------------------------------------------
# db
# ---------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Base de données : création et mise à jour du schéma."""


@db_group.command("upgrade")
@_friendly_errors
def db_upgrade() -> None:
    """Crée ou met à jour le schéma (idempotent), calcule les scores manquants des
    auto-évaluations soumises et publie les grilles du dossier des grilles."""
    settings = get_settings()
    engine = get_engine()
    shown = [0]

    def progress(done: int) -> None:
        if done >= shown[0] + 10_000:
            shown[0] = done
            click.echo(f"  … scores de {done} auto-évaluations soumises")

    report = startup.prepare_database(engine, grids_dir=settings.grids_dir, progress=progress)
    click.echo(f"Schéma à jour : {engine.url.render_as_string(hide_password=True)}")
    if report.stored_scores:
        click.echo(f"Scores enregistrés pour {report.stored_scores} auto-évaluations soumises.")
    if settings.grids_dir.is_dir():
        for synced in report.synced:
            state = "publiée" if synced.added else "déjà à jour"
            click.echo(f"Grille {synced.grid_id} {synced.version} ({synced.source_name}) : {state}")
    else:
        click.echo(
            f"Dossier des grilles absent ({settings.grids_dir}) : aucune grille synchronisée."
        )


@db_group.command("reset-demo")
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@_friendly_errors
def db_reset_demo(yes: bool) -> None:
    """Vide une base de démonstration (organisations, comptes, campagnes, réponses…),
    les grilles publiées restent ; refuse une base qui n'est pas de démonstration."""
    engine = startup.open_database()
    if not demo_mark.is_demo(engine):
        raise click.ClickException(
            "Cette base n'est pas une base de démonstration : rien n'a été effacé."
        )
    if not yes:
        click.confirm("Effacer toutes les données de démonstration de cette base ?", abort=True)
    deleted = demo_mark.reset(engine)
    click.echo(
        f"Base de démonstration vidée ({deleted} lignes effacées) : elle peut recevoir de "
        "vraies données. Redémarrez l'application si elle tourne."
    )


# ---------------------------------------------------------------------------
# users
# ---------------------------------------------------------------------------


@click.group("users")
def users_group() -> None:
    """Comptes utilisateurs."""


_ROLE_CHOICES = [role.value for role in Role if role is not Role.SYSTEM]


@users_group.command("add")
@click.option("--email", required=True, help="Adresse e-mail (identifiant de connexion).")
@click.option(
    "--role",
    required=True,
    type=click.Choice(_ROLE_CHOICES),
    help="; ".join(f"{r} : {ROLE_LABELS_FR[Role(r)]}" for r in _ROLE_CHOICES),
)
@click.option(
    "--org", "organisation_id", type=int, help="N° de l'organisation (member, org_admin)."
)
@click.option("--region", help=f"Code de la région (regional) : {', '.join(REGION_CODES)}.")
@_friendly_errors
def users_add(email: str, role: str, organisation_id: int | None, region: str | None) -> None:
    """Crée un compte.  Le mot de passe est demandé deux fois, ou lu dans ASSESSMENT_PASSWORD."""
    if region is not None:
        region = normalise_region(region) or region
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        password = click.prompt(
            "Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe"
        )
    engine = _database()
    user_id = create_user(
        engine,
        Actor.system(),
        email=email,
        password=password,
        role=role,
        organisation_id=organisation_id,
        region=region,
    )
    click.echo(
        f"Compte n° {user_id} créé : {email.strip().lower()} ({ROLE_LABELS_FR[Role(role)]})."
    )


# ---------------------------------------------------------------------------
# orgs
# ---------------------------------------------------------------------------


@click.group("orgs")
def orgs_group() -> None:
    """Organisations."""


@orgs_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_friendly_errors
def orgs_import(file: Path) -> None:
    """Importe des organisations depuis un CSV (tout ou rien).

    Colonnes : name,siren,rna,region,legal_family,size_band,sector ; UTF-8 (avec
    ou sans BOM) ; séparateur « , » ou « ; ».
    """
    engine = _database()
    result = import_organisations_csv(engine, Actor.system(), file.read_bytes())
    if not result.ok:
        for problem in result.problems:
            click.echo(problem, err=True)
        count = len(result.problems)
        raise click.ClickException(
            f"{count} problème{'s' if count > 1 else ''} : aucune organisation importée."
        )
    click.echo(f"{result.imported} organisation{'s' if result.imported > 1 else ''} importée"
               f"{'s' if result.imported > 1 else ''}.")  # fmt: skip


# ---------------------------------------------------------------------------
# seed-demo
# ---------------------------------------------------------------------------


@click.command("seed-demo")
@click.option("--orgs", "orgs", type=click.IntRange(1), default=200, show_default=True,
              help="Nombre d'organisations.")  # fmt: skip
@click.option("--campaigns", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Nombre de campagnes annuelles (la dernière est ouverte).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True,
              help="Graine : les mêmes options donnent les mêmes données.")  # fmt: skip
@_friendly_errors
def seed_demo_command(orgs: int, campaigns: int, seed: int) -> None:
    """Charge des données de démonstration réalistes et un compte de démonstration par rôle."""
    from assessment.demo import (
        DEMO_ACCOUNTS,
        DEMO_PASSWORD,
        SeedError,
        create_demo_accounts,
        seed_demo,
    )

    if get_settings().mode == "production":
        raise click.ClickException(
            "Mode production (ASSESSMENT_MODE=production) : pas de données de démonstration."
        )
    engine = _database()
    try:
        report = seed_demo(
            engine,
            orgs=orgs,
            campaigns=campaigns,
            seed=seed,
            progress=lambda message: click.echo(f"  … {message}"),
        )
    except SeedError as exc:
        raise click.ClickException(str(exc)) from exc
    create_demo_accounts(engine)
    click.echo(
        f"{report.organisations} organisations, {report.campaigns} campagnes, "
        f"{report.assessments} auto-évaluations, {report.answers} réponses, "
        f"{report.actions} actions en {report.seconds:.1f} s."
    )
    click.echo(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email:<22} {account.label}")


COMMANDS: list[click.Command] = [db_group, users_group, orgs_group, seed_demo_command]

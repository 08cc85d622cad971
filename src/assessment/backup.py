"""Backups of the embedded SQLite database, and their restore.

* :func:`backup_sqlite` copies a live database through SQLite's online backup
  API (:meth:`sqlite3.Connection.backup`): a consistent snapshot even while
  the app is writing, never a half-copied file.  The copy is checked
  (``PRAGMA integrity_check``) before it is reported done.
* :func:`restore_sqlite` puts a backup back in place of the settings'
  database, with the app stopped: it checks that the file is an SQLite
  database of this product (an Alembic revision this version knows), then
  copies it through the same backup API, so the target is replaced whole or
  not at all.
* PostgreSQL is backed up with its own tools (``pg_dump -Fc`` and
  ``pg_restore``, see ``docs/deployment.md``): :class:`BackupError` says so.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import make_url

from assessment.errors import UserError

PAGES_PER_STEP = 1024
"""Pages copied per backup step; the lock is released between steps."""


class BackupError(UserError):
    """A backup or restore that cannot be done (French message)."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size_bytes: int
    revision: str | None


def sqlite_path(url: str) -> Path:
    """The file of an SQLite URL; :class:`BackupError` for another engine."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            "La base est sur PostgreSQL : sauvegardez-la avec pg_dump "
            "(pg_dump -Fc -f sauvegarde.dump NOM_DE_LA_BASE) et restaurez-la avec pg_restore ; "
            "voir docs/deployment.md."
        )
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Cette base SQLite n'est pas un fichier : rien à sauvegarder.")
    return Path(database).expanduser()


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return None if row is None else str(row[0])


def _check(conn: sqlite3.Connection, what: Path) -> None:
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} n'est pas une base SQLite lisible ({exc}).") from exc
    if result is None or result[0] != "ok":
        raise BackupError(f"{what} est endommagé (contrôle d'intégrité : {result}).")


def backup_sqlite(url: str, destination: Path) -> BackupInfo:
    """Copy the live SQLite database of ``url`` to ``destination`` (not overwritten)."""
    source = sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"Base introuvable : {source}")
    destination = destination.expanduser()
    if destination.exists():
        raise BackupError(f"{destination} existe déjà : choisissez un autre nom.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst, pages=PAGES_PER_STEP)
        _check(dst, destination)
        revision = _revision(dst)
    src.close()
    dst.close()
    partial.replace(destination)
    return BackupInfo(destination, destination.stat().st_size, revision)


def _known_revisions() -> set[str]:
    from assessment.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def restore_sqlite(backup: Path, url: str) -> BackupInfo:
    """Replace the SQLite database of ``url`` by ``backup`` (stop the app first).

    Refused, with nothing changed, when ``backup`` is not a sound SQLite
    database of this product or was made by a newer version (unknown
    migration).  An older backup is migrated on the next start.
    """
    backup = backup.expanduser()
    if not backup.is_file():
        raise BackupError(f"Sauvegarde introuvable : {backup}")
    target = sqlite_path(url)
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as src:
        _check(src, backup)
        revision = _revision(src)
        if revision is None:
            raise BackupError(f"{backup} n'est pas une sauvegarde de cette application.")
        if revision not in _known_revisions():
            raise BackupError(
                f"{backup} vient d'une version plus récente de l'application "
                f"(migration {revision}) : restaurez-la avec cette version."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(target) as dst:
            src.backup(dst, pages=PAGES_PER_STEP)
            _check(dst, target)
        dst.close()
    src.close()
    return BackupInfo(target, target.stat().st_size, revision)

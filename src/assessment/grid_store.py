"""Grid versions in the database: drafts edited by the national council, published ones.

The YAML source of every version is stored; a *published* version is immutable
(campaigns and assessments refer to it by ``grid_id`` + ``version``, and keep
answering against it when a newer version is published).  On start the YAML
files of the grids folder (``guide/`` by default) are synced in as published:
idempotent, and a file whose id and version are already published with other
content is refused (change its version number).

Grid reads (:func:`get_grid`, :func:`latest_version`) need no actor: published
grids are public.  Drafts are only seen and changed by the national council
(``Action.MANAGE_GRIDS``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.grid import Grid
from assessment.gridfile import GridError, GridLoadResult, check_grid_dir, load_grid_text
from assessment.permissions import Action, Actor, can, require
from assessment.tables import GridVersion, utcnow
from assessment.text_input import GRID_SOURCE, SHORT_TEXT, clean_text

DEFAULT_GRID_ID = "guide-bonnes-pratiques-ess"
PUBLISHED = "published"
DRAFT = "draft"
_CACHE_SIZE = 32


class GridStoreError(UserError, ValueError):
    """A grid version that cannot be stored or published (French message)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
        if self.problems:  # str() lists the grid's problems too
            self.args = (message + "\n" + "\n".join(self.problems),)


@dataclass(frozen=True, slots=True)
class GridVersionInfo:
    grid_id: str
    version: str
    status: Literal["draft", "published"]
    title: str
    source_name: str
    created_at: datetime
    created_by: int | None
    published_at: datetime | None
    published_by: int | None


@dataclass(frozen=True, slots=True)
class SyncedGrid:
    grid_id: str
    version: str
    source_name: str
    added: bool
    """False when the same version was already published with the same content."""


def content_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# parsed-grid cache: published versions never change, so (id, version, hash) is a safe key
# ---------------------------------------------------------------------------

_cache: OrderedDict[str, Grid] = OrderedDict()
_published: dict[tuple[str, str, str], str] = {}
"""``(database, grid id, version)`` → content hash of a published version (never changes):
a cached grid is returned without a query, so a write transaction that needs
its grid does not wait for a second connection."""
_cache_lock = threading.Lock()


def _parse_cached(source: str, digest: str, name: str) -> Grid:
    with _cache_lock:
        grid = _cache.get(digest)
        if grid is not None:
            _cache.move_to_end(digest)
            return grid
    result = load_grid_text(source, name)
    if not result.ok or result.grid is None:
        raise GridStoreError(
            f"La grille enregistrée « {name} » ne se lit plus.", [str(p) for p in result.problems]
        )
    with _cache_lock:
        _cache[digest] = result.grid
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result.grid


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _published.clear()


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def get_grid(engine: Engine, grid_id: str, version: str) -> Grid:
    """A published grid version (parsed once per process)."""
    key = (engine.url.render_as_string(hide_password=False), grid_id, version)
    with _cache_lock:
        digest = _published.get(key)
        known = _cache.get(digest) if digest is not None else None
    if known is not None:
        return known
    with read_session(engine) as session:
        row = session.execute(
            select(GridVersion.content_hash, GridVersion.status, GridVersion.source_name).where(
                GridVersion.grid_id == grid_id, GridVersion.version == version
            )
        ).first()
        if row is None or row.status != PUBLISHED:
            raise NotFound(f"La grille {grid_id} version {version} n'est pas publiée.")
        with _cache_lock:
            cached = _cache.get(row.content_hash)
            if cached is not None:
                _published[key] = row.content_hash
        if cached is not None:
            return cached
        source = session.scalar(
            select(GridVersion.source).where(
                GridVersion.grid_id == grid_id, GridVersion.version == version
            )
        )
    assert source is not None
    grid = _parse_cached(source, row.content_hash, row.source_name or f"{grid_id}@{version}")
    with _cache_lock:
        _published[key] = row.content_hash
    return grid


def get_grid_source(engine: Engine, actor: Actor, grid_id: str, version: str) -> str:
    """The YAML text of a version (published: anyone; draft: the national council)."""
    with read_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status != PUBLISHED:
            require(actor, Action.MANAGE_GRIDS)
        return row.source


def latest_version(engine: Engine, grid_id: str = DEFAULT_GRID_ID) -> str:
    """The most recently published version of a grid."""
    with read_session(engine) as session:
        version = session.scalar(
            select(GridVersion.version)
            .where(GridVersion.grid_id == grid_id, GridVersion.status == PUBLISHED)
            .order_by(GridVersion.published_at.desc(), GridVersion.id.desc())
            .limit(1)
        )
    if version is None:
        raise NotFound(f"Aucune version publiée de la grille {grid_id}.")
    return version


def list_grid_versions(engine: Engine, actor: Actor) -> list[GridVersionInfo]:
    """Published versions for everyone, and drafts for the national council."""
    query = select(GridVersion).order_by(GridVersion.grid_id, GridVersion.created_at)
    if not can(actor, Action.MANAGE_GRIDS):
        query = query.where(GridVersion.status == PUBLISHED)
    with read_session(engine) as session:
        return [_info(row) for row in session.scalars(query)]


def _title(source: str) -> str:
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError:
        return ""
    title = data.get("title") if isinstance(data, dict) else None
    if isinstance(title, dict):
        title = title.get("fr") or next(iter(title.values()), "")
    return str(title or "")


def _info(row: GridVersion) -> GridVersionInfo:
    return GridVersionInfo(
        grid_id=row.grid_id,
        version=row.version,
        status="published" if row.status == PUBLISHED else "draft",
        title=_title(row.source),
        source_name=row.source_name,
        created_at=row.created_at,
        created_by=row.created_by,
        published_at=row.published_at,
        published_by=row.published_by,
    )


def _load(session: Session, grid_id: str, version: str) -> GridVersion:
    row = session.scalar(
        select(GridVersion).where(GridVersion.grid_id == grid_id, GridVersion.version == version)
    )
    if row is None:
        raise NotFound(f"La grille {grid_id} version {version} est introuvable.")
    return row


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def _store_published(
    session: Session, grid: Grid, source: str, source_name: str, user_id: int | None
) -> bool:
    """Insert a published version; False if identical already there, error if different."""
    digest = content_hash(source)
    existing = session.scalar(
        select(GridVersion).where(
            GridVersion.grid_id == grid.id, GridVersion.version == grid.version
        )
    )
    if existing is not None:
        if existing.status == PUBLISHED and existing.content_hash == digest:
            return False
        if existing.status == PUBLISHED:
            raise GridStoreError(
                f"La grille {grid.id} version {grid.version} ({source_name}) est déjà publiée "
                "avec un contenu différent : une version publiée ne change plus, "
                "donnez un nouveau numéro de version (champ « version: ») au fichier."
            )
        raise GridStoreError(
            f"La grille {grid.id} version {grid.version} ({source_name}) existe en brouillon "
            "dans la base : publiez ou supprimez ce brouillon, ou changez de numéro de version."
        )
    now = utcnow()
    session.add(
        GridVersion(
            grid_id=grid.id,
            version=grid.version,
            source=source,
            source_name=source_name,
            content_hash=digest,
            status=PUBLISHED,
            created_at=now,
            created_by=user_id,
            updated_at=now,
            published_at=now,
            published_by=user_id,
        )
    )
    return True


def _read_source(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


def sync_grids_from_dir(engine: Engine, path: str | Path) -> list[SyncedGrid]:
    """Publish every grid file of ``path`` not yet in the database (idempotent).

    Raises :class:`~assessment.gridfile.GridError` when a file does not load,
    :class:`GridStoreError` when a published version has different content.
    """
    outcome = check_grid_dir(path)
    if outcome.problems:
        raise GridError(outcome.problems)
    synced: list[SyncedGrid] = []
    try:
        with write_session(engine) as session:
            for result in outcome.results:
                grid = result.grid
                assert grid is not None
                source = _read_source(Path(result.source))
                name = Path(result.source).name
                added = _store_published(session, grid, source, name, None)
                synced.append(SyncedGrid(grid.id, grid.version, name, added))
    except IntegrityError:  # another process synced the same files at the same time
        return sync_grids_from_dir(engine, path)
    return synced


def _clean_source(source: str, source_name: str) -> tuple[str, str]:
    """A grid's YAML text and file name, as typed or uploaded, through the one text rule."""
    return (
        clean_text(source, "Grille", GRID_SOURCE, error=GridStoreError),
        clean_text(source_name, "Nom du fichier", SHORT_TEXT, error=GridStoreError),
    )


def _check_source(source: str, name: str) -> GridLoadResult:
    return load_grid_text(source, name)


def _id_and_version(source: str) -> tuple[str, str]:
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict) or not data.get("id") or not data.get("version"):
        raise GridStoreError(
            "Un brouillon de grille doit au moins avoir un identifiant (« id: ») "
            "et une version (« version: ») lisibles."
        )
    return str(data["id"]), str(data["version"])


def save_draft(
    engine: Engine, actor: Actor, source: str, *, source_name: str = ""
) -> GridLoadResult:
    """Create or replace the draft for the ``id``/``version`` written in ``source``.

    A draft may still have problems (they are returned, not raised); it needs a
    readable id and version, and that version must not be published already.
    """
    require(actor, Action.MANAGE_GRIDS)
    source, source_name = _clean_source(source, source_name)
    grid_id, version = _id_and_version(source)
    name = source_name or f"{grid_id}@{version}"
    result = _check_source(source, name)
    now = utcnow()
    try:
        with write_session(engine) as session:
            row = session.scalar(
                select(GridVersion).where(
                    GridVersion.grid_id == grid_id, GridVersion.version == version
                )
            )
            if row is not None and row.status == PUBLISHED:
                raise GridStoreError(
                    f"La grille {grid_id} version {version} est publiée : elle ne peut plus "
                    "changer. Donnez un nouveau numéro de version au brouillon."
                )
            if row is None:
                row = GridVersion(
                    grid_id=grid_id,
                    version=version,
                    status=DRAFT,
                    created_at=now,
                    created_by=actor.user_id,
                )
                session.add(row)
            row.source = source
            row.source_name = name
            row.content_hash = content_hash(source)
            row.updated_at = now
    except IntegrityError as exc:
        raise GridStoreError(
            f"La grille {grid_id} version {version} vient d'être enregistrée par ailleurs."
        ) from exc
    return result


def delete_draft(engine: Engine, actor: Actor, grid_id: str, version: str) -> None:
    require(actor, Action.MANAGE_GRIDS)
    with write_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status == PUBLISHED:
            raise GridStoreError(f"La grille {grid_id} version {version} est publiée.")
        session.delete(row)


def publish(engine: Engine, actor: Actor, grid_id: str, version: str) -> Grid:
    """Publish a draft after validating it; it becomes immutable."""
    require(actor, Action.MANAGE_GRIDS)
    with write_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status == PUBLISHED:
            raise GridStoreError(f"La grille {grid_id} version {version} est déjà publiée.")
        result = _check_source(row.source, row.source_name or f"{grid_id}@{version}")
        if not result.ok or result.grid is None:
            raise GridStoreError(
                f"La grille {grid_id} version {version} ne peut pas être publiée :",
                [str(p) for p in result.problems],
            )
        grid = result.grid
        if (grid.id, grid.version) != (grid_id, version):
            raise GridStoreError("L'identifiant ou la version du brouillon ne correspondent plus.")
        now = utcnow()
        row.status = PUBLISHED
        row.published_at = row.updated_at = now
        row.published_by = actor.user_id
        return grid


def publish_source(engine: Engine, actor: Actor, source: str, *, source_name: str = "") -> Grid:
    """Validate and publish YAML text in one step (national council or operator)."""
    require(actor, Action.MANAGE_GRIDS)
    source, source_name = _clean_source(source, source_name)
    result = _check_source(source, source_name or "<grille>")
    if not result.ok or result.grid is None:
        raise GridStoreError(
            "Cette grille ne peut pas être publiée :", [str(p) for p in result.problems]
        )
    with write_session(engine) as session:
        # an identical version already published is fine: nothing to do
        _store_published(
            session, result.grid, source, source_name or result.grid.key, actor.user_id
        )
    return result.grid

"""Grid versions in the database: drafts edited by the national council, published ones.

The YAML source of every version is stored as written (comments and key order
included); a *published* version is immutable (campaigns and assessments refer
to it by ``grid_id`` + ``version``, and keep answering against it when a newer
version is published).  A published version may be *retired*: no new campaign
may use it, but its assessments stay readable and scorable.  A draft records
the version it was made from (``based_on``): its diff, dry run and
``replaces`` references are checked against that version.  On start the YAML
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
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment import national_audit
from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.grid import Grid, format_path, lineage_issues, text
from assessment.gridfile import (
    MAX_BYTES,
    GridError,
    GridLoadResult,
    GridProblem,
    check_grid_dir,
    load_grid_text,
)
from assessment.gridtools.roundtrip import UNREADABLE_CODES, set_version
from assessment.messages import did_you_mean, render
from assessment.permissions import Action, Actor, can, require
from assessment.tables import GridVersion, User, utcnow
from assessment.text_input import GRID_SOURCE, SHORT_TEXT, clean_text

DEFAULT_GRID_ID = "guide-bonnes-pratiques-ess"
PUBLISHED = "published"
DRAFT = "draft"
RETIRED = "retired"
"""Shown for a published version whose ``retired_at`` is set (stored status: published)."""
READABLE = (PUBLISHED,)
"""Stored statuses whose grid answers may be read and scored against (retired included)."""
Status = Literal["draft", "published", "retired"]
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
    status: Status
    title: str
    source_name: str
    created_at: datetime
    created_by: int | None
    published_at: datetime | None
    published_by: int | None
    based_on: str | None = None
    updated_at: datetime | None = None
    retired_at: datetime | None = None
    changed_at: datetime | None = None
    """When it last changed (created, saved, published or retired)."""
    changed_by: str = ""
    """Who made that change (an e-mail address; empty for the operator's files)."""

    @property
    def key(self) -> str:
        return f"{self.grid_id}@{self.version}"


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
        _headers.clear()


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def get_grid(engine: Engine, grid_id: str, version: str) -> Grid:
    """A published (or retired) grid version (parsed once per process; a published
    version never changes)."""
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
        if row is None or row.status not in READABLE:
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


def published_grids(engine: Engine, grid_id: str) -> list[Grid]:
    """Every published (or retired) version of a grid, oldest first: what a
    :class:`~assessment.gridtools.lineage.Lineage` of the grid is built from."""
    with read_session(engine) as session:
        versions = list(
            session.scalars(
                select(GridVersion.version)
                .where(GridVersion.grid_id == grid_id, GridVersion.status.in_(READABLE))
                .order_by(GridVersion.published_at, GridVersion.id)
            )
        )
    return [get_grid(engine, grid_id, v) for v in versions]


def get_grid_source(engine: Engine, actor: Actor, grid_id: str, version: str) -> str:
    """The YAML text of a version (published: anyone; draft: the national council)."""
    with read_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status not in READABLE:
            require(actor, Action.MANAGE_GRIDS)
        return row.source


def latest_version(engine: Engine, grid_id: str = DEFAULT_GRID_ID) -> str:
    """The most recently published version of a grid."""
    with read_session(engine) as session:
        version = session.scalar(
            select(GridVersion.version)
            .where(
                GridVersion.grid_id == grid_id,
                GridVersion.status == PUBLISHED,
                GridVersion.retired_at.is_(None),
            )
            .order_by(GridVersion.published_at.desc(), GridVersion.id.desc())
            .limit(1)
        )
    if version is None:
        raise NotFound(f"Aucune version publiée de la grille {grid_id}.")
    return version


def list_grid_versions(engine: Engine, actor: Actor) -> list[GridVersionInfo]:
    """Published (and retired) versions for everyone; drafts, and who changed each
    version, for the national council."""
    query = select(GridVersion).order_by(GridVersion.grid_id, GridVersion.created_at)
    manager = can(actor, Action.MANAGE_GRIDS)
    if not manager:
        query = query.where(GridVersion.status.in_(READABLE))
    with read_session(engine) as session:
        rows = list(session.scalars(query))
        emails: dict[int, str] = {}
        if manager:
            ids = {
                i
                for r in rows
                for i in (r.created_by, r.updated_by, r.published_by, r.retired_by)
                if i is not None
            }
            if ids:
                emails = {
                    uid: email
                    for uid, email in session.execute(
                        select(User.id, User.email).where(User.id.in_(ids))
                    )
                }
        return [_info(row, emails if manager else None) for row in rows]


_headers: OrderedDict[str, dict[str, str]] = OrderedDict()


def _header(source: str) -> dict[str, str]:
    """``id``, ``version`` and French ``title`` of a grid text, even a broken one.

    The bounded safe loader reads it first; only when it found no size, depth or
    alias problem are the top-level scalars read from the composed node tree
    (composing never expands aliases).  Memoised per content.
    """
    digest = content_hash(source)
    with _cache_lock:
        known = _headers.get(digest)
    if known is not None:
        return known
    header: dict[str, str] = {}
    result = load_grid_text(source)
    if result.grid is not None:
        grid = result.grid
        header = {"id": grid.id, "version": grid.version, "title": text(grid.title)}
    elif not any(p.code in UNREADABLE_CODES or p.code.startswith("yaml_") for p in result.problems):
        try:
            node = yaml.compose(source, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            node = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in ("id", "version", "title"):
                    if isinstance(value, yaml.ScalarNode) and value.value:
                        header[key.value] = value.value
                    elif isinstance(value, yaml.MappingNode) and key.value == "title":
                        header["title"] = next(
                            (
                                v.value
                                for k, v in value.value
                                if isinstance(v, yaml.ScalarNode) and k.value == "fr"
                            ),
                            "",
                        )
    with _cache_lock:
        _headers[digest] = header
        while len(_headers) > 256:
            _headers.popitem(last=False)
    return header


def _title(source: str) -> str:
    return _header(source).get("title", "")


def _last_change(row: GridVersion) -> tuple[datetime, int | None]:
    changes: list[tuple[datetime, int | None]] = [
        (row.created_at, row.created_by),
        (row.updated_at, row.updated_by if row.updated_by is not None else row.created_by),
    ]
    if row.published_at is not None:
        changes.append((row.published_at, row.published_by))
    if row.retired_at is not None:
        changes.append((row.retired_at, row.retired_by))
    return max(changes, key=lambda change: change[0])


def _info(row: GridVersion, emails: dict[int, str] | None = None) -> GridVersionInfo:
    status: Status = (
        "draft"
        if row.status != PUBLISHED
        else "retired"
        if row.retired_at is not None
        else "published"
    )
    changed_at, changed_by = _last_change(row)
    return GridVersionInfo(
        grid_id=row.grid_id,
        version=row.version,
        status=status,
        title=_title(row.source),
        source_name=row.source_name,
        created_at=row.created_at,
        created_by=row.created_by,
        published_at=row.published_at,
        published_by=row.published_by,
        based_on=row.based_on,
        updated_at=row.updated_at,
        retired_at=row.retired_at,
        changed_at=changed_at,
        changed_by=(emails or {}).get(changed_by, "") if changed_by is not None else "",
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
    # only the columns needed: this runs on start, before and after any migration
    existing = session.execute(
        select(GridVersion.status, GridVersion.content_hash).where(
            GridVersion.grid_id == grid.id, GridVersion.version == grid.version
        )
    ).first()
    if existing is not None:
        if existing.status in READABLE and existing.content_hash == digest:
            return False
        if existing.status in READABLE:
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
    session.execute(  # a Core insert names only these columns (see above)
        insert(GridVersion).values(
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


def previous_version(
    engine: Engine, grid_id: str, version: str, based_on: str | None = None
) -> Grid | None:
    """The version ``grid_id@version`` follows: ``based_on`` when it is readable, else the
    latest published version of the same grid other than itself (``None``: a first version).
    """
    with read_session(engine) as session:
        candidates = [
            (row.version, row.status, row.retired_at)
            for row in session.execute(
                select(GridVersion.version, GridVersion.status, GridVersion.retired_at)
                .where(GridVersion.grid_id == grid_id, GridVersion.version != version)
                .order_by(GridVersion.published_at.desc(), GridVersion.id.desc())
            )
        ]
    readable = [c for c in candidates if c[1] in READABLE]
    chosen = next((c[0] for c in readable if c[0] == based_on), None)
    if chosen is None:
        chosen = next((c[0] for c in readable if c[2] is None), None)
    return get_grid(engine, grid_id, chosen) if chosen is not None else None


def lineage_problems(result: GridLoadResult, previous: Grid | None) -> list[GridProblem]:
    """``replaces`` references of a loaded grid that ``previous`` does not have."""
    if result.grid is None or previous is None:
        return []
    problems = []
    for issue in lineage_issues(result.grid, previous):
        line, column = result.locate(issue.path)
        known = issue.params.get("known", [])
        message = render(
            issue.code,
            id=issue.params["id"],
            version=issue.params["version"],
            suggestion=did_you_mean(issue.params["id"], known),
        )
        path = format_path(issue.path)
        problems.append(
            GridProblem(issue.code, f"{path} : {message}", result.source, line, column, path)
        )
    return problems


def check_source(
    source: str, name: str = "<grille>", previous: Grid | None = None
) -> GridLoadResult:
    """Every problem of a grid's text: the safe loader's, then ``replaces`` against
    ``previous`` (the version it follows)."""
    result = load_grid_text(source, name)
    extra = lineage_problems(result, previous)
    if extra:
        result.problems = sorted([*result.problems, *extra], key=lambda p: (p.line, p.column))
    return result


def check_draft(
    engine: Engine, source: str, *, based_on: str | None = None, source_name: str = ""
) -> GridLoadResult:
    """:func:`check_source` with the previous version found in the database."""
    previous = None
    try:
        grid_id, version = id_and_version(source)
    except GridStoreError:
        pass
    else:
        previous = previous_version(engine, grid_id, version, based_on)
    return check_source(source, source_name or "<grille>", previous)


def id_and_version(source: str) -> tuple[str, str]:
    header = _header(source)
    if not header.get("id") or not header.get("version"):
        raise GridStoreError(
            "Un brouillon de grille doit au moins avoir un identifiant (« id: ») "
            "et une version (« version: ») lisibles."
        )
    return header["id"], header["version"]


def _latest_published(session: Session, grid_id: str) -> str | None:
    return session.scalar(
        select(GridVersion.version)
        .where(
            GridVersion.grid_id == grid_id,
            GridVersion.status == PUBLISHED,
            GridVersion.retired_at.is_(None),
        )
        .order_by(GridVersion.published_at.desc(), GridVersion.id.desc())
        .limit(1)
    )


def save_draft(
    engine: Engine,
    actor: Actor,
    source: str,
    *,
    source_name: str = "",
    based_on: str | None = None,
    replacing: tuple[str, str] | None = None,
) -> GridLoadResult:
    """Create or replace the draft for the ``id``/``version`` written in ``source``.

    A draft may still have problems (they are returned, not raised); it needs a
    readable id and version, and that version must not be published already.
    ``based_on``: the version it was made from (default: the one it already
    had, else the latest published version of that grid).  ``replacing``: the
    draft being edited, when its text now names another id or version (that
    old draft is removed in the same transaction).
    """
    require(actor, Action.MANAGE_GRIDS)
    source, source_name = _clean_source(source, source_name)
    _check_size(source)
    grid_id, version = id_and_version(source)
    name = source_name or f"{grid_id}@{version}"
    now = utcnow()
    try:
        with write_session(engine) as session:
            row = session.scalar(
                select(GridVersion).where(
                    GridVersion.grid_id == grid_id, GridVersion.version == version
                )
            )
            if row is not None and row.status != DRAFT:
                raise GridStoreError(
                    f"La grille {grid_id} version {version} est publiée : elle ne peut plus "
                    "changer. Donnez un nouveau numéro de version au brouillon."
                )
            if replacing is not None and replacing != (grid_id, version):
                old = session.scalar(
                    select(GridVersion).where(
                        GridVersion.grid_id == replacing[0],
                        GridVersion.version == replacing[1],
                        GridVersion.status == DRAFT,
                    )
                )
                if old is not None:
                    if replacing[0] == grid_id:
                        based_on = based_on or old.based_on
                    session.delete(old)
                    national_audit.record(
                        session,
                        actor,
                        "draft_deleted",
                        "grid",
                        national_audit.grid_subject(*replacing),
                        renamed_to=national_audit.grid_subject(grid_id, version),
                    )
            if row is None:
                row = GridVersion(
                    grid_id=grid_id,
                    version=version,
                    status=DRAFT,
                    created_at=now,
                    created_by=actor.user_id,
                    based_on=based_on or _latest_published(session, grid_id),
                )
                session.add(row)
            elif based_on is not None:
                row.based_on = based_on
            row.source = source
            row.source_name = name
            row.content_hash = content_hash(source)
            row.updated_at = now
            row.updated_by = actor.user_id
            chosen_base = row.based_on
            national_audit.record(
                session,
                actor,
                "draft_saved",
                "grid",
                national_audit.grid_subject(grid_id, version),
                based_on=chosen_base,
            )
    except IntegrityError as exc:
        raise GridStoreError(
            f"La grille {grid_id} version {version} vient d'être enregistrée par ailleurs."
        ) from exc
    return check_draft(engine, source, based_on=chosen_base, source_name=name)


def _check_size(source: str) -> None:
    if len(source) > MAX_BYTES:
        result = load_grid_text(source)
        if result.problems:
            raise GridStoreError(result.problems[0].message)


def get_draft(engine: Engine, actor: Actor, grid_id: str, version: str) -> GridVersionInfo:
    """One version's details (drafts: national council only)."""
    with read_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status not in READABLE:
            require(actor, Action.MANAGE_GRIDS)
        return _info(row)


def delete_draft(engine: Engine, actor: Actor, grid_id: str, version: str) -> None:
    """Remove a draft (published and retired versions are never removed)."""
    require(actor, Action.MANAGE_GRIDS)
    with write_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status != DRAFT:
            raise GridStoreError(f"La grille {grid_id} version {version} est publiée.")
        session.delete(row)
        national_audit.record(
            session, actor, "draft_deleted", "grid", national_audit.grid_subject(grid_id, version)
        )


def publish(engine: Engine, actor: Actor, grid_id: str, version: str) -> Grid:
    """Publish a draft after validating it (``replaces`` included); it becomes immutable."""
    require(actor, Action.MANAGE_GRIDS)
    with read_session(engine) as session:
        row = _load(session, grid_id, version)
        status, source, based_on = row.status, row.source, row.based_on
        name = row.source_name or f"{grid_id}@{version}"
    if status != DRAFT:
        raise GridStoreError(f"La grille {grid_id} version {version} est déjà publiée.")
    result = check_draft(engine, source, based_on=based_on, source_name=name)
    if not result.ok or result.grid is None:
        raise GridStoreError(
            f"La grille {grid_id} version {version} ne peut pas être publiée :",
            [str(p) for p in result.problems],
        )
    grid = result.grid
    if (grid.id, grid.version) != (grid_id, version):
        raise GridStoreError("L'identifiant ou la version du brouillon ne correspondent plus.")
    with write_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status != DRAFT or row.content_hash != content_hash(source):
            raise GridStoreError(
                f"Le brouillon {grid_id} version {version} vient d'être modifié par ailleurs : "
                "vérifiez-le à nouveau avant de le publier."
            )
        now = utcnow()
        row.status = PUBLISHED
        row.published_at = row.updated_at = now
        row.published_by = actor.user_id
        national_audit.record(
            session,
            actor,
            "published",
            "grid",
            national_audit.grid_subject(grid_id, version),
            based_on=based_on,
        )
    return grid


def retire(engine: Engine, actor: Actor, grid_id: str, version: str) -> None:
    """Retire a published version: no new campaign may use it; what was answered against it
    stays readable and scorable."""
    require(actor, Action.MANAGE_GRIDS)
    with write_session(engine) as session:
        row = _load(session, grid_id, version)
        if row.status != PUBLISHED or row.retired_at is not None:
            raise GridStoreError(
                f"Seule une version publiée peut être retirée ({grid_id} version {version})."
            )
        now = utcnow()
        row.retired_at = now
        row.retired_by = actor.user_id
        national_audit.record(
            session, actor, "retired", "grid", national_audit.grid_subject(grid_id, version)
        )


def new_draft_from(
    engine: Engine, actor: Actor, grid_id: str, version: str, new_version: str
) -> GridLoadResult:
    """A draft copying any version's text (comments kept) under a new version number."""
    require(actor, Action.MANAGE_GRIDS)
    source = get_grid_source(engine, actor, grid_id, version)
    return save_draft(engine, actor, set_version(source, new_version), based_on=version)

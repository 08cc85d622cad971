"""Demo databases are marked, and a marked database never holds real data.

The demo mode seeds fictional organisations and accounts whose password is
published in the README.  So:

* demo data and demo accounts go only into an **entirely empty** database (no
  organisation, no account, no campaign), or one already marked as a demo:
  :func:`claim`, called in the seed's own write transaction, refuses any other
  and marks the database (table ``database_marks``, ``kind = demo``) in that
  same transaction, so that two visitors clicking « Mode démonstration » at once
  cannot seed twice;
* production mode refuses to start on a demo database (:func:`check_mode`);
* real organisations are neither created nor imported into a demo database
  (:func:`refuse_real_data`, at the top of
  :func:`assessment.organisations.create_organisation` and
  :func:`~assessment.organisations.import_organisations_csv`) until it is wiped
  by :func:`reset` (``assessment db reset-demo``), which empties every table but
  the published grids and drops the mark.

No import of the other core modules (they import this one).
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from assessment.db import read_session, write_connection
from assessment.errors import UserError
from assessment.tables import (
    Campaign,
    DatabaseMark,
    GridVersion,
    Organisation,
    User,
    metadata,
    utcnow,
)

KIND = "kind"
DEMO = "demo"
RESET_COMMAND = "assessment db reset-demo"

_DATA_TABLES = (Organisation, User, Campaign)
"""What makes a database not empty (grids are published on every start: not data)."""


class DemoDatabaseError(UserError):
    """A demo database asked to do what only a real one may (French message)."""


def _is_demo(conn: Connection) -> bool:
    value = conn.execute(select(DatabaseMark.value).where(DatabaseMark.name == KIND)).scalar()
    return value == DEMO


def _is_empty(conn: Connection) -> bool:
    return not any(
        conn.execute(select(func.count()).select_from(table)).scalar() for table in _DATA_TABLES
    )


def is_demo(engine: Engine) -> bool:
    """Whether the database was seeded as a demo (a schema from before the marks, which
    only an upgrade in progress uses, is not)."""
    try:
        with read_session(engine) as session:
            return _is_demo(session.connection())
    except (OperationalError, ProgrammingError):  # no database_marks table yet
        return False


def is_empty(engine: Engine) -> bool:
    """No organisation, account or campaign at all (published grids do not count)."""
    with read_session(engine) as session:
        return _is_empty(session.connection())


def can_hold_demo(engine: Engine) -> bool:
    """Entirely empty, or already a demo database."""
    with read_session(engine) as session:
        conn = session.connection()
        return _is_demo(conn) or _is_empty(conn)


def claim(conn: Connection) -> bool:
    """In the caller's write transaction: mark the database as a demo if it is empty.

    ``True`` when it is (now) a demo database; ``False`` when it holds real data,
    and then nothing is written.
    """
    if _is_demo(conn):
        return True
    if not _is_empty(conn):
        return False
    conn.execute(insert(DatabaseMark).values(name=KIND, value=DEMO, created_at=utcnow()))
    return True


def refuse_real_data(engine: Engine) -> None:
    """:class:`DemoDatabaseError` if this is a demo database (before creating real data)."""
    if is_demo(engine):
        raise DemoDatabaseError(
            "Cette base est une base de démonstration (comptes au mot de passe publié) : "
            "on n'y crée ni n'importe de vraies organisations. Videz-la d'abord avec "
            f"« {RESET_COMMAND} », ou utilisez une autre base (DATABASE_URL)."
        )


def check_mode(engine: Engine, mode: str) -> None:
    """Production mode refuses a demo database (:class:`DemoDatabaseError`)."""
    if mode == "production" and is_demo(engine):
        raise DemoDatabaseError(
            "Mode production (ASSESSMENT_MODE=production) : cette base est une base de "
            "démonstration (comptes au mot de passe publié), l'application refuse de "
            "démarrer dessus. Utilisez une autre base (DATABASE_URL), ou videz celle-ci "
            f"avec « {RESET_COMMAND} »."
        )


def reset(engine: Engine) -> int:
    """Wipe a demo database: every row of every table but the published grids, and the
    mark, in one transaction; returns the number of rows deleted.  Refuses (and
    deletes nothing) a database that is not marked as a demo."""
    kept = {GridVersion.__tablename__}
    deleted = 0
    with write_connection(engine) as conn:
        if not _is_demo(conn):
            raise DemoDatabaseError(
                "Cette base n'est pas une base de démonstration : rien n'a été effacé."
            )
        for table in reversed(metadata.sorted_tables):
            if table.name in kept:
                continue
            result = conn.execute(delete(table))
            deleted += max(0, int(result.rowcount))
    return deleted

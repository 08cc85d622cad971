"""Alembic environment: runs on the connection handed over by :func:`assessment.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from assessment.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        from assessment.db import get_engine, migrate

        migrate(get_engine())
        return
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()

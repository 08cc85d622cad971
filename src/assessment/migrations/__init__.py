"""Alembic migrations of :mod:`assessment.tables`, run by :func:`assessment.db.migrate`."""

"""Storage tests (run on SQLite and PostgreSQL)."""

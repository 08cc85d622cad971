"""Engines, migrations (from empty, idempotent, matching the models), settings, write path."""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from assessment import db
from assessment.db import (
    create_database_engine,
    current_revision,
    get_engine,
    head_revision,
    migrate,
    normalise_url,
    read_session,
    write_session,
)
from assessment.settings import Settings, SettingsError, load_settings
from assessment.tables import Organisation, metadata

from .conftest import SIREN_A

EXPECTED_TABLES = {
    "organisations",
    "users",
    "sign_in_throttle",
    "web_sessions",
    "app_secrets",
    "grid_versions",
    "campaigns",
    "assessments",
    "answers",
    "submissions",
    "audit_events",
    "action_plan_actions",
}


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert _schema_diff(engine) == []
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_migrations_are_idempotent(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert _schema_diff(engine) == []


def test_sqlite_from_empty(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/new/folder/db.sqlite3")
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_from_empty(postgres_engine: Engine) -> None:
    schema = f"t_empty_{secrets.token_hex(4)}"
    with postgres_engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = postgres_engine.url.render_as_string(hide_password=False)
    engine = create_database_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        assert current_revision(engine) is None
        migrate(engine)
        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
        with postgres_engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def test_write_session_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_session(engine) as session:
        session.add(
            Organisation(
                name="X", siren=SIREN_A, region="84", legal_family="association", size_band="0"
            )
        )
        session.flush()
        raise RuntimeError("boom")
    with read_session(engine) as session:
        assert session.query(Organisation).count() == 0


def test_sqlite_pragmas_and_immediate_writes(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
        with write_session(engine) as session:
            session.execute(text("SELECT 1"))  # the transaction has begun: write lock held
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                # readers are not blocked (WAL)
                assert other.execute("SELECT count(*) FROM organisations").fetchone() == (0,)
            finally:
                other.close()
        with read_session(engine) as session:
            session.execute(text("SELECT 1"))  # a read transaction takes no write lock
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            finally:
                other.close()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_url_normalisation(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_engines_are_cached_per_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cached.sqlite3"
    try:
        assert get_engine(url) is get_engine(url)
    finally:
        db.dispose_engines()


# ---------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting from this process's environment (the tests set their own)."""
    for name in list(os.environ):
        if name.startswith("ASSESSMENT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    return monkeypatch


def _load(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], cwd: Path) -> Settings:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return load_settings(cwd)


def test_settings_defaults(tmp_path: Path, clean_environment: pytest.MonkeyPatch) -> None:
    settings = load_settings(tmp_path)
    assert settings.mode == "demo"
    assert settings.database_url is None
    assert settings.resolved_database_url == f"sqlite:///{tmp_path}/data/assessment.sqlite3"
    assert settings.grids_dir == tmp_path / "guide"
    assert (settings.session_ttl_minutes, settings.session_max_days) == (480, 30)
    assert settings.min_group_size == 5


def test_settings_file_and_environment(
    tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    (tmp_path / "assessment.toml").write_text(
        'database_url = "postgres://u@h/db"\nmode = "production"\nmin_group_size = 7\n'
        'data_dir = "/srv/data"\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path)
    assert settings.database_url == "postgres://u@h/db"
    assert (settings.mode, settings.min_group_size, settings.data_dir) == (
        "production",
        7,
        Path("/srv/data"),
    )
    overridden = _load(
        clean_environment, {"ASSESSMENT_MODE": "demo", "DATABASE_URL": "sqlite:///x"}, tmp_path
    )
    assert (overridden.mode, overridden.database_url) == ("demo", "sqlite:///x")
    other = tmp_path / "elsewhere.toml"
    other.write_text("session_ttl_minutes = 60\n", encoding="utf-8")
    clean_environment.delenv("ASSESSMENT_MODE")
    clean_environment.delenv("DATABASE_URL")
    with_other = _load(clean_environment, {"ASSESSMENT_SETTINGS": str(other)}, tmp_path)
    assert with_other.session_ttl_minutes == 60
    assert with_other.database_url is None  # that file only, not assessment.toml too


@pytest.mark.parametrize(
    ("environ", "file", "words"),
    [
        ({"ASSESSMENT_MODE": "test"}, None, "mode"),
        ({"ASSESSMENT_SETTINGS": "/nonexistent.toml"}, None, "introuvable"),
        ({}, "mode = ", "illisible"),
        ({}, "colour = 'blue'\n", "colour"),
    ],
)
def test_invalid_settings(
    tmp_path: Path,
    clean_environment: pytest.MonkeyPatch,
    environ: dict[str, str],
    file: str | None,
    words: str,
) -> None:
    if file is not None:
        (tmp_path / "assessment.toml").write_text(file, encoding="utf-8")
    with pytest.raises(SettingsError, match=words):
        _load(clean_environment, environ, tmp_path)

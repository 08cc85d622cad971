"""Backups of the SQLite database (online backup API) and their restore."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from assessment.backup import BackupError, backup_sqlite, restore_sqlite
from assessment.cli import main
from assessment.db import create_database_engine
from assessment.organisations import create_organisation, list_organisations
from assessment.settings import get_settings
from assessment.tables import Organisation

from .conftest import SYSTEM

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _sqlite_file(sqlite_template: Path, tmp_path: Path) -> tuple[str, Engine]:
    path = tmp_path / "live.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    return url, create_database_engine(url)


def _add_orgs(engine: Engine, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        create_organisation(
            engine,
            SYSTEM,
            name=f"Association n° {i}",
            rna=f"W{i:09d}",
            region="84",
            legal_family="association",
            size_band="1-9",
        )


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Organisation)).scalar_one())


def test_backup_then_restore_gives_back_the_data(sqlite_template: Path, tmp_path: Path) -> None:
    url, engine = _sqlite_file(sqlite_template, tmp_path)
    _add_orgs(engine, 3)
    info = backup_sqlite(url, tmp_path / "copies" / "b.sqlite3")
    assert info.size_bytes > 0 and info.revision
    _add_orgs(engine, 2, start=10)  # written after the backup: gone after the restore
    assert _count(engine) == 5
    engine.dispose()

    restore_sqlite(info.path, url)
    engine = create_database_engine(url)
    names = [o.name for o in list_organisations(engine, SYSTEM)]
    assert sorted(names) == ["Association n° 0", "Association n° 1", "Association n° 2"]
    engine.dispose()


def test_backup_is_consistent_while_the_app_writes(sqlite_template: Path, tmp_path: Path) -> None:
    url, engine = _sqlite_file(sqlite_template, tmp_path)
    stop = threading.Event()

    def writer() -> None:
        i = 100
        while not stop.is_set() and i < 400:
            _add_orgs(engine, 1, start=i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        info = backup_sqlite(url, tmp_path / "hot.sqlite3")
    finally:
        stop.set()
        thread.join()
    with sqlite3.connect(info.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = conn.execute("SELECT count(*) FROM organisations").fetchone()[0]
    conn.close()
    assert 0 <= count <= _count(engine)
    engine.dispose()


def test_backup_never_overwrites(sqlite_template: Path, tmp_path: Path) -> None:
    url, engine = _sqlite_file(sqlite_template, tmp_path)
    existing = tmp_path / "b.sqlite3"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="existe déjà"):
        backup_sqlite(url, existing)
    assert existing.read_bytes() == b"keep me"
    engine.dispose()


def test_restore_refuses_what_is_not_a_backup(sqlite_template: Path, tmp_path: Path) -> None:
    url, engine = _sqlite_file(sqlite_template, tmp_path)
    _add_orgs(engine, 1)
    engine.dispose()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    newer = tmp_path / "newer.sqlite3"
    shutil.copyfile(sqlite_template, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    for bad, message in ((junk, "lisible"), (other, "pas une sauvegarde"), (newer, "récente")):
        with pytest.raises(BackupError, match=message):
            restore_sqlite(bad, url)
    engine = create_database_engine(url)
    assert _count(engine) == 1  # nothing changed
    engine.dispose()


def test_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://postgres@127.0.0.1:5432/test", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_cli_backup_and_restore(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = _sqlite_file(sqlite_template, tmp_path)
    _add_orgs(engine, 2)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "cli.sqlite3"
        result = runner.invoke(main, ["backup", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "Sauvegarde écrite" in result.output and out.is_file()
        again = runner.invoke(main, ["backup", "--out", str(out)])
        assert again.exit_code == 1 and "existe déjà" in again.output
        restored = runner.invoke(main, ["restore", str(out), "--yes"])
        assert restored.exit_code == 0, restored.output
        assert "Base restaurée" in restored.output
    finally:
        get_settings.cache_clear()

"""N people saving answers at the same moment against one app process.

    python benchmarks/concurrent_saves.py                    # 20 threads x 10 saves, both engines
    python benchmarks/concurrent_saves.py --threads 40 --saves 5
    python benchmarks/concurrent_saves.py --engines sqlite --before

Each thread is one organisation's member filling their own assessment: after
a barrier, all threads call :func:`assessment.assessments.save_answer` in a
loop (the revision of each save is the one the previous save returned, like
the filling page).  Printed per engine: the floor (the same saves by one
thread alone, measured in the same run), then p50/p95/max latency of one save
under contention, the wall time, and the errors by type.

* SQLite: a scratch file in a temporary folder (the default configuration:
  WAL, ``BEGIN IMMEDIATE``, busy timeout);
* PostgreSQL: a scratch schema on ``--postgres`` (default ``TEST_POSTGRES_URL``,
  else ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped afterwards.

``--before`` also runs SQLite without the in-process writer queue of
:mod:`assessment.db` (what the product did before it), for comparison.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from assessment import assessments, db
from assessment.campaigns import create_campaign
from assessment.grid import LevelQuestion
from assessment.grid_store import DEFAULT_GRID_ID, get_grid, latest_version, sync_grids_from_dir
from assessment.organisations import create_organisation, siren_with_key
from assessment.permissions import Actor, Role

GUIDE = Path(__file__).resolve().parents[1] / "guide"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Seat:
    actor: Actor
    assessment_id: int
    revision: int


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0


def _cells(engine: Engine, count: int) -> list[tuple[str, str, int]]:
    """``count`` (question, horizon, level) cells of the guide's grid."""
    grid = get_grid(engine, DEFAULT_GRID_ID, latest_version(engine))
    levels = [q for _, q in grid.questions() if isinstance(q, LevelQuestion)]
    horizon = grid.horizon_ids[0]
    top = grid.scale_values[-1]
    return [
        (levels[n % len(levels)].id, horizon, (n // len(levels)) % 2 * top) for n in range(count)
    ]


def _seats(engine: Engine, threads: int) -> list[Seat]:
    system = Actor.system()
    today = date.today()
    campaign = create_campaign(
        engine,
        system,
        year=today.year,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=30),
    )
    seats = []
    for n in range(threads):
        org = create_organisation(
            engine,
            system,
            name=f"Organisation {n}",
            siren=siren_with_key(f"7{n:07d}"),
            region="84",
            legal_family="association",
            size_band="1-9",
        )
        actor = Actor(user_id=None, email=f"m{n}@bench.test", role=Role.MEMBER, organisation_id=org)
        state = assessments.open_assessment(engine, actor, org, campaign)
        seats.append(Seat(actor, state.id, state.revision))
    return seats


def _save_all(engine: Engine, seat: Seat, cells: list[tuple[str, str, int]], out: Outcome) -> None:
    for question, horizon, value in cells:
        started = time.perf_counter()
        try:
            seat.revision = assessments.save_answer(
                engine,
                seat.actor,
                seat.assessment_id,
                question,
                horizon,
                value,
                expected_revision=seat.revision,
            )
        except Exception as exc:  # counted, the run goes on
            out.errors[type(exc).__name__] += 1
            with suppress(Exception):
                state = assessments.get_assessment(engine, seat.actor, seat.assessment_id)
                seat.revision = state.revision
        finally:
            out.latencies.append(time.perf_counter() - started)


def run(engine: Engine, threads: int, saves: int) -> tuple[Outcome, Outcome]:
    """(floor: one thread alone, contention: ``threads`` at once)."""
    db.migrate(engine)
    sync_grids_from_dir(engine, GUIDE)
    seats = _seats(engine, threads + 1)
    cells = _cells(engine, saves)
    floor = Outcome()
    started = time.perf_counter()
    _save_all(engine, seats[-1], cells, floor)
    floor.wall = time.perf_counter() - started

    loaded = Outcome()
    barrier = threading.Barrier(threads)
    lock = threading.Lock()

    def worker(seat: Seat) -> None:
        mine = Outcome()
        barrier.wait()
        _save_all(engine, seat, cells, mine)
        with lock:
            loaded.latencies.extend(mine.latencies)
            loaded.errors.update(mine.errors)

    workers = [threading.Thread(target=worker, args=(seat,)) for seat in seats[:threads]]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    loaded.wall = time.perf_counter() - started
    return floor, loaded


def _ms(value: float) -> str:
    return f"{value * 1000:7.1f} ms"


def report(label: str, floor: Outcome, loaded: Outcome) -> None:
    ordered = sorted(loaded.latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    errors = ", ".join(f"{k} x{v}" for k, v in loaded.errors.most_common()) or "none"
    print(
        f"{label:<26} floor p50 {_ms(statistics.median(floor.latencies))} | "
        f"p50 {_ms(statistics.median(ordered))}  p95 {_ms(p95)}  max {_ms(ordered[-1])} | "
        f"{len(ordered)} saves in {loaded.wall:5.2f} s | errors: {errors}"
    )


@contextmanager
def _without_writer_queue() -> Iterator[None]:
    """SQLite as before: no in-process queue, only SQLite's busy timeout."""
    original: Any = db._write_lock
    db._write_lock = lambda engine: None  # type: ignore[assignment]
    try:
        yield
    finally:
        db._write_lock = original


@contextmanager
def _sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = db.create_database_engine(f"sqlite:///{folder}/bench.sqlite3")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def _postgres(url: str) -> Iterator[Engine]:
    schema = f"bench_{secrets.token_hex(4)}"
    admin = db.create_database_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = db.create_database_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--saves", type=int, default=10, help="saves per thread")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--before", action="store_true", help="also SQLite without the queue")
    args = parser.parse_args()
    engines = args.engines.split(",")
    print(f"{args.threads} threads x {args.saves} saves (save_answer), one process")
    if "sqlite" in engines and args.before:
        with _without_writer_queue(), _sqlite() as engine:
            report("sqlite, before (no queue)", *run(engine, args.threads, args.saves))
    if "sqlite" in engines:
        with _sqlite() as engine:
            report("sqlite", *run(engine, args.threads, args.saves))
    if "postgres" in engines:
        with _postgres(args.postgres) as engine:
            report("postgresql", *run(engine, args.threads, args.saves))


if __name__ == "__main__":
    main()

"""``assessment bench``: the aggregate layer against a DuckDB floor, in the same run.

:func:`run` seeds demo data (in another process) into a throw-away database (a temporary SQLite
file, or an empty PostgreSQL database given by URL), loads the same stored
scores into an in-memory DuckDB table, then measures, each time right after a
new submission in the largest region (:class:`Resubmitter`: an organisation
reopens, changes one answer and submits again, so its record key and every
cell that holds it change; nothing is memoised: "ours" is the recomputation):

* **regional aggregate**: the largest region's table by legal family, for
  every measure (overall and each theme) at every horizon;
* **national aggregate**: the table by region, same measures;
* **peer comparison**: what the results page reads (:func:`assessment.privacy.peers`);

against DuckDB ``GROUP BY`` (count and mean of the same columns) over the same
rows; and the data-version check against one primary-key lookup.  Figures are
medians of ``repeat`` runs, in milliseconds; ``ratio`` = ours / floor.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from assessment import privacy, score_store
from assessment import tables as t
from assessment.errors import UserError
from assessment.permissions import Actor

__all__ = ["BenchError", "BenchResult", "Resubmitter", "run"]


class BenchError(UserError):
    """The bench cannot run as asked (e.g. nothing to reuse); its message is French."""


GRIDS = Path(__file__).resolve().parents[3] / "guide"


@dataclass
class BenchResult:
    orgs: int
    campaigns: int
    engine: str
    seed_seconds: float
    rows: int
    """Stored score rows of the measured campaign."""
    figures: dict[str, dict[str, float]] = field(default_factory=dict)
    """operation -> {"ours_ms", "floor_ms", "ratio"}."""
    reused: bool = False
    """The database was seeded before this run (``seed_seconds`` is then 0)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "orgs": self.orgs,
            "campaigns": self.campaigns,
            "engine": self.engine,
            "seed_seconds": self.seed_seconds,
            "rows": self.rows,
            "reused": self.reused,
            **{
                f"{name}_{key}": value
                for name, figures in self.figures.items()
                for key, value in figures.items()
            },
            "max_aggregate_ratio": max(
                self.figures[n]["ratio"] for n in ("regional", "national", "peers")
            ),
        }

    def table(self) -> str:
        seeded = "données déjà en base" if self.reused else f"données en {self.seed_seconds:.0f} s"
        lines = [
            f"{self.orgs} organisations, {self.campaigns} campagnes, {self.engine} "
            f"({self.rows} scores dans la campagne mesurée ; {seeded})",
            "",
            f"{'opération':<34}{'nous (ms)':>12}{'plancher (ms)':>16}{'ratio':>9}",
        ]
        labels = {
            "regional": "agrégat régional",
            "national": "agrégat national",
            "peers": "comparaison (page Résultats)",
            "version_check": "« les données ont-elles changé ? »",
        }
        for name, label in labels.items():
            f = self.figures[name]
            lines.append(
                f"{label:<34}{f['ours_ms']:>12.2f}{f['floor_ms']:>16.2f}{f['ratio']:>8.1f}×"
            )
        lines.append("")
        lines.append(
            "plancher : DuckDB GROUP BY en mémoire sur les mêmes scores ; "
            "version : une lecture par clé primaire"
        )
        return "\n".join(lines)


class Resubmitter:
    """Each call, one organisation of the latest campaign (of ``region`` when given)
    reopens its submitted assessment, changes one level answer of the current
    state and submits again: a new data version and new scores, as a real
    resubmission (the same answers again would leave every cell's key, hence its
    figures, as they were)."""

    def __init__(self, engine: Engine, *, region: str | None = None, count: int = 20) -> None:
        c, a, o = t.Campaign.__table__, t.Assessment.__table__, t.Organisation.__table__
        latest = select(c.c.year).order_by(c.c.year.desc()).limit(1).scalar_subquery()
        query = (
            select(a.c.id)
            .join(o, o.c.id == a.c.organisation_id)
            .join(c, c.c.id == a.c.campaign_id)
            .where(a.c.status == "submitted")
            .where(c.c.year == latest)
            .order_by(a.c.id)
            .limit(count)
        )
        with engine.connect() as conn:
            if region is not None:
                self.queue = [
                    int(i) for i in conn.execute(query.where(o.c.region == region)).scalars()
                ]
            if region is None or not self.queue:
                self.queue = [int(i) for i in conn.execute(query).scalars()]
        self.engine = engine
        self.turn = 0

    def __call__(self) -> None:
        from assessment import assessments as svc
        from assessment.grid import LevelQuestion
        from assessment.grid_store import get_grid

        system = Actor.system()
        assessment_id = self.queue[self.turn % len(self.queue)]
        self.turn += 1
        state = svc.get_assessment(self.engine, system, assessment_id)
        grid = get_grid(self.engine, state.grid_id, state.grid_version)
        revision = svc.reopen(self.engine, system, assessment_id, expected_revision=state.revision)
        levels = grid.scale_values
        for item in grid.items:
            for question in item.questions:
                value = state.answers.get(question.id, {}).get(grid.current_horizon)
                if isinstance(question, LevelQuestion) and isinstance(value, int):
                    other = levels[(levels.index(value) + 1) % len(levels)]
                    revision = svc.save_answer(
                        self.engine,
                        system,
                        assessment_id,
                        question.id,
                        grid.current_horizon,
                        other,
                        expected_revision=revision,
                    )
                    svc.submit(self.engine, system, assessment_id, expected_revision=revision)
                    return
        svc.submit(self.engine, system, assessment_id, expected_revision=revision)


def _median_ms(
    fn: Callable[[], Any], repeat: int, before: Callable[[], Any] | None = None
) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _duckdb(engine: Engine, campaign_id: int, metrics: list[tuple[str, str]]) -> Any:
    """The campaign's stored scores in an in-memory DuckDB table ``s``."""
    import duckdb

    s, a, o = t.AssessmentScore.__table__, t.Assessment.__table__, t.Organisation.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.c.id, o.c.region, o.c.legal_family, o.c.size_band, s.c.scores)
            .select_from(s.join(a, a.c.id == s.c.assessment_id).join(o))
            .where(a.c.campaign_id == campaign_id)
        ).all()
    matrix = np.frombuffer(b"".join(r[4] for r in rows), dtype="<f8").reshape(len(rows), -1)
    columns: dict[str, Any] = {
        "org": np.array([r[0] for r in rows]),
        "region": np.array([r[1] for r in rows]),
        "legal_family": np.array([r[2] for r in rows]),
        "size_band": np.array([r[3] for r in rows]),
    }
    for i in range(len(metrics)):
        columns[f"m{i}"] = matrix[:, i]
    con = duckdb.connect()
    con.register("frame", columns)
    con.execute("CREATE TABLE s AS SELECT * FROM frame")
    con.unregister("frame")
    return con, len(rows)


def run(
    *,
    orgs: int,
    campaigns: int,
    database_url: str | None = None,
    repeat: int = 5,
    progress: Callable[[str], None] | None = None,
    reuse: bool = False,
) -> BenchResult:
    """Seed, load the floor, measure; see the module's docstring.

    ``reuse``: ``database_url`` holds demo data already (a previous run, or
    ``seed-demo``): measure it as it is, without migrating or seeding; ``orgs`` and
    ``campaigns`` are then read from it."""
    from assessment.db import create_database_engine

    say = progress or (lambda _m: None)
    folder = None
    if reuse and database_url is None:
        raise BenchError("--reuse demande --database-url : une base temporaire est toujours vide.")
    if database_url is None:
        folder = tempfile.TemporaryDirectory(prefix="assessment-bench-")
        database_url = f"sqlite:///{folder.name}/bench.sqlite3"
    engine = create_database_engine(database_url)
    try:
        if reuse:
            seed_seconds = 0.0
            orgs, campaigns = _counts(engine)
        else:
            seed_seconds = _generate_elsewhere(database_url, orgs, campaigns)
        privacy.clear_caches()
        result = _measure(engine, orgs, campaigns, seed_seconds, repeat, say)
        result.reused = reuse
        return result
    finally:
        engine.dispose()
        if folder is not None:
            folder.cleanup()


def _generate_elsewhere(database_url: str, orgs: int, campaigns: int) -> float:
    """Migrate and seed ``database_url`` in another Python process (its progress on its
    standard error), as ``seed-demo`` would; the seconds it took.  The measuring
    process then starts as an app process does, with none of the seed's memory:
    measured in the seeding process itself, the national aggregate and the peer
    comparison at 100,000 organisations took about twice as long (2.0× and 2.4× the
    floor on SQLite, 0.8× and 0.7× measured again with ``--reuse``)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
        child.submit(_generate, database_url, orgs, campaigns).result()
    return time.perf_counter() - started


def _generate(database_url: str, orgs: int, campaigns: int) -> None:
    import sys

    from assessment.db import create_database_engine, migrate
    from assessment.demo import seed_demo
    from assessment.grid_store import sync_grids_from_dir

    engine = create_database_engine(database_url)
    try:
        migrate(engine)
        sync_grids_from_dir(engine, GRIDS)
        seed_demo(
            engine,
            orgs=orgs,
            campaigns=campaigns,
            progress=lambda message: print(message, file=sys.stderr, flush=True),
        )
    finally:
        engine.dispose()


def _counts(engine: Engine) -> tuple[int, int]:
    """Organisations and campaigns already in the database."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            orgs = conn.execute(select(func.count()).select_from(t.Organisation.__table__)).scalar()
            campaigns = conn.execute(
                select(func.count()).select_from(t.Campaign.__table__)
            ).scalar()
    except SQLAlchemyError as exc:  # no tables: not an application database
        raise BenchError(f"Rien à réutiliser : {type(exc).__name__}.") from exc
    if not orgs or not campaigns:
        raise BenchError(
            "Rien à réutiliser : la base ne contient aucune organisation ou aucune campagne."
        )
    return int(orgs), int(campaigns)


def _measure(
    engine: Engine,
    orgs: int,
    campaigns: int,
    seed_seconds: float,
    repeat: int,
    say: Callable[[str], None],
) -> BenchResult:
    # the operator: the measured campaign is the open one, whose figures only the
    # operator reads (everyone else from its close); the computation is the same
    system = Actor.system()
    c = t.Campaign.__table__
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    with engine.connect() as conn:
        campaign_id, year = conn.execute(
            select(c.c.id, c.c.year).order_by(c.c.year.desc()).limit(1)
        ).one()
    data = privacy._data(engine, year, system)
    metrics = list(data.metrics)
    regions = list(data.labels["region"])
    region = max(regions, key=lambda r: int(np.sum(data.codes["region"] == regions.index(r))))
    con, rows = _duckdb(engine, campaign_id, metrics)
    grid = data.grid
    wanted = [i for i, (section, _h) in enumerate(metrics) if section != score_store.SYSTEMIC]
    current = [i for i in wanted if metrics[i][1] == grid.current_horizon]
    averages = ", ".join(f"count(m{i}), avg(m{i})" for i in wanted)
    peer_averages = ", ".join(f"count(m{i}), avg(m{i})" for i in current)
    # every new submission in the measured region: it changes cells of each measured table
    new_submission = Resubmitter(engine, region=region, count=4 * repeat + 4)

    def ours_regional() -> None:
        privacy.tables(engine, system, campaign_year=year, region=region, dims=("legal_family",))

    def ours_national() -> None:
        privacy.tables(engine, system, campaign_year=year, dims=("region",))

    with engine.connect() as conn:
        peer_org = int(
            conn.execute(
                select(a.c.organisation_id).where(a.c.id == new_submission.queue[0])
            ).scalar_one()
        )
        org_region, org_family, org_size = conn.execute(
            select(o.c.region, o.c.legal_family, o.c.size_band).where(o.c.id == peer_org)
        ).one()

    def ours_peers() -> None:
        privacy.peers(engine, system, peer_org, campaign_year=year)

    def floor_regional() -> None:
        con.execute(
            f"SELECT legal_family, {averages} FROM s WHERE region = ? GROUP BY legal_family",
            [region],
        ).fetchall()

    def floor_national() -> None:
        con.execute(f"SELECT region, {averages} FROM s GROUP BY region").fetchall()

    def floor_peers() -> None:
        for column, value in (
            ("region", org_region),
            ("legal_family", org_family),
            ("size_band", org_size),
        ):
            con.execute(f"SELECT {peer_averages} FROM s WHERE {column} = ?", [value]).fetchall()

    def version_check() -> None:
        privacy.data_version(engine)

    def key_lookup() -> None:
        with engine.connect() as conn:
            conn.execute(select(o.c.name).where(o.c.id == peer_org)).scalar()

    result = BenchResult(orgs, campaigns, engine.dialect.name, seed_seconds, rows)
    for name, ours, floor in (
        ("regional", ours_regional, floor_regional),
        ("national", ours_national, floor_national),
        ("peers", ours_peers, floor_peers),
    ):
        say(f"mesure : {name}")
        ours()  # the campaign in memory once, as in a running app
        floor()
        ours_ms = _median_ms(ours, repeat, before=new_submission)
        floor_ms = _median_ms(floor, repeat)
        result.figures[name] = {
            "ours_ms": ours_ms,
            "floor_ms": floor_ms,
            "ratio": ours_ms / floor_ms,
        }
    ours_ms = _median_ms(version_check, repeat * 4)
    floor_ms = _median_ms(key_lookup, repeat * 4)
    result.figures["version_check"] = {
        "ours_ms": ours_ms,
        "floor_ms": floor_ms,
        "ratio": ours_ms / floor_ms,
    }
    con.close()
    return result

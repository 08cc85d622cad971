"""Time ``seed-demo`` on a scratch database: SQLite (default) or PostgreSQL.

    python benchmarks/seed_demo.py                       # 100,000 orgs x 3 campaigns, SQLite
    python benchmarks/seed_demo.py --orgs 20000          # smaller
    python benchmarks/seed_demo.py --postgres postgresql://postgres@127.0.0.1:5432/bench

The PostgreSQL database must exist and be empty (``createdb -h 127.0.0.1 -U
postgres bench``); a scratch schema is created in it and dropped afterwards.
The SQLite file goes to a temporary folder, removed afterwards.  Equivalent
to ``time assessment seed-demo --orgs N --campaigns K`` on a fresh database.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from assessment.db import create_database_engine, migrate
from assessment.demo import create_demo_accounts, seed_demo
from assessment.grid_store import sync_grids_from_dir

GRIDS = Path(__file__).resolve().parents[1] / "guide"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--campaigns", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()

    schema = f"bench_{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            admin = create_database_engine(args.postgres)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            engine = create_database_engine(
                args.postgres, connect_args={"options": f"-csearch_path={schema}"}
            )
        else:
            engine = create_database_engine(f"sqlite:///{folder}/bench.sqlite3")
        try:
            started = time.perf_counter()
            migrate(engine)
            sync_grids_from_dir(engine, GRIDS)
            report = seed_demo(
                engine, orgs=args.orgs, campaigns=args.campaigns, seed=args.seed, progress=print
            )
            create_demo_accounts(engine)
            total = time.perf_counter() - started
            print(
                f"{engine.dialect.name}: {report.organisations} organisations, "
                f"{report.assessments} assessments, {report.answers} answers: "
                f"seed {report.seconds:.1f} s, total {total:.1f} s"
            )
            if not args.postgres:
                size = (Path(folder) / "bench.sqlite3").stat().st_size
                print(f"SQLite file: {size / 1e9:.2f} GB")
        finally:
            engine.dispose()
            if args.postgres:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()


if __name__ == "__main__":
    main()

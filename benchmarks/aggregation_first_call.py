"""Time the first aggregates of a fresh process on the settings' database.

    cd /tmp/x && ASSESSMENT_DATA_DIR=/tmp/x/data ASSESSMENT_GRIDS_DIR=/path/to/repo/guide \\
        assessment seed-demo --orgs 100000 --campaigns 3 --seed 1
    cd /tmp/x && ASSESSMENT_DATA_DIR=/tmp/x/data ASSESSMENT_GRIDS_DIR=/path/to/repo/guide \\
        python /path/to/repo/benchmarks/aggregation_first_call.py

The database is the settings' (``DATABASE_URL``, ``assessment.toml``, else the
SQLite file of ``ASSESSMENT_DATA_DIR``) with the demo accounts of
``seed-demo``.  Printed, each in this one process: ``open_database()`` (engine,
migrations, backfill check, grid sync), the demo admin's first and second
``peer_comparison`` for the current campaign (what the results page asks for
after a restart), the same with ``items=False`` (overall scores only, what the
page draws), and the national actor's whole-region aggregate by legal family
(the region of the demo CRESS), for the current campaign and for all campaigns
(latest submission per organisation).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from assessment import accounts, aggregation, campaigns
from assessment.demo import DEMO_PASSWORD, DEMO_REGION
from assessment.startup import open_database


def timed(label: str, call: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = call()
    print(f"{label:<58} {time.perf_counter() - started:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", default=DEMO_REGION, help="region of the regional aggregate")
    args = parser.parse_args()

    engine = timed("open_database()", open_database)
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    admin = accounts.authenticate(engine, "admin@demo.test", DEMO_PASSWORD)
    national = accounts.authenticate(engine, "national@demo.test", DEMO_PASSWORD)
    campaign = campaigns.current_campaign(engine)
    if campaign is None or admin.organisation_id is None:
        raise SystemExit("no open campaign or no demo organisation: run seed-demo first")
    org = admin.organisation_id

    peers = timed(
        "peer_comparison, first call of the process",
        lambda: aggregation.peer_comparison(engine, admin, org, campaign.id),
    )
    timed(
        "peer_comparison, second call (memoised)",
        lambda: aggregation.peer_comparison(engine, admin, org, campaign.id),
    )
    aggregation.clear_caches()
    timed(
        "peer_comparison, caches cleared",
        lambda: aggregation.peer_comparison(engine, admin, org, campaign.id),
    )
    aggregation.clear_caches()
    timed(
        "peer_comparison items=False, caches cleared",
        lambda: aggregation.peer_comparison(engine, admin, org, campaign.id, items=False),
    )
    for peer in peers:
        now = peer.aggregate.overall.get("current")
        median = f"{now.median:.1f}" if now is not None else "-"
        print(f"    {peer.label} ({peer.value}): n = {peer.aggregate.n}, median now {median}")

    aggregation.clear_caches()
    report = timed(
        f"aggregate region {args.region} by legal family, current campaign",
        lambda: aggregation.aggregate(
            engine, national, campaign_ids=[campaign.id], region=args.region, by=["legal_family"]
        ),
    )
    print(f"    {len(report.groups)} groups, n = {report.total.n if report.total else 0}")
    aggregation.clear_caches()
    report = timed(
        f"aggregate region {args.region} by legal family, all campaigns",
        lambda: aggregation.aggregate(engine, national, region=args.region, by=["legal_family"]),
    )
    print(f"    {len(report.groups)} groups, n = {report.total.n if report.total else 0}")
    aggregation.clear_caches()
    report = timed(
        "aggregate national by region, all campaigns",
        lambda: aggregation.aggregate(engine, national, by=["region"]),
    )
    print(f"    {len(report.groups)} groups, n = {report.total.n if report.total else 0}")


if __name__ == "__main__":
    main()

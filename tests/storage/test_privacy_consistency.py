"""The aggregate layer agrees exactly with the answers, recomputed from scratch, and its
in-memory copy (updated from the changed rows only) with a fresh read; the
data version moves with every change, in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from assessment import assessments as svc
from assessment import privacy
from assessment.grid_store import get_grid
from assessment.organisations import update_organisation
from assessment.permissions import Actor
from assessment.privacy import store
from assessment.scoring import Scorer
from assessment.tables import Assessment, AssessmentScore, Campaign, Submission

from .conftest import SYSTEM
from .test_privacy_leaks import Town, town  # noqa: F401  (fixture)

OPERATOR = Actor.system()
"""Reads an open campaign: these tests follow its figures through every change."""


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    privacy.clear_caches()
    yield
    privacy.clear_caches()


def _from_scratch(engine: Engine, year: int) -> dict[tuple[str, str], tuple[int, float, float]]:
    """Per region and per legal family: (organisations, sum of overall current scores),
    scoring each organisation's last submitted answers again, each organisation in the
    categories it had when it submitted (frozen in its score row)."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Submission.snapshot,
                Submission.grid_id,
                Submission.grid_version,
                AssessmentScore.region,
                AssessmentScore.legal_family,
                Submission.id,
                Assessment.id,
            )
            .join(Assessment, Assessment.id == Submission.assessment_id)
            .join(AssessmentScore, AssessmentScore.assessment_id == Assessment.id)
            .join(Campaign, Campaign.id == Assessment.campaign_id)
            .where(Campaign.year == year)
            .order_by(Submission.id)
        ).all()
    last = {r[6]: r for r in rows}  # the last submission of each assessment
    for snapshot, grid_id, version, region, family, _sid, _aid in last.values():
        grid = get_grid(engine, grid_id, version)
        report = Scorer.for_grid(grid).score(snapshot["answers"], snapshot["not_addressed"])
        value = report.overall.get("current")
        if value is None:
            continue
        sums[("region", region)].append(value)
        sums[("legal_family", family)].append(value)
    return {key: (len(v), sum(v), max(v)) for key, v in sums.items()}


def _layer(engine: Engine, year: int) -> dict[tuple[str, str], tuple[int, float, float]]:
    """What the layer holds (kept up to date row by row) before protection."""
    data = privacy._data(engine, year, Actor.system())
    view = privacy._score_view(data, "overall", "current")
    assert data.stats is not None
    largest = data.stats.largest[:, data.metrics.index(("_overall", "current"))]
    return {
        (dims[0], codes[0]): (int(view.true_n[i]), float(view.total[i]), float(largest[i]))
        for i, (dims, codes) in enumerate(view.lattice.cells)
        if dims in (("region",), ("legal_family",)) and view.true_n[i] > 0
    }


def _same(
    a: dict[tuple[str, str], tuple[int, float, float]],
    b: dict[tuple[str, str], tuple[int, float, float]],
) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key][0] == b[key][0]
        assert a[key][1] == pytest.approx(b[key][1], abs=1e-9)
        assert a[key][2] == b[key][2]


def test_exactly_the_answers_through_submit_reopen_and_moves(town: Town) -> None:  # noqa: F811
    engine = town.engine
    ids = []
    for i in range(8):
        organisation = town.org("84" if i % 2 else "11", "association" if i % 3 else "mutual")
        ids.append((organisation, town.submit(organisation, i % 4)))
    version = privacy.data_version(engine)
    first = privacy.table(engine, OPERATOR, campaign_year=town.year, dims=("region",))
    _same(_layer(engine, town.year), _from_scratch(engine, town.year))

    # a reopen: the version moves, no figure does
    organisation, assessment_id = ids[0]
    state = svc.get_assessment(engine, SYSTEM, assessment_id)
    rev = svc.reopen(engine, SYSTEM, assessment_id, expected_revision=state.revision)
    assert privacy.data_version(engine) == version + 1
    assert privacy.table(engine, OPERATOR, campaign_year=town.year, dims=("region",)) == first
    # a changed resubmission, a new submission, an organisation that moves
    rev = svc.save_answer(
        engine, SYSTEM, assessment_id, "gouv-regles", "current", 3, expected_revision=rev
    )
    svc.submit(engine, SYSTEM, assessment_id, expected_revision=rev)
    top = ids[3][1]  # level 3: the largest of its groups, now 0
    state = svc.get_assessment(engine, SYSTEM, top)
    rev = svc.reopen(engine, SYSTEM, top, expected_revision=state.revision)
    rev = svc.save_answer(engine, SYSTEM, top, "gouv-regles", "current", 0, expected_revision=rev)
    svc.submit(engine, SYSTEM, top, expected_revision=rev)
    town.add("84", "cooperative", 2)
    read = privacy.table(engine, OPERATOR, campaign_year=town.year, dims=("region",))
    _same(_layer(engine, town.year), _from_scratch(engine, town.year))  # rows read since
    privacy.clear_caches()
    assert privacy.table(engine, OPERATOR, campaign_year=town.year, dims=("region",)) == read
    update_organisation(engine, SYSTEM, ids[1][0], region="53")
    assert privacy.data_version(engine) == version + 6
    incremental = privacy.table(engine, OPERATOR, campaign_year=town.year, dims=("region",))
    assert incremental == read  # it stays where it was when it submitted
    _same(_layer(engine, town.year), _from_scratch(engine, town.year))
    # submitted again after the move: now in its new region
    moved = ids[1][1]
    state = svc.get_assessment(engine, SYSTEM, moved)
    rev = svc.reopen(engine, SYSTEM, moved, expected_revision=state.revision)
    svc.submit(engine, SYSTEM, moved, expected_revision=rev)
    incremental = privacy.table(engine, OPERATOR, campaign_year=town.year, dims=("region",))
    assert "53" in {c.key["region"] for c in incremental.cells}
    _same(_layer(engine, town.year), _from_scratch(engine, town.year))
    privacy.clear_caches()
    assert privacy.table(engine, OPERATOR, campaign_year=town.year, dims=("region",)) == incremental
    _same(_layer(engine, town.year), _from_scratch(engine, town.year))


def _every_table(engine: Engine, year: int) -> list[privacy.ProtectedTable]:
    out: list[privacy.ProtectedTable] = []
    for dims in ((), ("region",), ("legal_family",), ("region", "legal_family")):
        out += privacy.tables(engine, OPERATOR, campaign_year=year, dims=dims)
    for region in ("11", "84"):
        out += privacy.tables(engine, OPERATOR, campaign_year=year, dims=("size_band",),
                              region=region)  # fmt: skip
    return out


def test_figures_kept_up_to_date_equal_figures_computed_afresh(town: Town) -> None:  # noqa: F811
    """Every measure and horizon of several tables, read after each change (the layer
    copies only the changed columns and suppresses again only the columns whose
    figures moved), equals the same read on an empty memory."""
    engine = town.engine
    ids = []
    for i in range(24):
        organisation = town.org(("84", "11", "53")[i % 3], ("association", "mutual")[i % 2],
                                ("1-9", "10-49")[i % 2])  # fmt: skip
        ids.append(town.submit(organisation, i % 4))
    _every_table(engine, town.year)  # in memory
    for turn, assessment_id in enumerate(ids[:6]):
        state = svc.get_assessment(engine, SYSTEM, assessment_id)
        rev = svc.reopen(engine, SYSTEM, assessment_id, expected_revision=state.revision)
        if turn % 3:  # a changed answer (two of three times), else the same answers again
            rev = svc.save_answer(engine, SYSTEM, assessment_id, "gouv-regles", "current",
                                  (turn + 1) % 4, expected_revision=rev)  # fmt: skip
        svc.submit(engine, SYSTEM, assessment_id, expected_revision=rev)
        if turn == 4:
            town.add("11", "association", 2)  # a new organisation's first submission
        kept = _every_table(engine, town.year)
        privacy.clear_caches()
        assert _every_table(engine, town.year) == kept


def test_sorted_cells_kept_up_to_date_equal_figures_computed_afresh(
    town: Town,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same with every cell's sorted values kept and moved after each change (at
    national scale only cells of ``SORTED_MIN`` organisations or more keep them)."""
    monkeypatch.setattr(store, "SORTED_MIN", 1)
    test_figures_kept_up_to_date_equal_figures_computed_afresh(town)


def test_one_version_reads_the_data_version_once_and_gives_the_same_figures(
    town: Town,  # noqa: F811
) -> None:
    """A page asks for dozens of tables: inside ``one_version`` they share one read of
    the data version, give exactly the figures asked alone, and a submission made
    meanwhile shows from the next block on (never half of it)."""
    from sqlalchemy import event

    engine = town.engine
    for i in range(12):
        town.submit(town.org(("84", "11")[i % 2], ("association", "mutual")[i % 2]), i % 4)
    asks = [("region",), ("legal_family",), ("region", "legal_family")]
    alone = [privacy.table(engine, OPERATOR, campaign_year=town.year, dims=d) for d in asks]

    checks: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "data_version" in statement:
            checks.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with privacy.one_version(engine):
            inside = [
                privacy.table(engine, OPERATOR, campaign_year=town.year, dims=d) for d in asks * 3
            ]
            town.add("84", "cooperative", 2)  # a new organisation submits meanwhile
            still = privacy.table(engine, OPERATOR, campaign_year=town.year, dims=asks[0])
        assert len([s for s in checks if s.lstrip().upper().startswith("SELECT")]) == 1
        after = privacy.table(engine, OPERATOR, campaign_year=town.year, dims=asks[0])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert inside == alone * 3
    assert still == alone[0]  # the block's figures rest on the version read on entry
    assert after != alone[0]  # the next block sees the submission
    _same(_layer(engine, town.year), _from_scratch(engine, town.year))

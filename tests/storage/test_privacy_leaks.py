"""Built to leak: every attack of issue 8 replayed against :mod:`assessment.privacy`,
on SQLite and PostgreSQL.

An attack succeeds when it recovers one organisation's score to within ±5
points on 0-100, or the mean of a group smaller than ``k``.  The attacker uses
the published counts, or the exact counts when it knows them (a regional
chamber sees which organisations of its region submitted).

The database secret of the record keys is fixed here, so that these runs are
reproducible; ``test_privacy_properties.py`` measures how often the
noise-only defences would fail over many secrets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations

import numpy as np
import pytest
from sqlalchemy import Engine, select

from assessment import assessments as svc
from assessment import microdata, privacy, score_store
from assessment.campaigns import CampaignError, create_campaign, extend_campaign
from assessment.demo import seed_demo
from assessment.grid import Grid
from assessment.grid_store import DEFAULT_GRID_ID, get_grid, sync_grids_from_dir
from assessment.organisations import create_organisation, siren_with_key, update_organisation
from assessment.permissions import Actor, PermissionDenied, Role
from assessment.privacy import Cell, ProtectedTable
from assessment.privacy.store import SECRET_NAME
from assessment.tables import AppSecret, Assessment, AssessmentScore, Campaign, Organisation, utcnow

from .conftest import COMPLETE_ANSWERS, GRID_ID, GRIDS_V1, SYSTEM, close_campaigns

K = 5
TOLERANCE = 5.0
NATIONAL = Actor(user_id=None, email="national@test", role=Role.NATIONAL)


def regional(region: str) -> Actor:
    return Actor(user_id=None, email=f"cress{region}@test", role=Role.REGIONAL, region=region)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    privacy.clear_caches()
    yield
    privacy.clear_caches()


def _fix_secret(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            AppSecret.__table__.insert().values(
                name=SECRET_NAME, value="built-to-leak-fixed-secret", created_at=utcnow()
            )
        )


@dataclass
class Town:
    """A small population: organisations created and submitted through the services."""

    engine: Engine
    campaign: int
    year: int
    serial: int = 0

    def org(self, region: str, family: str, size: str = "1-9", sector: str | None = None) -> int:
        self.serial += 1
        return create_organisation(
            self.engine,
            SYSTEM,
            name=f"Organisation {self.serial}",
            siren=siren_with_key(f"9{self.serial:07d}"),
            region=region,
            legal_family=family,
            size_band=size,
            sector=sector,
        )

    def submit(self, organisation_id: int, level: int, campaign: int | None = None) -> int:
        """Submit a complete assessment; overall score = gouvernance = level / 3 × 100
        (environment not addressed).  Returns the assessment id."""
        state = svc.open_assessment(self.engine, SYSTEM, organisation_id, campaign or self.campaign)
        rev = svc.set_not_addressed(
            self.engine, SYSTEM, state.id, ["environnement"], expected_revision=state.revision
        )
        cells = {key: v for key, v in COMPLETE_ANSWERS.items() if not key[0].startswith("env")}
        cells[("gouv-regles", "current")] = level
        for (question, horizon), value in cells.items():
            rev = svc.save_answer(
                self.engine, SYSTEM, state.id, question, horizon, value, expected_revision=rev
            )
        svc.submit(self.engine, SYSTEM, state.id, expected_revision=rev)
        return state.id

    def earlier_campaign(self, years_back: int) -> int:
        """A campaign ``years_back`` years before this one, open until the town closes."""
        today = date.today()
        return create_campaign(
            self.engine,
            SYSTEM,
            year=self.year - years_back,
            opens_on=today - timedelta(days=400 * years_back),
            closes_on=today + timedelta(days=years_back),
            grid_id=GRID_ID,
        )

    def close(self) -> None:
        """Close the campaigns: from then on their figures are published, and fixed."""
        close_campaigns(self.engine)

    def add(self, region: str, family: str, level: int, size: str = "1-9") -> int:
        organisation = self.org(region, family, size)
        self.submit(organisation, level)
        return organisation


@pytest.fixture
def town(engine: Engine) -> Town:
    sync_grids_from_dir(engine, GRIDS_V1)
    _fix_secret(engine)
    today = date.today()
    campaign = create_campaign(
        engine,
        SYSTEM,
        year=today.year,
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=60),
        grid_id=GRID_ID,
    )
    return Town(engine, campaign, today.year)


def score(level: int) -> float:
    return level / 3 * 100


def cell(tab: ProtectedTable, **key: str) -> Cell:
    return next(c for c in tab.cells if dict(c.key) == key)


def contribution(c: Cell, n: int | None = None) -> float | None:
    """``n × mean``: what an attacker takes for a cell's sum (``None``: hidden)."""
    if c.mean is None or c.n is None:
        return None
    return (n if n is not None else c.n) * c.mean


def estimate(terms: Sequence[tuple[int, float | None]], size: int) -> float | None:
    """``Σ sign × sum`` over the terms, divided by the target group's size."""
    if any(value is None for _, value in terms):
        return None
    return sum(sign * value for sign, value in terms if value is not None) / size


def assert_missed(guess: float | None, truth: float) -> None:
    assert guess is None or abs(guess - truth) > TOLERANCE, (guess, truth)


# ---------------------------------------------------------------------------
# the attacks of the issue
# ---------------------------------------------------------------------------


def test_region_total_minus_each_other_family(town: Town) -> None:
    coop = town.add("84", "cooperative", 3)
    for i in range(6):
        town.add("84", "association", i % 3)
    for i in range(5):
        town.add("84", "mutual", (i + 1) % 4)
    town.close()
    chamber = regional("84")
    year = town.year
    total = privacy.table(town.engine, chamber, campaign_year=year, region="84")
    families = privacy.table(
        town.engine, chamber, campaign_year=year, region="84", dims=("legal_family",)
    )
    assert cell(families, legal_family="cooperative").n is None  # 1 < k
    # the cooperative's group is never the difference of shown cells
    shown = [c for c in families.cells if c.n is not None]
    for exact in (False, True):
        counts = {"association": 6, "mutual": 5}
        terms = [(1, contribution(total.cells[0], 12 if exact else None))] + [
            (-1, contribution(c, counts[c.key["legal_family"]] if exact else None)) for c in shown
        ]
        if len(shown) == 2:  # only if every other family were shown
            assert_missed(estimate(terms, 1), score(3))
    assert families.hidden_cells >= 2  # the cooperative and the smallest other family
    assert "moins de 5 organisations" in families.note_fr
    assert coop


def test_nested_groups_differing_by_one(town: Town) -> None:
    for i in range(7):
        town.add("84", "association", i % 4, size="1-9")
    town.add("84", "association", 3, size="10-49")  # the one
    for i in range(6):
        town.add("11", "cooperative", i % 4, size="10-49")
    town.close()
    families = privacy.table(town.engine, NATIONAL, campaign_year=town.year, dims=("legal_family",))
    both = privacy.table(
        town.engine, NATIONAL, campaign_year=town.year, dims=("legal_family", "size_band")
    )
    outer = cell(families, legal_family="association")
    inner = cell(both, legal_family="association", size_band="1-9")
    assert outer.n is not None
    assert inner.n is None  # hidden: the rest of the line is one organisation
    for exact in (False, True):
        guess = estimate(
            [(1, contribution(outer, 8 if exact else None)), (-1, contribution(inner))], 1
        )
        assert_missed(guess, score(3))


def test_campaign_sets_and_year_totals_count_organisations(town: Town) -> None:
    engine = town.engine
    last = town.earlier_campaign(1)
    lone = town.org("84", "association")
    town.submit(lone, 3, campaign=last)  # only last year
    others = [town.org("84", "association") for _ in range(6)]
    for i, organisation in enumerate(others):
        town.submit(organisation, i % 3, campaign=last)
        town.submit(organisation, i % 3)  # the same answers this year
    single = town.earlier_campaign(2)
    town.submit(lone, 1, campaign=single)
    town.close()
    before = privacy.table(engine, NATIONAL, campaign_year=town.year - 1)
    now = privacy.table(engine, NATIONAL, campaign_year=town.year)
    for exact in (False, True):
        guess = estimate(
            [
                (1, contribution(before.cells[0], 7 if exact else None)),
                (-1, contribution(now.cells[0], 6 if exact else None)),
            ],
            1,
        )
        assert_missed(guess, score(3))
    # one campaign per request, counting organisations: no cell counts assessments
    assert before.cells[0].n is not None and abs(before.cells[0].n - 7) <= 2
    alone = privacy.table(engine, NATIONAL, campaign_year=town.year - 2, dims=("region",))
    assert all(c.n is None for c in alone.cells)
    total = privacy.table(engine, NATIONAL, campaign_year=town.year - 2)
    assert total.cells[0].n is None and total.cells[0].mean is None


def _everything(engine: Engine, actor: Actor, year: int) -> list[ProtectedTable]:
    """Every table of region 84 an attacker would compare across two readings."""
    out = []
    for measure in ("overall", "gouvernance"):
        for dims in ((), ("legal_family",), ("size_band",)):
            out.append(
                privacy.table(
                    engine, actor, campaign_year=year, region="84", dims=dims, measure=measure
                )
            )
        out.append(
            privacy.distribution(engine, actor, campaign_year=year, measure=measure, region="84")
        )
    return out


def test_reopen_and_resubmit_move_no_figure(town: Town) -> None:
    engine = town.engine
    target = town.org("84", "foundation")
    assessment_id = town.submit(target, 3)
    for i in range(6):
        town.add("84", "foundation", i % 3)
    chamber = regional("84")
    # while the campaign is open, no role reads its figures: nothing to compare
    with pytest.raises(privacy.NotPublished, match="publiés à sa clôture"):
        _everything(engine, chamber, town.year)
    # the layer itself (as the operator reads it): a reopened assessment still counts
    # with its last submission, the same answers give the same figures
    before = _everything(engine, SYSTEM, town.year)
    state = svc.get_assessment(engine, SYSTEM, assessment_id)
    rev = svc.reopen(engine, SYSTEM, assessment_id, expected_revision=state.revision)
    assert _everything(engine, SYSTEM, town.year) == before
    rev = svc.submit(engine, SYSTEM, assessment_id, expected_revision=rev)
    assert _everything(engine, SYSTEM, town.year) == before
    town.close()
    published = _everything(engine, chamber, town.year)
    assert published == before
    # once closed, no reopening, no resubmission: the published figures never move
    state = svc.get_assessment(engine, SYSTEM, assessment_id)
    with pytest.raises(svc.ReadOnly):
        svc.reopen(engine, SYSTEM, assessment_id, expected_revision=state.revision)
    with pytest.raises(CampaignError, match="ne rouvre pas"):
        extend_campaign(engine, SYSTEM, town.campaign, closes_on=date.today() + timedelta(days=9))
    assert _everything(engine, chamber, town.year) == published


def test_national_peer_group_minus_a_regions_group(town: Town) -> None:
    for i in range(5):
        town.add("84", "foundation", i % 4)
    far = town.add("11", "foundation", 3)  # the only foundation outside 84
    for i in range(6):
        town.add("11", "association", i % 4)
    town.close()
    national = privacy.table(town.engine, NATIONAL, campaign_year=town.year, dims=("legal_family",))
    regional_84 = privacy.table(
        town.engine, regional("84"), campaign_year=town.year, region="84", dims=("legal_family",)
    )
    outer = cell(national, legal_family="foundation")
    inner = cell(regional_84, legal_family="foundation")
    assert inner.n is None  # secondary suppression across the regions' linked tables
    guess = estimate([(1, contribution(outer, 6)), (-1, contribution(inner, 5))], 1)
    assert_missed(guess, score(3))
    # a member of a foundation in 84 gets its peer groups only, never a region's table
    member = Actor(user_id=None, email="m@test", role=Role.MEMBER, organisation_id=far)
    with pytest.raises(PermissionDenied):
        privacy.table(town.engine, member, campaign_year=town.year, region="84")
    with pytest.raises(PermissionDenied):
        privacy.peers(town.engine, member, far - 1, campaign_year=town.year)
    own = privacy.peers(town.engine, member, far, campaign_year=town.year)
    assert [c.key for c in own[0].cells] == [
        {"region": "11"},
        {"legal_family": "foundation"},
        {"size_band": "1-9"},
    ]


def test_hidden_families_of_two_to_four(town: Town) -> None:
    sizes = {"cooperative": 2, "mutual": 3, "foundation": 4}
    for family, count in sizes.items():
        for i in range(count):
            town.add("84", family, (i + 2) % 4)
    for i in range(12):
        town.add("84", "association", i % 4)
    town.close()
    chamber = regional("84")
    for measure in ("overall", "gouvernance"):
        families = privacy.table(
            town.engine,
            chamber,
            campaign_year=town.year,
            region="84",
            dims=("legal_family",),
            measure=measure,
        )
        for family in sizes:
            c = cell(families, legal_family=family)
            assert c.n is None and c.mean is None and c.quartiles is None
        total = privacy.table(
            town.engine, chamber, campaign_year=town.year, region="84", measure=measure
        )
        association = cell(families, legal_family="association")
        # what is left is the three hidden families together (9 >= k), never one of them
        for count in sizes.values():
            truth = sum(score((i + 2) % 4) for i in range(count)) / count
            guess = estimate(
                [(1, contribution(total.cells[0], 21)), (-1, contribution(association, 12))],
                count,
            )
            assert_missed(guess, truth)


def test_quartiles_of_a_group_of_five(town: Town) -> None:
    for i in range(5):
        town.add("84", "association", i % 4)
        town.add("11", "association", i % 4)
    for i in range(5):
        town.add("11", "association", (i + 1) % 4)
    town.close()
    total = privacy.table(town.engine, regional("84"), campaign_year=town.year, region="84")
    assert total.cells[0].n is not None and total.cells[0].quartiles is None
    total = privacy.table(town.engine, regional("11"), campaign_year=town.year, region="11")
    quartiles = total.cells[0].quartiles
    assert quartiles is not None
    assert all(q == round(q) for q in quartiles)
    assert quartiles[0] <= quartiles[1] <= quartiles[2]


def test_a_new_submission_between_two_reads(town: Town) -> None:
    """The time attack: the region before and after one organisation submits.  While
    the campaign is open nobody but the operator reads it; once it is closed, nobody
    can submit any more: there are never two published states to subtract."""
    for i in range(9):
        town.add("84", "association", i % 4)
    chamber = regional("84")
    for actor in (chamber, NATIONAL):
        with pytest.raises(privacy.NotPublished):
            privacy.table(town.engine, actor, campaign_year=town.year, region="84")
        assert not privacy.published(town.engine, actor, town.year)
    late = town.org("84", "association")
    town.close()
    assert privacy.published(town.engine, chamber, town.year)
    before = privacy.table(town.engine, chamber, campaign_year=town.year, region="84")
    with pytest.raises(svc.ReadOnly):
        town.submit(late, 3)
    after = privacy.table(town.engine, chamber, campaign_year=town.year, region="84")
    assert after == before


def test_a_move_after_the_close_moves_no_figure(town: Town) -> None:
    """An organisation that changes region, family or size after the close stays where
    it was when it submitted: the published cells of both regions never differ by it."""
    mover = town.add("84", "cooperative", 3, size="10-49")
    for i in range(8):
        town.add("84", "cooperative", i % 4, size="10-49")
        town.add("11", "cooperative", i % 4, size="10-49")
    town.close()

    def both() -> list[ProtectedTable]:
        return [
            privacy.table(
                town.engine, NATIONAL, campaign_year=town.year, dims=dims, measure=measure
            )
            for dims in (("region",), ("legal_family",), ("region", "size_band"))
            for measure in ("overall", "gouvernance")
        ]

    before = both()
    update_organisation(
        town.engine, SYSTEM, mover, region="11", legal_family="association", size_band="1-9"
    )
    privacy.clear_caches()  # as in another process, read afresh
    assert both() == before


def test_scopes_by_role(town: Town) -> None:
    for i in range(6):
        town.add("84", "association", i % 4)
        town.add("11", "association", i % 4)
    town.close()
    chamber = regional("84")
    with pytest.raises(PermissionDenied):
        privacy.table(town.engine, chamber, campaign_year=town.year, region="11")
    with pytest.raises(PermissionDenied):
        privacy.table(town.engine, chamber, campaign_year=town.year, dims=("region",))
    national_picture = privacy.table(town.engine, chamber, campaign_year=town.year)
    assert national_picture.cells[0].n is not None
    by_region = privacy.table(town.engine, NATIONAL, campaign_year=town.year, dims=("region",))
    assert {c.key["region"] for c in by_region.cells} == {"11", "84"}
    with pytest.raises(privacy.RequestError):
        privacy.table(
            town.engine,
            NATIONAL,
            campaign_year=town.year,
            dims=("legal_family", "size_band"),
            region="84",
        )


# ---------------------------------------------------------------------------
# demo data: 500 organisations
# ---------------------------------------------------------------------------


@pytest.fixture
def demo(engine: Engine) -> Engine:
    sync_grids_from_dir(engine, GRIDS_V1.parents[2] / "guide")
    _fix_secret(engine)
    seed_demo(engine, orgs=500, campaigns=2, seed=8)
    close_campaigns(engine)  # this year's figures are published from the close
    return engine


def _truth(engine: Engine, year: int) -> dict[int, tuple[dict[str, str], dict[str, float]]]:
    """Every organisation's dimensions and stored scores (current state) for ``year``."""
    s, a, o, c = (
        AssessmentScore.__table__,
        Assessment.__table__,
        Organisation.__table__,
        Campaign.__table__,
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                o.c.id,
                o.c.region,
                o.c.legal_family,
                o.c.size_band,
                o.c.sector,
                s.c.grid_id,
                s.c.grid_version,
                s.c.scores,
            )
            .select_from(s.join(a, a.c.id == s.c.assessment_id).join(o).join(c))
            .where(c.c.year == year)
        ).all()
    out = {}
    for r in rows:
        grid = get_grid(engine, r[5], r[6])
        decoded = score_store.decode(grid, r[7])
        values = {"overall": decoded.overall["current"]} | {
            item: v["current"] for item, v in decoded.items.items()
        }
        dims = {"region": r[1], "legal_family": r[2], "size_band": r[3], "sector": r[4] or "-"}
        out[r[0]] = (dims, {m: v for m, v in values.items() if v is not None})
    return out


def _members(
    truth: dict[int, tuple[dict[str, str], dict[str, float]]], measure: str, key: dict[str, str]
) -> set[int]:
    return {
        org
        for org, (dims, values) in truth.items()
        if measure in values and all(dims[d] == v for d, v in key.items())
    }


def test_demo_chamber_and_member_recover_nobody(demo: Engine) -> None:
    engine = demo
    year = max(privacy_years(engine))
    truth = _truth(engine, year)
    region = max(
        {d["region"] for d, _ in truth.values()},
        key=lambda r: sum(1 for d, _ in truth.values() if d["region"] == r),
    )
    chamber = regional(region)
    grid = get_grid(engine, DEFAULT_GRID_ID, _grid_version(engine, year))
    recovered = 0
    attempts = 0
    for measure in ("overall", *(item.id for item in grid.items)):
        published: list[tuple[dict[str, str], Cell]] = []
        scopes: list[tuple[str | None, tuple[str, ...]]] = [
            (region, ()),
            (region, ("legal_family",)),
            (region, ("size_band",)),
            (region, ("sector",)),
            (None, ()),
            (None, ("legal_family",)),
            (None, ("size_band",)),
            (None, ("sector",)),
            (None, ("legal_family", "size_band")),
        ]
        for scope, dims in scopes:
            tab = privacy.table(
                engine, chamber, campaign_year=year, region=scope, dims=dims, measure=measure
            )
            for c in tab.cells:
                key = dict(c.key) | ({"region": scope} if scope else {})
                published.append((key, c))
                if c.n is not None:
                    assert len(_members(truth, measure, key)) >= K
                    assert c.quartiles is None or c.n >= privacy.QUARTILE_MIN
        # every pair of nested shown cells differs by 0 or at least k organisations
        for (key_a, a), (key_b, b) in combinations(published, 2):
            if a.n is None or b.n is None:
                continue
            if set(key_a.items()) <= set(key_b.items()):
                outer, inner, big, small = key_a, key_b, a, b
            elif set(key_b.items()) <= set(key_a.items()):
                outer, inner, big, small = key_b, key_a, b, a
            else:
                continue
            gone = _members(truth, measure, outer) - _members(truth, measure, inner)
            assert len(gone) == 0 or len(gone) >= K, (outer, inner)
            if len(gone) == 1:  # never reached: kept for the record
                attempts += 1
                (target,) = gone
                guess = estimate(
                    [
                        (1, contribution(big, len(_members(truth, measure, outer)))),
                        (-1, contribution(small, len(_members(truth, measure, inner)))),
                    ],
                    1,
                )
                if guess is not None and abs(guess - truth[target][1][measure]) <= TOLERANCE:
                    recovered += 1
    assert recovered == 0 and attempts == 0
    # an ordinary member: its peer groups, nothing else
    member_org = next(org for org, (dims, _) in truth.items() if dims["region"] == region)
    member = Actor(user_id=None, email="m@test", role=Role.MEMBER, organisation_id=member_org)
    for other in {d["region"] for d, _ in truth.values()}:
        with pytest.raises(PermissionDenied):
            privacy.table(engine, member, campaign_year=year, region=other)
        with pytest.raises(PermissionDenied):
            privacy.distribution(
                engine, member, campaign_year=year, measure="overall", region=other
            )
    with pytest.raises(PermissionDenied):
        privacy.table(engine, member, campaign_year=year)
    # several measures at once: the same figures as one by one
    together = privacy.tables(engine, chamber, campaign_year=year, region=region)
    assert together[0] == privacy.table(engine, chamber, campaign_year=year, region=region)
    assert len(together) == (1 + len(grid.items)) * len(grid.horizons)
    peers = privacy.peers(engine, member, member_org, campaign_year=year)
    assert len(peers) == 1 + len(grid.items)
    for tab in peers:
        for c in tab.cells:
            if c.n is not None:
                assert len(_members(truth, tab.measure, dict(c.key))) >= K


def privacy_years(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [int(y) for y in conn.execute(select(Campaign.year)).scalars()]


def _grid_version(engine: Engine, year: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(select(Campaign.grid_version).where(Campaign.year == year)).scalar()
        )


# ---------------------------------------------------------------------------
# themes merged across grid versions (``replaces``)
# ---------------------------------------------------------------------------


def _lineage_town(engine: Engine) -> tuple[Grid, int]:
    """Last year's campaign on version 1 of ``grille-lignee`` (themes « énergie » and
    « eau », merged into « ressources » by version 2), answered so that a merged
    figure computed from the stored scores would give organisations away:

    * region 84, associations: 7 addressed « énergie » only, and one (the target)
      « eau » only, so that « ressources » over the 8 minus « énergie » over the 7
      would be its « eau » score;
    * region 84, cooperatives: 6 addressed both;
    * region 11: 6 associations addressed both; of 6 mutuals, all addressed
      « énergie » and one (another target) « eau » too.

    Returns version 2 (the grid a dashboard shows) and last year."""
    from .test_versions_lineage import V1, V2, _publish

    _fix_secret(engine)
    _publish(engine, V1)
    v2 = _publish(engine, V2)
    today = date.today()
    year = today.year - 1
    campaign = create_campaign(
        engine,
        SYSTEM,
        year=year,
        opens_on=today - timedelta(days=5),
        closes_on=today + timedelta(days=30),
        grid_id="grille-lignee",
        grid_version="1",
    )
    serial = 0

    def add(region: str, family: str, size: str, energy: int | None, water: int | None) -> None:
        nonlocal serial
        serial += 1
        org = create_organisation(
            engine,
            SYSTEM,
            name=f"Organisation lignée {serial}",
            siren=siren_with_key(f"8{serial:07d}"),
            region=region,
            legal_family=family,
            size_band=size,
        )
        state = svc.open_assessment(engine, SYSTEM, org, campaign)
        values: dict[tuple[str, str], object] = {
            ("gouv-regles", "current"): serial % 4,
            ("gouv-regles", "goal_1y"): 3,
        }
        for question, level in (("energie-suivi", energy), ("eau-suivi", water)):
            if level is not None:
                values |= {(question, "current"): level, (question, "goal_1y"): 3}
        skipped = [t for t, v in (("energie", energy), ("eau", water)) if v is None]
        revision = svc.save_cells(
            engine,
            SYSTEM,
            state.id,
            [svc.CellChange(q, h, value=v) for (q, h), v in values.items()],
            not_addressed=skipped,
            expected_revision=state.revision,
        )
        svc.submit(engine, SYSTEM, state.id, expected_revision=revision)

    for i in range(7):
        add("84", "association", "1-9", i % 4, None)
    add("84", "association", "10-49", None, 3)  # the target: the only « eau » of its family
    for i in range(6):
        add("84", "cooperative", "1-9", (i + 1) % 4, i % 4)
    for i in range(6):
        add("11", "association", "1-9", (i + 2) % 4, (i + 3) % 4)
    for i in range(6):
        add("11", "mutual", "10-49", i % 4, 3 if i == 0 else None)  # the other target
    close_campaigns(engine)
    return v2, year


def test_a_merged_theme_minus_its_visible_parts_gives_nobody_away(engine: Engine) -> None:
    """« ressources » (merged from « énergie » and « eau ») as the dashboards show last
    year's campaign, with every published table of « énergie » and « eau » beside it:
    no signed combination of up to three shown cells, one of them merged, isolates
    an organisation or a group smaller than k (the merged figure is a function of its
    parts' published cells, hidden as soon as one is), and no attack gets within ±5
    points, even with exact counts."""
    v2, year = _lineage_town(engine)
    truth = _truth(engine, year)
    sources = privacy.measure_sources(engine, v2, get_grid(engine, "grille-lignee", "1"),
                                      "ressources")  # fmt: skip
    assert sources == ["energie", "eau"]
    scopes: list[tuple[Actor, str | None, tuple[str, ...]]] = [
        (NATIONAL, None, dims)
        for dims in (
            (),
            ("region",),
            ("legal_family",),
            ("size_band",),
            ("region", "legal_family"),
            ("region", "size_band"),
            ("legal_family", "size_band"),
        )
    ] + [(regional("84"), "84", dims) for dims in ((), ("legal_family",), ("size_band",))]
    # every shown cell: (measure, key, cell, the (organisation, theme) scores it sums)
    shown: list[tuple[str, dict[str, str], Cell, frozenset[tuple[int, str]]]] = []
    merged_cells = 0
    for actor, region, dims in scopes:
        carried = privacy.carried_table(
            engine, actor, campaign_year=year, grid=v2, measure="ressources", dims=dims,
            region=region,
        )  # fmt: skip
        assert carried is not None
        parts = [
            privacy.table(engine, actor, campaign_year=year, measure=m, dims=dims, region=region)
            for m in sources
        ]
        for measure, tab in [("ressources", carried), *zip(sources, parts, strict=True)]:
            for c in tab.cells:
                key = dict(c.key) | ({"region": region} if region else {})
                themes = sources if measure == "ressources" else [measure]
                members = frozenset(
                    (org, theme) for theme in themes for org in _members(truth, theme, key)
                )
                if measure == "ressources":
                    # hidden as soon as one part is: never a part of fewer than k
                    part_sizes = [len(_members(truth, theme, key)) for theme in sources]
                    if c.n is not None:
                        merged_cells += 1
                        assert all(s == 0 or s >= K for s in part_sizes), (key, part_sizes)
                        assert c.quartiles is None
                    elif any(0 < s < K for s in part_sizes):
                        assert c.hidden_reason is not None
                if c.n is not None:
                    shown.append((measure, key, c, members))
    assert merged_cells >= 3  # the attack has merged figures to work with
    # the naive attack on the first target: 84's associations, merged minus « énergie »
    families_84 = {
        m: privacy.table(
            engine,
            regional("84"),
            campaign_year=year,
            measure=m,
            region="84",
            dims=("legal_family",),
        )
        for m in sources
    }
    merged_84 = privacy.carried_table(
        engine, regional("84"), campaign_year=year, grid=v2, measure="ressources", region="84",
        dims=("legal_family",),
    )  # fmt: skip
    assert merged_84 is not None
    assert cell(families_84["energie"], legal_family="association").n is not None
    assert cell(families_84["eau"], legal_family="association").n is None  # 1 < k
    assert cell(merged_84, legal_family="association").n is None  # and so the merge
    target = next(
        org
        for org, (dims, values) in truth.items()
        if dims["region"] == "84" and dims["size_band"] == "10-49" and "eau" in values
    )
    guess = estimate(
        [
            (1, contribution(cell(merged_84, legal_family="association"), 8)),
            (-1, contribution(cell(families_84["energie"], legal_family="association"), 7)),
        ],
        1,
    )
    assert_missed(guess, truth[target][1]["eau"])
    # every signed combination of two or three shown cells, one merged at least
    everyone = sorted({m for *_, members in shown for m in members})
    column = {m: i for i, m in enumerate(everyone)}
    vectors = np.zeros((len(shown), len(everyone)), dtype=np.int64)
    for row, (*_, members) in enumerate(shown):
        for m in members:
            vectors[row, column[m]] = 1
    merged_rows = [i for i, (measure, *_) in enumerate(shown) if measure == "ressources"]
    sums = np.array(
        [contribution(c, len(members)) or 0.0 for _, _, c, members in shown], dtype=np.float64
    )
    attempts = recovered = 0
    for i in merged_rows:
        for j in range(len(shown)):
            if j == i:
                continue
            for sign in (1, -1):
                pair = vectors[i] + sign * vectors[j]
                # the pair alone, then with a third cell taken away or added
                candidates = np.vstack([pair[None, :], pair - vectors, pair + vectors])
                terms = np.concatenate([[0.0], -sums, sums]) + sums[i] + sign * sums[j]
                binary = (candidates >= 0).all(axis=1) & (candidates <= 1).all(axis=1)
                sizes = candidates.sum(axis=1)
                for at in np.flatnonzero(binary & (sizes > 0) & (sizes < K)).tolist():
                    attempts += 1
                    left = [everyone[c] for c in np.flatnonzero(candidates[at]).tolist()]
                    truth_mean = sum(truth[o][1][theme] for o, theme in left) / len(left)
                    if abs(terms[at] / len(left) - truth_mean) <= TOLERANCE:
                        recovered += 1
    assert recovered == 0 and attempts == 0, (attempts, recovered)


def test_research_microdata_of_closed_campaigns_only(town: Town) -> None:
    """An extract taken before and after one more submission would show whose line is
    new: like every score figure, microdata come from closed campaigns only."""
    for i in range(6):
        town.add("84", "association", i % 4)
    assert microdata.research_extract(town.engine, NATIONAL).rows == ()
    town.close()
    assert len(microdata.research_extract(town.engine, NATIONAL).rows) == 6

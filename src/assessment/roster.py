"""A campaign's roster: every organisation of a region (or of France) with the state of
its assessment, kept in memory per process and brought up to date from the data
version.

What it serves
    The regional chamber's live lists: the participation list (status, last
    change, administrators to remind) and the shared answers (submitted
    assessments of organisations that share them), and the participation counts
    of the national overview (:mod:`assessment.campaigns` checks the
    permissions on every call, then reads here).  Unlike the aggregates, these
    lists are live: a draft saved a second ago shows.

How it stays exact without reading every organisation on every rerun
    Two counters of the ``data_version`` row (migration 0010,
    :mod:`assessment.score_store`), bumped in the transactions that make the
    changes:

    * ``roster`` (an organisation created, imported or changing its sharing
      choice; an account created, invited, deactivated or reactivated), with the
      row's ``token`` and ``organisations`` counter: when one of them moved, the
      roster is read again in full;
    * ``activity`` (every write to an assessment), with which the assessment is
      stamped (``assessments.activity``, indexed with its campaign): when only it
      moved, the assessments stamped since the roster's last look are read (one
      index range) and their lines replaced.

    Stamps commit in order (the counter row stays locked until each writer's
    transaction ends), and the counter is read before the rows: every stamp up
    to the value read is visible to the read that follows.  Rows stamped after
    it may be seen too; reading them again later changes nothing.

    A roster is never changed once returned: a catch-up builds a new one, so a
    request still reading the previous one keeps it whole.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import Engine, and_, select

from assessment import score_store
from assessment.db import NotFound, read_connection
from assessment.tables import Assessment, Campaign, Organisation, User

Status = Literal["not_started", "draft", "submitted"]
STATUSES: tuple[Status, ...] = ("not_started", "draft", "submitted")


@dataclass(frozen=True, slots=True)
class ParticipationRow:
    """One organisation's status in a campaign (never its answers)."""

    organisation_id: int
    name: str
    identifier: str
    """``SIREN 123456789`` or ``RNA W751234567``."""
    region: str
    legal_family: str
    size_band: str
    status: Status
    updated_at: datetime | None
    """Last change of its assessment (``None``: not started)."""
    contacts: tuple[str, ...]
    """E-mail addresses of its active administrators (for reminders)."""
    assessment_id: int | None = None
    submitted_at: datetime | None = None
    shared_with_region: bool = False
    """Whether the organisation shows its answers to its chamber."""


@dataclass(frozen=True, eq=False)
class Roster:
    """The organisations of a scope, by name, with their assessment in one campaign."""

    rows: tuple[ParticipationRow, ...]
    position: dict[int, int]
    """Organisation id → index in ``rows``."""
    key: tuple[str, int, int]
    """``(token, organisations, roster)`` of the data version it was read at in full."""
    activity: int
    """The ``activity`` it has caught up with."""
    _counts: dict[str, dict[str, Counter[str]]] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def shared(self) -> tuple[ParticipationRow, ...]:
        """The submitted assessments of organisations that share them with their chamber."""
        return tuple(r for r in self.rows if r.status == "submitted" and r.shared_with_region)

    def counts(self, by: str) -> dict[str, Counter[str]]:
        """Status counts per value of ``by`` (``region``, ``legal_family``, ``size_band``),
        counted once per roster (a roster never changes): copies, for the caller."""
        found = self._counts.get(by)
        if found is None:
            self._counts[by] = found = participation_counts(self.rows, by)
        return {value: Counter(counts) for value, counts in found.items()}


def participation_counts(rows: Iterable[ParticipationRow], by: str) -> dict[str, Counter[str]]:
    """Status counts per value of ``by`` (``legal_family``, ``size_band`` or ``region``)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[getattr(row, by)][row.status] += 1
    return dict(counts)


def no_campaign(campaign_id: int) -> NotFound:
    return NotFound(f"Campagne n° {campaign_id} introuvable.")


_MAX = 64
_rosters: OrderedDict[tuple[str, int, str | None], Roster] = OrderedDict()
_lock = threading.Lock()


def roster(engine: Engine, campaign_id: int, region: str | None) -> Roster:
    """The roster of ``region`` (``None``: every region) in the campaign, as of the
    data version (the pinned one inside :func:`assessment.score_store.one_version`).
    No permission is checked here: callers check theirs first."""
    version = score_store.live_version(engine)
    key = (version.token, version.organisations, version.roster)
    where = (score_store.engine_key(engine), campaign_id, region)
    with _lock:
        cached = _rosters.get(where)
        if cached is not None:
            _rosters.move_to_end(where)
    if cached is not None and cached.key == key and cached.activity >= version.activity:
        return cached
    found = None
    if cached is not None and cached.key == key:
        found = _catch_up(engine, cached, campaign_id, region, version.activity)
    if found is None:
        found = _read(engine, campaign_id, region, key, version.activity)
    with _lock:
        current = _rosters.get(where)
        if current is None or current.key != key or current.activity <= found.activity:
            _rosters[where] = found
        while len(_rosters) > _MAX:
            _rosters.popitem(last=False)
    return found


def clear_cache() -> None:
    """Forget every roster (tests, a database swapped under a process)."""
    with _lock:
        _rosters.clear()


_o = Organisation.__table__
_a = Assessment.__table__
_u = User.__table__


def _read(
    engine: Engine, campaign_id: int, region: str | None, key: tuple[str, int, int], activity: int
) -> Roster:
    stmt = (
        select(
            _o.c.id, _o.c.name, _o.c.siren, _o.c.rna, _o.c.region, _o.c.legal_family,
            _o.c.size_band, _o.c.shared_with_region, _a.c.id, _a.c.status, _a.c.updated_at,
            _a.c.submitted_at,
        )
        .select_from(
            _o.outerjoin(_a, and_(_a.c.organisation_id == _o.c.id, _a.c.campaign_id == campaign_id))
        )
        .order_by(_o.c.name, _o.c.id)
    )  # fmt: skip
    contacts_stmt = (
        select(_u.c.organisation_id, _u.c.email)
        .select_from(_u.join(_o, _o.c.id == _u.c.organisation_id))
        .where(_u.c.role == "org_admin", _u.c.active.is_(True))
        .order_by(_u.c.email)
    )
    if region is not None:
        stmt = stmt.where(_o.c.region == region)
        contacts_stmt = contacts_stmt.where(_o.c.region == region)
    with read_connection(engine) as conn:
        if conn.execute(select(Campaign.id).where(Campaign.id == campaign_id)).first() is None:
            raise no_campaign(campaign_id)
        rows = conn.execute(stmt).all()
        contacts: dict[int, list[str]] = defaultdict(list)
        for organisation_id, email in conn.execute(contacts_stmt):
            contacts[organisation_id].append(email)
    lines = tuple(
        ParticipationRow(
            org_id, name, f"SIREN {siren}" if siren else f"RNA {rna}", org_region, family,
            size, "not_started" if status is None else status, updated_at,
            tuple(contacts.get(org_id, ())), assessment_id, submitted_at, bool(shared),
        )
        for (
            org_id, name, siren, rna, org_region, family, size, shared, assessment_id, status,
            updated_at, submitted_at,
        ) in rows
    )  # fmt: skip
    position = {row.organisation_id: i for i, row in enumerate(lines)}
    return Roster(lines, position, key, activity)


def _catch_up(
    engine: Engine, cached: Roster, campaign_id: int, region: str | None, activity: int
) -> Roster | None:
    """``cached`` with the assessments stamped since its ``activity``; ``None`` when one
    belongs to an organisation it does not list (read it again in full)."""
    stmt = select(
        _a.c.organisation_id, _a.c.id, _a.c.status, _a.c.updated_at, _a.c.submitted_at
    ).where(_a.c.campaign_id == campaign_id, _a.c.activity > cached.activity)
    if region is not None:
        stmt = stmt.join(_o, _o.c.id == _a.c.organisation_id).where(_o.c.region == region)
    with read_connection(engine) as conn:
        changed = conn.execute(stmt).all()
    if not changed:  # changes elsewhere: the same rows, their counts kept
        return Roster(cached.rows, cached.position, cached.key, activity, cached._counts)
    rows = list(cached.rows)
    counts = {
        by: {value: Counter(found) for value, found in table.items()}
        for by, table in cached._counts.items()
    }  # the counts already made, moved by the changed lines alone
    for organisation_id, assessment_id, status, updated_at, submitted_at in changed:
        index = cached.position.get(organisation_id)
        if index is None:
            return None
        old = rows[index]
        for by, table in counts.items():
            table[getattr(old, by)][old.status] -= 1
            table[getattr(old, by)][status] += 1
        rows[index] = dataclasses.replace(
            old,
            status=cast(Status, status),
            updated_at=updated_at,
            assessment_id=assessment_id,
            submitted_at=submitted_at,
        )
    for table in counts.values():
        for found in table.values():
            found -= Counter()  # no zero counts, as when counted from scratch
    return Roster(tuple(rows), cached.position, cached.key, activity, counts)

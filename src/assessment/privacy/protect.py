"""The protection itself, pure (no database): linked tables, suppression, cell keys.

One *column* is one measure at one horizon (or a derived 0/100 value such as
goal attainment): a number per organisation, NaN where it has none.  For a
column, :func:`protect` computes every cell of every linked table at once (the
tables are those of :data:`TABLES`, or any set closed under taking a parent),
decides which cells are hidden, and perturbs the others.  See
``docs/privacy.md`` for the reasoning; in short:

* **primary suppression** (INSEE: at least 3 units per cell; we use ``k``): a
  cell of fewer than ``k`` organisations is hidden;
* **dominance** (INSEE: no unit over 85 % of a cell): a cell where one
  organisation's value is more than 85 % of the cell's sum is hidden;
* **secondary suppression across linked tables** (as τ-Argus): in every *line*
  (the cells of a table that share all dimensions but one, whose union is a
  cell of the parent table), the hidden cells hold 0 or at least ``k``
  organisations when the parent is shown, and at least ``min(k, parent)``
  when the parent is hidden (so a hidden parent is never the sum of its shown
  children); otherwise the smallest shown cell of the line is hidden too,
  until that holds everywhere.  So the difference of two nested published
  cells is empty or covers at least ``k`` organisations;
* **cell-key perturbation** (ABS TableBuilder): each organisation's record
  has a secret key; a cell's key is the sum of its contributors' keys modulo
  :data:`KEY_RANGE`.  The noise added to a cell's count and sum is a fixed
  function of that key, so the same set of organisations always gets the same
  answer, and two cells whose sets differ get unrelated noise;
* **rounding**: means to one decimal, quartiles (only from 10 organisations)
  to whole points.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt

__all__ = [
    "DOMINANCE",
    "KEY_RANGE",
    "QUARTILE_MIN",
    "QUARTILE_NOISE",
    "SCALE",
    "SUM_NOISE",
    "Column",
    "Protected",
    "RawCell",
    "count_noise",
    "lattice_tables",
    "protect",
    "record_key",
    "sum_noise",
    "suppress",
    "uniform",
]

KEY_RANGE = 1 << 24
"""Record and cell keys are integers in ``[0, KEY_RANGE)``.  Sums of up to 2**29
record keys stay exact in float64."""
DOMINANCE = 0.85
"""A cell is hidden when one organisation holds more than this share of its sum."""
SCALE = 100.0
"""Scores are on 0-100."""
SUM_NOISE = 40.0
"""The noise added to a cell's sum of scores is uniform in ``±SUM_NOISE`` points:
the mean of ``n`` organisations moves by at most ``SUM_NOISE / n``."""
QUARTILE_MIN = 10
"""Quartiles are published from this many organisations up."""
QUARTILE_NOISE = 2.0
"""Quartiles are shifted by up to this many points (one shift per cell), then rounded."""
_COUNT_STEPS = ((0.1, -2), (0.3, -1), (0.7, 0), (0.9, 1), (1.0, 2))
"""Count noise: the cumulative probabilities of -2, -1, 0, +1, +2."""

CellId = tuple[tuple[str, ...], tuple[str, ...]]
"""``(table dimensions, the cell's codes in that order)``; ``((), ())`` is the total."""
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# ---------------------------------------------------------------------------
# keys and noise
# ---------------------------------------------------------------------------


def record_key(secret: bytes, record: str, scores: bytes) -> int:
    """A record's key in ``[0, KEY_RANGE)``: a keyed hash of the record's identity
    (organisation and campaign) and its stored scores.

    The same submission always has the same key (resubmitting the same answers
    changes no figure, so resubmissions cannot be averaged out), a changed
    submission gets a new one; without the secret nobody can compute it.
    """
    digest = hashlib.blake2b(record.encode() + b"\0" + scores, key=secret, digest_size=3).digest()
    return int.from_bytes(digest, "little")


def uniform(cell_key: int, n: int, label: str) -> float:
    """A number in ``[-1, 1)`` that depends only on the cell's key, size and ``label``."""
    digest = hashlib.blake2b(f"{cell_key}:{n}:{label}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**63 - 1.0


def count_noise(cell_key: int, n: int) -> int:
    """-2 to +2, mostly 0, fixed by the cell's key (the same set of organisations gets
    the same count in every table and for every measure)."""
    u = (uniform(cell_key, n, "n") + 1.0) / 2.0
    for threshold, step in _COUNT_STEPS:
        if u < threshold:
            return step
    return _COUNT_STEPS[-1][1]  # pragma: no cover - u < 1


def sum_noise(cell_key: int, n: int, column: str) -> float:
    """The noise added to a cell's sum for ``column``: uniform in ``±SUM_NOISE``."""
    return SUM_NOISE * uniform(cell_key, n, column)


# ---------------------------------------------------------------------------
# linked tables
# ---------------------------------------------------------------------------


def lattice_tables(dimensions: Sequence[str], depth: int = 2) -> tuple[tuple[str, ...], ...]:
    """Every combination of at most ``depth`` of ``dimensions`` (kept in their order),
    the empty one (the total) first."""
    return tuple(c for size in range(depth + 1) for c in combinations(dimensions, size))


@dataclass(frozen=True, slots=True)
class Column:
    """One column's values and the organisations' attributes, aligned by row."""

    name: str
    values: FloatArray
    """NaN: the organisation has no value (e.g. theme not addressed)."""
    keys: FloatArray
    """Record keys (integers stored as float64)."""
    codes: Mapping[str, IntArray]
    """Per dimension, each row's index into ``labels[dimension]``."""
    labels: Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class RawCell:
    """A cell before protection (never leaves :mod:`assessment.privacy`)."""

    n: int
    total: float
    largest: float
    cell_key: int


def raw_cells(column: Column, tables: Iterable[tuple[str, ...]]) -> dict[CellId, RawCell]:
    """Count, sum, largest value and cell key of every non-empty cell of ``tables``."""
    present = ~np.isnan(column.values)
    values = column.values[present]
    keys = column.keys[present]
    codes = {d: c[present] for d, c in column.codes.items()}
    out: dict[CellId, RawCell] = {}
    for dims in tables:
        sizes = [len(column.labels[d]) for d in dims]
        group = np.zeros(len(values), dtype=np.int64)
        width = 1
        for d, size in zip(dims, sizes, strict=True):
            group = group * size + codes[d]
            width *= size
        counts = np.bincount(group, minlength=width)
        sums = np.bincount(group, weights=values, minlength=width)
        key_sums = np.bincount(group, weights=keys, minlength=width)
        largest = np.full(width, -np.inf)
        np.maximum.at(largest, group, values)
        for g in np.flatnonzero(counts):
            index = int(g)
            labels: list[str] = []
            for d, size in zip(reversed(dims), reversed(sizes), strict=True):
                index, code = divmod(index, size)
                labels.append(column.labels[d][code])
            out[(dims, tuple(reversed(labels)))] = RawCell(
                int(counts[g]), float(sums[g]), float(largest[g]), int(key_sums[g]) % KEY_RANGE
            )
    return out


# ---------------------------------------------------------------------------
# suppression
# ---------------------------------------------------------------------------

PRIMARY = "primary"
DOMINANT = "dominance"
SECONDARY = "secondary"


def suppress(
    cells: Mapping[CellId, RawCell],
    k: int,
    *,
    already: Mapping[CellId, str] | None = None,
    dominance: bool = True,
) -> dict[CellId, str]:
    """The hidden cells and why (:data:`PRIMARY`, :data:`DOMINANT`, :data:`SECONDARY`).

    ``cells`` must hold every non-empty cell of a set of tables closed under taking
    a parent (dropping one dimension).  ``already``: cells hidden for another
    reason (kept hidden, with their reason).
    """
    hidden: dict[CellId, str] = {}
    for cell_id, cell in cells.items():
        if cell.n < k:
            hidden[cell_id] = PRIMARY
        elif dominance and cell.total > 0 and cell.largest > DOMINANCE * cell.total:
            hidden[cell_id] = DOMINANT
    for cell_id, reason in (already or {}).items():
        if cell_id in cells:
            hidden.setdefault(cell_id, reason)
    # lines: (parent cell, the dimension dropped) -> children
    lines: dict[tuple[CellId, str], list[CellId]] = {}
    for cell_id in cells:
        dims, codes = cell_id
        for i, d in enumerate(dims):
            parent = (dims[:i] + dims[i + 1 :], codes[:i] + codes[i + 1 :])
            lines.setdefault((parent, d), []).append(cell_id)
    changed = True
    while changed:
        changed = False
        for (parent, _d), children in lines.items():
            if parent not in cells:
                continue
            hidden_n = sum(cells[c].n for c in children if c in hidden)
            need = k if parent not in hidden else min(k, cells[parent].n)
            if hidden_n == 0 and parent not in hidden:
                continue
            if hidden_n >= need:
                continue
            shown = [c for c in children if c not in hidden]
            if not shown:
                continue
            smallest = min(shown, key=lambda c: (cells[c].n, c))
            hidden[smallest] = SECONDARY
            changed = True
    return hidden


# ---------------------------------------------------------------------------
# publishing
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Protected:
    """A published cell: perturbed count and mean, or the reason it is hidden."""

    n: int | None
    mean: float | None
    hidden: str | None
    cell_key: int
    true_n: int
    """Kept for quartiles (from :data:`QUARTILE_MIN`) and consistency tests; never shown."""


def publish(cell: RawCell, column: str, k: int, hidden: str | None) -> Protected:
    """The protected figures of one cell."""
    if hidden is not None:
        return Protected(None, None, hidden, cell.cell_key, cell.n)
    n = max(k, cell.n + count_noise(cell.cell_key, cell.n))
    mean = (cell.total + sum_noise(cell.cell_key, cell.n, column)) / cell.n
    mean = round(min(SCALE, max(0.0, mean)), 1)
    return Protected(n, mean, None, cell.cell_key, cell.n)


def protect(
    column: Column,
    tables: Sequence[tuple[str, ...]],
    k: int,
    *,
    already: Mapping[CellId, str] | None = None,
    dominance: bool = True,
) -> dict[CellId, Protected]:
    """Every cell of ``tables`` for ``column``, protected together."""
    cells = raw_cells(column, tables)
    hidden = suppress(cells, k, already=already, dominance=dominance)
    return {
        cell_id: publish(cell, column.name, k, hidden.get(cell_id))
        for cell_id, cell in cells.items()
    }


def quartiles(values: FloatArray, cell_key: int, column: str) -> tuple[float, float, float] | None:
    """Rounded, shifted quartiles of a cell's values, or ``None`` under :data:`QUARTILE_MIN`.

    Linear interpolation (``QUARTILE.INC``); one shift for the three, fixed by the
    cell's key, so they stay in order; whole points, within 0-100.
    """
    n = len(values)
    if n < QUARTILE_MIN:
        return None
    q1, q2, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
    shift = QUARTILE_NOISE * uniform(cell_key, n, f"{column}:quartiles")

    def shown(q: float) -> float:
        return float(round(min(SCALE, max(0.0, q + shift))))

    return shown(q1), shown(q2), shown(q3)

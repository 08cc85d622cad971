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

import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

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


_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: a well-spread 64-bit hash of each element."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@functools.cache
def _label_hash(label: str) -> np.uint64:
    return np.uint64(
        int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little")
    )


def uniforms(cell_keys: npt.ArrayLike, ns: npt.ArrayLike, label: str | Sequence[str]) -> FloatArray:
    """For each cell, a number in ``[-1, 1)`` that depends only on its key, its size and
    ``label`` (one per column, the last axis, when a sequence); vectorised,
    :func:`uniform` for one cell."""
    keys = np.asarray(cell_keys, dtype=np.uint64)
    sizes = np.asarray(ns, dtype=np.uint64)
    if isinstance(label, str):
        salt: Any = _label_hash(label)
    else:
        salt = np.array([_label_hash(x) for x in label], dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = _mix(keys * np.uint64(0x9E3779B97F4A7C15) + salt)
        x = _mix(x ^ (sizes * np.uint64(0xD1B54A32D192ED03)))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 52) - 1.0


def uniform(cell_key: int, n: int, label: str) -> float:
    """A number in ``[-1, 1)`` that depends only on the cell's key, size and ``label``."""
    return float(uniforms([cell_key], [n], label)[0])


def count_noises(cell_keys: npt.ArrayLike, ns: npt.ArrayLike) -> IntArray:
    """-2 to +2, mostly 0, fixed by each cell's key (the same set of organisations gets
    the same count in every table and for every measure)."""
    u = (uniforms(cell_keys, ns, "n") + 1.0) / 2.0
    thresholds = np.array([t for t, _ in _COUNT_STEPS[:-1]])
    steps = np.array([s for _, s in _COUNT_STEPS], dtype=np.int64)
    return steps[np.searchsorted(thresholds, u, side="right")]


def count_noise(cell_key: int, n: int) -> int:
    return int(count_noises([cell_key], [n])[0])


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


@dataclass(frozen=True)
class Lattice:
    """The cells of a set of linked tables, numbered in a fixed order (table, then the
    cells' codes), with their lines: each line is a parent cell and the dimension
    dropped, its children the cells of the finer table that fall in the parent."""

    tables: tuple[tuple[str, ...], ...]
    cells: tuple[CellId, ...]
    index: Mapping[CellId, int]
    by_table: Mapping[tuple[str, ...], tuple[int, ...]]
    """Each table's cells, in order."""
    child: IntArray
    line: IntArray
    parent: IntArray
    """``child[e]`` belongs to line ``line[e]`` (edges sorted by line), whose parent
    cell is ``parent[line]``."""

    @property
    def starts(self) -> IntArray:
        """Where each line's edges start."""
        return np.flatnonzero(np.r_[True, np.diff(self.line) != 0]) if len(self.line) else self.line

    @classmethod
    def of(cls, cell_ids: Iterable[CellId]) -> Lattice:
        """The lattice of ``cell_ids`` (every cell's parents must be among them)."""
        cells = tuple(sorted(set(cell_ids), key=lambda c: (len(c[0]), c)))
        index = {c: i for i, c in enumerate(cells)}
        lines: dict[tuple[int, str], int] = {}
        child, line = [], []
        for i, (dims, codes) in enumerate(cells):
            for j in range(len(dims)):
                parent = index[(dims[:j] + dims[j + 1 :], codes[:j] + codes[j + 1 :])]
                key = (parent, dims[j])
                child.append(i)
                line.append(lines.setdefault(key, len(lines)))
        parents = np.zeros(len(lines), dtype=np.int64)
        for (parent, _d), number in lines.items():
            parents[number] = parent
        by_line = np.argsort(np.array(line, dtype=np.int64), kind="stable")
        child = list(np.array(child, dtype=np.int64)[by_line])
        line = list(np.array(line, dtype=np.int64)[by_line])
        by_table: dict[tuple[str, ...], list[int]] = {}
        for i, (dims, _codes) in enumerate(cells):
            by_table.setdefault(dims, []).append(i)
        return cls(
            tuple(sorted(by_table, key=lambda d: (len(d), d))),
            cells,
            index,
            {dims: tuple(v) for dims, v in by_table.items()},
            np.array(child, dtype=np.int64),
            np.array(line, dtype=np.int64),
            parents,
        )


def catalogue(
    codes: Mapping[str, IntArray],
    labels: Mapping[str, Sequence[str]],
    tables: Sequence[tuple[str, ...]],
) -> tuple[Lattice, dict[tuple[str, ...], IntArray]]:
    """The lattice of the non-empty cells of ``tables`` over the rows, and for each
    table each row's cell (an index into the lattice)."""
    size = len(next(iter(codes.values()))) if codes else 0
    found: list[CellId] = []
    local: dict[tuple[str, ...], tuple[list[CellId], IntArray]] = {}
    for dims in tables:
        group = np.zeros(size, dtype=np.int64)
        for d in dims:
            group = group * len(labels[d]) + codes[d]
        present, inverse = np.unique(group, return_inverse=True)
        ids: list[CellId] = []
        for g in present:
            rest, parts = int(g), []
            for d in reversed(dims):
                rest, code = divmod(rest, len(labels[d]))
                parts.append(labels[d][code])
            ids.append((dims, tuple(reversed(parts))))
        local[dims] = (ids, inverse.astype(np.int64).reshape(-1))
        found += ids
    lattice = Lattice.of(found)
    cell_of = {
        dims: np.array([lattice.index[c] for c in ids], dtype=np.int64)[inverse]
        if ids
        else np.zeros(0, dtype=np.int64)
        for dims, (ids, inverse) in local.items()
    }
    return lattice, cell_of


@dataclass(frozen=True)
class Stats:
    """Per cell of a :class:`Lattice` and per column: count, sum, largest value and the
    sum of record keys (exact integers) of the rows that have a value."""

    counts: FloatArray
    sums: FloatArray
    largest: FloatArray
    key_sums: FloatArray


def _stats_of(rows: FloatArray, keys: FloatArray) -> tuple[Any, Any, Any, Any]:
    present = ~np.isnan(rows)
    return (
        present.sum(axis=0),
        np.where(present, rows, 0.0).sum(axis=0),
        np.where(present, rows, -np.inf).max(axis=0, initial=-np.inf),
        (present * keys[:, None]).sum(axis=0),
    )


def cell_stats(
    lattice: Lattice,
    cell_of: Mapping[tuple[str, ...], IntArray],
    matrix: FloatArray,
    keys: FloatArray,
) -> Stats:
    """:class:`Stats` of every cell and column (``matrix``: rows × columns, NaN: none)."""
    shape = (len(lattice.cells), matrix.shape[1])
    counts, sums, key_sums = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    largest = np.full(shape, -np.inf)
    if len(matrix):
        present = ~np.isnan(matrix)
        zeroed = np.where(present, matrix, 0.0)
        lowest = np.where(present, matrix, -np.inf)
        keyed = present * keys[:, None]
        for cells in cell_of.values():
            order = np.argsort(cells, kind="stable")
            ordered = cells[order]
            starts = np.flatnonzero(np.r_[True, np.diff(ordered) != 0])
            where = ordered[starts]
            counts[where] = np.add.reduceat(present[order], starts, axis=0)
            sums[where] = np.add.reduceat(zeroed[order], starts, axis=0)
            key_sums[where] = np.add.reduceat(keyed[order], starts, axis=0)
            largest[where] = np.maximum.reduceat(lowest[order], starts, axis=0)
    return Stats(counts, sums, largest, key_sums)


def recount(
    stats: Stats,
    cell_of: Mapping[tuple[str, ...], IntArray],
    columns: Sequence[FloatArray],
    keys: FloatArray,
    rows: Sequence[int],
    before: FloatArray,
    before_keys: FloatArray,
) -> Stats:
    """``stats`` after ``rows`` of ``columns``/``keys`` (one array per column) changed
    from ``before``/``before_keys`` (NaN rows: new organisations): the rows' old
    contributions taken out of their cells and the new ones put in (counts and key
    sums are integers, exact); a cell's largest value is computed again from its
    rows only when the old value was it and the new one is smaller."""
    counts, sums = stats.counts.copy(), stats.sums.copy()
    largest, key_sums = stats.largest.copy(), stats.key_sums.copy()
    for i, row in enumerate(rows):
        old, new = before[i], np.array([c[row] for c in columns])
        had, has = ~np.isnan(old), ~np.isnan(new)
        delta_n = has.astype(np.float64) - had
        delta_sum = np.where(has, new, 0.0) - np.where(had, old, 0.0)
        delta_key = has * keys[row] - had * before_keys[i]
        new_low = np.where(has, new, -np.inf)
        for cells in cell_of.values():
            cell = int(cells[row])
            counts[cell] += delta_n
            sums[cell] += delta_sum
            key_sums[cell] += delta_key
            lost = had & (old >= largest[cell]) & ~(new_low >= old)
            if lost.any():  # the largest value left this cell: from its rows again
                members = np.flatnonzero(cells == cell)
                values = np.column_stack([columns[int(j)][members] for j in np.flatnonzero(lost)])
                largest[cell, lost] = _stats_of(values, keys[members])[2]
            largest[cell] = np.maximum(largest[cell], new_low)
    return Stats(counts, sums, largest, key_sums)


def raw_cells(column: Column, tables: Iterable[tuple[str, ...]]) -> dict[CellId, RawCell]:
    """Count, sum, largest value and cell key of every non-empty cell of ``tables``."""
    present = ~np.isnan(column.values)
    codes = {d: c[present] for d, c in column.codes.items()}
    lattice, cell_of = catalogue(codes, column.labels, tuple(tables))
    stats = cell_stats(lattice, cell_of, column.values[present][:, None], column.keys[present])
    return {
        c: RawCell(
            int(stats.counts[i, 0]),
            float(stats.sums[i, 0]),
            float(stats.largest[i, 0]),
            int(stats.key_sums[i, 0]) % KEY_RANGE,
        )
        for i, c in enumerate(lattice.cells)
    }


# ---------------------------------------------------------------------------
# suppression
# ---------------------------------------------------------------------------

SHOWN, PRIMARY, DOMINANT, SECONDARY = "", "primary", "dominance", "secondary"
REASONS = (SHOWN, PRIMARY, DOMINANT, SECONDARY)


def suppress_arrays(
    lattice: Lattice,
    n: IntArray,
    total: FloatArray,
    largest: FloatArray,
    k: int,
    *,
    already: npt.NDArray[np.int8] | None = None,
    dominance: bool = True,
) -> npt.NDArray[np.int8]:
    """Each cell's reason to be hidden, as an index into :data:`REASONS` (0: shown).

    ``n``, ``total``, ``largest``: per cell (shape ``(cells,)``), or per cell and
    column (``(cells, columns)``: every column at once, each on its own).
    ``n`` 0: the cell is empty for that column, never hidden nor chosen;
    ``already``: reasons decided elsewhere (0: none).  Each round hides, in every
    line that breaks the rule, its smallest shown cell (ties: the first in the
    lattice's order), until no line does.
    """
    flat = n.ndim == 1
    n2 = n[:, None] if flat else n
    reason = np.zeros(n2.shape, dtype=np.int8)
    if dominance:
        t2, l2 = total.reshape(n2.shape), largest.reshape(n2.shape)
        reason[(n2 > 0) & (t2 > 0) & (l2 > DOMINANCE * t2)] = 2
    reason[(n2 > 0) & (n2 < k)] = 1
    if already is not None:
        a2 = already.reshape(n2.shape)
        reason = np.where((reason == 0) & (a2 > 0) & (n2 > 0), a2, reason).astype(np.int8)
    if len(lattice.line):
        child, line, parent, starts = lattice.child, lattice.line, lattice.parent, lattice.starts
        child_n = n2[child]
        cells = len(n2)
        never = np.iinfo(np.int64).max
        while True:
            hidden = reason > 0
            hidden_n = np.add.reduceat(child_n * hidden[child], starts, axis=0)
            parent_hidden = hidden[parent]
            need = np.where(parent_hidden, np.minimum(k, n2[parent]), k)
            broken = (hidden_n < need) & ~((hidden_n == 0) & ~parent_hidden)
            candidate = broken[line] & ~hidden[child] & (child_n > 0)
            if not candidate.any():
                break
            rank = np.where(candidate, child_n * cells + child[:, None], never)
            best = np.minimum.reduceat(rank, starts, axis=0)
            lines, columns = np.nonzero(best != never)
            reason[best[lines, columns] % cells, columns] = 3
    return reason[:, 0] if flat else reason


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
    lattice = Lattice.of(cells)
    raw = [cells[c] for c in lattice.cells]
    before = None
    if already:
        before = np.array(
            [REASONS.index(already.get(c, SHOWN)) for c in lattice.cells], dtype=np.int8
        )
    reason = suppress_arrays(
        lattice,
        np.array([c.n for c in raw], dtype=np.int64),
        np.array([c.total for c in raw]),
        np.array([c.largest for c in raw]),
        k,
        already=before,
        dominance=dominance,
    )
    return {c: REASONS[r] for c, r in zip(lattice.cells, reason, strict=True) if r}


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


def publish_arrays(
    n: IntArray,
    total: FloatArray,
    cell_keys: IntArray,
    reason: npt.NDArray[np.int8],
    column: str | Sequence[str],
    k: int,
) -> tuple[IntArray, FloatArray]:
    """Protected counts and means of shown cells (anything for hidden or empty ones;
    several columns at once when ``column`` is a sequence, the last axis):
    the count moved by :func:`count_noises`, never under ``k``; the mean of the sum
    moved by :func:`sum_noise`, within 0-100, to one decimal."""
    size = np.maximum(n, 1)
    shown_n = np.maximum(k, n + count_noises(cell_keys, n))
    mean = (total + SUM_NOISE * uniforms(cell_keys, n, column)) / size
    rounded: FloatArray = np.round(np.clip(mean, 0.0, SCALE), 1).astype(np.float64)
    return shown_n.astype(np.int64), rounded


def publish(cell: RawCell, column: str, k: int, hidden: str | None) -> Protected:
    """The protected figures of one cell."""
    if hidden:
        return Protected(None, None, hidden, cell.cell_key, cell.n)
    n, mean = publish_arrays(
        np.array([cell.n]),
        np.array([cell.total]),
        np.array([cell.cell_key]),
        np.zeros(1, dtype=np.int8),
        column,
        k,
    )
    return Protected(int(n[0]), float(mean[0]), None, cell.cell_key, cell.n)


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


_QUARTERS = np.array([0.25, 0.5, 0.75])


def raw_quartiles(values: FloatArray) -> tuple[float, float, float] | None:
    """The exact quartiles of a cell's values (never published as such), or ``None``
    under :data:`QUARTILE_MIN`; linear interpolation (``QUARTILE.INC``)."""
    n = len(values)
    if n < QUARTILE_MIN:
        return None
    # np.percentile(values, [25, 50, 75]) to the last bit (its "linear" method and
    # its interpolation), with one partition and none of its per-call overhead
    position, low, high = _positions(n)
    part = np.partition(values, np.unique(np.concatenate([low, high])))
    return _interpolated(position, low, part[low], part[high])


def sorted_quartiles(ordered: FloatArray) -> tuple[float, float, float] | None:
    """:func:`raw_quartiles` of values already sorted (the same numbers to the last
    bit: the same order statistics, interpolated alike)."""
    n = len(ordered)
    if n < QUARTILE_MIN:
        return None
    position, low, high = _positions(n)
    return _interpolated(position, low, ordered[low], ordered[high])


def _positions(n: int) -> tuple[FloatArray, npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    position = _QUARTERS * (n - 1)
    low = np.floor(position).astype(np.intp)
    return position, low, np.minimum(low + 1, n - 1)


def _interpolated(
    position: FloatArray, low: npt.NDArray[np.intp], a: FloatArray, b: FloatArray
) -> tuple[float, float, float]:
    gamma = position - low
    diff = b - a
    found = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    q1, q2, q3 = found.tolist()
    return q1, q2, q3


def moved(ordered: FloatArray, old: float, new: float) -> FloatArray | None:
    """Sorted values ``ordered`` once one of them, ``old``, has become ``new`` (NaN:
    none, so a value left or came in); ``None`` when ``old`` is not among them."""
    out = ordered
    if not np.isnan(old):
        at = int(np.searchsorted(out, old, side="left"))
        if at >= len(out) or out[at] != old:
            return None
        out = np.delete(out, at)
    if not np.isnan(new):
        out = np.insert(out, int(np.searchsorted(out, new, side="left")), new)
    return out


def shown_quartiles(
    raw: FloatArray, cell_keys: npt.ArrayLike, ns: npt.ArrayLike, column: str | Sequence[str]
) -> FloatArray:
    """Published quartiles of cells (``raw``: one row of exact quartiles per cell): one
    shift of up to :data:`QUARTILE_NOISE` per cell, fixed by its key, its size and its
    column (``column``: one for all, or one per cell), so the three stay in order;
    whole points, within 0-100."""
    label: str | list[str] = (
        f"{column}:quartiles" if isinstance(column, str) else [f"{c}:quartiles" for c in column]
    )
    shift = QUARTILE_NOISE * uniforms(cell_keys, ns, label)
    shown: FloatArray = np.round(np.clip(raw + shift[:, None], 0.0, SCALE)).astype(np.float64)
    return shown


def quartiles(values: FloatArray, cell_key: int, column: str) -> tuple[float, float, float] | None:
    """Rounded, shifted quartiles of a cell's values, or ``None`` under :data:`QUARTILE_MIN`
    (:func:`raw_quartiles`, then :func:`shown_quartiles`)."""
    raw = raw_quartiles(values)
    if raw is None:
        return None
    q1, q2, q3 = shown_quartiles(np.array([raw]), [cell_key], [len(values)], column)[0].tolist()
    return q1, q2, q3


# ---------------------------------------------------------------------------
# one table of counts (the grid tools' dry run)
# ---------------------------------------------------------------------------


def suppressed_cells(
    counts: Mapping[tuple[str, ...], int], k: int, already: Iterable[tuple[str, ...]] = ()
) -> set[tuple[str, ...]]:
    """Cells to hide so that no small count can be shown or derived.

    ``counts`` maps a cell (a tuple of dimension values, ``()`` for a single
    cell) to its number of organisations.  Primary: every cell with
    ``0 < count < k``.  Complementary: for every dimension, among the cells
    that share all other dimensions (a line, whose total is another query's
    cell), hidden counts must total 0 or ≥ k; otherwise the smallest shown
    cell of the line is hidden too, until that holds everywhere.  ``already``:
    cells hidden for another reason (they count as hidden in their lines).
    """
    hidden = {key for key, n in counts.items() if n < k} | (set(already) & set(counts))
    if not counts:
        return hidden
    width = len(next(iter(counts)))
    changed = True
    while changed:
        changed = False
        for d in range(width):
            lines: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
            for key in counts:
                lines[key[:d] + key[d + 1 :]].append(key)
            for cells in lines.values():
                hidden_total = sum(counts[c] for c in cells if c in hidden)
                if 0 < hidden_total < k:
                    shown = sorted((c for c in cells if c not in hidden), key=counts.__getitem__)
                    if shown:
                        hidden.add(shown[0])
                        changed = True
    return hidden

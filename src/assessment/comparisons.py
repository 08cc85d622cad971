"""An organisation against its peers, theme by theme: pure functions, no I/O.

The overall score is the mean of the themes an organisation addressed, so two
overall scores that stand on different themes cannot be compared: an
organisation rating only its strongest theme would look better than one rating
all eight.  Comparisons are therefore made **theme by theme**, each among the
organisations that addressed that theme (the protected theme tables of
:func:`assessment.privacy.peers` count only organisations that have a score
there), and the summary counts themes **out of the grid's themes**: a theme
left out is never above its peers, so leaving themes out can only lower the
summary, never raise it.

The input figures are already protected (k-anonymous, perturbed): this module
only reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assessment.french import plural
from assessment.grid import Grid
from assessment.scoring import ScoreReport

__all__ = ["GroupStats", "Standing", "ThemeComparison", "standing", "theme_comparisons"]


@dataclass(frozen=True, slots=True)
class GroupStats:
    """One peer group's protected figures for one theme."""

    dimension: str
    """``region``, ``legal_family`` or ``size_band``."""
    value: str
    n: int
    q1: float
    median: float
    q3: float


@dataclass(frozen=True, slots=True)
class ThemeComparison:
    """The organisation's current score on one theme and its peer groups there."""

    item_id: str
    own: float | None
    """``None``: the theme was not addressed (no score): nothing is compared."""
    groups: tuple[GroupStats, ...]

    @property
    def compared(self) -> bool:
        return self.own is not None and bool(self.groups)

    @property
    def above(self) -> bool:
        """Above the median of every peer group shown (strictly)."""
        own = self.own
        return own is not None and bool(self.groups) and all(own > g.median for g in self.groups)

    @property
    def below(self) -> bool:
        """Below the median of every peer group shown (strictly)."""
        own = self.own
        return own is not None and bool(self.groups) and all(own < g.median for g in self.groups)


@dataclass(frozen=True, slots=True)
class Standing:
    """How an organisation stands against its peers over the grid's themes.

    ``above`` / ``below``: themes where its score is above / below the median of
    every peer group shown; ``compared``: themes compared at all; ``addressed``:
    themes it has a score on; ``total``: the grid's themes.  It *ranks above its
    peers* only when it is above them on more than half of the grid's themes —
    themes left out count as not above.
    """

    above: int
    below: int
    compared: int
    addressed: int
    total: int

    @property
    def ranks_above(self) -> bool:
        return 2 * self.above > self.total

    def text(self) -> str:
        """« Au-dessus de la médiane des organisations comparables pour 2 thèmes sur 8
        (3 thèmes traités, 3 comparés). »"""
        return (
            f"Au-dessus de la médiane des organisations comparables pour "
            f"{plural(self.above, 'thème')} sur {self.total}, en dessous pour "
            f"{plural(self.below, 'thème')} ({plural(self.addressed, 'thème traité')}, "
            f"{plural(self.compared, 'comparé')})."
        )


def theme_comparisons(
    grid: Grid,
    report: ScoreReport,
    groups_by_theme: Mapping[str, Iterable[GroupStats]],
    horizon: str | None = None,
) -> list[ThemeComparison]:
    """One comparison per theme of the grid, in grid order (``horizon``: default the
    current state).  ``groups_by_theme`` maps an item id to its protected peer groups;
    a theme not addressed gets no groups, whatever is given."""
    horizon = horizon or grid.current_horizon
    out = []
    for item in grid.items:
        own = report.items.get(item.id, {}).get(horizon)
        groups = tuple(groups_by_theme.get(item.id, ())) if own is not None else ()
        out.append(ThemeComparison(item.id, own, groups))
    return out


def standing(comparisons: Iterable[ThemeComparison]) -> Standing:
    """The summary of :func:`theme_comparisons` (see :class:`Standing`)."""
    rows = list(comparisons)
    return Standing(
        above=sum(c.above for c in rows),
        below=sum(c.below for c in rows),
        compared=sum(c.compared for c in rows),
        addressed=sum(c.own is not None for c in rows),
        total=len(rows),
    )

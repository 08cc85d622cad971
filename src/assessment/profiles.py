"""An organisation's profile as the grid sees it: legal family and size band.

The allowed values live here (a pure module, no database) so that the grid
models (:mod:`assessment.grid`, ``applies_to``) and the organisations
(:mod:`assessment.organisations`) share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

LEGAL_FAMILIES: dict[str, str] = {
    "association": "Association",
    "cooperative": "Coopérative",
    "mutual": "Mutuelle",
    "foundation": "Fondation",
    "ess_company": "Société commerciale de l'ESS",
    "other": "Autre",
}

SIZE_BANDS: dict[str, str] = {
    "0": "Sans salarié",
    "1-9": "1 à 9 salariés",
    "10-49": "10 à 49 salariés",
    "50-249": "50 à 249 salariés",
    "250+": "250 salariés ou plus",
}

PROFILE_FIELDS: dict[str, dict[str, str]] = {
    "size_band": SIZE_BANDS,
    "legal_family": LEGAL_FAMILIES,
}
"""The keys ``applies_to`` accepts, each with its allowed values (code → French label)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What ``applies_to`` looks at; ``None`` for a field not known (everything applies)."""

    legal_family: str | None = None
    size_band: str | None = None


UNKNOWN_PROFILE = Profile()
"""No profile (e.g. the ``score`` command): every question applies."""

"""The 18 French regions (official INSEE codes) and their regional chamber (CRESS).

Copied from the project's reference list so that the package needs no data
file at run time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    cress: str


REGIONS: tuple[Region, ...] = (
    Region("84", "Auvergne-Rhône-Alpes", "CRESS Auvergne-Rhône-Alpes"),
    Region("27", "Bourgogne-Franche-Comté", "CRESS Bourgogne-Franche-Comté"),
    Region("53", "Bretagne", "CRESS Bretagne"),
    Region("24", "Centre-Val de Loire", "CRESS Centre-Val de Loire"),
    Region("94", "Corse", "CRESS Corse"),
    Region("44", "Grand Est", "CRESS Grand Est"),
    Region("32", "Hauts-de-France", "CRESS Hauts-de-France"),
    Region("11", "Île-de-France", "CRESS Île-de-France"),
    Region("28", "Normandie", "CRESS Normandie"),
    Region("75", "Nouvelle-Aquitaine", "CRESS Nouvelle-Aquitaine"),
    Region("76", "Occitanie", "CRESS Occitanie"),
    Region("52", "Pays de la Loire", "CRESS Pays de la Loire"),
    Region("93", "Provence-Alpes-Côte d'Azur", "CRESS Provence-Alpes-Côte d'Azur"),
    Region("01", "Guadeloupe", "CRESS des îles de Guadeloupe"),
    Region("02", "Martinique", "CRESS Martinique"),
    Region("03", "Guyane", "CRESS Guyane"),
    Region("04", "La Réunion", "CRESS La Réunion"),
    Region("06", "Mayotte", "CRESS Mayotte"),
)

REGIONS_BY_CODE: dict[str, Region] = {region.code: region for region in REGIONS}
REGION_CODES: tuple[str, ...] = tuple(region.code for region in REGIONS)


def is_region(code: object) -> bool:
    """Whether ``code`` is one of the 18 official region codes (e.g. ``"84"``)."""
    return isinstance(code, str) and code in REGIONS_BY_CODE


def normalise_region(code: str) -> str | None:
    """The official code for ``code`` (``"1"`` → ``"01"``, blanks stripped), or ``None``."""
    value = code.strip()
    if value.isdigit() and len(value) == 1:
        value = "0" + value
    return value if value in REGIONS_BY_CODE else None


def region_name(code: str) -> str:
    """The region's name, e.g. ``"Bretagne"``; raises ``KeyError`` for an unknown code."""
    return REGIONS_BY_CODE[code].name

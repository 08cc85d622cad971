"""Pseudonymised microdata for research: one row per submitted assessment.

For the national council only (``Action.EXPORT_MICRODATA``).  What is released
follows the same rules as the published tables:

* **no identity**: no name, SIREN, RNA, free text, comment or answer, only
  scores; each organisation gets a pseudonym, an HMAC-SHA256 of its id under
  a secret kept in the database (:func:`assessment.accounts.shared_secret`),
  the same across campaigns (so that a researcher can follow an organisation
  over the years) and meaningless without the secret;
* **coarse fields only**: region, legal family, a coarse size band (``0-9``,
  ``10-49``, ``50+``), the campaign year, and the scores (overall and per
  theme, at each horizon) rounded to the nearest 5 points;
* **no rare combination**: within each campaign, a combination of region,
  legal family and size band held by fewer than ``k`` organisations
  (``min_group_size``) is merged first into « toutes tailles », then into the
  legal family « autre » of its region; rows still in a group under ``k`` are
  dropped (their number is reported, never their content).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from assessment import campaigns, score_store
from assessment import tables as t
from assessment.accounts import shared_secret
from assessment.db import read_session
from assessment.french import plural, typo
from assessment.grid_store import get_grid
from assessment.permissions import Action, Actor, require
from assessment.scoring import OVERALL
from assessment.settings import get_settings

SECRET_NAME = "microdata-pseudonyms"
ROUND_TO = 5
ALL_SIZES = "toutes tailles"
OTHER_FAMILY = "autre"
COARSE_SIZE: dict[str, str] = {"0": "0-9", "1-9": "0-9", "10-49": "10-49"}
"""Size bands of 50 or more employees become ``50+``."""
FIELDS: tuple[str, ...] = ("pseudonyme", "annee", "region", "famille_juridique", "taille")
"""The descriptive columns, before the score columns."""


@dataclass(frozen=True, slots=True)
class Microdata:
    header: tuple[str, ...]
    rows: tuple[tuple[str | int | None, ...], ...]
    dropped: int
    """Rows left out because their group stayed under ``k`` after merging."""
    merged: int
    """Rows whose size band or legal family was merged to reach ``k``."""
    note_fr: str


def pseudonym(secret: str, organisation_id: int) -> str:
    digest = hmac.new(secret.encode(), str(organisation_id).encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def coarse_size(size_band: str) -> str:
    return COARSE_SIZE.get(size_band, "50+")


def rounded(value: float) -> int | None:
    if math.isnan(value):
        return None
    return int(ROUND_TO * round(value / ROUND_TO))


def release_groups(
    keys: Sequence[tuple[int, str, str, str]], k: int
) -> list[tuple[int, str, str, str] | None]:
    """Each ``(year, region, family, size)`` generalised until its group has ``k``
    members: size → « toutes tailles », then family → « autre »; ``None``: dropped."""
    result: list[tuple[int, str, str, str] | None] = list(keys)
    for generalise in (
        lambda key: (key[0], key[1], key[2], ALL_SIZES),
        lambda key: (key[0], key[1], OTHER_FAMILY, ALL_SIZES),
    ):
        counts = Counter(key for key in result if key is not None)
        result = [key if key is None or counts[key] >= k else generalise(key) for key in result]
    counts = Counter(key for key in result if key is not None)
    return [key if key is not None and counts[key] >= k else None for key in result]


def research_extract(
    engine: Engine, actor: Actor, *, campaign_years: Sequence[int] | None = None
) -> Microdata:
    """The pseudonymised microdata of the submitted assessments of ``campaign_years``
    (every campaign by default), latest year first: closed campaigns only, like every
    score figure (an extract taken before and after one more submission would show
    whose line is new), each organisation in the categories it had when it submitted."""
    require(actor, Action.EXPORT_MICRODATA)
    closed = [c.id for c in campaigns.list_campaigns(engine) if c.is_closed()]
    k = get_settings().min_group_size
    a = t.Assessment.__table__
    o = t.Organisation.__table__
    c = t.Campaign.__table__
    s = t.AssessmentScore.__table__
    stmt = (
        select(
            a.c.organisation_id,
            c.c.year,
            func.coalesce(s.c.region, o.c.region).label("region"),
            func.coalesce(s.c.legal_family, o.c.legal_family).label("legal_family"),
            func.coalesce(s.c.size_band, o.c.size_band).label("size_band"),
            a.c.grid_id,
            a.c.grid_version,
            s.c.scores,
        )
        .select_from(
            a.join(o, o.c.id == a.c.organisation_id)
            .join(c, c.c.id == a.c.campaign_id)
            .join(s, (s.c.assessment_id == a.c.id) & (s.c.revision == a.c.revision))
        )
        .where(a.c.status == "submitted", a.c.campaign_id.in_(closed))
        .order_by(c.c.year.desc(), a.c.organisation_id)
    )
    if campaign_years is not None:
        stmt = stmt.where(c.c.year.in_(list(campaign_years)))
    with read_session(engine) as session:
        found = session.execute(stmt).all()
    secret = shared_secret(engine, SECRET_NAME)
    columns: list[tuple[str, str]] = []
    labels: list[str] = []
    for grid_key in dict.fromkeys((r.grid_id, r.grid_version) for r in found):
        grid = get_grid(engine, *grid_key)
        for section, horizon in score_store.layout(grid):
            if (section, horizon) in columns or section == score_store.SYSTEMIC:
                continue
            columns.append((section, horizon))
            name = "ensemble" if section == OVERALL else section
            labels.append(f"score_{name}_{horizon}")
    keys = [(r.year, r.region, r.legal_family, coarse_size(r.size_band)) for r in found]
    released = release_groups(keys, k)
    rows = []
    merged = 0
    for r, key, kept in zip(found, keys, released, strict=True):
        if kept is None:
            continue
        merged += kept != key
        grid = get_grid(engine, r.grid_id, r.grid_version)
        layout = score_store.layout(grid)
        numbers = dict(zip(layout, score_store.vectors([r.scores], len(layout)), strict=True))
        scores = [rounded(numbers.get(col, math.nan)) for col in columns]
        rows.append((pseudonym(secret, r.organisation_id), *kept, *scores))
    dropped = len(found) - len(rows)
    note = typo(
        f"Microdonnées pseudonymisées : ni nom, ni SIREN, ni RNA, ni texte libre ; "
        f"scores arrondis à {ROUND_TO} points ; toute combinaison région × famille × "
        f"taille de moins de {k} organisations est regroupée ({plural(merged, 'ligne')}) "
        f"ou retirée ({plural(dropped, 'ligne')})."
    )

    return Microdata((*FIELDS, *labels), tuple(rows), dropped, merged, note)

"""Deterministic, realistic demo data (``assessment seed-demo``) and the demo accounts.

Two halves:

* **pure generation** (no database): :func:`generate_organisations` and
  :class:`AnswerGenerator` turn a seeded :class:`random.Random` into
  organisations and answers;
* **bulk writes**: :func:`seed_demo` streams them into the database in large
  executemany batches (PostgreSQL: ``COPY`` for the answers and scores), a few
  transactions in all, never the ORM per row.  Submitted assessments get their
  stored scores (:mod:`assessment.score_store`) in the same transactions, as
  :func:`assessment.assessments.submit` would write them.

What the data looks like (figures from the reference notes on ESS employers):
organisations spread over the 18 regions roughly by ESS weight; about 78 %
associations, 15 % cooperatives, 5 % mutuals, 0.5 % foundations, the rest ESS
commercial companies; mostly fewer than 10 employees, about 2 per 1,000 with
250 or more; French-looking names built from word lists; valid SIRENs (Luhn),
and an RNA number only for some small associations.  Campaigns are yearly on
the default grid, the last one open today.  Participation grows year after
year; organisations leave some themes "not addressed"; goals are at or above
the current level and the next year's current level moves towards them; most
past assessments are submitted, about half of the open campaign's are drafts.
The same ``seed`` always gives the same data.

Demo data and demo accounts only ever go into an entirely empty database,
which the seed marks as a demo in the same transaction as its first rows
(:mod:`assessment.demo_mark`): production mode then refuses to start on it,
and real organisations are not imported into it until it is wiped
(``assessment db reset-demo``).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text, update

from assessment import demo_mark, score_store
from assessment.accounts import AccountError, create_user
from assessment.answers import not_applicable_ids
from assessment.db import read_session, write_connection, write_session
from assessment.french import typo
from assessment.grid import (
    ChoiceQuestion,
    Grid,
    LevelQuestion,
    NumberQuestion,
    TextQuestion,
    YesNoQuestion,
)
from assessment.grid_store import DEFAULT_GRID_ID, get_grid, latest_version, published_grids
from assessment.organisations import siren_with_key
from assessment.permissions import Actor, Role
from assessment.profiles import Profile
from assessment.regions import REGIONS_BY_CODE
from assessment.scoring import Scorer
from assessment.tables import (
    ActionPlanAction,
    Assessment,
    Campaign,
    GridVersion,
    Organisation,
    User,
    utcnow,
)

# ---------------------------------------------------------------------------
# reference weights
# ---------------------------------------------------------------------------

REGION_WEIGHTS: dict[str, float] = {
    "11": 15.5,  # Île-de-France
    "84": 13.5,  # Auvergne-Rhône-Alpes
    "75": 9.5,  # Nouvelle-Aquitaine
    "76": 9.5,  # Occitanie
    "44": 8.0,  # Grand Est
    "32": 7.5,  # Hauts-de-France
    "93": 7.5,  # Provence-Alpes-Côte d'Azur
    "52": 6.5,  # Pays de la Loire
    "53": 6.0,  # Bretagne
    "28": 4.5,  # Normandie
    "27": 4.5,  # Bourgogne-Franche-Comté
    "24": 3.5,  # Centre-Val de Loire
    "94": 0.5,  # Corse
    "01": 0.8,  # Guadeloupe
    "02": 0.7,  # Martinique
    "03": 0.3,  # Guyane
    "04": 1.5,  # La Réunion
    "06": 0.2,  # Mayotte
}
FAMILY_WEIGHTS: dict[str, float] = {
    "association": 78.0,
    "cooperative": 15.0,
    "mutual": 5.0,
    "foundation": 0.5,
    "ess_company": 1.5,
}
SIZE_WEIGHTS: dict[str, dict[str, float]] = {
    # share of each employee band within a legal family (per 100 000)
    "association": {"0": 14_000, "1-9": 58_000, "10-49": 21_000, "50-249": 6_850, "250+": 150},
    "cooperative": {"0": 3_000, "1-9": 62_000, "10-49": 27_000, "50-249": 7_700, "250+": 300},
    "mutual": {"0": 2_000, "1-9": 48_000, "10-49": 32_000, "50-249": 16_500, "250+": 1_500},
    "foundation": {"0": 2_000, "1-9": 30_000, "10-49": 35_000, "50-249": 29_000, "250+": 4_000},
    "ess_company": {"0": 5_000, "1-9": 60_000, "10-49": 28_000, "50-249": 6_800, "250+": 200},
}
SECTOR_WEIGHTS: dict[str, dict[str, float]] = {
    "association": {"Q": 40, "R": 22, "P": 12, "S": 18, "N": 5, "I": 3},
    "cooperative": {"A": 25, "C": 12, "F": 14, "G": 20, "K": 8, "M": 12, "J": 5, "H": 4},
    "mutual": {"K": 80, "Q": 20},
    "foundation": {"Q": 55, "P": 20, "M": 15, "R": 10},
    "ess_company": {"N": 30, "E": 20, "I": 15, "G": 15, "C": 10, "F": 10},
}
SIZE_MATURITY: dict[str, float] = {"0": -0.3, "1-9": 0.0, "10-49": 0.3, "50-249": 0.6, "250+": 0.9}
SIZE_SCALE: dict[str, float] = {"0": 0.5, "1-9": 4, "10-49": 25, "50-249": 110, "250+": 600}
SHARE_RATE = 0.35
DEMO_ORGANISATIONS = 2000
"""Demo mode's size: about 310 organisations in the demo region (Île-de-France,
15.5 %) across every legal family and size band, ready in about ten seconds."""
DEMO_CAMPAIGNS = 3

PLACES: dict[str, tuple[str, ...]] = {
    "11": ("Paris", "Montreuil", "Saint-Denis", "Nanterre", "Créteil", "Versailles", "Évry",
           "Cergy", "Meaux", "Argenteuil", "Ivry-sur-Seine", "Pantin"),
    "84": ("Lyon", "Grenoble", "Saint-Étienne", "Clermont-Ferrand", "Annecy", "Valence",
           "Chambéry", "Villeurbanne", "Roanne", "Aurillac", "Le Puy-en-Velay", "Bourg-en-Bresse"),
    "75": ("Bordeaux", "Limoges", "Poitiers", "La Rochelle", "Pau", "Bayonne", "Angoulême",
           "Périgueux", "Niort", "Mont-de-Marsan", "Agen", "Tulle"),
    "76": ("Toulouse", "Montpellier", "Nîmes", "Perpignan", "Albi", "Carcassonne", "Béziers",
           "Tarbes", "Rodez", "Cahors", "Foix", "Mende"),
    "44": ("Strasbourg", "Reims", "Metz", "Nancy", "Mulhouse", "Colmar", "Troyes", "Épinal",
           "Charleville-Mézières", "Châlons-en-Champagne"),
    "32": ("Lille", "Amiens", "Roubaix", "Tourcoing", "Dunkerque", "Arras", "Calais", "Beauvais",
           "Valenciennes", "Saint-Quentin"),
    "93": ("Marseille", "Nice", "Toulon", "Avignon", "Aix-en-Provence", "Gap",
           "Digne-les-Bains", "Arles", "Cannes", "Manosque"),
    "52": ("Nantes", "Angers", "Le Mans", "Saint-Nazaire", "Laval", "La Roche-sur-Yon",
           "Cholet", "Saumur"),
    "53": ("Rennes", "Brest", "Quimper", "Lorient", "Vannes", "Saint-Brieuc", "Saint-Malo",
           "Morlaix"),
    "28": ("Rouen", "Caen", "Le Havre", "Cherbourg", "Évreux", "Alençon", "Dieppe", "Lisieux"),
    "27": ("Dijon", "Besançon", "Auxerre", "Chalon-sur-Saône", "Nevers", "Belfort", "Mâcon",
           "Dole"),
    "24": ("Orléans", "Tours", "Bourges", "Blois", "Chartres", "Châteauroux", "Vierzon"),
    "94": ("Ajaccio", "Bastia", "Corte", "Porto-Vecchio", "Calvi"),
    "01": ("Pointe-à-Pitre", "Basse-Terre", "Les Abymes", "Le Gosier"),
    "02": ("Fort-de-France", "Le Lamentin", "Schœlcher", "Le Robert"),
    "03": ("Cayenne", "Saint-Laurent-du-Maroni", "Kourou", "Matoury"),
    "04": ("Saint-Denis", "Saint-Paul", "Saint-Pierre", "Le Tampon", "Saint-André"),
    "06": ("Mamoudzou", "Koungou", "Dzaoudzi", "Sada"),
}  # fmt: skip
RNA_DEPARTMENT: dict[str, str] = {
    "11": "75", "84": "69", "75": "33", "76": "31", "44": "67", "32": "59", "93": "13",
    "52": "44", "53": "35", "28": "76", "27": "21", "24": "45", "94": "2A", "01": "9R",
    "02": "9M", "03": "9G", "04": "9R", "06": "9Y",
}  # fmt: skip

ASSOCIATION_THEMES = (
    "Culture et Loisirs", "Solidarité Emploi", "Sport pour Tous", "Accueil et Partage",
    "Aide à Domicile", "Éducation Populaire", "Familles Rurales", "Insertion et Avenir",
    "Musique et Patrimoine", "Entraide Seniors", "Maison des Jeunes", "Ressourcerie",
    "Théâtre en Liberté", "Jardins Partagés", "Épicerie Solidaire", "Vélo Pour Tous",
)  # fmt: skip
TRADES = (
    "Menuiserie", "Bâtiment", "Imprimerie", "Conseil", "Transports", "Informatique",
    "Paysage", "Boulangerie", "Charpente", "Électricité", "Architecture", "Traduction",
)  # fmt: skip
MUTUAL_KINDS = ("Familiale", "Générale", "Solidaire", "des Travailleurs", "de Prévoyance",
                "Santé", "Interprofessionnelle")  # fmt: skip
FIRST_NAMES = ("Marie", "Jean", "Louise", "Henri", "Simone", "Paul", "Germaine", "Lucien",
               "Odette", "René", "Suzanne", "Marcel")  # fmt: skip
LAST_NAMES = ("Martin", "Bernard", "Durand", "Lefèvre", "Moreau", "Laurent", "Garnier",
              "Chevalier", "Rousseau", "Fontaine", "Mercier", "Blanchard")  # fmt: skip
ACTION_TITLES: dict[str, tuple[str, ...]] = {
    # item id → actions that belong to that theme (a plan's action sits under its theme)
    "gouvernance": (
        "Réviser les statuts et le règlement intérieur",
        "Former les administrateurs à leur mandat",
        "Ouvrir le conseil d'administration à des usagers",
        "Mettre en place le vote à distance pour l'assemblée générale",
    ),
    "concertation": (
        "Organiser un séminaire stratégique avec les salariés et bénévoles",
        "Réunir chaque trimestre un comité de suivi de la stratégie",
    ),
    "territorialisation": (
        "Cartographier nos partenaires sur le territoire",
        "Privilégier les fournisseurs locaux pour les achats courants",
    ),
    "politique-salariale": (
        "Publier l'écart des rémunérations dans le rapport annuel",
        "Construire un plan de formation pluriannuel avec les salariés",
    ),
    "usagers": (
        "Mettre en place un baromètre de satisfaction des usagers",
        "Créer un comité d'usagers consulté deux fois par an",
    ),
    "diversite": (
        "Mesurer la part des femmes dans les instances et l'encadrement",
        "Diffuser nos offres d'emploi auprès de réseaux d'insertion",
    ),
    "environnement": (
        "Réaliser un bilan carbone simplifié",
        "Réduire la consommation d'énergie des locaux",
    ),
    "ethique": (
        "Rédiger une charte éthique et un dispositif d'alerte",
        "Publier chaque année la liste des partenaires financiers",
    ),
}
GENERAL_ACTIONS: tuple[str, ...] = ("Présenter l'auto-évaluation à l'assemblée générale",)
"""Actions of no particular theme (and of a theme with none listed above)."""
ISSUE_TEXTS: dict[str, tuple[str, ...]] = {
    # item id → issues (« Enjeux et axes de progrès ») fitting that theme
    "gouvernance": ("Renforcer la participation des membres à la vie démocratique.",),
    "concertation": ("Associer davantage les salariés et les bénévoles aux décisions.",),
    "territorialisation": ("Mieux ancrer nos activités dans les besoins du territoire.",),
    "politique-salariale": ("Consolider les emplois et les parcours de formation.",),
    "usagers": ("Mieux mesurer et faire connaître notre utilité sociale.",),
    "diversite": ("Ouvrir nos recrutements et nos instances à des profils plus variés.",),
    "environnement": ("Réduire notre empreinte environnementale sans renoncer à notre activité.",),
    "ethique": ("Formaliser nos pratiques pour qu'elles ne reposent plus sur quelques personnes.",),
}
GENERAL_TEXTS: tuple[str, ...] = (
    "Formaliser nos pratiques pour qu'elles ne reposent plus sur quelques personnes.",
)
"""Texts for a question of no particular theme (the systemic view)."""


def demo_text(item_id: str | None, question_id: str, rng: random.Random) -> str:
    """A demo text that fits its question: planned actions for « Actions prévues »,
    issues of the question's theme otherwise."""
    if question_id.endswith("-actions"):
        pool = ACTION_TITLES.get(item_id or "", GENERAL_ACTIONS)
        return typo(rng.choice(pool) + ".")
    return typo(rng.choice(ISSUE_TEXTS.get(item_id or "", GENERAL_TEXTS)))


COMMENT_TEXTS = (
    "Point discuté en bureau ; à revoir l'an prochain.",
    "Estimation faite avec le trésorier.",
    "Chiffre issu du rapport d'activité.",
    "Les avis étaient partagés au sein de l'équipe.",
)

# ---------------------------------------------------------------------------
# demo accounts
# ---------------------------------------------------------------------------

DEMO_PASSWORD = "demo-ess-2026"
"""The password of every demo account (demo mode only; documented in the README)."""
DEMO_REGION = max(REGION_WEIGHTS, key=REGION_WEIGHTS.__getitem__)
"""The region with the most demo organisations: the demo CRESS account's region."""
DEMO_ORGANISATION: dict[str, Any] = {
    "name": "Association Les Jardins de la Démo",
    "siren": siren_with_key("90000000"),
    "rna": None,
    "region": DEMO_REGION,
    "legal_family": "association",
    "size_band": "10-49",
    "sector": "Q",
    "shared_with_region": True,
}


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    role: Role
    label: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "membre@demo.test", Role.MEMBER, "Contributeur à l'auto-évaluation de l'association"
    ),
    DemoAccount(
        "admin@demo.test", Role.ORG_ADMIN, "Référent de l'auto-évaluation de l'association"
    ),
    DemoAccount("cress@demo.test", Role.REGIONAL, f"CRESS {REGIONS_BY_CODE[DEMO_REGION].name}"),
    DemoAccount("national@demo.test", Role.NATIONAL, "Instance nationale"),
)


# ---------------------------------------------------------------------------
# pure generation: organisations
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoOrganisation:
    name: str
    siren: str | None
    rna: str | None
    region: str
    legal_family: str
    size_band: str
    sector: str | None
    shared_with_region: bool
    maturity: float
    """Latent maturity on the 0–4 scale, before year-over-year progress."""
    joins: int
    """Index of the first campaign the organisation takes part in."""
    skipped_items: tuple[int, ...]
    """Indexes of optional items left "not addressed" in its first campaign."""

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "siren": self.siren,
            "rna": self.rna,
            "region": self.region,
            "legal_family": self.legal_family,
            "size_band": self.size_band,
            "sector": self.sector,
            "shared_with_region": self.shared_with_region,
        }


class _Picker:
    """Weighted choice with precomputed cumulative weights (fast, deterministic)."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.keys = list(weights)
        total = 0.0
        self.cumulative: list[float] = []
        for key in self.keys:
            total += weights[key]
            self.cumulative.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.keys, cum_weights=self.cumulative, k=1)[0]


def _of(place: str) -> str:
    """French "de" + place with elision and contraction: d'Angers, du Mans, des Abymes."""
    if place.startswith("Le "):
        return "du " + place[3:]
    if place.startswith("Les "):
        return "des " + place[4:]
    if place[0] in "AEIOUYÉÈÊÂÎÔ":
        return "d'" + place
    return "de " + place


def _name(family: str, place: str, rng: random.Random) -> str:
    pick = rng.choice
    if family == "association":
        pattern = rng.random()
        if pattern < 0.3:
            return f"Association Les Jardins {_of(place)}"
        if pattern < 0.8:
            return f"Association {pick(ASSOCIATION_THEMES)} {_of(place)}"
        return f"Les Amis {_of(place)}" if pattern < 0.9 else f"Comité d'Entraide {_of(place)}"
    if family == "cooperative":
        pattern = rng.random()
        if pattern < 0.55:
            return f"SCOP {pick(TRADES)} {_of(place)}"
        if pattern < 0.8:
            return f"SCIC {pick(ASSOCIATION_THEMES)} {_of(place)}"
        return f"Coopérative agricole {_of(place)}"
    if family == "mutual":
        return f"Mutuelle {pick(MUTUAL_KINDS)} {_of(place)}"
    if family == "foundation":
        if rng.random() < 0.6:
            return f"Fondation {pick(FIRST_NAMES)} {pick(LAST_NAMES)}"
        return f"Fondation pour l'Enfance {_of(place)}"
    return f"{pick(TRADES)} Solidaire {place} SAS"


def generate_organisations(
    count: int,
    rng: random.Random,
    *,
    campaigns: int = 3,
    optional_items: int = 8,
    reserved_sirens: Sequence[str] = (),
) -> list[DemoOrganisation]:
    """``count`` organisations; the first is the demo organisation of the demo accounts."""
    region_of = _Picker(REGION_WEIGHTS)
    family_of = _Picker(FAMILY_WEIGHTS)
    size_of = {family: _Picker(weights) for family, weights in SIZE_WEIGHTS.items()}
    sector_of = {family: _Picker(weights) for family, weights in SECTOR_WEIGHTS.items()}
    sirens: set[str] = set(reserved_sirens) | {DEMO_ORGANISATION["siren"]}
    rnas: set[str] = set()
    result: list[DemoOrganisation] = []
    for index in range(count):
        if index == 0:
            region, family, size = DEMO_REGION, "association", "10-49"
        else:
            region = region_of(rng)
            family = family_of(rng)
            size = size_of[family](rng)
        maturity = min(3.6, max(0.2, rng.gauss(1.4 + SIZE_MATURITY[size], 0.6)))
        if family in ("cooperative", "mutual"):
            maturity = min(3.8, maturity + 0.2)
        sector = sector_of[family](rng) if rng.random() < 0.9 else None
        siren: str | None = None
        rna: str | None = None
        if family == "association" and size == "0" and rng.random() < 0.4:
            while rna is None or rna in rnas:
                rna = f"W{RNA_DEPARTMENT[region]}{rng.randrange(10**7):07d}"[:10]
            rnas.add(rna)
        else:
            while siren is None or siren in sirens:
                siren = siren_with_key(str(rng.randrange(10_000_000, 90_000_000)))
            sirens.add(siren)
        # first campaign joined: ~45 % from the start, more each year
        joins = 0 if rng.random() < 0.45 else min(campaigns, 1 + int(rng.expovariate(1.2)))
        skip_count = max(0, min(optional_items - 3, round(rng.gauss(2.2 - maturity * 0.5, 1.0))))
        skipped = tuple(sorted(rng.sample(range(optional_items), skip_count)))
        if index == 0:
            result.append(
                DemoOrganisation(
                    name=DEMO_ORGANISATION["name"],
                    siren=DEMO_ORGANISATION["siren"],
                    rna=None,
                    region=DEMO_REGION,
                    legal_family="association",
                    size_band="10-49",
                    sector=DEMO_ORGANISATION["sector"],
                    shared_with_region=True,
                    maturity=1.6,
                    joins=0,
                    skipped_items=skipped[:1],
                )
            )
            continue
        place = rng.choice(PLACES[region])
        result.append(
            DemoOrganisation(
                name=_name(family, place, rng),
                siren=siren,
                rna=rna,
                region=region,
                legal_family=family,
                size_band=size,
                sector=sector,
                shared_with_region=rng.random() < SHARE_RATE,
                maturity=maturity,
                joins=joins,
                skipped_items=skipped,
            )
        )
    return result


# ---------------------------------------------------------------------------
# pure generation: answers
# ---------------------------------------------------------------------------


@dataclass
class OrganisationHistory:
    """What one organisation answered last year (drives next year's answers)."""

    levels: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """question id → (current, first goal, last goal)"""
    skipped: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class GeneratedAssessment:
    status: str
    not_addressed: list[str]
    cells: list[tuple[str, str, Any, str | None]]
    """(question_id, horizon_id, value, comment)"""
    not_applicable: frozenset[str] = frozenset()
    """Questions whose ``applies_to`` leaves the organisation out (never answered)."""


class AnswerGenerator:
    """Plausible answers to one grid, organisation by organisation, year after year."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.scale_min = grid.scale_min
        self.scale_max = grid.scale_max
        self.current = grid.current_horizon
        self.optional_items = [item.id for item in grid.items if item.optional]
        self.questions: list[tuple[str | None, Any, list[str]]] = [
            (item.id if item is not None else None, q, grid.question_horizons(q))
            for item, q in grid.questions()
            if q.show_if is None
        ]

    def assessment(
        self,
        org: DemoOrganisation,
        year_index: int,
        history: OrganisationHistory,
        rng: random.Random,
        *,
        submitted: bool,
    ) -> GeneratedAssessment:
        if not history.levels and not history.skipped:
            history.skipped = {
                self.optional_items[i] for i in org.skipped_items if i < len(self.optional_items)
            }
        elif history.skipped and rng.random() < 0.3:
            history.skipped.discard(rng.choice(sorted(history.skipped)))  # takes a theme up
        skipped = history.skipped
        lo, hi = self.scale_min, self.scale_max
        maturity = org.maturity + 0.12 * year_index
        fill_rate = 1.0 if submitted else rng.uniform(0.25, 0.9)
        cells: list[tuple[str, str, Any, str | None]] = []
        item_offsets: dict[str | None, float] = {}
        levels: dict[str, tuple[int, int, int]] = {}
        current = self.current
        not_applicable = not_applicable_ids(self.grid, Profile(org.legal_family, org.size_band))
        for item_id, question, horizons in self.questions:
            if item_id in skipped or question.id in not_applicable:
                continue
            offset = item_offsets.get(item_id)
            if offset is None:
                offset = item_offsets[item_id] = rng.gauss(0.0, 0.45)
            if isinstance(question, LevelQuestion):
                previous = history.levels.get(question.id)
                if previous is None:
                    now = round(maturity + offset + rng.gauss(0.0, 0.5))
                else:
                    last, goal, _ = previous
                    roll = rng.random()
                    if roll < 0.55:
                        now = goal  # goal reached
                    elif roll < 0.9:
                        now = last + (1 if goal > last and rng.random() < 0.3 else 0)
                    else:
                        now = last - 1  # things slipped
                now = min(hi, max(lo, now))
                goal1 = min(hi, now + (1 if rng.random() < 0.6 else 0))
                goal3 = min(hi, goal1 + (1 if rng.random() < 0.55 else 0))
                values = {current: now}
                if len(horizons) > 1:
                    values[horizons[1]] = goal1
                if len(horizons) > 2:
                    values[horizons[-1]] = goal3
                    if len(horizons) > 3:
                        for middle in horizons[2:-1]:
                            values[middle] = goal1
                levels[question.id] = (now, goal1, goal3)
                for horizon in horizons:
                    if horizon in values and (fill_rate == 1.0 or rng.random() < fill_rate):
                        comment = rng.choice(COMMENT_TEXTS) if rng.random() < 0.004 else None
                        cells.append((question.id, horizon, values[horizon], comment))
                continue
            if not submitted and rng.random() > fill_rate:
                continue
            if isinstance(question, NumberQuestion):
                if rng.random() < 0.35 + 0.1 * maturity:
                    cells.extend(self._numbers(question, horizons, org, maturity, rng))
            elif isinstance(question, ChoiceQuestion):
                if rng.random() < 0.7:
                    options = question.options
                    index = min(
                        len(options) - 1,
                        max(0, round(maturity / 4 * (len(options) - 1) + rng.gauss(0, 0.6))),
                    )
                    for horizon in horizons:
                        cells.append(
                            (
                                question.id,
                                horizon,
                                options[index].value
                                if not question.multiple
                                else [options[index].value],
                                None,
                            )
                        )
            elif isinstance(question, YesNoQuestion):
                if rng.random() < 0.7:
                    for horizon in horizons:
                        cells.append(
                            (question.id, horizon, rng.random() < 0.2 + 0.2 * maturity, None)
                        )
            elif isinstance(question, TextQuestion) and rng.random() < 0.08:
                for horizon in horizons:
                    text_value = demo_text(item_id, question.id, rng)[: question.max_length]
                    cells.append((question.id, horizon, text_value, None))
        history.levels = levels
        return GeneratedAssessment(
            status="submitted" if submitted else "draft",
            not_addressed=sorted(skipped),
            cells=cells,
            not_applicable=not_applicable,
        )

    def _numbers(
        self,
        question: NumberQuestion,
        horizons: list[str],
        org: DemoOrganisation,
        maturity: float,
        rng: random.Random,
    ) -> Iterator[tuple[str, str, Any, str | None]]:
        low = question.min if question.min is not None else 0.0
        high = question.max
        if high is not None and high - low <= 100:
            value = low + (high - low) * min(
                1.0, max(0.0, 0.1 + maturity * 0.2 + rng.gauss(0, 0.12))
            )
        elif low >= 1:
            value = low + max(0.0, 4.5 - maturity + rng.gauss(0, 0.6))
        else:
            value = SIZE_SCALE[org.size_band] * rng.uniform(0.4, 1.6) * (0.7 + 0.15 * maturity)
        direction = {"higher": 1.0, "lower": -1.0}.get(question.better, 0.0)
        step = abs(value) * rng.uniform(0.03, 0.15) + (1.0 if high is not None else 0.0)
        for position, horizon in enumerate(horizons):
            shown = value + direction * step * position
            if high is not None:
                shown = min(high, shown)
            shown = max(low, shown)
            yield (
                question.id,
                horizon,
                (round(shown) if question.integer else round(shown, 1)),
                None,
            )


# ---------------------------------------------------------------------------
# bulk writes
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeedReport:
    organisations: int
    campaigns: int
    assessments: int
    answers: int
    actions: int
    seconds: float


class SeedError(RuntimeError):
    """The database is not in a state where demo data can be added (French message)."""


def grid_published_at(first_year: int) -> datetime:
    """When the demo shows its grid as published: 1 December before the first campaign."""
    return datetime(first_year - 1, 12, 1, 9, tzinfo=UTC)


def campaign_years(count: int, today: date) -> list[int]:
    """The years of ``count`` yearly campaigns, the last one this year."""
    return list(range(today.year - count + 1, today.year + 1))


def _sqlite_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class _BulkSink:
    """Buffers assessment and answer rows and writes them in large batches.

    Assessments go through Core ``insert`` executemany; answers and the
    stored scores of submitted assessments (:mod:`assessment.score_store`)
    through executemany of a plain ``INSERT`` on SQLite and ``COPY`` on
    PostgreSQL.  Assessments are always written before the rows that refer to
    them.
    """

    ANSWER_COLUMNS = "assessment_id, question_id, horizon_id, value, comment, updated_at"

    def __init__(self, conn: Connection, batch: int = 50_000) -> None:
        self.conn = conn
        self.batch = batch
        self.postgres = conn.dialect.name == "postgresql"
        self.assessments: list[dict[str, Any]] = []
        self.answers: list[tuple[Any, ...]] = []
        self.scores: list[tuple[Any, ...]] = []
        self.assessment_count = 0
        self.answer_count = 0

    def timestamp(self, at: datetime) -> Any:
        return at if self.postgres else _sqlite_timestamp(at)

    def add_assessment(self, row: dict[str, Any]) -> None:
        self.assessments.append(row)

    def add_answer(
        self,
        assessment_id: int,
        question_id: str,
        horizon_id: str,
        value: Any,
        comment: str | None,
        stamp: Any,
    ) -> None:
        """``stamp`` comes from :meth:`timestamp` (formatted once per assessment)."""
        encoded = str(value) if value.__class__ is int else json.dumps(value, ensure_ascii=False)
        self.answers.append((assessment_id, question_id, horizon_id, encoded, comment, stamp))
        if len(self.answers) >= self.batch:
            self.flush()

    def add_scores(self, values: tuple[Any, ...]) -> None:
        """``values`` from :func:`assessment.score_store.bulk_values`."""
        self.scores.append(values)

    def flush(self) -> None:
        if self.assessments:
            self.conn.execute(insert(Assessment), self.assessments)
            self.assessment_count += len(self.assessments)
            self.assessments.clear()
        if self.answers:
            self._write("answers", self.ANSWER_COLUMNS, self.answers)
            self.answer_count += len(self.answers)
            self.answers.clear()
        if self.scores:
            self._write("assessment_scores", score_store.BULK_COLUMNS, self.scores)
            self.scores.clear()

    def _write(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if self.postgres:
            raw = self.conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(rows[0]))
            self.conn.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


_NOT_EMPTY = (
    "La base contient déjà des organisations, des comptes ou des campagnes : les données "
    "de démonstration ne se chargent que dans une base vide."
)


def _has_data(conn: Connection) -> bool:
    organisations = conn.execute(select(func.count()).select_from(Organisation)).scalar()
    campaigns = conn.execute(select(func.count()).select_from(Campaign)).scalar()
    return bool(organisations or campaigns)


def _check_empty(engine: Engine) -> None:
    """Fail early (before generating): the seed needs an empty (or demo, unseeded) base."""
    with read_session(engine) as session:
        has_data = _has_data(session.connection())
    if has_data or not demo_mark.can_hold_demo(engine):
        raise SeedError(_NOT_EMPTY)


def seed_demo(
    engine: Engine,
    *,
    orgs: int,
    campaigns: int,
    seed: int = 0,
    grid_id: str = DEFAULT_GRID_ID,
    today: date | None = None,
    orgs_per_transaction: int = 20_000,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Load ``orgs`` organisations and ``campaigns`` yearly campaigns of answers.

    The database must be migrated, the grid published, and hold no organisation
    or campaign yet.  Deterministic for a given ``seed`` (and ``today``).
    """
    started = time.perf_counter()
    if orgs < 1 or campaigns < 1:
        raise SeedError("Il faut au moins une organisation et une campagne.")
    _check_empty(engine)
    today = today or date.today()
    version = latest_version(engine, grid_id)
    grid = get_grid(engine, grid_id, version)
    rng = random.Random(seed)
    say = progress or (lambda _message: None)
    generator = AnswerGenerator(grid)
    scorer = Scorer.for_grid(grid)
    organisations = generate_organisations(
        orgs, rng, campaigns=campaigns, optional_items=len(generator.optional_items)
    )
    say(f"{len(organisations)} organisations générées")
    years = campaign_years(campaigns, today)
    created = utcnow()
    campaign_rows: list[dict[str, Any]] = [
        {
            "id": index + 1,
            "year": year,
            "label": f"Campagne {year}",
            "grid_id": grid_id,
            "grid_version": version,
            "opens_on": date(year, 1, 1),
            "closes_on": date(year, 12, 31),
            "closed_at": None,
            "created_at": created,
        }
        for index, year in enumerate(years)
    ]
    older = [g.version for g in published_grids(engine, grid_id) if g.version != version]
    with write_connection(engine) as conn:
        # checked again and marked in the transaction of the first rows: no race
        if not demo_mark.claim(conn) or _has_data(conn):
            raise SeedError(_NOT_EMPTY)
        conn.execute(insert(Campaign), campaign_rows)
        # the grid the past campaigns were answered on was published before them
        # (a grid shown as published today under a 2024 campaign would be absurd)
        # (an earlier version of it, a month earlier for each version back)
        published = grid_published_at(years[0])
        for back, shown in enumerate([version, *reversed(older)]):
            moment = published - timedelta(days=30 * back)
            conn.execute(
                update(GridVersion)
                .where(
                    GridVersion.grid_id == grid_id,
                    GridVersion.version == shown,
                    GridVersion.published_at > moment,
                )
                .values(created_at=moment, updated_at=moment, published_at=moment)
            )
    answers_total = 0
    assessments_total = 0
    actions_total = 0
    next_assessment = 1
    next_action = 1
    last = len(years) - 1
    for start in range(0, len(organisations), orgs_per_transaction):
        chunk = organisations[start : start + orgs_per_transaction]
        with write_connection(engine) as conn:
            org_rows = []
            for offset, org in enumerate(chunk):
                row = org.row()
                row.update(
                    id=start + offset + 1,
                    shared_changed_at=created if org.shared_with_region else None,
                    created_at=created,
                    updated_at=created,
                )
                org_rows.append(row)
            conn.execute(insert(Organisation), org_rows)
            sink = _BulkSink(conn)
            computed_at = sink.timestamp(created)
            action_rows: list[dict[str, Any]] = []
            for offset, org in enumerate(chunk):
                organisation_id = start + offset + 1
                history = OrganisationHistory()
                for year_index, campaign in enumerate(campaign_rows):
                    skips = year_index > org.joins and rng.random() < 0.06
                    if year_index < org.joins or (skips and organisation_id != 1):
                        continue  # the demo organisation takes part in every campaign
                    submitted = rng.random() < (0.45 if year_index == last else 0.92)
                    if organisation_id == 1 and year_index == last:
                        submitted = False  # the demo organisation has a draft to work on
                    generated = generator.assessment(
                        org, year_index, history, rng, submitted=submitted
                    )
                    year = campaign["year"]
                    window = max(1, min(364, (today - date(year, 1, 1)).days))
                    day = date(year, 1, 1) + timedelta(days=rng.randrange(window))
                    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
                        minutes=rng.randrange(600)
                    )
                    assessment_id = next_assessment
                    next_assessment += 1
                    revision = len(generated.cells) + (1 if submitted else 0)
                    sink.add_assessment(
                        {
                            "id": assessment_id,
                            "organisation_id": organisation_id,
                            "campaign_id": campaign["id"],
                            "grid_id": grid_id,
                            "grid_version": version,
                            "status": generated.status,
                            "revision": revision,
                            "not_addressed": generated.not_addressed,
                            "created_at": at,
                            "updated_at": at,
                            "submitted_at": at if submitted else None,
                            "submitted_by": None,
                        }
                    )
                    stamp = sink.timestamp(at)
                    for question_id, horizon_id, value, comment in generated.cells:
                        sink.add_answer(
                            assessment_id, question_id, horizon_id, value, comment, stamp
                        )
                    if submitted:
                        answers: dict[str, dict[str, Any]] = {}
                        for question_id, horizon_id, value, _comment in generated.cells:
                            answers.setdefault(question_id, {})[horizon_id] = value
                        report = scorer.score(
                            answers, generated.not_addressed, generated.not_applicable
                        )
                        sink.add_scores(
                            score_store.bulk_values(
                                assessment_id, revision, grid, report, computed_at
                            )
                        )
                    if year_index == last and rng.random() < 0.15:
                        for _ in range(rng.randint(1, 3)):
                            action_rows.append(
                                _demo_action(
                                    next_action, organisation_id, campaign, grid, generated, rng, at
                                )
                            )
                            next_action += 1
            sink.flush()
            if action_rows:
                conn.execute(insert(ActionPlanAction), action_rows)
                actions_total += len(action_rows)
            answers_total += sink.answer_count
            assessments_total += sink.assessment_count
        say(
            f"{min(start + len(chunk), len(organisations))} organisations, "
            f"{assessments_total} auto-évaluations, {answers_total} réponses"
        )
    _reset_sequences(engine)
    with write_connection(engine) as conn:  # bulk rows carry version 0: a new version
        score_store.freeze_categories(conn)  # and no categories yet
        score_store.bump_version(conn, organisations=True)
    score_store.analyze(engine)  # PostgreSQL: planner statistics for the new rows
    return SeedReport(
        organisations=len(organisations),
        campaigns=len(campaign_rows),
        assessments=assessments_total,
        answers=answers_total,
        actions=actions_total,
        seconds=time.perf_counter() - started,
    )


def _demo_action(
    action_id: int,
    organisation_id: int,
    campaign: dict[str, Any],
    grid: Grid,
    generated: GeneratedAssessment,
    rng: random.Random,
    at: datetime,
) -> dict[str, Any]:
    addressed = [item.id for item in grid.items if item.id not in generated.not_addressed]
    goals = grid.goal_horizons
    status = rng.choices(["todo", "in_progress", "done", "dropped"], [45, 35, 15, 5])[0]
    item_id = rng.choice(addressed or [grid.items[0].id])
    return {
        "id": action_id,
        "organisation_id": organisation_id,
        "campaign_id": campaign["id"],
        "item_id": item_id,
        "horizon_id": rng.choice(goals) if goals else None,
        "title": typo(rng.choice(ACTION_TITLES.get(item_id, GENERAL_ACTIONS))),
        "owner": rng.choice(("Bureau", "Direction", "Conseil d'administration", "Équipe salariée")),
        "due_on": date(campaign["year"] + 1, rng.randint(1, 12), 1),
        "status": status,
        "notes": "",
        "created_at": at,
        "updated_at": at,
        "updated_by": None,
    }


def _reset_sequences(engine: Engine) -> None:
    """PostgreSQL: move the id sequences past the explicit ids the seed used."""
    if engine.dialect.name != "postgresql":
        return
    with write_connection(engine) as conn:
        for table in ("organisations", "campaigns", "assessments", "action_plan_actions"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            )


# ---------------------------------------------------------------------------
# demo accounts
# ---------------------------------------------------------------------------


def create_demo_accounts(engine: Engine) -> list[DemoAccount]:
    """One account per role (password :data:`DEMO_PASSWORD`), idempotent.

    Only in an empty or demo database (:class:`SeedError` otherwise), which is
    then marked as a demo.  The organisation accounts belong to the demo
    organisation (created if the demo data was not seeded); the CRESS account
    is that of its region.  Returns the accounts created now (none when they
    all exist).
    """
    system = Actor.system()
    with write_session(engine) as session:
        if not demo_mark.claim(session.connection()):
            raise SeedError(
                "La base contient de vraies données : les comptes de démonstration ne se "
                "créent que dans une base vide ou de démonstration."
            )
        organisation_id = session.scalar(
            select(Organisation.id).where(Organisation.siren == DEMO_ORGANISATION["siren"])
        )
        if organisation_id is None:
            now = utcnow()
            row = Organisation(
                **DEMO_ORGANISATION, shared_changed_at=now, created_at=now, updated_at=now
            )
            session.add(row)
            session.flush()
            organisation_id = row.id
        existing = set(session.scalars(select(User.email)))
    created: list[DemoAccount] = []
    for account in DEMO_ACCOUNTS:
        if account.email in existing:
            continue
        try:
            create_user(
                engine,
                system,
                email=account.email,
                password=DEMO_PASSWORD,
                role=account.role,
                organisation_id=organisation_id
                if account.role in (Role.MEMBER, Role.ORG_ADMIN)
                else None,
                region=DEMO_REGION if account.role is Role.REGIONAL else None,
            )
        except AccountError:  # created meanwhile by a concurrent demo start
            continue
        created.append(account)
    return created


def prepare_demo_database(
    engine: Engine,
    *,
    orgs: int = DEMO_ORGANISATIONS,
    campaigns: int = DEMO_CAMPAIGNS,
    seed: int = 0,
) -> SeedReport | None:
    """The « Mode démonstration » button: seed an entirely empty database once, then
    the accounts.  A database with real data is refused (:class:`SeedError`)."""
    if not demo_mark.can_hold_demo(engine):
        raise SeedError(_NOT_EMPTY)
    with read_session(engine) as session:
        has_data = _has_data(session.connection())
    report = None
    if not has_data:
        report = seed_demo(engine, orgs=orgs, campaigns=campaigns, seed=seed)
    create_demo_accounts(engine)
    return report


__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_CAMPAIGNS",
    "DEMO_ORGANISATIONS",
    "DEMO_PASSWORD",
    "DEMO_REGION",
    "AnswerGenerator",
    "DemoAccount",
    "DemoOrganisation",
    "SeedReport",
    "create_demo_accounts",
    "generate_organisations",
    "prepare_demo_database",
    "seed_demo",
]

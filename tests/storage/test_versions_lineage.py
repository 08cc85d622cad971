"""Across grid versions linked by ``replaces``, on SQLite and PostgreSQL: starting from
last year's answers, importing a file of the other version, and the network
dashboards, which stay comparable and protected.

Version 1 of ``grille-lignee`` has three themes; version 2 renames one
(``gouvernance`` → ``gouvernance-democratique``, with ``gouv-regles`` →
``gouv-regles-ecrites``), merges two (``energie`` + ``eau`` → ``ressources``, and
their questions two by two), adds one (``territoire``) and narrows an indicator
(``gouv-taux``: at most 50 instead of 100).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from assessment import assessments, dashboards, exchange, organisations, privacy
from assessment.assessments import CellChange
from assessment.campaigns import create_campaign
from assessment.exchange import template as layout
from assessment.french import plural, typo
from assessment.grid import Grid
from assessment.grid_store import publish, save_draft
from assessment.permissions import Actor, PermissionDenied, Role
from exchange_helpers import cell_of, edit

from .conftest import SYSTEM, close_campaigns

YEAR = date.today().year
GRID_ID = "grille-lignee"

V1 = """\
id: grille-lignee
version: "1"
title: Grille de test des versions
scale:
  - {value: 0, label: Non engagé}
  - {value: 1, label: Émergent}
  - {value: 2, label: Structuré}
  - {value: 3, label: Maîtrisé}
horizons:
  - {id: current, label: État des lieux}
  - {id: goal_1y, label: Objectif à 1 an}
items:
  - id: gouvernance
    title: Gouvernance
    questions:
      - {id: gouv-regles, type: level, label: Les règles sont écrites}
      - {id: gouv-taux, type: number, label: Taux de participation, unit: "%", min: 0, max: 100}
  - id: energie
    title: Énergie
    optional: true
    questions:
      - {id: energie-suivi, type: level, label: Les consommations d'énergie sont suivies}
      - {id: energie-notes, type: text, label: Remarques sur l'énergie, horizons: [current]}
      - {id: energie-label, type: yes_no, label: Un label énergie ?, horizons: [current]}
  - id: eau
    title: Eau
    optional: true
    questions:
      - {id: eau-suivi, type: level, label: Les consommations d'eau sont suivies}
      - {id: eau-notes, type: text, label: Remarques sur l'eau, horizons: [current]}
      - {id: eau-label, type: yes_no, label: Un label eau ?, horizons: [current]}
"""

V2 = """\
id: grille-lignee
version: "2"
title: Grille de test des versions, version 2
scale:
  - {value: 0, label: Non engagé}
  - {value: 1, label: Émergent}
  - {value: 2, label: Structuré}
  - {value: 3, label: Maîtrisé}
horizons:
  - {id: current, label: État des lieux}
  - {id: goal_1y, label: Objectif à 1 an}
items:
  - id: gouvernance-democratique
    replaces: [gouvernance]
    title: Gouvernance démocratique
    questions:
      - id: gouv-regles-ecrites
        replaces: [gouv-regles]
        type: level
        label: Les règles de fonctionnement sont écrites et partagées
      - {id: gouv-taux, type: number, label: Taux de participation, unit: "%", min: 0, max: 50}
  - id: ressources
    replaces: [energie, eau]
    title: Ressources
    optional: true
    questions:
      - id: ressources-suivi
        replaces: [energie-suivi, eau-suivi]
        type: level
        label: Les consommations d'énergie et d'eau sont suivies
      - id: ressources-notes
        replaces: [energie-notes, eau-notes]
        type: text
        label: Remarques sur les ressources
        horizons: [current]
      - id: ressources-label
        replaces: [energie-label, eau-label]
        type: yes_no
        label: Un label ?
        horizons: [current]
  - id: territoire
    title: Territoire
    questions:
      - {id: terr-emplois, type: level, label: Les emplois sont ancrés dans le territoire}
"""

UNLINKED = V1.replace('version: "1"', 'version: "1-bis"').replace(
    "title: Grille de test des versions\n", "title: Grille sans remplacements\n"
)
"""Another version with no ``replaces`` at all: the grids do not say how one replaces
the other."""


def _publish(engine: Engine, source: str) -> Grid:
    draft = save_draft(engine, SYSTEM, source)
    assert draft.ok and draft.grid is not None, draft.problems
    return publish(engine, SYSTEM, draft.grid.id, draft.grid.version)


@dataclass(frozen=True)
class Versions:
    engine: Engine
    v1: Grid
    v2: Grid
    last_year: int
    this_year: int


def _campaigns(engine: Engine, new: Grid) -> tuple[int, int]:
    today = date.today()
    dates = {"opens_on": today - timedelta(days=5), "closes_on": today + timedelta(days=30)}
    last = create_campaign(
        engine, SYSTEM, year=YEAR - 1, grid_id=GRID_ID, grid_version="1", **dates
    )
    this = create_campaign(
        engine, SYSTEM, year=YEAR, grid_id=GRID_ID, grid_version=new.version, **dates
    )
    return last, this


@pytest.fixture
def versions(engine: Engine) -> Versions:
    privacy.clear_caches()
    v1 = _publish(engine, V1)
    v2 = _publish(engine, V2)
    last, this = _campaigns(engine, v2)
    return Versions(engine, v1, v2, last, this)


def _org(engine: Engine, index: int, *, family: str = "association") -> int:
    return organisations.create_organisation(
        engine,
        SYSTEM,
        name=f"Association Lignée {index}",
        siren=organisations.siren_with_key(f"{31_000_000 + index:08d}"),
        region="84",
        legal_family=family,
        size_band="1-9",
    )


def _answer(
    engine: Engine,
    org: int,
    campaign: int,
    values: dict[tuple[str, str], object],
    *,
    comments: dict[tuple[str, str], str] | None = None,
    not_addressed: list[str] | None = None,
    submit: bool = False,
) -> int:
    state = assessments.open_assessment(engine, SYSTEM, org, campaign)
    cells = [CellChange(q, h, value=v) for (q, h), v in values.items()]
    cells += [CellChange(q, h, comment=c) for (q, h), c in (comments or {}).items()]
    revision = assessments.save_cells(
        engine,
        SYSTEM,
        state.id,
        cells,
        not_addressed=not_addressed,
        expected_revision=state.revision,
    )
    if submit:
        assessments.submit(engine, SYSTEM, state.id, expected_revision=revision)
    return state.id


LAST_YEAR: dict[tuple[str, str], object] = {
    ("gouv-regles", "current"): 2,
    ("gouv-regles", "goal_1y"): 3,
    ("gouv-taux", "current"): 80,  # over the new maximum of 50
    ("gouv-taux", "goal_1y"): 40,
    ("energie-suivi", "current"): 3,
    ("energie-suivi", "goal_1y"): 3,
    ("eau-suivi", "current"): 1,  # merged with energie-suivi: the lowest is kept
    ("eau-suivi", "goal_1y"): 3,
    ("energie-notes", "current"): "Compteurs relevés chaque mois.",
    ("eau-notes", "current"): "Récupération d'eau de pluie.",
    ("energie-label", "current"): True,
    ("eau-label", "current"): False,  # differs from energie-label: cannot be merged
}


# ---------------------------------------------------------------------------
# « Partir des réponses de l'an dernier »
# ---------------------------------------------------------------------------


def test_last_years_answers_land_on_the_questions_that_replace_them(versions: Versions) -> None:
    engine = versions.engine
    org = _org(engine, 1)
    source = _answer(
        engine,
        org,
        versions.last_year,
        LAST_YEAR,
        comments={("gouv-regles", "current"): "Statuts de 2019, règlement intérieur."},
    )
    state = assessments.open_assessment(engine, SYSTEM, org, versions.this_year, start_from=source)
    assert (state.grid_id, state.grid_version) == (GRID_ID, "2")
    assert state.answers == {
        "gouv-regles-ecrites": {"current": 2, "goal_1y": 3},  # renamed
        "gouv-taux": {"goal_1y": 40},  # 80 no longer fits (at most 50): left out
        "ressources-suivi": {"current": 1, "goal_1y": 3},  # merged: lowest level
        "ressources-notes": {
            "current": "Compteurs relevés chaque mois.\n\nRécupération d'eau de pluie."
        },
    }
    assert state.comments == {
        "gouv-regles-ecrites": {"current": "Statuts de 2019, règlement intérieur."}
    }
    # what was left out is said, in French, question by question
    carried = state.carried
    assert carried is not None and carried.across_versions
    assert len(carried.dropped) == 2
    by_question = {d.question: d for d in carried.dropped}
    taux = by_question["Taux de participation"]
    assert (taux.horizon, taux.value) == ("État des lieux", typo("80 %"))
    assert "50" in taux.reason and taux.reason.startswith("ne convient plus")
    label = by_question["Un label ?"]
    assert label.value == "Oui / Non" and "une seule question" in label.reason
    message = carried.message(YEAR - 1)
    assert message is not None
    assert "version 1 de la grille" in message and "version 2" in message
    assert typo(f"{plural(2, 'réponse')} n'ont pas pu être reprises") in message
    assert (
        typo("Gouvernance démocratique — Taux de participation (État des lieux) : 80 %") in message
    )
    assert "le niveau le plus bas" in message
    # it is an ordinary draft: the new answers save and stay
    assert state.status == "draft" and state.revision == 0


def test_a_theme_not_addressed_last_year_stays_so_when_every_theme_it_merges_was(
    versions: Versions,
) -> None:
    engine = versions.engine
    values = {k: v for k, v in LAST_YEAR.items() if k[0].startswith("gouv-regles")}
    org = _org(engine, 2)
    source = _answer(engine, org, versions.last_year, values, not_addressed=["energie", "eau"])
    state = assessments.open_assessment(engine, SYSTEM, org, versions.this_year, start_from=source)
    assert state.not_addressed == {"ressources"}
    other = _org(engine, 3)
    source = _answer(engine, other, versions.last_year, values, not_addressed=["eau"])
    state = assessments.open_assessment(
        engine, SYSTEM, other, versions.this_year, start_from=source
    )
    assert state.not_addressed == frozenset()  # energie was addressed: so is ressources
    assert state.carried is not None and not state.carried.dropped


def test_same_version_carry_over_says_nothing(versions: Versions) -> None:
    engine = versions.engine
    org = _org(engine, 4)
    first = _answer(engine, org, versions.this_year, {("terr-emplois", "current"): 2})
    today = date.today()
    later = create_campaign(
        engine, SYSTEM, year=YEAR + 1, grid_id=GRID_ID, grid_version="2",
        opens_on=today, closes_on=today + timedelta(days=3),
    )  # fmt: skip
    state = assessments.open_assessment(engine, SYSTEM, org, later, start_from=first)
    assert state.answers == {"terr-emplois": {"current": 2}}
    assert state.carried is not None and state.carried.message(YEAR) is None


# ---------------------------------------------------------------------------
# imports of a file made for the other version
# ---------------------------------------------------------------------------


def _filled_v1_template(v1: Grid) -> bytes:
    def fill(workbook):  # type: ignore[no-untyped-def]
        for (question, horizon), value in {
            ("gouv-regles", "current"): "1 – Émergent",
            ("gouv-regles", "goal_1y"): "3 – Maîtrisé",
            ("gouv-taux", "current"): 30,
            ("energie-suivi", "current"): "3 – Maîtrisé",
            ("eau-suivi", "current"): "2 – Structuré",
        }.items():
            sheet, cell = cell_of(v1, question, horizon)
            workbook[sheet][cell] = value

    return edit(exchange.template_xlsx(v1), fill)


def test_a_template_of_the_replaced_version_is_imported_onto_the_new_questions(
    versions: Versions,
) -> None:
    engine = versions.engine
    org = _org(engine, 5)
    data = _filled_v1_template(versions.v1)
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="xlsx")
    assert plan.grid.version == "2" and not plan.conflicts
    assert any("version 1 de la grille" in note for note in plan.notes)
    where = {c.question: c.where for c in plan.changes if c.field == "réponse"}
    sheet, cell = cell_of(versions.v1, "eau-suivi", "current")
    assert f"{sheet}!{cell}" in where["Les consommations d'énergie et d'eau sont suivies"]
    exchange.apply_import(engine, SYSTEM, plan, overwrite=False)
    stored = assessments.find_assessment(engine, SYSTEM, org, versions.this_year)
    assert stored is not None and stored.grid_version == "2"
    assert stored.answers == {
        "gouv-regles-ecrites": {"current": 1, "goal_1y": 3},
        "gouv-taux": {"current": 30},
        "ressources-suivi": {"current": 2},
    }


def test_a_json_export_of_the_replaced_version_is_imported_and_what_does_not_fit_refused(
    versions: Versions,
) -> None:
    engine = versions.engine
    org = _org(engine, 6)
    document = {
        "format": "ess-assessment-answers",
        "format_version": 1,
        "grid": {"id": GRID_ID, "version": "1"},
        "answers": {
            "gouv-regles": {"current": 2},
            "energie-label": {"current": True},
            "eau-label": {"current": True},
        },
        "comments": {"eau-suivi": {"current": "Factures 2025."}},
        "not_addressed": [],
    }
    data = json.dumps(document).encode()
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, data, kind="json")
    exchange.apply_import(engine, SYSTEM, plan, overwrite=False)
    stored = assessments.find_assessment(engine, SYSTEM, org, versions.this_year)
    assert stored is not None
    assert stored.answers == {
        "gouv-regles-ecrites": {"current": 2},
        "ressources-label": {"current": True},  # the same answer twice merges
    }
    assert stored.comments == {"ressources-suivi": {"current": "Factures 2025."}}
    # a value over the new maximum, or two answers that cannot be merged: refused, located
    document["answers"] = {
        "gouv-taux": {"current": 80},
        "energie-label": {"current": True},
        "eau-label": {"current": False},
    }
    with pytest.raises(exchange.ImportRefused) as refused:
        exchange.plan_file(engine, SYSTEM, org, YEAR, json.dumps(document).encode(), kind="json")
    cells = {p.cell for p in refused.value.problems}
    assert cells == {
        "answers.gouv-taux.current",
        "answers.energie-label.current, answers.eau-label.current",
    }
    assert "version 1 de la grille" in refused.value.message
    assert typo("rien n'a été importé") in refused.value.message


def test_a_file_of_a_version_that_replaces_nothing_is_still_refused(engine: Engine) -> None:
    privacy.clear_caches()
    v1 = _publish(engine, V1)
    unlinked = _publish(engine, UNLINKED)
    today = date.today()
    create_campaign(
        engine, SYSTEM, year=YEAR, grid_id=GRID_ID, grid_version=unlinked.version,
        opens_on=today, closes_on=today + timedelta(days=3),
    )  # fmt: skip
    org = _org(engine, 7)
    with pytest.raises(exchange.ExchangeError) as refused:
        exchange.plan_file(engine, SYSTEM, org, YEAR, _filled_v1_template(v1), kind="xlsx")
    message = refused.value.message
    assert message.startswith(typo("Feuille « À lire », cellule "))
    assert (
        typo(
            "ce fichier a été préparé avec la version 1 de la grille, mais cette auto-évaluation "
            "utilise la version 1-bis, et la grille ne dit pas comment l'une remplace l'autre : "
            "rien n'a été importé."
        )
        in message
    )


# ---------------------------------------------------------------------------
# network dashboards
# ---------------------------------------------------------------------------

NATIONAL = Actor(user_id=None, email="national@test", role=Role.NATIONAL)
CRESS = Actor(user_id=None, email="cress84@test", role=Role.REGIONAL, region="84")


def _two_campaigns(versions: Versions, count: int = 12) -> None:
    """``count`` organisations submit on version 1 last year and on version 2 this year."""
    engine = versions.engine
    for i in range(count):
        org = _org(engine, 100 + i)
        level = 1 + i % 3
        _answer(
            engine,
            org,
            versions.last_year,
            {
                ("gouv-regles", "current"): level,
                ("gouv-regles", "goal_1y"): 3,
                ("energie-suivi", "current"): 1 + i % 2,
                ("energie-suivi", "goal_1y"): 3,
                ("eau-suivi", "current"): 2,
                ("eau-suivi", "goal_1y"): 2 + i % 2,
            },
            submit=True,
        )
        _answer(
            engine,
            org,
            versions.this_year,
            {
                ("gouv-regles-ecrites", "current"): min(3, level + 1),
                ("gouv-regles-ecrites", "goal_1y"): 3,
                ("ressources-suivi", "current"): 2,
                ("ressources-suivi", "goal_1y"): 3,
                ("terr-emplois", "current"): 1 + i % 3,
                ("terr-emplois", "goal_1y"): 3,
            },
            submit=True,
        )
    close_campaigns(engine)  # figures are published from the close


def _total(table: privacy.ProtectedTable) -> privacy.Cell:
    (cell,) = [c for c in table.cells if not c.key]
    return cell


@pytest.mark.parametrize("actor", [NATIONAL, CRESS], ids=["national", "cress"])
def test_trends_follow_replaces_and_say_where_the_version_changed(
    versions: Versions, actor: Actor
) -> None:
    engine = versions.engine
    _two_campaigns(versions)
    region = actor.region
    figure = dashboards.trends_figure(
        engine, actor, versions.v2, years=[YEAR - 1, YEAR], region=region
    )
    rows = {row[0]: row[1:] for row in figure.rows}

    def published(year: int, measure: str) -> float | None:
        table = privacy.table(engine, actor, campaign_year=year, measure=measure, region=region)
        return _total(table).mean

    # renamed: last year's published figure of the theme it continues, relabelled
    assert rows["Gouvernance démocratique"] == (
        published(YEAR - 1, "gouvernance"),
        published(YEAR, "gouvernance-democratique"),
    )
    # merged: computed from the published cells of both former themes only
    energy = _total(privacy.table(engine, actor, campaign_year=YEAR - 1, measure="energie",
                                  region=region))  # fmt: skip
    water = _total(privacy.table(engine, actor, campaign_year=YEAR - 1, measure="eau",
                                 region=region))  # fmt: skip
    assert energy.n and water.n and energy.mean is not None and water.mean is not None
    merged = (energy.n * energy.mean + water.n * water.mean) / (energy.n + water.n)
    assert rows["Ressources"] == (round(merged, 1), published(YEAR, "ressources"))
    # new: no history, never « masqué »
    assert rows["Territoire"][0] == dashboards.NO_HISTORY
    assert figure.display_rows()[-1][1] == "—"
    assert not any(
        c["column"].startswith(str(YEAR - 1)) and c["row"] == "Territoire"
        for c in figure.chart_rows
    )
    # the chart's columns and the note say where the version changed
    assert {c["column"] for c in figure.chart_rows} == {
        f"{YEAR - 1} · version 1",
        f"{YEAR} · version 2",
    }
    assert figure.version_note is not None
    assert f"{YEAR - 1} → {YEAR} (version 1 → 2)" in figure.version_note


def test_attainment_compares_with_last_years_goal_of_the_theme_continued(
    versions: Versions,
) -> None:
    engine = versions.engine
    _two_campaigns(versions)
    # everyone reaches last year's « gouvernance » goal of 3 only if now at 3: i % 3 == 1, 2
    table = privacy.attainment(engine, NATIONAL, campaign_year=YEAR,
                               measure="gouvernance-democratique")  # fmt: skip
    cell = _total(table)
    assert cell.hidden_reason is None and cell.n is not None and cell.mean is not None
    assert abs(cell.n - 12) <= 2
    assert 40 <= cell.mean <= 95  # 8 of 12 reached (67 %), with the layer's noise
    figure = dashboards.attainment_figure(
        engine, NATIONAL, versions.v2, campaign_year=YEAR, region=None
    )
    shares = {row[0]: row[2] for row in figure.rows}
    assert shares["Gouvernance démocratique"] == cell.mean
    assert shares["Ressources"] is not None  # the mean of each one's two former goals
    assert figure.version_note is not None and "version 1 → 2" in figure.version_note


def test_a_merged_theme_is_hidden_when_one_of_its_former_themes_is(versions: Versions) -> None:
    """Last year, 8 organisations addressed « énergie » but only 4 « eau » (fewer than k):
    « eau » is hidden, and so is the merged « ressources », which therefore never
    gives « eau » away by difference with « énergie »."""
    engine = versions.engine
    for i in range(8):
        values: dict[tuple[str, str], object] = {
            ("gouv-regles", "current"): 2,
            ("gouv-regles", "goal_1y"): 3,
            ("energie-suivi", "current"): 1 + i % 3,
            ("energie-suivi", "goal_1y"): 3,
        }
        if i < 4:
            values |= {("eau-suivi", "current"): 2, ("eau-suivi", "goal_1y"): 3}
        _answer(
            engine, _org(engine, 200 + i), versions.last_year, values,
            not_addressed=[] if i < 4 else ["eau"], submit=True,
        )  # fmt: skip
    close_campaigns(engine)
    energy = _total(privacy.table(engine, NATIONAL, campaign_year=YEAR - 1, measure="energie"))
    water = _total(privacy.table(engine, NATIONAL, campaign_year=YEAR - 1, measure="eau"))
    assert energy.hidden_reason is None and water.hidden_reason is not None
    found = privacy.carried_table(
        engine, NATIONAL, campaign_year=YEAR - 1, grid=versions.v2, measure="ressources"
    )
    assert found is not None
    merged = _total(found)
    assert (merged.n, merged.mean, merged.quartiles) == (None, None, None)
    assert merged.hidden_reason == water.hidden_reason
    assert found.hidden_cells >= 1
    assert found.note_fr.endswith(
        typo("masqué dès que l'une l'est ; effectif : le plus grand des leurs.")
    )
    # a theme with no history has no table at all (nothing outside the catalogue)
    assert (
        privacy.carried_table(
            engine, NATIONAL, campaign_year=YEAR - 1, grid=versions.v2, measure="territoire"
        )
        is None
    )
    # the chamber's scope rules hold through the mapping
    with pytest.raises(PermissionDenied):
        privacy.carried_table(
            engine, CRESS, campaign_year=YEAR - 1, grid=versions.v2, measure="ressources",
            region="11",
        )  # fmt: skip


def test_reasons_for_choosing_themes_follow_the_themes_they_became(versions: Versions) -> None:
    """Two themes merged into one: their reasons together when they differ, once when
    they are the same; too long together: refused where they are in the file."""
    engine = versions.engine
    org = _org(engine, 7)
    sheets = {s.id: s.sheet for s in layout.sections(versions.v1)}

    def reasons(values: dict[str, str]) -> bytes:
        def fill(workbook):  # type: ignore[no-untyped-def]
            for item_id, reason in values.items():
                workbook[sheets[item_id]][layout.REASON_CELL] = reason

        return edit(exchange.template_xlsx(versions.v1), fill)

    same = reasons({"gouvernance": "Le conseil", "energie": "Nos factures", "eau": "Nos factures"})
    incoming = exchange.plan_file(engine, SYSTEM, org, YEAR, same, kind="xlsx")
    assert incoming.reasons == {
        "gouvernance-democratique": (False, "Le conseil"),
        "ressources": (False, "Nos factures"),
    }
    both = reasons({"energie": "L'énergie", "eau": "L'eau"})
    plan = exchange.plan_file(engine, SYSTEM, org, YEAR, both, kind="xlsx")
    assert plan.reasons == {"ressources": (False, "L'énergie ; L'eau")}
    exchange.apply_import(engine, SYSTEM, plan, overwrite=False)
    stored = assessments.find_assessment(engine, SYSTEM, org, versions.this_year)
    assert stored is not None and stored.choice_reasons == {"ressources": "L'énergie ; L'eau"}
    too_long = reasons({"energie": "e" * 150, "eau": "a" * 150})
    with pytest.raises(exchange.ImportRefused) as refused:
        exchange.plan_file(engine, SYSTEM, org, YEAR, too_long, kind="xlsx")
    [problem] = refused.value.problems
    cell = layout.REASON_CELL
    assert problem.cell == f"{sheets['energie']}!{cell}, {sheets['eau']}!{cell}"
    assert "200 caractères au plus (" in problem.message

"""Hostile text at every core entry point, on SQLite and PostgreSQL.

Each value of the corpus must give a French :class:`UserError` naming the
field (never a ``DataError``, ``UnicodeEncodeError`` or ``_csv.Error``) and
leave nothing half-saved; text that is merely unusual (zero-width joiners,
other scripts, markup) is stored and read back exactly.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from assessment import accounts, action_plan, exports, grid_store, organisations
from assessment import assessments as svc
from assessment.cli import main
from assessment.db import dispose_engines, read_session
from assessment.errors import UserError
from assessment.permissions import Role
from assessment.scoring import score
from assessment.settings import get_settings
from assessment.tables import ActionPlanAction, Answer, Organisation, User

from .conftest import GRIDS_V1, SIREN_A, SYSTEM, World, database_url

HOSTILE = {
    "nul": "a\x00b",
    "soh": "a\x01b",
    "escape": "a\x1b[31mb",
    "unit-separator": "a\x1fb",
    "delete": "a\x7fb",
    "c1-control": "a\x9bb",
    "lone-surrogate": "a\ud800b",
    "low-surrogate": "a\udfffb",
    "rtl-override": "facture\u202efdp.exe",
    "rtl-isolate": "a\u2067b",
}
"""Refused in every field."""
TOO_LONG = "x" * 200_000
ACCEPTED = [
    "zéro\u200blargeur",
    "Équipe 👩\u200d👩\u200d👧",
    "جمعية التضامن",
    "[x](javascript:alert(1)) ![](http://evil/p.png) **gras** $x$ :red[x] <b>html</b>",
    "=1+2 ; -3 ; @SUM(A1)",
]
"""Kept as typed (display and exports escape them)."""

corpus = pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
accepted = pytest.mark.parametrize("value", ACCEPTED, ids=range(len(ACCEPTED)))


def _count(engine: Engine, table: type) -> int:
    with read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------


@corpus
def test_sign_in_with_a_hostile_address_or_password_is_a_plain_refusal(
    world: World, hostile: str
) -> None:
    with pytest.raises(accounts.SignInError, match=r"^Adresse e-mail\u00a0: caractère refusé"):
        accounts.authenticate(world.engine, f"membre{hostile}@demo.test", "mot de passe")
    with pytest.raises(accounts.SignInError, match=r"^Mot de passe\u00a0: caractère refusé"):
        accounts.authenticate(world.engine, "membre@demo.test", f"mot de passe{hostile}")


def test_sign_in_with_a_huge_address(world: World) -> None:
    with pytest.raises(accounts.SignInError, match="320 caractères au plus"):
        accounts.authenticate(world.engine, TOO_LONG + "@demo.test", "mot de passe")


@corpus
def test_new_accounts_refuse_hostile_addresses_and_passwords(world: World, hostile: str) -> None:
    email = f"nouveau{hostile}@demo.test"
    with pytest.raises(accounts.AccountError, match=r"^Adresse e-mail\u00a0: "):
        accounts.create_user(
            world.engine, SYSTEM, email=email, password="un mot de passe", role=Role.NATIONAL
        )
    with pytest.raises(accounts.AccountError, match=r"^Adresse e-mail\u00a0: "):
        accounts.invite_user(
            world.engine, SYSTEM, email=email, role=Role.ORG_ADMIN, organisation_id=world.org_a
        )
    with pytest.raises(accounts.AccountError, match=r"^Mot de passe\u00a0: "):
        accounts.create_user(
            world.engine,
            SYSTEM,
            email="nouveau@demo.test",
            password=f"un mot de passe{hostile}",
            role=Role.NATIONAL,
        )
    assert _count(world.engine, User) == 0


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u00a0"])
def test_e_mail_addresses_refuse_invisible_characters(world: World, invisible: str) -> None:
    with pytest.raises(accounts.AccountError, match=r"^Adresse e-mail\u00a0: "):
        accounts.invite_user(
            world.engine,
            SYSTEM,
            email=f"ad{invisible}min@a.fr",
            role=Role.ORG_ADMIN,
            organisation_id=world.org_a,
        )


def test_password_change_refuses_a_hostile_password(world: World) -> None:
    user_id = accounts.create_user(
        world.engine, SYSTEM, email="n@demo.test", password="un mot de passe", role="national"
    )
    me = accounts.authenticate(world.engine, "n@demo.test", "un mot de passe")
    with pytest.raises(accounts.AccountError, match=r"^Mot de passe\u00a0: "):
        accounts.change_password(
            world.engine,
            me,
            user_id,
            new_password="nouveau\x00passe",
            current_password="un mot de passe",
        )
    assert accounts.authenticate(world.engine, "n@demo.test", "un mot de passe").user_id == user_id


# ---------------------------------------------------------------------------
# organisations
# ---------------------------------------------------------------------------


@corpus
def test_organisation_fields_refuse_hostile_text(world: World, hostile: str) -> None:
    with pytest.raises(organisations.OrganisationError, match=r"^name : caractère refusé"):
        organisations.create_organisation(
            world.engine,
            SYSTEM,
            name=f"Nouvelle {hostile}",
            rna="W751234568",
            region="84",
            legal_family="association",
            size_band="0",
        )
    before = organisations.get_organisation(world.engine, SYSTEM, world.org_a)
    for field in ("name", "siren", "region", "sector"):
        with pytest.raises(organisations.OrganisationError, match=f"^{field} : caractère refusé"):
            organisations.update_organisation(
                world.engine, world.admin, world.org_a, **{field: f"Q{hostile}"}
            )
    assert organisations.get_organisation(world.engine, SYSTEM, world.org_a) == before
    assert _count(world.engine, Organisation) == 3
    with pytest.raises(UserError, match=r"^Recherche\u00a0: caractère refusé"):
        organisations.list_organisations(world.engine, SYSTEM, search=hostile)


def test_organisation_name_length(world: World) -> None:
    with pytest.raises(organisations.OrganisationError, match="name : 300 caractères au plus"):
        organisations.update_organisation(world.engine, world.admin, world.org_a, name=TOO_LONG)


@corpus
def test_csv_import_refuses_a_hostile_line_and_imports_nothing(
    engine: Engine, hostile: str
) -> None:
    data = (
        "name,siren,rna,region,legal_family,size_band,sector\n"
        f"Mutuelle de Lyon,542051180,,84,mutual,50-249,K\n"
        f"Asso {hostile},,W291234567,53,association,0,R\n"
    )
    result = organisations.import_organisations_csv(engine, SYSTEM, data)
    assert not result.ok
    assert result.problems[0].startswith("ligne 3, name : caractère refusé en position ")
    assert _count(engine, Organisation) == 0


def test_csv_field_over_the_csv_limit_is_a_french_problem(engine: Engine) -> None:
    data = f'name,siren,region,legal_family,size_band\n"{"x" * 131_073}",{SIREN_A},84,mutual,0\n'
    result = organisations.import_organisations_csv(engine, SYSTEM, data.encode())
    assert result.problems == [
        "ligne 2 : un champ dépasse 131\u202f072 caractères (guillemet non fermé ?) : "
        "rien n'a été importé"
    ]
    assert _count(engine, Organisation) == 0


def test_cli_import_of_a_field_over_the_csv_limit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url(engine))
    monkeypatch.setenv("ASSESSMENT_GRIDS_DIR", str(GRIDS_V1))
    monkeypatch.delenv("ASSESSMENT_SETTINGS", raising=False)
    get_settings.cache_clear()
    path = tmp_path / "orgs.csv"
    path.write_text(
        f'name,siren,region,legal_family,size_band\n"{"x" * 200_000}\n', encoding="utf-8"
    )
    try:
        result = CliRunner().invoke(main, ["orgs", "import", str(path)])
    finally:
        get_settings.cache_clear()
        dispose_engines()
    assert result.exit_code == 1, result.output
    assert "un champ dépasse 131\u202f072 caractères" in result.output
    assert "aucune organisation importée" in result.output
    assert "Traceback" not in result.output and "_csv" not in result.output


# ---------------------------------------------------------------------------
# assessments, then the results exports
# ---------------------------------------------------------------------------


def _exports_work(world: World, assessment_id: int) -> dict[str, dict[str, object]]:
    state = svc.get_assessment(world.engine, world.member, assessment_id)
    grid = grid_store.get_grid(world.engine, state.grid_id, state.grid_version)
    report = score(grid, state.answers, state.not_addressed)
    assert exports.results_csv(grid, report, state.answers).startswith(b"\xef\xbb\xbf")
    document = json.loads(exports.results_json(grid, report, state.answers))
    return document["answers"]


@corpus
def test_answers_and_comments_refuse_hostile_text_and_exports_still_work(
    world: World, hostile: str
) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = svc.save_answer(
        world.engine, world.member, state.id, "env-actions", "goal_1y", "Tri", expected_revision=0
    )
    with pytest.raises(svc.AnswerError, match=r"^env-actions .* caractère refusé"):
        svc.save_answer(
            world.engine,
            world.member,
            state.id,
            "env-actions",
            "goal_1y",
            f"Tri {hostile}",
            expected_revision=rev,
        )
    with pytest.raises(svc.AssessmentError, match=r"^Commentaire\u00a0: caractère refusé"):
        svc.save_comment(
            world.engine,
            world.member,
            state.id,
            "gouv-regles",
            "current",
            f"Vu {hostile}",
            expected_revision=rev,
        )
    loaded = svc.get_assessment(world.engine, world.member, state.id)
    assert loaded.revision == rev
    assert loaded.answers == {"env-actions": {"goal_1y": "Tri"}} and loaded.comments == {}
    assert _exports_work(world, state.id) == {"env-actions": {"goal_1y": "Tri"}}


def test_comment_length(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    with pytest.raises(svc.AssessmentError, match="5\u202f000 caractères au plus"):
        svc.save_comment(
            world.engine, world.member, state.id, "gouv-regles", "current", TOO_LONG,
            expected_revision=0,
        )  # fmt: skip
    with read_session(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 0


@accepted
def test_unusual_but_harmless_text_round_trips(world: World, value: str) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = svc.save_answer(
        world.engine, world.member, state.id, "env-actions", "goal_1y", value, expected_revision=0
    )
    svc.save_comment(
        world.engine, world.member, state.id, "gouv-regles", "current", value, expected_revision=rev
    )
    loaded = svc.get_assessment(world.engine, world.member, state.id)
    assert loaded.answers["env-actions"]["goal_1y"] == value
    assert loaded.comments["gouv-regles"]["current"] == value
    assert _exports_work(world, state.id)["env-actions"]["goal_1y"] == value
    organisations.update_organisation(world.engine, world.admin, world.org_a, name=value)
    assert organisations.get_organisation(world.engine, SYSTEM, world.org_a).name == " ".join(
        value.split()
    )


# ---------------------------------------------------------------------------
# action plan, grid sources
# ---------------------------------------------------------------------------


@corpus
@pytest.mark.parametrize(
    ("field", "label"),
    [("title", "Action"), ("owner", "Responsable"), ("notes", "Notes"), ("item_id", "Thème")],
)
def test_actions_refuse_hostile_text(world: World, hostile: str, field: str, label: str) -> None:
    values = {"item_id": "gouvernance", "title": "Réviser les statuts"}
    with pytest.raises(action_plan.ActionPlanError, match=f"^{label}\u00a0: caractère refusé"):
        action_plan.add_action(
            world.engine, world.member, world.org_a, **(values | {field: f"x {hostile}"})
        )
    assert _count(world.engine, ActionPlanAction) == 0
    action_id = action_plan.add_action(world.engine, world.member, world.org_a, **values)
    with pytest.raises(action_plan.ActionPlanError, match=f"^{label}\u00a0: "):
        action_plan.update_action(world.engine, world.member, action_id, **{field: hostile})
    (action,) = action_plan.list_actions(world.engine, world.member, world.org_a)
    assert (action.title, action.owner, action.notes) == ("Réviser les statuts", "", "")


def test_action_title_length(world: World) -> None:
    with pytest.raises(action_plan.ActionPlanError, match=r"^Action\u00a0: 300 caractères au plus"):
        action_plan.add_action(
            world.engine, world.member, world.org_a, item_id="gouvernance", title=TOO_LONG
        )


@corpus
def test_grid_drafts_refuse_hostile_names_and_sources(world: World, hostile: str) -> None:
    source = (GRIDS_V1 / "small-v1.yaml").read_text(encoding="utf-8").replace('"1"', '"9"')
    with pytest.raises(grid_store.GridStoreError, match=r"^Nom du fichier\u00a0: "):
        grid_store.save_draft(world.engine, SYSTEM, source, source_name=f"g{hostile}.yaml")
    with pytest.raises(grid_store.GridStoreError, match=r"^Grille\u00a0: caractère refusé"):
        grid_store.save_draft(world.engine, SYSTEM, source + f"# {hostile}\n")
    versions = [v.version for v in grid_store.list_grid_versions(world.engine, SYSTEM)]
    assert "9" not in versions


@corpus
def test_campaigns_refuse_hostile_labels_and_grid_ids(world: World, hostile: str) -> None:
    from assessment.campaigns import CampaignError, create_campaign, list_campaigns

    for field, label in (("label", "Libellé"), ("grid_id", "Grille"), ("grid_version", "Version")):
        with pytest.raises(CampaignError, match=rf"^{label}\u00a0: caractère refusé"):
            create_campaign(
                world.engine,
                SYSTEM,
                year=2030,
                opens_on=date(2030, 1, 1),
                closes_on=date(2030, 6, 30),
                **{field: f"x{hostile}"},  # type: ignore[arg-type]
            )
    assert [c.year for c in list_campaigns(world.engine)] == [date.today().year]

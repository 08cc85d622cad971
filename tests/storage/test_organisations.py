"""Organisations: identifiers, categories, duplicates, CSV import, sharing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from assessment.db import NotFound, read_session
from assessment.organisations import (
    FieldProblem,
    OrganisationError,
    check_organisation,
    create_organisation,
    get_organisation,
    import_organisations_csv,
    is_valid_rna,
    is_valid_siren,
    list_change_requests,
    organisation_trail,
    pending_change_request,
    review_change_request,
    set_shared_with_region,
    siren_problem,
    siren_with_key,
    update_organisation,
)
from assessment.permissions import PermissionDenied
from assessment.tables import Organisation

from .conftest import SIREN_A, SIREN_B, SYSTEM, World

VALID = {
    "name": "Association Les Jardins de Tours",
    "siren": SIREN_A,
    "rna": "",
    "region": "24",
    "legal_family": "association",
    "size_band": "1-9",
    "sector": "Q",
}


def _fields(problems: list[FieldProblem]) -> set[str]:
    return {p.field for p in problems}


@pytest.mark.parametrize(
    ("siren", "valid"),
    [
        (SIREN_A, True),
        ("732 829 320", True),
        ("356000000", True),  # La Poste
        ("732829321", False),  # wrong check digit
        ("12345678", False),
        ("73282932000015", False),  # a SIRET
        ("ABCDEFGHI", False),
        ("７３２８２９３２０", False),  # non-ASCII digits
    ],
)
def test_siren_check_digit(siren: str, valid: bool) -> None:
    assert is_valid_siren(siren) is valid


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("73282932000074", "73282932000074 est un SIRET : indiquez le SIREN"),
        ("35600000000048", "35600000000048 est un SIRET : indiquez le SIREN"),  # La Poste
        ("73282932000075", "73282932000075 n'est pas un SIREN valide (9 chiffres attendus, 14"),
    ],
)
def test_a_siret_is_recognised_by_its_check_digit(value: str, message: str) -> None:
    problem = siren_problem(value)
    assert problem is not None and problem.startswith(message)


def test_siren_with_key_makes_valid_sirens() -> None:
    for prefix in ("12345678", "00000001", "98765432"):
        assert is_valid_siren(siren_with_key(prefix))


@pytest.mark.parametrize(
    ("rna", "valid"),
    [
        ("W751234567", True),
        ("w75 123 4567", True),
        ("W2A1234567", True),
        ("W12345678", False),
        ("X751234567", False),
        ("W75123456789", False),
    ],
)
def test_rna_format(rna: str, valid: bool) -> None:
    assert is_valid_rna(rna) is valid


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"siren": "732829321"}, "siren", "clé de contrôle"),
        ({"siren": "", "rna": "W75"}, "rna", "RNA"),
        ({"siren": "", "rna": ""}, "identifier", "SIREN ou"),
        ({"region": "99"}, "region", "99 n'est pas un code de région"),
        ({"region": ""}, "region", "(vide)"),
        ({"legal_family": "club"}, "legal_family", "club n'est pas une famille"),
        ({"size_band": "5000"}, "size_band", "tranche d'effectif"),
        ({"sector": "Z"}, "sector", "section NAF"),
        ({"name": "  "}, "name", "obligatoire"),
    ],
)
def test_each_invalid_field_is_named(changes: dict[str, str], field: str, words: str) -> None:
    data, problems = check_organisation(VALID | changes)
    assert data is None
    assert _fields(problems) == {field}
    assert words in str(problems[0])


def test_lenient_forms_are_normalised() -> None:
    data, problems = check_organisation(
        VALID
        | {
            "region": "1",
            "legal_family": "Coopérative",
            "size_band": "250 salariés ou plus",
            "sector": "q",
            "siren": "",
            "rna": "w751234567",
            "name": " Les   Amis ",
        }
    )
    assert problems == []
    assert data is not None
    assert (data.region, data.legal_family, data.size_band, data.sector) == (
        "01",
        "cooperative",
        "250+",
        "Q",
    )
    assert (data.siren, data.rna, data.name) == (None, "W751234567", "Les Amis")


def test_create_and_read(engine: Engine) -> None:
    org_id = create_organisation(
        engine,
        SYSTEM,
        name="SCOP Bois",
        siren=SIREN_B,
        region="53",
        legal_family="cooperative",
        size_band="10-49",
    )
    info = get_organisation(engine, SYSTEM, org_id)
    assert info.identifier == f"SIREN {SIREN_B}"
    assert (info.region_name, info.legal_family_label, info.size_band_label) == (
        "Bretagne",
        "Coopérative",
        "10 à 49 salariés",
    )
    assert info.shared_with_region is False
    assert info.created_at.tzinfo is not None


def test_duplicates_are_refused(world: World) -> None:
    with pytest.raises(OrganisationError) as caught:
        create_organisation(
            world.engine,
            SYSTEM,
            name="Autre",
            siren=SIREN_A,
            region="84",
            legal_family="association",
            size_band="0",
        )
    assert _fields(caught.value.problems) == {"siren"}
    assert "déjà enregistré" in str(caught.value)
    assert "Bellevue" not in str(caught.value)  # the other organisation is not named
    with pytest.raises(OrganisationError, match="W751234567 est déjà enregistré"):
        create_organisation(
            world.engine,
            SYSTEM,
            name="Autre",
            rna="W751234567",
            region="11",
            legal_family="association",
            size_band="0",
        )
    with pytest.raises(OrganisationError, match="siren"):
        update_organisation(world.engine, SYSTEM, world.org_b, siren=SIREN_A)


def test_update_by_the_admin(world: World) -> None:
    info = update_organisation(
        world.engine,
        world.admin,
        world.org_a,
        name="Les Jardins de Bellevue",
        contact_email="Contact@Jardins.test",
        contact_phone="+33 4 70 00 00 00",
        postal_address="2 rue des Lilas\n03000 Moulins",
    )
    assert info.name == "Les Jardins de Bellevue"
    assert (info.contact_email, info.contact_phone, info.postal_address) == (
        "Contact@Jardins.test",
        "+33 4 70 00 00 00",
        "2 rue des Lilas 03000 Moulins",
    )
    with pytest.raises(OrganisationError, match="region"):
        update_organisation(world.engine, world.admin, world.org_a, region="00")
    with pytest.raises(OrganisationError, match="téléphone"):
        update_organisation(world.engine, world.admin, world.org_a, contact_phone="appelez-nous")
    with pytest.raises(OrganisationError, match="SIREN et le numéro RNA"):
        update_organisation(world.engine, world.admin, world.org_a, siren="542051180")
    assert get_organisation(world.engine, world.admin, world.org_a).region == "84"
    kinds = [event.kind for event in organisation_trail(world.engine, world.admin, world.org_a)]
    assert kinds == ["profile_updated"]


def test_an_admin_cannot_move_the_organisation_at_once(world: World) -> None:
    """On today's main an admin moved the organisation into another chamber's scope
    (or a small aggregate group) in one call."""
    info = update_organisation(world.engine, world.admin, world.org_a, region="11", size_band="0")
    assert (info.region, info.size_band) == ("84", "1-9")
    with pytest.raises(NotFound):  # the other chamber still cannot see it
        get_organisation(world.engine, world.regional_other, world.org_a)
    request = pending_change_request(world.engine, world.admin, world.org_a)
    assert request is not None and request.changes == {"region": "11", "size_band": "0"}
    # only the organisation's current chamber (or the national body) reviews it
    assert list_change_requests(world.engine, world.regional_other) == []
    with pytest.raises(NotFound):
        review_change_request(world.engine, world.regional_other, request.id, accept=True)
    with pytest.raises(PermissionDenied):
        review_change_request(world.engine, world.admin, request.id, accept=True)
    [listed] = list_change_requests(world.engine, world.regional_same)
    assert listed.id == request.id and listed.current == {"region": "84", "size_band": "1-9"}
    moved = review_change_request(world.engine, world.regional_same, request.id, accept=True)
    assert (moved.region, moved.size_band) == ("11", "0")
    assert get_organisation(world.engine, world.regional_other, world.org_a).region == "11"
    kinds = [event.kind for event in organisation_trail(world.engine, world.admin, world.org_a)]
    assert kinds == ["profile_change_accepted", "profile_change_requested"]


def test_a_refused_change_changes_nothing(world: World) -> None:
    update_organisation(world.engine, world.admin, world.org_a, legal_family="foundation")
    request = pending_change_request(world.engine, world.admin, world.org_a)
    assert request is not None
    info = review_change_request(world.engine, world.national, request.id, accept=False)
    assert info.legal_family == "association"
    assert pending_change_request(world.engine, world.admin, world.org_a) is None
    with pytest.raises(NotFound):  # decided: no longer open to review
        review_change_request(world.engine, world.national, request.id, accept=True)


def test_staff_change_categories_at_once_and_it_is_audited(world: World) -> None:
    info = update_organisation(world.engine, world.regional_same, world.org_a, size_band="10-49")
    assert info.size_band == "10-49"
    [event] = organisation_trail(world.engine, world.admin, world.org_a)
    assert (event.kind, event.actor_email, dict(event.details)) == (
        "profile_updated",
        "cress84@test",
        {"size_band": ["1-9", "10-49"]},
    )


def test_unknown_and_invisible_organisations_look_alike(world: World) -> None:
    unknown = world.org_a + world.org_b + world.org_other_region + 100
    for call in (get_organisation, organisation_trail):
        with pytest.raises(NotFound) as invisible:
            call(world.engine, world.member_other_org, world.org_a)
        with pytest.raises(NotFound) as missing:
            call(world.engine, world.member_other_org, unknown)
        assert str(invisible.value).replace(str(world.org_a), "N") == str(missing.value).replace(
            str(unknown), "N"
        )
    with pytest.raises(NotFound):
        update_organisation(world.engine, world.regional_other, world.org_a, name="Pris")


def test_sharing_can_be_undone(world: World) -> None:
    assert set_shared_with_region(world.engine, world.admin, world.org_a, True).shared_with_region
    assert not set_shared_with_region(
        world.engine, world.admin, world.org_a, False
    ).shared_with_region


# ---------------------------------------------------------------------------
# CSV import
# ---------------------------------------------------------------------------

HEADER = "name,siren,rna,region,legal_family,size_band,sector"


def _count(engine: Engine) -> int:
    with read_session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Organisation)) or 0)


def test_import_with_bom_and_semicolons(engine: Engine) -> None:
    text = (
        HEADER.replace(",", ";")
        + "\nMutuelle Santé de Lyon;542051180;;84;mutual;50-249;K"
        + '\n"Association ""Les Amis"" de Brest";;W291234567;53;association;0;'
        + "\n\nSCOP Menuiserie;552100554;;11;cooperative;10-49;C\n"
    )
    result = import_organisations_csv(engine, SYSTEM, ("\ufeff" + text).encode("utf-8"))
    assert result.ok and result.imported == 3
    assert _count(engine) == 3


def test_import_comma_and_french_headers(engine: Engine) -> None:
    text = (
        "nom,siren,rna,région,famille,taille,secteur\nFondation X,542051180,,84,fondation,250+,Q\n"
    )
    result = import_organisations_csv(engine, SYSTEM, text.encode("utf-8"))
    assert result.ok and result.imported == 1


def test_import_reports_every_bad_line_and_imports_nothing(engine: Engine) -> None:
    lines = [
        HEADER,
        "Bonne Association,542051180,,84,association,1-9,Q",  # line 2: fine
        "Mauvaise clé,123456789,,84,association,1-9,Q",  # line 3
        "Région inconnue,552100554,,99,association,1-9,Q",  # line 4
        "Sans identifiant,,,84,association,1-9,Q",  # line 5
        "Famille,732829320,,84,club,1-9,Q",  # line 6
        "Doublon,542051180,,84,association,1-9,Q",  # line 7: same SIREN as line 2
        "Colonnes,1,2",  # line 8
    ]
    result = import_organisations_csv(engine, SYSTEM, "\n".join(lines).encode("utf-8"))
    assert not result.ok and result.imported == 0
    assert result.problems[0] == (
        "ligne 3, siren : 123456789 n'est pas un SIREN valide (clé de contrôle)"
    )
    joined = "\n".join(result.problems)
    assert "ligne 4, region : 99 n'est pas un code de région connu" in joined
    assert "ligne 5, siren/rna :" in joined
    assert "ligne 6, legal_family : club" in joined
    assert "ligne 7, siren : 542051180 figure déjà ligne 2" in joined
    assert "ligne 8 : 3 colonnes au lieu de 7" in joined
    assert _count(engine) == 0


def test_import_refuses_organisations_already_registered(world: World) -> None:
    text = (
        f"{HEADER}\nNouvelle,542051180,,84,association,0,\nDéjà là,{SIREN_A},,84,association,0,\n"
    )
    result = import_organisations_csv(world.engine, SYSTEM, text.encode("utf-8"))
    # the report never names the organisation that holds the identifier
    assert result.problems == [
        f"ligne 3, siren : {SIREN_A} est déjà enregistré pour une autre organisation"
    ]
    assert _count(world.engine) == 3


def test_a_chamber_imports_only_its_region(world: World) -> None:
    text = (
        f"{HEADER}\nNouvelle,542051180,,84,association,0,\nAilleurs,,W751234568,11,association,0,\n"
    )
    refused = import_organisations_csv(world.engine, world.regional_same, text)
    assert refused.problems == ["ligne 3, region : 11 n'est pas la région de votre CRESS"]
    assert _count(world.engine) == 3
    ok = import_organisations_csv(world.engine, world.regional_same, text.rsplit("Ailleurs", 1)[0])
    assert ok.ok and ok.imported == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "vide"),
        (b"name,siren\nX,1\n", "colonnes manquantes : region"),
        (f"{HEADER},couleur\n".encode(), "colonne inconnue : couleur"),
        (f"{HEADER}\nÉcole,542051180,,84,association,0,\n".encode("latin-1"), "UTF-8"),
        (f"{HEADER}\n".encode(), "aucune organisation"),
    ],
)
def test_unreadable_files(engine: Engine, data: bytes, words: str) -> None:
    result = import_organisations_csv(engine, SYSTEM, data)
    assert not result.ok
    assert words in result.problems[0]

"""Organisations: identifiers (SIREN / RNA), categories, CSV import, sharing.

An organisation has at least one identifier: a SIREN (9 digits, Luhn check
digit) or, for a small association without one, an RNA number (``W`` followed
by 9 characters: the department then digits, e.g. ``W751234567``).  Both are
unique.  ``sector`` is optional and, when given, is a NAF rév. 2 section
letter (``A`` … ``U``), so that sectors can be compared and aggregated.

Every function takes the acting :class:`~assessment.permissions.Actor` and
checks :mod:`assessment.permissions` first.  An organisation the actor may not
see answers exactly like an unknown id (:class:`NotFound`, same message), and a
duplicate identifier never names the organisation that holds it.

Who changes what: an organisation's admins change its name and contact details
at once; a change of region, legal family, size band or sector moves the
organisation into other aggregate groups (or another chamber's scope), so
theirs becomes a *request* that the organisation's chamber or the national
body accepts or refuses (:func:`review_change_request`).  Staff (the national
body; a chamber in its region) change everything at once.  Every change is in
the organisation's trail (:mod:`assessment.admin_audit`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from assessment import admin_audit, demo_mark, score_store
from assessment.admin_audit import AdminEventInfo
from assessment.db import NotFound, read_session, write_connection, write_session
from assessment.errors import UserError
from assessment.french import agree, number
from assessment.permissions import Action, Actor, Role, Target, can, require
from assessment.profiles import LEGAL_FAMILIES, SIZE_BANDS
from assessment.regions import REGIONS_BY_CODE, normalise_region
from assessment.tables import (
    Organisation,
    OrganisationChangeRequest,
    OrganisationContact,
    utcnow,
)
from assessment.text_input import CODE, NAME, SHORT_TEXT, TextInputError, clean_text

NAF_SECTIONS: dict[str, str] = {
    "A": "Agriculture, sylviculture et pêche",
    "B": "Industries extractives",
    "C": "Industrie manufacturière",
    "D": "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné",
    "E": "Production et distribution d'eau ; assainissement, gestion des déchets et dépollution",
    "F": "Construction",
    "G": "Commerce ; réparation d'automobiles et de motocycles",
    "H": "Transports et entreposage",
    "I": "Hébergement et restauration",
    "J": "Information et communication",
    "K": "Activités financières et d'assurance",
    "L": "Activités immobilières",
    "M": "Activités spécialisées, scientifiques et techniques",
    "N": "Activités de services administratifs et de soutien",
    "O": "Administration publique",
    "P": "Enseignement",
    "Q": "Santé humaine et action sociale",
    "R": "Arts, spectacles et activités récréatives",
    "S": "Autres activités de services",
    "T": "Activités des ménages en tant qu'employeurs",
    "U": "Activités extra-territoriales",
}

CSV_COLUMNS = ("name", "siren", "rna", "region", "legal_family", "size_band", "sector")
CSV_COLUMN_ALIASES: dict[str, str] = {
    "nom": "name",
    "raison_sociale": "name",
    "région": "region",
    "famille": "legal_family",
    "famille_juridique": "legal_family",
    "taille": "size_band",
    "tranche_effectif": "size_band",
    "secteur": "sector",
}
FIELD_LABELS_FR: dict[str, str] = {
    "name": "name",
    "siren": "siren",
    "rna": "rna",
    "region": "region",
    "legal_family": "legal_family",
    "size_band": "size_band",
    "sector": "sector",
    "identifier": "siren/rna",
    "contact_email": "e-mail de contact",
    "contact_phone": "téléphone",
    "postal_address": "adresse",
}
NAME_MAX_LENGTH = NAME.max_length
_RNA_PATTERN = re.compile(r"^W[0-9][0-9A-Z][0-9]{7}$")


# ---------------------------------------------------------------------------
# identifiers
# ---------------------------------------------------------------------------


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-\u00a0\u202f]", "", value)


def siren_problem(value: str) -> str | None:
    """Why ``value`` (already compacted) is not a valid SIREN, or ``None``.

    Checked with python-stdnum (``stdnum.fr.siren``: Luhn key); a valid SIRET
    (``stdnum.fr.siret``, La Poste's establishments included) is recognised
    and the SIREN it starts with is asked for instead.
    """
    if not value.isdigit() or not value.isascii():
        return f"{value} n'est pas un SIREN valide (9 chiffres attendus)"
    if stdnum_siret.is_valid(value):
        return f"{value} est un SIRET : indiquez le SIREN (ses 9 premiers chiffres)"
    if len(value) != 9:
        return f"{value} n'est pas un SIREN valide (9 chiffres attendus, {len(value)} donnés)"
    if not stdnum_siren.is_valid(value):
        return f"{value} n'est pas un SIREN valide (clé de contrôle)"
    return None


def is_valid_siren(value: str) -> bool:
    return siren_problem(_compact(value)) is None


def rna_problem(value: str) -> str | None:
    """Why ``value`` (compacted, upper-cased) is not a valid RNA number, or ``None``."""
    if not _RNA_PATTERN.match(value):
        return f"{value} n'est pas un numéro RNA valide (W suivi de 9 caractères, ex. W751234567)"
    return None


def is_valid_rna(value: str) -> bool:
    return rna_problem(_compact(value).upper()) is None


def siren_with_key(first_eight: str) -> str:
    """The SIREN made of eight digits and their Luhn key (used by the demo data)."""
    return first_eight + luhn.calc_check_digit(first_eight)


# ---------------------------------------------------------------------------
# validated input
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field that cannot be accepted; ``str()`` is ``"siren : ... (clé de contrôle)"``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{FIELD_LABELS_FR.get(self.field, self.field)} : {self.message}"


class OrganisationError(UserError, ValueError):
    """Organisation data refused; ``problems`` name each field (French)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(" ; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class OrganisationInput:
    """Checked, normalised organisation data (what gets stored)."""

    name: str
    siren: str | None
    rna: str | None
    region: str
    legal_family: str
    size_band: str
    sector: str | None = None


def _fold(value: str) -> str:
    """Lower-case without accents, for lenient matching of labels."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("\u2019", "'")


def _lookup(table: Mapping[str, str]) -> dict[str, str]:
    result = {_fold(code): code for code in table}
    result.update({_fold(label): code for code, label in table.items()})
    return result


_FAMILY_LOOKUP = _lookup(LEGAL_FAMILIES) | {
    "cooperative": "cooperative",
    "scop": "cooperative",
    "scic": "cooperative",
    "mutuelle": "mutual",
    "fondation": "foundation",
    "entreprise de l'ess": "ess_company",
    "societe commerciale": "ess_company",
    "autre": "other",
}
_SIZE_LOOKUP = _lookup(SIZE_BANDS) | {"1 a 9": "1-9", "10 a 49": "10-49", "50 a 249": "50-249"}


def check_organisation(
    values: Mapping[str, Any],
) -> tuple[OrganisationInput | None, list[FieldProblem]]:
    """Validate raw organisation fields (strings or ``None``); all problems at once."""
    problems: list[FieldProblem] = []
    cleaned: dict[str, str] = {}
    for key in CSV_COLUMNS:
        value = values.get(key)
        try:
            kind = NAME if key == "name" else CODE
            cleaned[key] = clean_text(None if value is None else str(value), key, kind)
        except TextInputError as refused:
            problems.append(FieldProblem(key, refused.problem))
    if problems:
        return None, problems

    def raw(key: str) -> str:
        return cleaned[key]

    name = " ".join(raw("name").split())
    if not name:
        problems.append(FieldProblem("name", "le nom est obligatoire"))

    siren = _compact(raw("siren")) or None
    if siren is not None and (problem := siren_problem(siren)):
        problems.append(FieldProblem("siren", problem))
    rna = _compact(raw("rna")).upper() or None
    if rna is not None and (problem := rna_problem(rna)):
        problems.append(FieldProblem("rna", problem))
    if siren is None and rna is None:
        problems.append(
            FieldProblem(
                "identifier",
                "un SIREN ou, pour une association sans SIREN, un numéro RNA est obligatoire",
            )
        )

    region_raw = raw("region")
    region = normalise_region(region_raw) if region_raw else None
    if region is None:
        known = ", ".join(sorted(REGIONS_BY_CODE))
        shown = region_raw or "(vide)"
        problems.append(
            FieldProblem("region", f"{shown} n'est pas un code de région connu ({known})")
        )

    family_raw = raw("legal_family")
    family = _FAMILY_LOOKUP.get(_fold(family_raw)) if family_raw else None
    if family is None:
        problems.append(
            FieldProblem(
                "legal_family",
                f"{family_raw or '(vide)'} n'est pas une famille connue "
                f"({', '.join(LEGAL_FAMILIES)})",
            )
        )

    size_raw = raw("size_band")
    size = _SIZE_LOOKUP.get(_fold(size_raw)) if size_raw else None
    if size is None:
        problems.append(
            FieldProblem(
                "size_band",
                f"{size_raw or '(vide)'} n'est pas une tranche d'effectif connue "
                f"({', '.join(SIZE_BANDS)})",
            )
        )

    sector_raw = raw("sector").upper()
    sector = sector_raw or None
    if sector is not None and sector not in NAF_SECTIONS:
        problems.append(
            FieldProblem("sector", f"{sector_raw} n'est pas une section NAF (une lettre de A à U)")
        )

    if problems:
        return None, problems
    assert region is not None and family is not None and size is not None
    return (
        OrganisationInput(
            name=name,
            siren=siren,
            rna=rna,
            region=region,
            legal_family=family,
            size_band=size,
            sector=sector,
        ),
        [],
    )


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationInfo:
    id: int
    name: str
    siren: str | None
    rna: str | None
    region: str
    legal_family: str
    size_band: str
    sector: str | None
    shared_with_region: bool
    created_at: datetime
    updated_at: datetime
    contact_email: str | None = None
    contact_phone: str | None = None
    postal_address: str | None = None

    @property
    def target(self) -> Target:
        return Target(
            organisation_id=self.id,
            organisation_region=self.region,
            shared_with_region=self.shared_with_region,
        )

    @property
    def legal_family_label(self) -> str:
        return LEGAL_FAMILIES[self.legal_family]

    @property
    def size_band_label(self) -> str:
        return SIZE_BANDS[self.size_band]

    @property
    def region_name(self) -> str:
        return REGIONS_BY_CODE[self.region].name

    @property
    def identifier(self) -> str:
        """``SIREN 123456789`` or ``RNA W751234567``."""
        return f"SIREN {self.siren}" if self.siren else f"RNA {self.rna}"


def _info(row: Organisation, contact: OrganisationContact | None = None) -> OrganisationInfo:
    return OrganisationInfo(
        id=row.id,
        name=row.name,
        siren=row.siren,
        rna=row.rna,
        region=row.region,
        legal_family=row.legal_family,
        size_band=row.size_band,
        sector=row.sector,
        shared_with_region=row.shared_with_region,
        created_at=row.created_at,
        updated_at=row.updated_at,
        contact_email=contact.contact_email if contact else None,
        contact_phone=contact.contact_phone if contact else None,
        postal_address=contact.postal_address if contact else None,
    )


def _not_found(organisation_id: int) -> NotFound:
    return NotFound(f"Organisation n° {organisation_id} introuvable.")


def load_organisation(session: Session, organisation_id: int) -> Organisation:
    """The organisation row, or :class:`NotFound` (no permission check: internal)."""
    row = session.get(Organisation, organisation_id)
    if row is None:
        raise _not_found(organisation_id)
    return row


def organisation_target(row: Organisation, *, has_admin: bool = False) -> Target:
    """The permission target describing one organisation."""
    return Target(
        organisation_id=row.id,
        organisation_region=row.region,
        shared_with_region=row.shared_with_region,
        has_admin=has_admin,
    )


def visible_organisation(session: Session, actor: Actor, organisation_id: int) -> Organisation:
    """The organisation row if ``actor`` may see it; otherwise :class:`NotFound`, with
    the very message of an unknown id (existence is not revealed)."""
    if actor.must_change_password:
        require(actor, Action.READ_ORGANISATION)  # says why: the password first
    row = session.get(Organisation, organisation_id)
    if row is None or not can(actor, Action.READ_ORGANISATION, organisation_target(row)):
        raise _not_found(organisation_id)
    return row


def get_organisation(engine: Engine, actor: Actor, organisation_id: int) -> OrganisationInfo:
    with read_session(engine) as session:
        row = visible_organisation(session, actor, organisation_id)
        return _info(row, session.get(OrganisationContact, row.id))


def organisation_trail(
    engine: Engine, actor: Actor, organisation_id: int, *, limit: int = 200
) -> list[AdminEventInfo]:
    """The organisation's account and profile actions, latest first (its admins, staff)."""
    with read_session(engine) as session:
        row = visible_organisation(session, actor, organisation_id)
        require(actor, Action.READ_ORGANISATION_TRAIL, organisation_target(row))
        return admin_audit.events(session, organisation_id=organisation_id, limit=limit)


def list_organisations(
    engine: Engine,
    actor: Actor,
    *,
    region: str | None = None,
    search: str | None = None,
    limit: int | None = 200,
) -> list[OrganisationInfo]:
    """The organisations ``actor`` may see, by name.

    National council and operator: all (optionally one region); regional
    chamber: those of its region; organisation users: their own.
    """
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    if actor.role in (Role.MEMBER, Role.ORG_ADMIN):
        query = query.where(Organisation.id == actor.organisation_id)
    elif actor.role is Role.REGIONAL:
        if region is not None and region != actor.region:
            require(
                actor,
                Action.READ_ORGANISATION,
                Target(organisation_id=0, organisation_region=region),
            )
        query = query.where(Organisation.region == actor.region)
    else:
        require(actor, Action.READ_ORGANISATION, Target())
        if region is not None:
            query = query.where(Organisation.region == region)
    search = clean_text(search, "Recherche", SHORT_TEXT)
    if search:
        pattern = f"%{search}%"
        query = query.where(
            or_(
                Organisation.name.ilike(pattern),
                Organisation.siren == _compact(search),
                Organisation.rna == _compact(search).upper(),
            )
        )
    if limit is not None:
        query = query.limit(limit)
    with read_session(engine) as session:
        rows = session.scalars(query).all()
        result = [_info(row) for row in rows]
    for info in result:
        require(actor, Action.READ_ORGANISATION, info.target)
    return result


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def _duplicate_problems(
    session: Session, data: OrganisationInput, exclude_id: int | None = None
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for column, value in (("siren", data.siren), ("rna", data.rna)):
        if value is None:
            continue
        query = select(Organisation.id, Organisation.name).where(
            getattr(Organisation, column) == value
        )
        if exclude_id is not None:
            query = query.where(Organisation.id != exclude_id)
        if session.execute(query).first() is not None:
            problems.append(FieldProblem(column, _already_registered(value)))
    return problems


def _already_registered(value: str) -> str:
    """The duplicate message, which never names the organisation holding ``value``."""
    return f"{value} est déjà enregistré pour une autre organisation"


def create_organisation(
    engine: Engine,
    actor: Actor,
    *,
    name: str,
    region: str,
    legal_family: str,
    size_band: str,
    siren: str | None = None,
    rna: str | None = None,
    sector: str | None = None,
    shared_with_region: bool = False,
) -> int:
    """Register an organisation (national body; a chamber in its region); returns its id."""
    scope = Target(organisation_region=normalise_region(region))
    require(actor, Action.MANAGE_ORGANISATIONS, scope)
    demo_mark.refuse_real_data(engine)  # a demo database holds fictional data only
    data, problems = check_organisation(
        {
            "name": name,
            "siren": siren,
            "rna": rna,
            "region": region,
            "legal_family": legal_family,
            "size_band": size_band,
            "sector": sector,
        }
    )
    if data is None:
        raise OrganisationError(problems)
    try:
        with write_session(engine) as session:
            problems = _duplicate_problems(session, data)
            if problems:
                raise OrganisationError(problems)
            now = utcnow()
            row = Organisation(
                name=data.name,
                siren=data.siren,
                rna=data.rna,
                region=data.region,
                legal_family=data.legal_family,
                size_band=data.size_band,
                sector=data.sector,
                shared_with_region=shared_with_region,
                shared_changed_at=now if shared_with_region else None,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            score_store.bump_roster(session)  # a new line of the participation list
            return row.id
    except IntegrityError as exc:  # a concurrent registration of the same identifier
        raise OrganisationError(
            [FieldProblem("identifier", "cette organisation vient d'être enregistrée")]
        ) from exc


IDENTIFIERS = ("siren", "rna")
CATEGORIES = ("region", "legal_family", "size_band", "sector")
"""What an organisation's admin may only *request* (reviewed by the chamber or the
national body): it moves the organisation into other aggregate groups."""
CONTACTS = ("contact_email", "contact_phone", "postal_address")
_EDITABLE = ("name", *IDENTIFIERS, *CATEGORIES, *CONTACTS)
CONTACT_MAX_LENGTHS = {"contact_email": 320, "contact_phone": 40, "postal_address": 500}
_CONTACT_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .()\-]{6,40}$")


def _check_contacts(values: Mapping[str, Any]) -> tuple[dict[str, str | None], list[FieldProblem]]:
    """Validate contact details (each optional); empty means none."""
    result: dict[str, str | None] = {}
    problems: list[FieldProblem] = []
    for key in CONTACTS:
        if key not in values:
            continue
        raw = values[key]
        value = " ".join(str(raw).split()) if raw is not None else ""
        if len(value) > CONTACT_MAX_LENGTHS[key]:
            problems.append(
                FieldProblem(key, f"{CONTACT_MAX_LENGTHS[key]} caractères au plus ({len(value)})")
            )
        elif key == "contact_email" and value and not _CONTACT_EMAIL.match(value):
            problems.append(FieldProblem(key, f"{value} n'est pas une adresse e-mail valide"))
        elif key == "contact_phone" and value and not _PHONE.match(value):
            problems.append(FieldProblem(key, f"{value} n'est pas un numéro de téléphone"))
        result[key] = value or None
    return result, problems


def _current(row: Organisation, contact: OrganisationContact | None, key: str) -> Any:
    if key in CONTACTS:
        return getattr(contact, key) if contact is not None else None
    return getattr(row, key)


def _checked_changes(
    session: Session, row: Organisation, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The values ``changes`` lead to that differ from the stored ones (all of them
    checked), or :class:`OrganisationError`."""
    contact = session.get(OrganisationContact, row.id)
    current = {key: getattr(row, key) for key in _EDITABLE if key not in CONTACTS}
    profile = {k: v for k, v in changes.items() if k not in CONTACTS}
    data, problems = check_organisation(current | profile)
    contacts, contact_problems = _check_contacts(changes)
    problems = problems + contact_problems
    if data is None or problems:
        raise OrganisationError(problems)
    problems = _duplicate_problems(session, data, exclude_id=row.id)
    if problems:
        raise OrganisationError(problems)
    wanted = {key: getattr(data, key) for key in current} | contacts
    return {key: value for key, value in wanted.items() if _current(row, contact, key) != value}


def _apply(session: Session, row: Organisation, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Store ``values`` (checked); the trail's ``{field: [old, new]}``."""
    contact = session.get(OrganisationContact, row.id)
    before = {key: [_current(row, contact, key), value] for key, value in values.items()}
    now = utcnow()
    if any(key in CONTACTS for key in values) and contact is None:
        contact = OrganisationContact(organisation_id=row.id)
        session.add(contact)
    for key, value in values.items():
        setattr(contact if key in CONTACTS else row, key, value)
    if contact is not None and any(key in CONTACTS for key in values):
        contact.updated_at = now
    if values:
        row.updated_at = now
    return before


@dataclass(frozen=True, slots=True)
class ChangeRequestInfo:
    """An organisation's pending (or decided) request to change its categories."""

    id: int
    organisation_id: int
    organisation_name: str
    changes: dict[str, Any]
    current: dict[str, Any]
    status: str
    requested_at: datetime
    requested_by_email: str


def _request_info(request: OrganisationChangeRequest, row: Organisation) -> ChangeRequestInfo:
    return ChangeRequestInfo(
        id=request.id,
        organisation_id=row.id,
        organisation_name=row.name,
        changes=dict(request.changes),
        current={key: getattr(row, key) for key in request.changes},
        status=request.status,
        requested_at=request.requested_at,
        requested_by_email=request.requested_by_email,
    )


def _pending_request(session: Session, organisation_id: int) -> OrganisationChangeRequest | None:
    return session.scalar(
        select(OrganisationChangeRequest).where(
            OrganisationChangeRequest.organisation_id == organisation_id,
            OrganisationChangeRequest.status == "pending",
        )
    )


def update_organisation(
    engine: Engine, actor: Actor, organisation_id: int, **changes: str | None
) -> OrganisationInfo:
    """Change an organisation's details; the result is validated as a whole.

    ``changes`` are among ``name, siren, rna, region, legal_family, size_band,
    sector, contact_email, contact_phone, postal_address``.  Staff (the national
    body, the organisation's chamber) change them at once.  Its admins change
    the name and contact details at once; a change of region, legal family,
    size band or sector becomes a request that staff review (see
    :func:`pending_change_request`); identifiers are changed by staff only.
    """
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    with write_session(engine) as session:
        row = visible_organisation(session, actor, organisation_id)
        target = organisation_target(row)
        staff = can(actor, Action.MANAGE_ORGANISATIONS, target)
        if not staff:
            require(actor, Action.EDIT_ORGANISATION, target)
        values = _checked_changes(session, row, changes)
        if not staff:
            if any(key in IDENTIFIERS for key in values):
                raise OrganisationError(
                    [
                        FieldProblem(
                            "identifier",
                            "le SIREN et le numéro RNA sont modifiés par la CRESS ou "
                            "l'instance nationale",
                        )
                    ]
                )
            reviewed = {key: values.pop(key) for key in CATEGORIES if key in values}
            if reviewed:
                _request_change(session, actor, row, reviewed)
        if values:
            trail = _apply(session, row, values)
            score_store.bump_version(session, organisations=True)
            admin_audit.record(
                session, actor, "profile_updated", organisation_id=row.id, details=trail
            )
        session.flush()
        return _info(row, session.get(OrganisationContact, row.id))


def _request_change(
    session: Session, actor: Actor, row: Organisation, changes: dict[str, Any]
) -> None:
    request = _pending_request(session, row.id)
    if request is None:
        request = OrganisationChangeRequest(
            organisation_id=row.id, changes={}, status="pending", requested_by_email=actor.email
        )
        session.add(request)
    request.changes = dict(request.changes) | changes
    request.requested_at = utcnow()
    request.requested_by = actor.user_id
    request.requested_by_email = actor.email
    admin_audit.record(
        session,
        actor,
        "profile_change_requested",
        organisation_id=row.id,
        details={key: [getattr(row, key), value] for key, value in changes.items()},
    )


def pending_change_request(
    engine: Engine, actor: Actor, organisation_id: int
) -> ChangeRequestInfo | None:
    """The organisation's request waiting for review, if any (who may read it)."""
    with read_session(engine) as session:
        row = visible_organisation(session, actor, organisation_id)
        request = _pending_request(session, row.id)
        return None if request is None else _request_info(request, row)


def list_change_requests(engine: Engine, actor: Actor) -> list[ChangeRequestInfo]:
    """The requests ``actor`` may review (a chamber: its region's), oldest first."""
    query = (
        select(OrganisationChangeRequest, Organisation)
        .join(Organisation, Organisation.id == OrganisationChangeRequest.organisation_id)
        .where(OrganisationChangeRequest.status == "pending")
        .order_by(OrganisationChangeRequest.requested_at)
    )
    if actor.role is Role.REGIONAL:
        query = query.where(Organisation.region == actor.region)
    with read_session(engine) as session:
        found = session.execute(query).all()
        return [
            _request_info(request, row)
            for request, row in found
            if can(actor, Action.REVIEW_PROFILE_CHANGE, organisation_target(row))
        ]


def review_change_request(
    engine: Engine, actor: Actor, request_id: int, *, accept: bool
) -> OrganisationInfo:
    """Accept (the changes apply now) or refuse an organisation's request.

    Reviewed by the organisation's *current* chamber or the national body.
    """
    missing = NotFound(f"Demande n° {request_id} introuvable.")
    with write_session(engine) as session:
        request = session.get(OrganisationChangeRequest, request_id)
        if request is None or request.status != "pending":
            raise missing
        row = load_organisation(session, request.organisation_id)
        if not can(actor, Action.READ_ORGANISATION, organisation_target(row)):
            raise missing
        require(actor, Action.REVIEW_PROFILE_CHANGE, organisation_target(row))
        request.status = "accepted" if accept else "refused"
        request.decided_at = utcnow()
        request.decided_by = actor.user_id
        request.decided_by_email = actor.email
        details: dict[str, Any] = {
            key: [getattr(row, key), value] for key, value in request.changes.items()
        }
        if accept:
            _apply(session, row, _checked_changes(session, row, request.changes))
            score_store.bump_version(session, organisations=True)
        admin_audit.record(
            session,
            actor,
            "profile_change_accepted" if accept else "profile_change_refused",
            organisation_id=row.id,
            details=details,
        )
        session.flush()
        return _info(row)


def set_shared_with_region(
    engine: Engine, actor: Actor, organisation_id: int, shared: bool
) -> OrganisationInfo:
    """The organisation's choice to show its answers to its CRESS (can be undone)."""
    with write_session(engine) as session:
        row = visible_organisation(session, actor, organisation_id)
        require(actor, Action.SHARE_WITH_REGION, organisation_target(row))
        if row.shared_with_region != shared:
            row.shared_with_region = shared
            row.shared_changed_at = row.updated_at = utcnow()
            session.flush()
            score_store.bump_roster(session)  # the chamber's shared answers
            admin_audit.record(
                session,
                actor,
                "sharing_changed",
                organisation_id=row.id,
                details={"shared_with_region": [not shared, shared]},
            )
        session.flush()
        return _info(row)


# ---------------------------------------------------------------------------
# CSV import
# ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    """Outcome of a CSV import: all lines imported, or none and the problems."""

    imported: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class _ParsedLine:
    line: int
    data: OrganisationInput


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OrganisationImportError(
            [
                f"le fichier n'est pas encodé en UTF-8 (octet illisible en position {exc.start}) :"
                " enregistrez-le en « CSV UTF-8 »"
            ]
        ) from exc


class OrganisationImportError(UserError, ValueError):
    """The CSV file cannot be read at all (encoding, header)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ; ".join(problems))
        self.problems = problems


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;").delimiter
    except csv.Error:
        return ";" if first_line.count(";") > first_line.count(",") else ","


def _csv_lines(reader: Any) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot read is a French
    :class:`OrganisationImportError` (for instance a field over its 131 072
    characters: an unclosed quote, or not a CSV at all)."""
    try:
        yield from reader
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            limit = number(csv.field_size_limit(), 0)
            problem = f"un champ dépasse {limit} caractères (guillemet non fermé ?)"
        else:
            problem = "ligne illisible (guillemets ou séparateurs à vérifier)"
        raise OrganisationImportError(
            [f"ligne {number(reader.line_num, 0)} : {problem} : rien n'a été importé"]
        ) from exc


def parse_organisations_csv(data: bytes | str) -> tuple[list[_ParsedLine], list[str]]:
    """Parse and check every line (no database access); problems name line and field."""
    text = _decode(data)
    if not text.strip():
        return [], ["le fichier est vide"]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    lines = _csv_lines(reader)
    header_raw = next(lines)
    header = [CSV_COLUMN_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header_raw]
    problems: list[str] = []
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [c for c in ("name", "region", "legal_family", "size_band") if c not in header]
    if "siren" not in header and "rna" not in header:
        missing.append("siren")
    if unknown:
        columns = agree(len(unknown), "colonne inconnue")
        problems.append(f"ligne 1 : {columns} : {', '.join(unknown)}")
    if missing:
        problems.append(
            f"ligne 1 : {agree(len(missing), 'colonne manquante')} : {', '.join(missing)} "
            f"(colonnes attendues : {','.join(CSV_COLUMNS)})"
        )
    if problems:
        return [], problems
    parsed: list[_ParsedLine] = []
    seen: dict[tuple[str, str], int] = {}
    for cells in lines:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                f"ligne {line} : {len(cells)} colonnes au lieu de {len(header)} "
                "(séparateur ou guillemets à vérifier)"
            )
            continue
        values = dict(zip(header, cells, strict=True))
        data_row, line_problems = check_organisation(values)
        problems.extend(f"ligne {line}, {problem}" for problem in line_problems)
        if data_row is None:
            continue
        duplicate = False
        for column, value in (("siren", data_row.siren), ("rna", data_row.rna)):
            if value is None:
                continue
            first = seen.setdefault((column, value), line)
            if first != line:
                problems.append(f"ligne {line}, {column} : {value} figure déjà ligne {first}")
                duplicate = True
        if not duplicate:
            parsed.append(_ParsedLine(line, data_row))
    if not parsed and not problems:
        problems.append("le fichier ne contient aucune organisation")
    return parsed, problems


def _line_number(problem: str) -> int:
    found = re.match(r"ligne (\d+)", problem)
    return int(found.group(1)) if found else 0


def import_organisations_csv(engine: Engine, actor: Actor, data: bytes | str) -> ImportResult:
    """Import organisations from CSV: every line, or none when any line is refused.

    Columns ``name,siren,rna,region,legal_family,size_band,sector`` (French
    aliases accepted), UTF-8 with or without BOM, ``,`` or ``;`` separated.
    Organisations already registered (same SIREN or RNA) are refused.  A
    chamber imports only organisations of its region.
    """
    require(actor, Action.MANAGE_ORGANISATIONS, Target(organisation_region=actor.region))
    demo_mark.refuse_real_data(engine)  # a demo database holds fictional data only
    try:
        parsed, problems = parse_organisations_csv(data)
    except OrganisationImportError as exc:
        return ImportResult(0, exc.problems)
    for p in parsed:
        if not can(actor, Action.MANAGE_ORGANISATIONS, Target(organisation_region=p.data.region)):
            problems.append(
                f"ligne {p.line}, region : {p.data.region} n'est pas la région de votre CRESS"
            )
    if problems:
        return ImportResult(0, sorted(problems, key=_line_number))
    now = utcnow()
    batch = 5000
    try:
        with write_connection(engine) as conn:
            known: list[tuple[int, str]] = []
            for column in ("siren", "rna"):
                wanted = {
                    getattr(p.data, column): p.line for p in parsed if getattr(p.data, column)
                }
                values = list(wanted)
                for start in range(0, len(values), batch):
                    chunk = values[start : start + batch]
                    attribute = getattr(Organisation, column)
                    rows = conn.execute(select(attribute).where(attribute.in_(chunk))).all()
                    for (value,) in rows:
                        known.append(
                            (
                                wanted[value],
                                f"ligne {wanted[value]}, {column} : {_already_registered(value)}",
                            )
                        )
            if known:
                return ImportResult(0, [message for _, message in sorted(known)])
            rows_to_insert = [
                {
                    "name": p.data.name,
                    "siren": p.data.siren,
                    "rna": p.data.rna,
                    "region": p.data.region,
                    "legal_family": p.data.legal_family,
                    "size_band": p.data.size_band,
                    "sector": p.data.sector,
                    "shared_with_region": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in parsed
            ]
            for start in range(0, len(rows_to_insert), batch):
                conn.execute(insert(Organisation), rows_to_insert[start : start + batch])
            score_store.bump_roster(conn)  # new lines of the participation list
            with Session(bind=conn) as session:
                admin_audit.record(
                    session, actor, "organisations_imported", details={"count": len(parsed)}
                )
                session.flush()
    except IntegrityError:
        return ImportResult(
            0, ["des organisations du fichier viennent d'être enregistrées : rien n'a été importé"]
        )
    return ImportResult(len(parsed), [])

"""« Organisations » (national body; a chamber for its region): register, edit,
import by CSV, review category changes, invite an organisation's first admin.

Every action is a core call (:mod:`assessment.organisations`,
:mod:`assessment.accounts`), which checks the permission again and writes the
organisation's trail.  Staff never read answers from here: they may invite the
first admin of an organisation that has none, and deactivate its accounts.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assessment import accounts, organisations
from assessment.french import plural, saved_at, typo
from assessment.organisations import (
    LEGAL_FAMILIES,
    NAF_SECTIONS,
    SIZE_BANDS,
    OrganisationError,
    OrganisationInfo,
)
from assessment.permissions import Action, Actor, Role, Target, require
from assessment.regions import REGIONS, REGIONS_BY_CODE, region_name
from assessment.web import state
from assessment.web.views import _accounts

UPLOAD_KEY = "organisations_admin_upload"
IMPORT_REPORT_KEY = "organisations_admin_import_report"
INVITED_KEY = "organisations_admin_invitation"
ALL_REGIONS = "Toutes les régions"
ADMIN_EMAIL_LABEL = "Adresse e-mail du référent de l'auto-évaluation"


def _problems(title: str, problems: list[str]) -> None:
    st.error(typo(title), icon=":material/error:")
    st.dataframe(pd.DataFrame({"Problème": problems}), hide_index=True)


def _import(actor: Actor) -> None:
    st.subheader("Importer des organisations (CSV)")
    st.caption(
        typo(
            "Colonnes : name, siren, rna, region, legal_family, size_band, sector "
            "(séparateur « , » ou « ; », UTF-8). Chaque ligne fautive est signalée avec son "
            "champ, et rien n'est importé tant qu'une ligne est refusée."
        )
    )
    uploaded = st.file_uploader("Fichier CSV", type=["csv"], key=UPLOAD_KEY)
    if uploaded is not None and st.button("Importer", type="primary", key="import_go"):
        result = state.call(
            organisations.import_organisations_csv,
            state.engine(),
            state.writer(),
            uploaded.getvalue(),
        )
        st.session_state[IMPORT_REPORT_KEY] = (result.imported, list(result.problems))
    report = st.session_state.get(IMPORT_REPORT_KEY)
    if report is None:
        return
    imported, problems = report
    if problems:
        count = plural(len(problems), "problème")
        _problems(f"{count} : aucune organisation importée.", problems)
    else:
        done = plural(imported, "organisation importée", "organisations importées")
        st.success(f"{done}.", icon=":material/check_circle:")


def _reviews(actor: Actor) -> None:
    requests = state.call(organisations.list_change_requests, state.engine(), actor)
    st.subheader("Changements de catégorie à examiner")
    if not requests:
        st.caption(typo("Aucune demande en attente."))
        return
    st.caption(
        typo(
            "Un changement de région, de famille, de taille ou de secteur déplace l'organisation "
            "dans d'autres groupes des résultats agrégés : il ne s'applique qu'une fois accepté."
        )
    )
    for request in requests:
        with st.container(border=True):
            st.text(request.organisation_name)
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Champ": field,
                            "Actuel": _value_label(field, request.current.get(field)),
                            "Demandé": _value_label(field, value),
                        }
                        for field, value in request.changes.items()
                    ]
                ),
                hide_index=True,
            )
            st.caption(typo(f"Demandé {saved_at(request.requested_at)}"))
            left, right = st.columns(2)
            if left.button("Accepter", key=f"accept_{request.id}", type="primary"):
                state.call(
                    organisations.review_change_request,
                    state.engine(),
                    state.writer(),
                    request.id,
                    accept=True,
                )
                st.rerun()
            if right.button("Refuser", key=f"refuse_{request.id}"):
                state.call(
                    organisations.review_change_request,
                    state.engine(),
                    state.writer(),
                    request.id,
                    accept=False,
                )
                st.rerun()


def _value_label(field: str, value: object) -> str:
    if value is None:
        return "—"
    tables = {
        "region": {code: r.name for code, r in REGIONS_BY_CODE.items()},
        "legal_family": LEGAL_FAMILIES,
        "size_band": SIZE_BANDS,
        "sector": NAF_SECTIONS,
    }
    return tables.get(field, {}).get(str(value), str(value))


def _scope(actor: Actor) -> str | None:
    if actor.role is Role.REGIONAL:
        st.caption(typo(f"Organisations de la région {region_name(actor.region or '')}."))
        return actor.region
    codes = [ALL_REGIONS, *(r.code for r in REGIONS)]
    chosen = st.selectbox(
        "Région",
        codes,
        format_func=lambda code: code if code == ALL_REGIONS else typo(region_name(code)),
        key="organisations_admin_region",
    )
    return None if chosen == ALL_REGIONS else chosen


def _profile_fields(prefix: str, current: OrganisationInfo | None, actor: Actor) -> dict[str, str]:
    return {
        "name": st.text_input("Nom", value=current.name if current else "", key=f"{prefix}_name"),
        "siren": st.text_input(
            "SIREN", value=(current.siren or "") if current else "", key=f"{prefix}_siren"
        ),
        "rna": st.text_input(
            typo("Numéro RNA (associations sans SIREN)"),
            value=(current.rna or "") if current else "",
            key=f"{prefix}_rna",
        ),
    } | _accounts.category_fields(prefix, current, default_region=actor.region)


def _create(actor: Actor) -> None:
    st.subheader("Enregistrer une organisation")
    with st.form("organisations_admin_create", clear_on_submit=False):
        values = _profile_fields("create", None, actor)
        submitted = st.form_submit_button("Enregistrer", type="primary")
    if submitted:
        try:
            state.call(
                organisations.create_organisation,
                state.engine(),
                state.writer(),
                name=values["name"],
                region=values["region"],
                legal_family=values["legal_family"],
                size_band=values["size_band"],
                siren=values["siren"] or None,
                rna=values["rna"] or None,
                sector=values["sector"] or None,
            )
        except OrganisationError as problem:
            _problems("L'organisation n'a pas été enregistrée.", [str(p) for p in problem.problems])
        else:
            st.success(typo("Organisation enregistrée."), icon=":material/check_circle:")


def _one(actor: Actor, organisation: OrganisationInfo) -> None:
    engine = state.engine()
    with st.form(f"organisations_admin_edit_{organisation.id}"):
        values = _profile_fields(f"edit_{organisation.id}", organisation, actor)
        submitted = st.form_submit_button("Enregistrer les modifications")
    if submitted:
        try:
            state.call(
                organisations.update_organisation,
                engine,
                state.writer(),
                organisation.id,
                **{key: value or None for key, value in values.items()},
            )
        except OrganisationError as problem:
            _problems("Modifications refusées.", [str(p) for p in problem.problems])
        else:
            st.success(typo("Modifications enregistrées."), icon=":material/check_circle:")

    users = state.call(accounts.list_users, engine, actor, organisation_id=organisation.id)
    st.markdown(f"**{typo('Comptes')}**")
    st.dataframe(_accounts.accounts_frame(users), hide_index=True)
    _accounts.account_actions(actor, users, key=f"org_{organisation.id}", reset=False)
    if state.call(accounts.organisation_has_admin, engine, actor, organisation.id):
        st.caption(
            typo(
                "L'organisation a un référent de l'auto-évaluation : c'est lui qui invite "
                "les autres personnes et réinitialise leurs mots de passe."
            )
        )
    else:
        _first_admin(actor, organisation)
    _accounts.show_invitation(INVITED_KEY)
    st.markdown(f"**{typo('Journal de l’organisation')}**")
    _accounts.trail(
        state.call(organisations.organisation_trail, engine, actor, organisation.id),
        empty="Aucune action enregistrée.",
    )


def _first_admin(actor: Actor, organisation: OrganisationInfo) -> None:
    st.markdown(f"**{typo('Inviter le premier référent de l’auto-évaluation')}**")
    with st.form(f"organisations_admin_first_admin_{organisation.id}", clear_on_submit=True):
        email = st.text_input(typo(ADMIN_EMAIL_LABEL), autocomplete="off")
        submitted = st.form_submit_button("Inviter")
    if submitted:
        _accounts.send_invitation(
            actor, INVITED_KEY, email=email, role=Role.ORG_ADMIN, organisation_id=organisation.id
        )
        if st.session_state.get(INVITED_KEY):
            st.rerun()  # the organisation now has an admin


def render() -> None:
    actor = state.require_actor()
    scope = Target(organisation_region=actor.region)
    state.call(require, actor, Action.MANAGE_ORGANISATIONS, scope)
    engine = state.engine()
    st.title("Organisations")
    region = _scope(actor)
    search = st.text_input("Rechercher (nom, SIREN ou RNA)", key="organisations_admin_search")
    found = state.call(
        organisations.list_organisations, engine, actor, region=region, search=search or None
    )
    st.caption(plural(len(found), "organisation"))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Nom": o.name,
                    "Identifiant": o.identifier,
                    "Région": o.region_name,
                    "Famille": o.legal_family_label,
                    "Taille": o.size_band_label,
                }
                for o in found
            ],
            columns=["Nom", "Identifiant", "Région", "Famille", "Taille"],
        ),
        hide_index=True,
    )
    if found:
        chosen: OrganisationInfo = st.selectbox(
            "Organisation à gérer",
            found,
            format_func=lambda o: typo(f"{o.name} ({o.identifier})"),
            key="organisations_admin_pick",
        )
        _one(actor, chosen)
    _reviews(actor)
    _create(actor)
    _import(actor)

"""The campaign half of « Grilles et campagnes »: list with participation, create,
open early, extend, close (a closed campaign never reopens).  Thin: the rules are
in :mod:`assessment.campaigns`."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from assessment import campaigns, french, grid_store, national_audit
from assessment.errors import UserError
from assessment.permissions import Actor
from assessment.web import state

PREFIX = "campaigns"
MESSAGE_KEY = f"{PREFIX}:message"


def campaign_status(campaign: campaigns.CampaignInfo, today: date | None = None) -> str:
    if campaign.is_open(today):
        return "Ouverte"
    if campaign.is_closed(today):
        return "Close"
    return "À venir"


def campaigns_table(
    found: list[campaigns.CampaignInfo],
    participation: dict[int, campaigns.Participation],
    last: dict[str, national_audit.NationalEvent],
) -> pd.DataFrame:
    rows = []
    for c in found:
        p = participation.get(c.id)
        event = last.get(str(c.id))
        rows.append(
            {
                "Campagne": c.label,
                "Année": str(c.year),
                "Grille": f"{c.grid_id} {c.grid_version}",
                "Ouverture": french.date(c.opens_on),
                "Clôture": french.date(c.closes_on),
                "État": campaign_status(c),
                "Soumises": p.submitted if p else 0,
                "Commencées": p.started if p else 0,
                "Participation": french.percent(100 * p.submitted_ratio, 0) if p else "",
                "Dernière action": (
                    f"{event.label}, {french.saved_at(event.at)}, {event.user_email}"
                    if event
                    else ""
                ),
            }
        )
    columns = [
        "Campagne",
        "Année",
        "Grille",
        "Ouverture",
        "Clôture",
        "État",
        "Soumises",
        "Commencées",
        "Participation",
        "Dernière action",
    ]
    return pd.DataFrame(rows, columns=columns)


def _done(message: str) -> None:
    st.session_state[MESSAGE_KEY] = message
    st.rerun()


def _create_form(engine: Engine, actor: Actor) -> None:
    versions = [v for v in grid_store.list_grid_versions(engine, actor) if v.status == "published"]
    with st.expander("Nouvelle campagne", icon=":material/add:"):
        with st.form(f"{PREFIX}:create_form", border=False):
            today = date.today()
            year = st.number_input(
                "Année", min_value=2000, max_value=2200, value=today.year + 1, step=1
            )
            label = st.text_input("Intitulé", placeholder=f"Campagne {today.year + 1}")
            version = st.selectbox(
                "Version de la grille",
                versions[::-1],
                format_func=lambda v: f"{v.title or v.grid_id} — version {v.version}",
            )
            left, right = st.columns(2)
            opens_on = left.date_input("Ouverture", value=today, format="DD/MM/YYYY")
            closes_on = right.date_input(
                "Clôture", value=today + timedelta(days=90), format="DD/MM/YYYY"
            )
            submitted = st.form_submit_button("Créer la campagne", type="primary")
        if submitted:
            if version is None:
                st.error("Publiez d'abord une version de grille.")
                return
            try:
                campaigns.create_campaign(
                    engine,
                    state.writer(),
                    year=int(year),
                    opens_on=opens_on,
                    closes_on=closes_on,
                    grid_id=version.grid_id,
                    grid_version=version.version,
                    label=label or None,
                )
            except UserError as error:
                st.error(error.message)
                return
            _done(f"Campagne {int(year)} créée sur la version {version.version}.")


def _manage(engine: Engine, actor: Actor, found: list[campaigns.CampaignInfo]) -> None:
    if not found:
        return
    st.markdown("**Ouvrir, prolonger, clore**")
    campaign = st.selectbox(
        "Campagne",
        found,
        format_func=lambda c: f"{c.label} ({campaign_status(c).lower()})",
        key=f"{PREFIX}:chosen",
    )
    if campaign is None:
        return
    today = date.today()
    try:
        if campaign.is_open(today):
            new_end = st.date_input(
                "Date de clôture",
                value=campaign.closes_on,
                min_value=today,
                format="DD/MM/YYYY",
                key=f"{PREFIX}:new_end",
            )
            if new_end != campaign.closes_on and st.button(
                "Reporter la clôture", key=f"{PREFIX}:extend", icon=":material/event:"
            ):
                campaigns.extend_campaign(engine, state.writer(), campaign.id, closes_on=new_end)
                _done(f"« {campaign.label} » se clôt désormais le {french.date(new_end)}.")
            st.caption(
                "Clore la campagne rend ses auto-évaluations non modifiables et publie ses "
                "résultats aux CRESS et aux organisations ; une campagne close ne rouvre pas "
                "(de nouveaux dépôts changeraient des chiffres déjà lus)."
            )
            if st.button("Clore la campagne", key=f"{PREFIX}:close", icon=":material/lock:"):
                campaigns.close_campaign(engine, state.writer(), campaign.id)
                _done(f"« {campaign.label} » est close : ses résultats sont publiés.")
        elif campaign.is_closed(today):
            st.caption(
                "Campagne close : ses résultats sont publiés et elle ne rouvre pas. "
                "Pour une nouvelle collecte, créez une nouvelle campagne."
            )
        elif st.button(
            "Ouvrir dès aujourd'hui", key=f"{PREFIX}:open", icon=":material/play_arrow:"
        ):
            campaigns.open_early(engine, state.writer(), campaign.id)
            _done(f"« {campaign.label} » est ouverte.")
    except UserError as error:
        st.error(error.message)


def render(engine: Engine, actor: Actor) -> None:
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.success(french.typo(message))
    found = campaigns.list_campaigns(engine)
    participation = campaigns.participation_by_campaign(engine, actor)
    last = national_audit.latest_by_subject(
        national_audit.list_events(engine, actor, subject_kind="campaign")
    )
    st.dataframe(campaigns_table(found, participation, last), hide_index=True, width="stretch")
    st.caption("Participation : auto-évaluations soumises sur l'ensemble des organisations.")
    _create_form(engine, actor)
    _manage(engine, actor, found)

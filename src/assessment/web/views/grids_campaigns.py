"""« Grilles et campagnes » (first version): grid versions and campaigns, read only.

Editing grids and campaigns is a later issue (``assessment`` CLI meanwhile).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from assessment import campaigns, grid_store
from assessment.permissions import Action, require
from assessment.web import state

_STATUS = {"published": "Publiée", "draft": "Brouillon"}


def _day(value: date | datetime | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def _campaign_status(campaign: campaigns.CampaignInfo) -> str:
    if campaign.is_open():
        return "Ouverte"
    if campaign.is_closed():
        return "Close"
    return "À venir"


def render() -> None:
    actor = state.require_actor()
    state.call(require, actor, Action.MANAGE_GRIDS)
    engine = state.engine()
    st.title("Grilles et campagnes")

    st.subheader("Versions de la grille")
    versions = state.call(grid_store.list_grid_versions, engine, actor)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Grille": v.title or v.grid_id,
                    "Identifiant": v.grid_id,
                    "Version": v.version,
                    "Statut": _STATUS.get(v.status, v.status),
                    "Publiée le": _day(v.published_at),
                }
                for v in versions
            ],
            columns=["Grille", "Identifiant", "Version", "Statut", "Publiée le"],
        ),
        hide_index=True,
    )

    st.subheader("Campagnes")
    found = campaigns.list_campaigns(engine)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Campagne": c.label,
                    "Année": str(c.year),
                    "Grille": f"{c.grid_id} {c.grid_version}",
                    "Ouverture": _day(c.opens_on),
                    "Clôture": _day(c.closes_on),
                    "État": _campaign_status(c),
                }
                for c in found
            ],
            columns=["Campagne", "Année", "Grille", "Ouverture", "Clôture", "État"],
        ),
        hide_index=True,
    )
    st.caption("La création et la modification des grilles et des campagnes arrivent bientôt.")

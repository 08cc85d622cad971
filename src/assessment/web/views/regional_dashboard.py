"""« Tableau de bord régional » (first version): the region's anonymised results.

The full regional dashboard is a later issue; this page shows how many
organisations of the region submitted and their mean scores, overall and by
legal family, through :func:`assessment.privacy.table` (protected figures).
"""

from __future__ import annotations

import streamlit as st

from assessment.organisations import LEGAL_FAMILIES
from assessment.regions import REGIONS_BY_CODE
from assessment.web import state
from assessment.web.views import _aggregates


def render() -> None:
    actor = state.require_actor()
    if actor.region is None:
        state.refuse("Cette page est réservée aux chambres régionales (CRESS).")
    region = REGIONS_BY_CODE[actor.region]
    st.title("Tableau de bord régional")
    st.markdown(f"**{region.cress}** — organisations de la région {region.name}.")
    campaign = _aggregates.choose_campaign("regional_campaign")
    if campaign is None:
        return
    _aggregates.overview(
        actor,
        campaign,
        region=actor.region,
        by=("legal_family",),
        group_label="Famille juridique",
        group_name=lambda code: LEGAL_FAMILIES.get(str(code), str(code)),
    )

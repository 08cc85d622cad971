"""« Vue nationale » (first version): anonymised results of every region."""

from __future__ import annotations

import streamlit as st

from assessment.regions import REGIONS_BY_CODE
from assessment.web import state
from assessment.web.views import _aggregates


def _region_name(code: object) -> str:
    region = REGIONS_BY_CODE.get(str(code))
    return region.name if region else str(code)


def render() -> None:
    actor = state.require_actor()
    st.title("Vue nationale")
    st.markdown("Résultats agrégés de toutes les régions.")
    campaign = _aggregates.choose_campaign("national_campaign")
    if campaign is None:
        return
    _aggregates.overview(
        actor,
        campaign,
        region=None,
        by=("region",),
        group_label="Région",
        group_name=_region_name,
    )

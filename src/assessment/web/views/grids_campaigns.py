"""« Grilles et campagnes » (national body): grid versions and campaigns.

Thin: the two halves are :mod:`~assessment.web.views.grid_editor` and
:mod:`~assessment.web.views.campaigns_admin`.
"""

from __future__ import annotations

import streamlit as st

from assessment.permissions import Action, require
from assessment.web import state
from assessment.web.views import campaigns_admin, grid_editor


def render() -> None:
    actor = state.require_actor()
    state.call(require, actor, Action.MANAGE_GRIDS)
    state.call(require, actor, Action.MANAGE_CAMPAIGNS)
    engine = state.engine()
    st.title("Grilles et campagnes")
    grids_tab, campaigns_tab = st.tabs(["Versions de la grille", "Campagnes"])
    with grids_tab:
        grid_editor.render(engine, actor)
    with campaigns_tab:
        campaigns_admin.render(engine, actor)

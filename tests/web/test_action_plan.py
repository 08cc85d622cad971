"""« Plan d'action » as a member sees it: add, edit, filter, download."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from assessment import action_plan
from assessment.french import plural, typo

from .markdown_text import shown
from .test_filling import Env, make_env

PLAN = "plan-action"


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    return make_env(web_db, cookies)


def _add(at: AppTest, title: str, owner: str, due: date | None, item: str = "gouvernance") -> None:
    at.text_input(key="plan:new:title").input(title)
    at.selectbox(key="plan:new:item").select(item)
    at.selectbox(key="plan:new:goal").select("goal_1y")
    at.text_input(key="plan:new:owner").input(owner)
    if due is not None:
        at.date_input(key="plan:new:due").set_value(due)
    at.button(key="plan:add:submit").click().run()


def test_member_adds_edits_and_filters_actions(env: Env) -> None:
    at = env.app(PLAN, who="member").run()
    assert not at.exception
    assert typo("Aucune action pour l'instant.") in [str(i.value) for i in at.info]
    yesterday = date.today() - timedelta(days=1)
    _add(at, "Relire les statuts en conseil", "Présidente", yesterday)
    assert not at.exception
    assert any("Action ajoutée" in str(s.value) for s in at.success)
    _add(at, "Former les nouveaux élus", "Secrétaire", None)

    table = at.dataframe[0].value
    assert list(table["Action"]) == ["Relire les statuts en conseil", "Former les nouveaux élus"]
    assert list(table["Objectif"]) == ["Objectif à 1 an", "Objectif à 1 an"]
    assert list(table["En retard"]) == ["Oui", ""]  # words: no emoji font needed
    # Material icons, not emoji (empty boxes without an emoji font)
    expanders = {str(e.proto.label): str(e.proto.icon) for e in at.expander}
    assert expanders["Ajouter une action"] == ":material/add:"
    late_one = next(k for k in expanders if k.startswith("Relire les statuts en conseil"))
    assert late_one.endswith(" · en retard") and expanders[late_one] == ":material/warning:"
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "1 en retard" in captions
    assert plural(2, "action affichée") + " sur 2" in captions  # never « action(s) affichée(s) »

    # filter: late only
    at.checkbox(key="plan:f:late").check().run()
    assert list(at.dataframe[0].value["Action"]) == ["Relire les statuts en conseil"]
    at.checkbox(key="plan:f:late").uncheck().run()
    at.selectbox(key="plan:f:owner").select("Secrétaire").run()
    assert list(at.dataframe[0].value["Action"]) == ["Former les nouveaux élus"]
    at.selectbox(key="plan:f:owner").select("Tous").run()

    # edit: mark the late one done
    stored = action_plan.list_actions(env.engine, env.member, env.org, campaign_id=env.campaign)
    late = next(a for a in stored if a.owner == "Présidente")
    at.selectbox(key=f"plan:a{late.id}:status").select("done")
    at.button(key=f"plan:save:{late.id}").click().run()
    assert not at.exception
    stored = action_plan.list_actions(env.engine, env.member, env.org, campaign_id=env.campaign)
    assert next(a for a in stored if a.id == late.id).status == "done"
    assert list(at.dataframe[0].value["En retard"]) == ["", ""]

    labels = [d.label for d in at.get("download_button")]
    assert labels == [typo("Plan d'action (CSV)"), typo("Plan d'action (Excel)")]


def test_action_needs_a_title(env: Env) -> None:
    at = env.app(PLAN).run()
    _add(at, "", "Quelqu'un", None)
    assert any("obligatoire" in str(e.value) for e in at.error)
    # the field is labelled « Action »: so is the error (not « titre »)
    assert at.text_input(key="plan:new:title").label == "Action"
    assert any(shown(e.value).startswith(typo("Action :")) for e in at.error)
    assert not action_plan.list_actions(env.engine, env.admin, env.org)

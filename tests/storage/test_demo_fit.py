"""The demo data reads true: each text fits its question and theme, and the grid the
past campaigns were answered on was published before them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from assessment import demo
from assessment.campaigns import list_campaigns
from assessment.db import read_session
from assessment.french import typo
from assessment.grid_store import DEFAULT_GRID_ID, get_grid, latest_version, sync_grids_from_dir
from assessment.tables import ActionPlanAction, Answer, Assessment, GridVersion

from .test_cli_and_demo import DEFAULT_GRIDS

ENVIRONMENT_WORDS = ("carbone", "énergie", "environnement", "empreinte")


def _theme_actions(item_id: str) -> set[str]:
    return {typo(t) for t in demo.ACTION_TITLES.get(item_id, demo.GENERAL_ACTIONS)}


def test_demo_texts_fit_their_theme_and_question(engine: Engine) -> None:
    sync_grids_from_dir(engine, DEFAULT_GRIDS)
    demo.seed_demo(engine, orgs=120, campaigns=3, seed=3)
    grid = get_grid(engine, DEFAULT_GRID_ID, latest_version(engine))
    item_of = {q.id: (item.id if item else None) for item, q in grid.questions()}
    with read_session(engine) as session:
        actions = session.execute(select(ActionPlanAction.item_id, ActionPlanAction.title)).all()
        texts = session.execute(
            select(Answer.question_id, Answer.value).where(
                Answer.question_id.in_([q.id for _, q in grid.questions() if q.type == "text"])
            )
        ).all()
    assert actions and texts
    for item_id, title in actions:
        assert title in _theme_actions(item_id), (item_id, title)
        if item_id != "environnement":
            assert not any(w in title.lower() for w in ENVIRONMENT_WORDS), (item_id, title)
    planned = [(q, v) for q, v in texts if q.endswith("-actions")]
    issues = [(q, v) for q, v in texts if q.endswith("-enjeux")]
    assert planned and issues
    for question_id, value in planned:  # « Actions prévues »: actions of that theme
        assert value.rstrip(".") in {t.rstrip(".") for t in _theme_actions(item_of[question_id])}
    for question_id, value in issues:  # « Enjeux »: an issue of that theme
        wanted = {typo(t) for t in demo.ISSUE_TEXTS[item_of[question_id] or ""]}
        assert value in wanted, (question_id, value)
        if item_of[question_id] != "environnement":
            assert not any(w in value.lower() for w in ENVIRONMENT_WORDS), (question_id, value)


def test_demo_grid_is_published_before_its_first_campaign(engine: Engine) -> None:
    sync_grids_from_dir(engine, DEFAULT_GRIDS)
    demo.seed_demo(engine, orgs=10, campaigns=3, seed=1)
    campaigns = list_campaigns(engine)
    first = min(campaigns, key=lambda c: c.year)
    with read_session(engine) as session:
        row = session.execute(
            select(GridVersion.published_at, GridVersion.created_at).where(
                GridVersion.grid_id == DEFAULT_GRID_ID, GridVersion.version == first.grid_version
            )
        ).one()
        earlier = session.scalars(
            select(GridVersion.published_at).where(
                GridVersion.grid_id == DEFAULT_GRID_ID, GridVersion.version != first.grid_version
            )
        ).all()
        earliest_answer = session.scalar(
            select(Assessment.created_at).order_by(Assessment.created_at).limit(1)
        )
    opens = datetime(first.opens_on.year, first.opens_on.month, first.opens_on.day, tzinfo=UTC)
    assert row.published_at < opens, (row.published_at, first.opens_on)
    assert row.created_at <= row.published_at
    assert earliest_answer is not None and row.published_at < earliest_answer
    assert row.published_at == demo.grid_published_at(first.year)
    # the versions before it (kept in guide/) were published before it
    assert earlier and all(moment < row.published_at for moment in earlier)

"""Assessments: revisions, never losing work, submit / reopen, grid versions, audit."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from assessment import assessments as svc
from assessment.answers import AnswerError
from assessment.assessments import (
    STALE_MESSAGE,
    AssessmentError,
    MissingAnswers,
    ReadOnly,
    StaleRevision,
)
from assessment.campaigns import close_campaign, create_campaign
from assessment.db import read_session
from assessment.grid_store import get_grid, sync_grids_from_dir
from assessment.tables import Answer, Assessment, AuditEvent

from .conftest import COMPLETE_ANSWERS, GRID_ID, GRIDS_V2, SYSTEM, World


def _fill(world: World, assessment_id: int, revision: int) -> int:
    for (question, horizon), value in COMPLETE_ANSWERS.items():
        revision = svc.save_answer(
            world.engine,
            world.member,
            assessment_id,
            question,
            horizon,
            value,
            expected_revision=revision,
        )
    return revision


def test_open_creates_once_and_answers_round_trip(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    assert state.status == "draft" and state.revision == 0
    assert (state.grid_id, state.grid_version) == (GRID_ID, "1")
    again = svc.open_assessment(world.engine, world.admin, world.org_a, world.campaign)
    assert again.id == state.id

    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 2, expected_revision=0
    )
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-taux", "current", 42.5, expected_revision=rev
    )
    rev = svc.save_comment(
        world.engine,
        world.member,
        state.id,
        "gouv-regles",
        "current",
        "  Statuts revus en 2024  ",
        expected_revision=rev,
    )
    loaded = svc.get_assessment(world.engine, world.member, state.id)
    assert loaded.revision == rev == 3
    assert loaded.answers == {"gouv-regles": {"current": 2}, "gouv-taux": {"current": 42.5}}
    assert loaded.comments == {"gouv-regles": {"current": "Statuts revus en 2024"}}

    # saving the same value again changes nothing
    assert (
        svc.save_answer(
            world.engine, world.member, state.id, "gouv-regles", "current", 2, expected_revision=3
        )
        == 3
    )
    # clearing an answer keeps its comment; clearing both removes the row
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", None, expected_revision=3
    )
    loaded = svc.get_assessment(world.engine, world.member, state.id)
    assert "gouv-regles" not in loaded.answers and loaded.comments["gouv-regles"]
    svc.save_comment(
        world.engine, world.member, state.id, "gouv-regles", "current", "", expected_revision=rev
    )
    with read_session(world.engine) as session:
        count = session.scalar(
            select(func.count()).select_from(Answer).where(Answer.question_id == "gouv-regles")
        )
    assert count == 0


def test_invalid_value_is_refused_with_the_grid_message(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    with pytest.raises(AnswerError, match="n'est pas un niveau"):
        svc.save_answer(
            world.engine, world.member, state.id, "gouv-regles", "current", 9, expected_revision=0
        )
    with pytest.raises(AnswerError):
        svc.save_answer(
            world.engine, world.member, state.id, "inconnue", "current", 1, expected_revision=0
        )
    assert svc.get_assessment(world.engine, world.member, state.id).revision == 0


def test_stale_revision_is_refused(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 1, expected_revision=0
    )
    # a second tab still at revision 0
    with pytest.raises(StaleRevision) as caught:
        svc.save_answer(
            world.engine, world.admin, state.id, "gouv-regles", "current", 3, expected_revision=0
        )
    assert caught.value.current_revision == 1
    assert str(caught.value) == STALE_MESSAGE
    assert svc.get_assessment(world.engine, world.member, state.id).answers == {
        "gouv-regles": {"current": 1}
    }


def test_compare_and_set_catches_a_concurrent_writer(world: World, monkeypatch) -> None:
    """Both writers pass the early check; only the UPDATE ... WHERE revision = ? decides."""
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    real_bump = svc._bump
    calls = {"n": 0}

    def bump_after_someone_else(session, assessment_id, expected_revision, **values):
        if calls["n"] == 0:
            calls["n"] += 1
            # another process commits a change between our read and our write
            svc.save_answer(
                world.engine,
                world.admin,
                assessment_id,
                "gouv-taux",
                "current",
                10,
                expected_revision=expected_revision,
            )
        return real_bump(session, assessment_id, expected_revision, **values)

    if world.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises writers: no interleaving possible")
    monkeypatch.setattr(svc, "_bump", bump_after_someone_else)
    with pytest.raises(StaleRevision) as caught:
        svc.save_answer(
            world.engine, world.member, state.id, "gouv-regles", "current", 1, expected_revision=0
        )
    assert caught.value.current_revision == 1
    assert svc.get_assessment(world.engine, world.member, state.id).answers == {
        "gouv-taux": {"current": 10}
    }


def test_failure_inside_the_transaction_leaves_previous_state(world: World, monkeypatch) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 1, expected_revision=0
    )

    def broken_audit(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc, "_record_audit", broken_audit)
    with pytest.raises(RuntimeError, match="disk full"):
        svc.save_answer(
            world.engine, world.member, state.id, "gouv-regles", "current", 3, expected_revision=rev
        )
    with pytest.raises(RuntimeError):
        svc.set_not_addressed(
            world.engine, world.member, state.id, ["environnement"], expected_revision=rev
        )
    monkeypatch.undo()
    after = svc.get_assessment(world.engine, world.member, state.id)
    assert after.revision == rev
    assert after.answers == {"gouv-regles": {"current": 1}}
    assert after.not_addressed == frozenset()
    # and the next save works from there
    svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 3, expected_revision=rev
    )


def test_submit_needs_every_required_answer(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 1, expected_revision=0
    )
    with pytest.raises(MissingAnswers) as caught:
        svc.submit(world.engine, world.admin, state.id, expected_revision=rev)
    missing = {(q, h) for _, q, h in caught.value.missing}
    assert missing == {
        ("gouv-regles", "goal_1y"),
        ("env-impacts", "current"),
        ("env-impacts", "goal_1y"),
    }
    assert "Il manque 3 réponses obligatoires" in str(caught.value)
    # the optional theme marked "not addressed" is no longer expected
    rev = svc.set_not_addressed(
        world.engine, world.member, state.id, ["environnement"], expected_revision=rev
    )
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "goal_1y", 2, expected_revision=rev
    )
    rev = svc.submit(world.engine, world.admin, state.id, expected_revision=rev)
    assert svc.get_assessment(world.engine, world.member, state.id).status == "submitted"


def test_not_addressed_only_accepts_optional_ids(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    with pytest.raises(AnswerError, match="pas facultatif"):
        svc.set_not_addressed(
            world.engine, world.member, state.id, ["gouvernance"], expected_revision=0
        )


def test_submitted_is_read_only_and_reopen_keeps_history(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = _fill(world, state.id, 0)
    rev = svc.submit(world.engine, world.admin, state.id, expected_revision=rev)
    for call in (
        lambda: svc.save_answer(
            world.engine, world.member, state.id, "gouv-regles", "current", 3, expected_revision=rev
        ),
        lambda: svc.save_comment(
            world.engine,
            world.member,
            state.id,
            "gouv-regles",
            "current",
            "x",
            expected_revision=rev,
        ),
        lambda: svc.set_not_addressed(
            world.engine, world.member, state.id, ["environnement"], expected_revision=rev
        ),
        lambda: svc.submit(world.engine, world.admin, state.id, expected_revision=rev),
    ):
        with pytest.raises(ReadOnly, match="soumise"):
            call()

    rev = svc.reopen(world.engine, world.admin, state.id, expected_revision=rev)
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 3, expected_revision=rev
    )
    rev = svc.submit(world.engine, world.admin, state.id, expected_revision=rev)

    history = svc.list_submissions(world.engine, world.member, state.id)
    assert len(history) == 2
    first, second = history
    assert first.answers["gouv-regles"]["current"] == 1
    assert first.reopened_at is not None
    assert second.answers["gouv-regles"]["current"] == 3
    assert second.reopened_at is None
    kinds = [e.kind for e in svc.audit_trail(world.engine, world.admin, state.id)]
    assert kinds[0] == "created"
    assert kinds.count("submitted") == 2 and kinds.count("reopened") == 1

    with pytest.raises(StaleRevision):
        svc.reopen(world.engine, world.admin, state.id, expected_revision=rev - 1)
    rev = svc.reopen(world.engine, world.admin, state.id, expected_revision=rev)
    with pytest.raises(AssessmentError, match="pas soumise"):
        svc.reopen(world.engine, world.admin, state.id, expected_revision=rev)


def test_reopen_refused_once_the_campaign_is_closed(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = svc.submit(
        world.engine, world.admin, state.id, expected_revision=_fill(world, state.id, 0)
    )
    close_campaign(world.engine, world.national, world.campaign)
    with pytest.raises(ReadOnly, match="close"):
        svc.reopen(world.engine, world.admin, state.id, expected_revision=rev)
    with pytest.raises(ReadOnly, match="close"):
        svc.open_assessment(world.engine, world.member_other_org, world.org_b, world.campaign)


def test_editing_refused_once_the_campaign_is_closed(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    close_campaign(world.engine, world.national, world.campaign)
    with pytest.raises(ReadOnly, match="close"):
        svc.save_answer(
            world.engine, world.member, state.id, "gouv-regles", "current", 1, expected_revision=0
        )


def test_audit_trail_records_who_what_when(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 1, expected_revision=0
    )
    svc.save_answer(
        world.engine, world.admin, state.id, "gouv-regles", "current", 2, expected_revision=rev
    )
    trail = [e for e in svc.audit_trail(world.engine, world.member, state.id) if e.kind == "answer"]
    assert [(e.user_email, e.old_value, e.new_value, e.revision) for e in trail] == [
        ("membre@a.test", None, 1, 1),
        ("admin@a.test", 1, 2, 2),
    ]
    assert all(e.question_id == "gouv-regles" and e.horizon_id == "current" for e in trail)
    assert trail[0].at <= trail[1].at and trail[0].at.tzinfo is not None


def test_grid_version_is_kept_when_a_new_one_is_published(world: World) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = svc.save_answer(
        world.engine, world.member, state.id, "gouv-regles", "current", 2, expected_revision=0
    )
    sync_grids_from_dir(world.engine, GRIDS_V2)  # publishes version 2
    assert get_grid(world.engine, GRID_ID, "2").item("territoire")
    kept = svc.get_assessment(world.engine, world.member, state.id)
    assert kept.grid_version == "1"
    # answering a question that only exists in version 2 is refused for this assessment
    with pytest.raises(AnswerError):
        svc.save_answer(
            world.engine,
            world.member,
            state.id,
            "terr-emplois",
            "current",
            1,
            expected_revision=rev,
        )
    # next year's campaign on version 2, pre-filled from this year's answers
    today = date.today()
    next_campaign = create_campaign(
        world.engine,
        world.national,
        year=today.year + 1,
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=300),
        grid_id=GRID_ID,
    )
    fresh = svc.open_assessment(
        world.engine, world.member, world.org_a, next_campaign, start_from=state.id
    )
    assert fresh.grid_version == "2"
    assert fresh.answers == {"gouv-regles": {"current": 2}}
    assert svc.get_assessment(world.engine, world.member, state.id).grid_version == "1"
    summaries = svc.list_assessments(world.engine, world.member, world.org_a)
    assert [s.grid_version for s in summaries] == ["2", "1"]


def test_one_assessment_per_organisation_and_campaign(world: World) -> None:
    first = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    second = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    assert first.id == second.id
    with read_session(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    assert svc.find_assessment(world.engine, world.member, world.org_a, world.campaign + 99) is None


def test_system_actor_may_do_everything(world: World) -> None:
    state = svc.open_assessment(world.engine, SYSTEM, world.org_a, world.campaign)
    rev = _fill(world, state.id, 0)
    svc.submit(world.engine, SYSTEM, state.id, expected_revision=rev)


def test_failed_submit_leaves_the_draft_and_no_submission(world: World, monkeypatch) -> None:
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    rev = _fill(world, state.id, 0)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("crash")

    monkeypatch.setattr(svc, "_record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        svc.submit(world.engine, world.admin, state.id, expected_revision=rev)
    monkeypatch.undo()
    after = svc.get_assessment(world.engine, world.member, state.id)
    assert (after.status, after.revision) == ("draft", rev)
    assert svc.list_submissions(world.engine, world.member, state.id) == []


def test_two_concurrent_writers_one_wins(world: World) -> None:
    """Two sessions (threads, each with its own connection) save from the same revision."""
    state = svc.open_assessment(world.engine, world.member, world.org_a, world.campaign)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def write(actor, value: int) -> None:
        barrier.wait()
        try:
            outcomes.append(
                svc.save_answer(
                    world.engine,
                    actor,
                    state.id,
                    "gouv-regles",
                    "current",
                    value,
                    expected_revision=0,
                )
            )
        except StaleRevision as exc:
            outcomes.append(exc)

    threads = [
        threading.Thread(target=write, args=(world.member, 1)),
        threading.Thread(target=write, args=(world.admin, 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(o).__name__ for o in outcomes) == ["StaleRevision", "int"]
    final = svc.get_assessment(world.engine, world.member, state.id)
    assert final.revision == 1
    assert final.answers["gouv-regles"]["current"] in (1, 2)

"""« Mon auto-évaluation » as a user sees it (AppTest, signed in through the real path).

The helpers at the top build a small world of their own on the shell's empty
database (``web_db``): one organisation with an admin and a member, an open
campaign on the default grid.  ``test_results`` and ``test_action_plan``
reuse them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from assessment import accounts, assessments, campaigns, grid_store
from assessment.campaigns import create_campaign
from assessment.db import DatabaseBusy
from assessment.french import typo
from assessment.grid import Grid
from assessment.organisations import create_organisation, siren_with_key
from assessment.permissions import Actor, Role
from assessment.scoring import score
from assessment.web import auth_routes
from assessment.web.views import filling

from .conftest import errors_text, new_app, open_page, warnings_text
from .markdown_text import shown

SYSTEM = Actor.system()
PASSWORD = "Un mot de passe assez long 42"
FILLING = "auto-evaluation"
KEPT_ITEM = "gouvernance"


@dataclass
class Env:
    """One organisation with its two accounts, and the open campaign."""

    engine: Engine
    cookies: dict[str, str]
    org: int
    campaign: int
    year: int
    grid: Grid
    admin: Actor
    member: Actor
    admin_cookie: str
    member_cookie: str

    def app(self, url_path: str = FILLING, *, who: str = "admin") -> AppTest:
        """A new browser session on ``url_path`` (not yet run)."""
        cookie = self.admin_cookie if who == "admin" else self.member_cookie
        self.cookies[auth_routes.SESSION_COOKIE] = cookie
        return open_page(new_app(), url_path)

    def last_years_campaign(self) -> int:
        """Last year's campaign (opened 400 days ago, still open until tomorrow: close
        it once answered)."""
        today = date.today()
        return create_campaign(
            self.engine,
            SYSTEM,
            year=self.year - 1,
            opens_on=today - timedelta(days=400),
            closes_on=today + timedelta(days=1),
        )


_sirens = iter(range(10_000_000, 99_999_999, 7919))


def new_org(
    engine: Engine, region: str = "53", family: str = "association", size: str = "1-9"
) -> int:
    return create_organisation(
        engine,
        SYSTEM,
        name=f"Structure {next(_sirens)}",
        siren=siren_with_key(f"{next(_sirens):08d}"),
        region=region,
        legal_family=family,
        size_band=size,
    )


def make_env(engine: Engine, cookies: dict[str, str], *, opened: bool = True) -> Env:
    """``opened``: the assessment exists, every theme ticked (the page would start a new
    one with every theme unticked, to be chosen)."""
    org = new_org(engine)
    actors: dict[Role, Actor] = {}
    cookie: dict[Role, str] = {}
    for email, role in (("admin@org.test", Role.ORG_ADMIN), ("membre@org.test", Role.MEMBER)):
        user_id = accounts.create_user(
            engine, SYSTEM, email=email, password=PASSWORD, role=role, organisation_id=org
        )
        actors[role] = Actor(user_id=user_id, email=email, role=role, organisation_id=org)
        cookie[role] = session_cookie(engine, actors[role])
    today = date.today()
    campaign = create_campaign(
        engine,
        SYSTEM,
        year=today.year,
        opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=60),
    )
    info = campaigns.get_campaign(engine, campaign)
    if opened:
        assessments.open_assessment(engine, SYSTEM, org, campaign)
    return Env(
        engine=engine,
        cookies=cookies,
        org=org,
        campaign=campaign,
        year=today.year,
        grid=grid_store.get_grid(engine, info.grid_id, info.grid_version),
        admin=actors[Role.ORG_ADMIN],
        member=actors[Role.MEMBER],
        admin_cookie=cookie[Role.ORG_ADMIN],
        member_cookie=cookie[Role.MEMBER],
    )


def session_cookie(engine: Engine, actor: Actor) -> str:
    """The ``ess_session`` cookie of a browser signed in as ``actor`` (a real web session)."""
    token = accounts.open_web_session(engine, actor)
    return auth_routes.session_cookie_value(engine, token)


def fill_required(
    engine: Engine,
    grid: Grid,
    organisation_id: int,
    campaign_id: int,
    *,
    level: int = 2,
    keep: Iterable[str] = (KEPT_ITEM,),
    submit: bool = False,
) -> int:
    """Through the core: every item but ``keep`` not addressed, every required cell at
    ``level`` (goals one step higher when possible); returns the assessment id."""
    state = assessments.open_assessment(engine, SYSTEM, organisation_id, campaign_id)
    kept = set(keep)
    rev = assessments.set_not_addressed(
        engine,
        SYSTEM,
        state.id,
        [i.id for i in grid.items if i.optional and i.id not in kept],
        expected_revision=state.revision,
    )
    for item, question in grid.questions():
        if (item is not None and item.id not in kept) or not question.is_required:
            continue
        for i, horizon in enumerate(grid.question_horizons(question)):
            value: Any = min(level + (1 if i else 0), grid.scale_max)
            rev = assessments.save_answer(
                engine, SYSTEM, state.id, question.id, horizon, value, expected_revision=rev
            )
    if submit:
        assessments.submit(engine, SYSTEM, state.id, expected_revision=rev)
    return state.id


@pytest.fixture
def env(web_db: Engine, cookies: dict[str, str]) -> Env:
    return make_env(web_db, cookies)


def key(question: str, horizon: str) -> str:
    return filling.widget_key(question, horizon)


def markdown_text(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown) + "\n".join(
        str(c.value) for c in at.caption
    )


EMOJI = re.compile("[\u2600-\u27bf\u2b00-\u2bff\ufe0f\U0001f000-\U0001faff]")
"""Emoji and pictographs: empty boxes in a browser without an emoji font (Debian's
chromium); the pages use Streamlit's Material icons (``:material/...:``) instead."""


def progress_text(at: AppTest) -> str:
    return str(at.get("progress")[0].proto.text)


def captions(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.caption]


def shown_text(at: AppTest) -> str:
    """Every text a user reads on the page: markdown, captions, alerts, widget labels."""
    parts = [markdown_text(at), progress_text(at) if at.get("progress") else ""]
    for kind in ("success", "info", "warning", "error", "title", "subheader"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [str(e.proto.label) for e in at.get("expander")]
    parts += [w.label for w in [*at.radio, *at.checkbox, *at.button, *at.text_input]]
    return "\n".join(parts)


# ---------------------------------------------------------------------------


def test_form_shows_level_descriptors_and_every_horizon(env: Env) -> None:
    at = env.app().run()
    assert not at.exception
    assert at.title[0].value == "Mon auto-évaluation"
    current = at.radio(key=key("gouv-regles", "current"))
    assert current.value is None
    # the level descriptors are visible while choosing (captions of the options)
    captions = list(current.proto.captions)
    assert len(captions) == 5 and "Statuts jamais relus" in captions[0]
    for horizon in ("goal_1y", "goal_3y"):
        assert at.radio(key=key("gouv-regles", horizon)).value is None
    # indicators, texts and the systemic view are there too
    assert at.text_input(key=key("soc-ecart-remunerations", "current"))  # French numbers
    assert at.radio(key=key("sys-coherence", "current"))


def test_answer_is_saved_and_comes_back_in_a_new_session(env: Env) -> None:
    at = env.app().run()
    at.radio(key=key("gouv-regles", "current")).set_value(2).run()
    at.radio(key=key("gouv-regles", "goal_3y")).set_value(4).run()
    assert not at.exception
    saved = [str(m.value) for m in at.markdown if "Enregistré à" in str(m.value)]
    assert len(saved) == 1 and re.fullmatch(
        r":material/check_circle: Enregistré à \d\d:\d\d", saved[0]
    )
    # one indicator for the whole assessment, none per item (it could not survive a reload)
    assert not [c for c in captions(at) if "Enregistré" in c]
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None
    assert stored.answers["gouv-regles"] == {"current": 2, "goal_3y": 4}

    again = env.app().run()  # a refresh, or another sign-in
    # the same single indicator after the reload, from the stored time
    assert stored.updated_at is not None
    reloaded = f":material/check_circle: Enregistré à {filling._hhmm(stored.updated_at)}"
    assert [str(m.value) for m in again.markdown if "Enregistré à" in str(m.value)] == [reloaded]
    assert not [c for c in captions(again) if "Enregistré" in c]
    assert again.radio(key=key("gouv-regles", "current")).value == 2
    assert again.radio(key=key("gouv-regles", "goal_3y")).value == 4
    assert again.radio(key=key("gouv-regles", "goal_1y")).value is None


def test_goal_below_current_is_flagged_not_blocked(env: Env) -> None:
    at = env.app().run()
    at.radio(key=key("gouv-regles", "current")).set_value(3).run()
    at.radio(key=key("gouv-regles", "goal_1y")).set_value(1).run()
    assert typo("Objectif à 1 an : l'objectif (1) est en dessous") in warnings_text(at)
    at.radio(key=key("gouv-regles", "goal_1y")).set_value(3).run()
    at.radio(key=key("gouv-regles", "goal_3y")).set_value(2).run()
    assert "Objectif à 3 ans" in warnings_text(at)
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None and stored.answers["gouv-regles"]["goal_3y"] == 2


def test_stale_revision_says_so_and_reloads(env: Env) -> None:
    first = env.app().run()
    second = env.app().run()  # same account, another tab
    second.radio(key=key("gouv-regles", "current")).set_value(1).run()
    first.radio(key=key("gouv-regles", "current")).set_value(3).run()
    assert "modifiées entre-temps" in errors_text(first)
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None and stored.answers["gouv-regles"]["current"] == 1  # kept
    first.button(key="fill:reload").click().run()
    assert "modifiées entre-temps" not in errors_text(first)
    assert first.radio(key=key("gouv-regles", "current")).value == 1


def test_missing_required_answers_block_submission_with_links(env: Env) -> None:
    at = env.app().run()
    at.radio(key=key("gouv-regles", "current")).set_value(2).run()
    errors = errors_text(at)
    assert "Soumission impossible" in errors
    assert typo("(#q-gouv-regles) : Objectif à 1 an, Objectif à 3 ans") in errors
    assert typo("(#q-gouv-participation) : État des lieux") in errors
    assert at.button(key="fill:submit").disabled


def test_member_cannot_submit_and_is_told_why(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign)
    at = env.app(who="member").run()
    assert not at.exception
    assert any("Seuls les référents" in str(i.value) for i in at.info)
    assert not [b for b in at.button if b.key == "fill:submit"]


def test_admin_submits_after_confirmation_then_read_only(env: Env) -> None:
    fill_required(env.engine, env.grid, env.org, env.campaign)
    at = env.app().run()
    assert "Soumission impossible" not in errors_text(at)
    at.button(key="fill:submit").click().run()
    assert "Confirmez-vous la soumission" in warnings_text(at)
    at.button(key="fill:confirm").click().run()
    assert not at.exception
    assert any("lecture seule" in str(s.value) for s in at.success)
    assert not at.radio  # no more widgets to change answers
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None and stored.status == "submitted"
    assert env.app().run().button(key="fill:reopen")  # an admin may reopen


def test_themes_not_addressed_this_year(env: Env) -> None:
    at = env.app().run()
    at.checkbox(key=filling.theme_key("environnement")).uncheck().run()
    assert "Non traité cette année" in markdown_text(at)
    assert not [r for r in at.radio if r.key == key("env-impacts", "current")]
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None and "environnement" in stored.not_addressed


def test_start_from_last_years_answers(web_db: Engine, cookies: dict[str, str]) -> None:
    env = make_env(web_db, cookies, opened=False)
    # last year's campaign, answered and submitted, then closed
    last = env.last_years_campaign()
    fill_required(env.engine, env.grid, env.org, last, level=1, submit=True)
    campaigns.close_campaign(env.engine, SYSTEM, last)
    at = env.app().run()
    assert not at.radio
    at.button(key="fill:from").click().run()
    assert not at.exception
    assert at.radio(key=key("gouv-regles", "current")).value == 1
    assert at.radio(key=key("gouv-regles", "goal_1y")).value == 2


def test_progress_counts_required_and_optional_answers_apart(env: Env) -> None:
    at = env.app().run()
    before = progress_text(at)
    match = re.fullmatch(
        r"Progression\u00a0: 0 / (\d+) réponses obligatoires · 0 / (\d+) facultatives", before
    )
    assert match, before
    required, optional = map(int, match.groups())
    assert required > 0 and optional > 0
    assert at.get("progress")[0].proto.value == 0
    # under each item: the same split, compact
    assert any(
        re.fullmatch(r"0 / \d+ obligatoires · 0 / \d+ facultatives", c) for c in captions(at)
    )

    # every required answer given, no optional one: complete, the bar full
    fill_required(env.engine, env.grid, env.org, env.campaign)
    done = env.app().run()
    report = score(env.grid, *_stored_answers(env))
    counts = report.completion.counts
    assert counts.required_answered == counts.required_expected > 0
    assert progress_text(done) == typo(
        f"Progression : {counts.required_expected} / {counts.required_expected} réponses "
        f"obligatoires · 0 / {counts.optional_expected} facultatives"
    )
    assert done.get("progress")[0].proto.value == 100
    kept = report.completion.section(KEPT_ITEM)
    assert (
        f"{kept.required_expected} / {kept.required_expected} obligatoires "
        f"· 0 / {kept.optional_expected} facultatives"
    ) in captions(done)


def _stored_answers(env: Env) -> tuple[dict[str, Any], frozenset[str]]:
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None
    return dict(stored.answers), frozenset(stored.not_addressed)


def test_read_only_view_lists_answered_questions_only(env: Env) -> None:
    assessment_id = fill_required(env.engine, env.grid, env.org, env.campaign)
    state = assessments.get_assessment(env.engine, SYSTEM, assessment_id)
    # one optional question answered at one horizon only
    rev = assessments.save_answer(
        env.engine,
        SYSTEM,
        assessment_id,
        "gouv-taux-participation-ag",
        "current",
        42,
        expected_revision=state.revision,
    )
    assessments.submit(env.engine, SYSTEM, assessment_id, expected_revision=rev)
    at = env.app().run()
    assert not at.exception
    assert "lecture seule" in str(at.success[0].value)
    # no placeholder line for the questions left empty...
    assert ": —" not in markdown_text(at)
    assert not [m for m in at.markdown if "Précisez le dispositif" in str(m.value)]
    # ...but one short line per item: the eleven optional questions of « Gouvernance »,
    # less the one answered and the one hidden (asked only if voting at a distance)
    optional = [
        q for _, q in env.grid.questions() if q.id.startswith("gouv-") and not q.is_required
    ]
    assert len(optional) == 11
    assert "9 questions facultatives non renseignées" in captions(at)
    # the optional answer given is shown, at its horizon only
    block = next(str(m.value) for m in at.markdown if "Taux de participation" in str(m.value))
    assert shown(block).endswith(typo("État des lieux : 42 %"))
    assert "Objectif à 1 an" not in block
    # the required answers are there, every horizon
    rules = next(
        str(m.value) for m in at.markdown if "Les règles de fonctionnement" in str(m.value)
    )
    for line in ("État des lieux : 2 – ", "Objectif à 1 an : 3 – ", "Objectif à 3 ans : 3 – "):
        assert typo(line) in rules
    # items not addressed: one line each, nothing else
    not_addressed = [i for i in env.grid.items if i.optional and i.id != KEPT_ITEM]
    assert captions(at).count("Non traité cette année") == len(not_addressed)
    assert len(at.markdown) < 40  # was one block per question of the grid


def test_unanswered_text_agrees_in_number() -> None:
    assert filling.unanswered_text(1) == "1 question facultative non renseignée"
    assert filling.unanswered_text(3) == "3 questions facultatives non renseignées"
    assert filling.unanswered_text(2, 1) == (
        "1 question obligatoire non renseignée · 2 questions facultatives non renseignées"
    )


def test_no_emoji_on_the_page(env: Env) -> None:
    at = env.app().run()
    at.radio(key=key("gouv-regles", "current")).set_value(3).run()
    at.radio(key=key("gouv-regles", "goal_1y")).set_value(1).run()  # a goal warning
    assert "Enregistré à" in shown_text(at)
    assert not EMOJI.findall(shown_text(at))
    # alerts carry Material icons, which the app ships with its own font
    assert [w.proto.icon for w in at.warning if "en dessous" in str(w.value)] == [
        ":material/warning:"
    ]


def test_a_busy_database_says_so_next_to_the_answer(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save refused because the database stayed busy: a French message, nothing stored."""
    at = env.app().run()

    def busy(*args: Any, **kwargs: Any) -> int:
        raise DatabaseBusy()

    monkeypatch.setattr(assessments, "save_answer", busy)
    at.radio(key=key("gouv-regles", "current")).set_value(2).run()
    assert not at.exception
    assert "La base de données est occupée" in errors_text(at)
    assert "Réessayez dans un instant" in errors_text(at)
    stored = assessments.find_assessment(env.engine, SYSTEM, env.org, env.campaign)
    assert stored is not None and "gouv-regles" not in stored.answers

"""Two app processes on one PostgreSQL: what is saved on one is there on the other,
and a sign-out on one ends the session on the other (no state lives in a process)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from assessment import assessments, db
from assessment.permissions import Actor

from .conftest import (
    LiveServer,
    _start_server,
    fictional_org_admin,
    heading,
    screenshot,
    sign_in,
    sign_out,
    signed_in,
    stored_eventually,
    wait_for_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Cluster:
    a: LiveServer
    b: LiveServer
    engine: Engine
    email: str
    actor: Actor
    campaign_id: int


def _admin_engine() -> Engine:
    url = db.normalise_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A new PostgreSQL database for this module, dropped afterwards."""
    admin = _admin_engine()
    name = f"two_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        db.dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="module")
def cluster(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    first = _start_server(tmp_path_factory.mktemp("proc-a"), seeded=True, database_url=pg_url)
    a = next(first)
    second = _start_server(tmp_path_factory.mktemp("proc-b"), seeded=False, database_url=pg_url)
    b = next(second)
    admin = fictional_org_admin(
        pg_url,
        name="Association Deux Processus",
        region="11",
        size_band="1-9",
        domain="deux.test",
    )
    engine, email, actor, campaign = admin.engine, admin.email, admin.actor, admin.campaign
    try:
        yield Cluster(a, b, engine, email, actor, campaign.id)
    finally:
        engine.dispose()
        for server in (second, first):
            server.close()


def _stored_level(cluster: Cluster, question: str, horizon: str) -> object:
    found = assessments.find_assessment(
        cluster.engine, cluster.actor, cluster.actor.organisation_id or 0, cluster.campaign_id
    )
    if found is None:
        return None
    return found.answers.get(question, {}).get(horizon)


def _radio(page, question: str, horizon: str):  # type: ignore[no-untyped-def]
    return page.locator(f".st-key-fill-q-{question}-{horizon}")


def test_saved_on_one_process_seen_on_the_other_and_sign_out_everywhere(
    cluster: Cluster,
    context,  # type: ignore[no-untyped-def]
) -> None:
    context.set_default_timeout(90_000)  # the filling page is long: two cold processes
    on_a = context.new_page()
    sign_in(on_a, cluster.a, cluster.email)
    box = _radio(on_a, "gouv-regles", "current")
    box.get_by_test_id("stRadioOption").nth(3).click()
    box.locator('input[value="3"]:checked').wait_for(state="attached")
    level = stored_eventually(lambda: _stored_level(cluster, "gouv-regles", "current"), 3)
    assert level == 3, "the answer was not stored"
    wait_for_app(on_a)
    screenshot(on_a, "two-processes-a-filled")

    # Cookies are per host, not per port: the same browser reaches process B signed in.
    on_b = context.new_page()
    on_b.goto(cluster.b.url)
    wait_for_app(on_b)
    signed_in(on_b).wait_for()
    _radio(on_b, "gouv-regles", "current").locator('input[value="3"]:checked').wait_for(
        state="attached"
    )
    path: Path = screenshot(on_b, "two-processes-b-sees-it")
    assert path.exists()

    sign_out(on_a)
    on_b.reload()
    wait_for_app(on_b)
    heading(on_b, "Connexion").wait_for()
    assert signed_in(on_b).count() == 0

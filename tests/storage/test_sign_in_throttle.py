"""Sign-in throttling: slowed per address and client, never a lock-out; spraying
capped; concurrent attempts counted atomically (both engines)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from assessment import accounts
from assessment.accounts import (
    SignInError,
    SignInThrottled,
    ThrottlePolicy,
    authenticate,
    create_user,
)
from assessment.db import read_session
from assessment.permissions import Actor, Role
from assessment.tables import SignInThrottle

from .conftest import SYSTEM, World
from .test_accounts import Clock

PASSWORD = "correct horse battery"
ATTACKER = "203.0.113.9"
USER_CLIENT = "198.51.100.7"


@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check made (the address-less dummy check included)."""
    seen: list[str] = []
    lock = threading.Lock()
    real: Callable[[str, str], bool] = accounts.verify_password

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            seen.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return seen


def _national(world: World, email: str = "national@ess.test") -> int:
    return create_user(world.engine, SYSTEM, email=email, password=PASSWORD, role=Role.NATIONAL)


def _try(
    world: World, email: str, password: str, client: str, clock: Clock, **policy: object
) -> str:
    """``ok``, ``refused`` or ``wait`` (throttled)."""
    try:
        authenticate(
            world.engine, email, password, client=client, now=clock, policy=ThrottlePolicy(**policy)
        )
    except SignInThrottled:
        return "wait"
    except SignInError:
        return "refused"
    return "ok"


@pytest.mark.parametrize("known", [True, False])
def test_one_client_is_slowed_down_then_let_try_again(world: World, known: bool) -> None:
    if known:
        _national(world)
    clock = Clock()
    policy = {"free_failures": 3, "first_delay": timedelta(seconds=30)}
    for _ in range(3):
        assert _try(world, "national@ess.test", "wrong!", ATTACKER, clock, **policy) == "refused"
    # from this client, even the right password waits (and is not checked)
    with pytest.raises(SignInThrottled) as throttled:
        authenticate(
            world.engine,
            "national@ess.test",
            PASSWORD,
            client=ATTACKER,
            now=clock,
            policy=ThrottlePolicy(**policy),  # type: ignore[arg-type]
        )
    assert throttled.value.retry_after == timedelta(seconds=30)
    assert "réessayez dans 1 minute" in str(throttled.value)
    clock.advance(seconds=31)
    assert _try(world, "national@ess.test", "wrong!", ATTACKER, clock, **policy) == "refused"
    clock.advance(seconds=59)  # the delay doubled
    assert _try(world, "national@ess.test", PASSWORD, ATTACKER, clock, **policy) == "wait"
    clock.advance(seconds=2)
    expected = "ok" if known else "refused"
    assert _try(world, "national@ess.test", PASSWORD, ATTACKER, clock, **policy) == expected


def test_an_attacker_elsewhere_cannot_lock_the_user_out(world: World, hash_checks: list) -> None:
    """32 wrong passwords over 6 hours locked the national account out on today's main."""
    _national(world)
    clock = Clock()
    outcomes = []
    for minute in range(6 * 60):
        _try(world, "national@ess.test", f"guess {minute}", ATTACKER, clock)
        if minute % 45 == 30:
            # the user, from their own (new) connection, with the right password
            outcomes.append(_try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock))
        clock.advance(minutes=1)
    assert outcomes and set(outcomes) == {"ok"}
    attacker_checks = [p for p in hash_checks if p.startswith("guess")]
    assert len(attacker_checks) <= 6 * 13  # about a dozen guesses an hour, not 360


def test_a_fresh_client_gets_in_while_the_address_is_hammered(world: World) -> None:
    _national(world)
    clock = Clock()
    for _ in range(50):
        _try(world, "national@ess.test", "wrong!", ATTACKER, clock)
    assert _try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock) == "ok"


def test_many_clients_slow_the_address_down_but_not_a_known_one(world: World) -> None:
    _national(world)
    clock = Clock()
    policy = {"address_free_failures": 10}
    assert _try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock, **policy) == "ok"
    for bot in range(12):  # a botnet: one guess from each of many clients
        _try(world, "national@ess.test", "wrong!", f"192.0.2.{bot}", clock, **policy)
    assert _try(world, "national@ess.test", PASSWORD, "192.0.2.200", clock, **policy) == "wait"
    # the client the user signed in from before is held to its own counter only
    assert _try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock, **policy) == "ok"
    clock.advance(minutes=16)  # slowed down, never refused for longer than the cap
    assert _try(world, "national@ess.test", PASSWORD, "192.0.2.200", clock, **policy) == "ok"


def test_password_spraying_from_one_client_is_capped(world: World, hash_checks: list) -> None:
    """One common password tried on many addresses from one client."""
    _national(world)
    clock = Clock()
    outcomes = [
        _try(world, f"agent{n}@ess.test", "Printemps2026!", ATTACKER, clock) for n in range(100)
    ]
    allowance = ThrottlePolicy().client_free_failures
    assert outcomes[:allowance] == ["refused"] * allowance
    assert set(outcomes[allowance:]) == {"wait"}
    assert len(hash_checks) == allowance
    assert _try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock) == "ok"


def test_distributed_spraying_meets_the_global_cap(world: World, hash_checks: list) -> None:
    _national(world)
    clock = Clock()
    policy = {"global_free_failures": 20}
    assert _try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock, **policy) == "ok"
    outcomes = [
        _try(world, f"agent{n}@ess.test", "Printemps2026!", f"192.0.2.{n}", clock, **policy)
        for n in range(60)
    ]
    assert outcomes.count("refused") == 20 and outcomes.count("wait") == 40
    assert len(hash_checks) == 1 + 20
    # a known client still gets in; a new one waits, then gets in
    assert _try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock, **policy) == "ok"
    assert _try(world, "national@ess.test", PASSWORD, "198.51.100.99", clock, **policy) == "wait"
    clock.advance(minutes=16)
    assert _try(world, "national@ess.test", PASSWORD, "198.51.100.99", clock, **policy) == "ok"


def test_success_forgets_the_clients_failures(world: World) -> None:
    _national(world)
    clock = Clock()
    policy = {"free_failures": 3}
    for _ in range(2):
        _try(world, "national@ess.test", "wrong!", USER_CLIENT, clock, **policy)
    assert _try(world, "national@ess.test", PASSWORD, USER_CLIENT, clock, **policy) == "ok"
    for _ in range(2):
        assert _try(world, "national@ess.test", "wrong!", USER_CLIENT, clock, **policy) == "refused"


def test_old_failures_are_forgotten(world: World) -> None:
    clock = Clock()
    policy = {"free_failures": 2, "window": timedelta(hours=1)}
    for _ in range(2):
        _try(world, "x@a.test", "wrong!", ATTACKER, clock, **policy)
    clock.advance(hours=2)
    assert _try(world, "x@a.test", "wrong!", ATTACKER, clock, **policy) == "refused"
    assert _try(world, "x@a.test", "wrong!", ATTACKER, clock, **policy) == "refused"
    assert _try(world, "x@a.test", "wrong!", ATTACKER, clock, **policy) == "wait"


def test_addresses_and_clients_are_stored_hashed(world: World) -> None:
    _try(world, "someone@ess.test", "wrong!", ATTACKER, Clock())
    with read_session(world.engine) as session:
        keys = session.scalars(select(SignInThrottle.key)).all()
    assert len(keys) == 4
    assert not any("someone" in key or ATTACKER in key for key in keys)


@pytest.mark.parametrize(
    ("email", "password"),
    [("nul\x00@ess.test", PASSWORD), ("x" * 5000 + "@ess.test", PASSWORD), ("a@b.fr", "\ud800")],
)
def test_hostile_credentials_are_just_refused(world: World, email: str, password: str) -> None:
    assert _try(world, email, password, ATTACKER, Clock()) == "refused"


def test_throttle_policy_delays_grow_and_are_capped() -> None:
    policy = ThrottlePolicy(
        free_failures=5, first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=15)
    )
    assert [policy.delay(n).total_seconds() for n in (4, 5, 6, 7)] == [0, 30, 60, 120]
    assert policy.delay(50) == timedelta(minutes=15)
    assert policy.delay(19, free=20) == timedelta(0)


@pytest.mark.parametrize("right_one", [None, 0, 39])
def test_concurrent_guesses_get_at_most_the_allowance_of_checks(
    world: World, hash_checks: list, right_one: int | None
) -> None:
    """40 simultaneous guesses got 20–40 password checks (and a StaleDataError on
    PostgreSQL) on today's main."""
    _national(world)
    threads_count = 40
    policy = ThrottlePolicy()
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        barrier.wait()
        try:
            password = PASSWORD if n == right_one else f"guess {n}"
            authenticate(
                world.engine, "national@ess.test", password, client=ATTACKER, policy=policy
            )
            outcome = "ok"
        except SignInThrottled:
            outcome = "wait"
        except SignInError:
            outcome = "refused"
        except BaseException as exc:  # any other error fails the test
            with lock:
                errors.append(exc)
            return
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    checked = outcomes.count("refused") + outcomes.count("ok")
    assert len(hash_checks) == checked
    if right_one is None:
        assert checked <= policy.free_failures
    else:  # a success forgets the failures before it: at most one more allowance
        assert checked <= 2 * policy.free_failures and outcomes.count("ok") <= 1
    with read_session(world.engine) as session:
        attempts = session.scalar(select(SignInThrottle.attempts).where(SignInThrottle.key == "*"))
    assert attempts == threads_count  # N attempts counted as N


def test_the_actor_of_a_temporary_password_is_flagged(world: World) -> None:
    invitation = accounts.invite_user(
        world.engine, world.national, email="cress53@ess.test", role="regional", region="53"
    )
    actor = authenticate(world.engine, "cress53@ess.test", invitation.temporary_password)
    assert actor == Actor(
        user_id=actor.user_id,
        email="cress53@ess.test",
        role=Role.REGIONAL,
        region="53",
        must_change_password=True,
    )

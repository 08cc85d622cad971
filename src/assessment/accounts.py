"""Accounts: users, argon2id password hashing, sign-in throttling, web sessions.

* Passwords are hashed with argon2id (``argon2-cffi``'s :class:`PasswordHasher`);
  only the hash is stored.
* Sign-in failures are counted per e-mail address in the database (known
  addresses or not, so that throttling reveals nothing): after
  ``ThrottlePolicy.free_failures`` failures, each further attempt waits an
  exponentially growing delay (capped).  Attempts are refused while blocked;
  nothing sleeps, and the clock is injectable.
* Web sessions are server-side rows keyed by the sha256 of a random token
  (``secrets.token_urlsafe(32)``): several app processes on one database share
  sign-ins.  A session ends after ``session_ttl_minutes`` without use or
  ``session_max_days`` after sign-in (settings), when closed, or when revoked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment.db import NotFound, read_session, write_session
from assessment.errors import UserError
from assessment.organisations import load_organisation, organisation_target
from assessment.permissions import ORGANISATION_ROLES, Action, Actor, Role, Target, can, require
from assessment.regions import is_region
from assessment.settings import get_settings
from assessment.tables import AppSecret, SignInThrottle, User, WebSession, utcnow

Clock = Callable[[], datetime]

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_seen_at`` is refreshed at most this often (saves a write per page view)."""

password_hasher = PasswordHasher()
"""argon2id with argon2-cffi's defaults; tests may swap in cheaper parameters."""

_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SIGN_IN_REFUSED = "Adresse e-mail ou mot de passe incorrect."


class SignInError(UserError):
    """Sign-in refused.  The message is the same whether the address exists or not."""

    def __init__(self, message: str = _SIGN_IN_REFUSED) -> None:
        super().__init__(message)


class SignInThrottled(SignInError):
    """Too many failures for this address: wait ``retry_after`` before trying again."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, -(-int(retry_after.total_seconds()) // 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Trop de tentatives de connexion : réessayez dans {minutes} {unit}.")
        self.retry_after = retry_after


class AccountError(UserError, ValueError):
    """Account data refused (French message)."""


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How sign-in failures slow further attempts down for one address."""

    free_failures: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)
    """Failures older than this no longer count."""

    def delay(self, failures: int) -> timedelta:
        if failures < self.free_failures:
            return timedelta(0)
        factor = 2 ** min(failures - self.free_failures, 20)
        return min(self.first_delay * factor, self.max_delay)


DEFAULT_THROTTLE = ThrottlePolicy()


# ---------------------------------------------------------------------------
# passwords
# ---------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (a PHC string, salted)."""
    return password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why ``password`` is refused (French), or ``None``."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Le mot de passe doit compter au moins {PASSWORD_MIN_LENGTH} caractères."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Le mot de passe ne peut dépasser {PASSWORD_MAX_LENGTH} caractères."
    if not password.strip():
        return "Le mot de passe ne peut pas être fait que d'espaces."
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


_dummy_hash: str | None = None


def _verify_unknown(password: str) -> None:
    """Spend the time a real verification takes, so timing reveals nothing."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


# ---------------------------------------------------------------------------
# users
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    email: str
    role: Role
    organisation_id: int | None
    region: str | None
    active: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    def actor(self) -> Actor:
        return Actor(
            user_id=self.id,
            email=self.email,
            role=self.role,
            organisation_id=self.organisation_id,
            region=self.region,
        )


def _user_info(row: User) -> UserInfo:
    return UserInfo(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        organisation_id=row.organisation_id,
        region=row.region,
        active=row.active,
        created_at=row.created_at,
        last_sign_in_at=row.last_sign_in_at,
    )


def _actor_of(row: User) -> Actor:
    return _user_info(row).actor()


def _check_new_user(
    email: str, password: str, role: Role, organisation_id: int | None, region: str | None
) -> str:
    email = normalise_email(email)
    if not _EMAIL_PATTERN.match(email) or len(email) > 320:
        raise AccountError(f"« {email} » n'est pas une adresse e-mail valide.")
    if role is Role.SYSTEM:
        raise AccountError("Le rôle opérateur ne peut pas être donné à un compte.")
    if role in ORGANISATION_ROLES and organisation_id is None:
        raise AccountError("Un compte d'organisation doit être rattaché à une organisation.")
    if role not in ORGANISATION_ROLES and organisation_id is not None:
        raise AccountError("Seuls les comptes d'organisation sont rattachés à une organisation.")
    if role is Role.REGIONAL and not is_region(region):
        raise AccountError(f"« {region} » n'est pas un code de région connu.")
    if role is not Role.REGIONAL and region is not None:
        raise AccountError("Seuls les comptes de CRESS sont rattachés à une région.")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    return email


def _insert_user(
    engine: Engine,
    actor: Actor,
    *,
    email: str,
    password: str,
    role: Role,
    organisation_id: int | None,
    region: str | None,
    permission: Action,
) -> int:
    role = Role(role)
    email = _check_new_user(email, password, role, organisation_id, region)
    password_hash = hash_password(password)  # slow: outside the write transaction
    try:
        with write_session(engine) as session:
            if organisation_id is not None:
                organisation = load_organisation(session, organisation_id)
                require(actor, permission, organisation_target(organisation))
            else:
                require(actor, permission)
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise AccountError("Un compte existe déjà avec cette adresse e-mail.")
            row = User(
                email=email,
                password_hash=password_hash,
                role=role.value,
                organisation_id=organisation_id,
                region=region,
                active=True,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError as exc:
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.") from exc


def create_user(
    engine: Engine,
    actor: Actor,
    *,
    email: str,
    password: str,
    role: Role | str,
    organisation_id: int | None = None,
    region: str | None = None,
) -> int:
    """Create an account (national council or operator); returns its id."""
    require(actor, Action.MANAGE_USERS)
    return _insert_user(
        engine,
        actor,
        email=email,
        password=password,
        role=Role(role),
        organisation_id=organisation_id,
        region=region,
        permission=Action.MANAGE_USERS,
    )


@dataclass(frozen=True, slots=True)
class Invitation:
    user_id: int
    email: str
    temporary_password: str
    """To hand to the new member, who should change it (shown once, never stored)."""


def invite_member(
    engine: Engine,
    actor: Actor,
    organisation_id: int,
    *,
    email: str,
    role: Role | str = Role.MEMBER,
    password: str | None = None,
) -> Invitation:
    """An organisation admin adds a member (or another admin) to their organisation."""
    role = Role(role)
    if role not in ORGANISATION_ROLES:
        raise AccountError("On ne peut inviter que des membres ou des administrateurs.")
    with read_session(engine) as session:
        require(
            actor,
            Action.INVITE_MEMBER,
            organisation_target(load_organisation(session, organisation_id)),
        )
    password = password or secrets.token_urlsafe(12)
    user_id = _insert_user(
        engine,
        actor,
        email=email,
        password=password,
        role=role,
        organisation_id=organisation_id,
        region=None,
        permission=Action.INVITE_MEMBER,
    )
    return Invitation(user_id, normalise_email(email), password)


def _require_user_access(actor: Actor, row: User) -> None:
    """Oneself, the national council, or an admin of the user's organisation."""
    if actor.user_id is not None and actor.user_id == row.id:
        return
    if row.organisation_id is not None and can(
        actor, Action.INVITE_MEMBER, Target(organisation_id=row.organisation_id)
    ):
        return
    require(actor, Action.MANAGE_USERS)


def _load_user(session: Session, user_id: int) -> User:
    row = session.get(User, user_id)
    if row is None:
        raise NotFound(f"Compte n° {user_id} introuvable.")
    return row


def get_user(engine: Engine, actor: Actor, user_id: int) -> UserInfo:
    with read_session(engine) as session:
        row = _load_user(session, user_id)
        _require_user_access(actor, row)
        return _user_info(row)


def list_users(
    engine: Engine, actor: Actor, *, organisation_id: int | None = None
) -> list[UserInfo]:
    """All accounts (national council), or one organisation's (also its admins)."""
    query = select(User).order_by(User.email)
    if organisation_id is None:
        require(actor, Action.MANAGE_USERS)
    else:
        if not can(actor, Action.MANAGE_USERS):
            require(actor, Action.INVITE_MEMBER, Target(organisation_id=organisation_id))
        query = query.where(User.organisation_id == organisation_id)
    with read_session(engine) as session:
        return [_user_info(row) for row in session.scalars(query)]


def set_user_active(engine: Engine, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (its sessions end at once) or reactivate an account."""
    with write_session(engine) as session:
        row = _load_user(session, user_id)
        _require_user_access(actor, row)
        if actor.user_id == user_id and not active:
            raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
        row.active = active
        if not active:
            session.execute(
                update(WebSession)
                .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )


def change_password(
    engine: Engine,
    actor: Actor,
    user_id: int,
    *,
    new_password: str,
    current_password: str | None = None,
) -> None:
    """Set a new password: oneself (with the current one), or the national council.

    Every web session of the account ends.
    """
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem)
    with read_session(engine) as session:
        row = _load_user(session, user_id)
        if actor.user_id == user_id:
            if current_password is None or not verify_password(row.password_hash, current_password):
                raise AccountError("Le mot de passe actuel est incorrect.")
        else:
            require(actor, Action.MANAGE_USERS)
    new_hash = hash_password(new_password)
    with write_session(engine) as session:
        row = _load_user(session, user_id)
        row.password_hash = new_hash
        session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


# ---------------------------------------------------------------------------
# sign-in
# ---------------------------------------------------------------------------


def authenticate(
    engine: Engine,
    email: str,
    password: str,
    *,
    now: Clock = utcnow,
    policy: ThrottlePolicy = DEFAULT_THROTTLE,
) -> Actor:
    """The actor for these credentials, or :class:`SignInError`.

    The same message whether the address is unknown, the password wrong or the
    account deactivated; :class:`SignInThrottled` while the address is blocked
    after repeated failures (even with the right password).
    """
    address = normalise_email(email)
    started = now()
    with read_session(engine) as session:
        throttle = session.get(SignInThrottle, address)
        if throttle is not None and throttle.blocked_until and throttle.blocked_until > started:
            raise SignInThrottled(throttle.blocked_until - started)
        user = session.scalar(select(User).where(User.email == address))
    if user is None:
        _verify_unknown(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    if not ok:
        _record_failure(engine, address, now(), policy)
        raise SignInError()
    assert user is not None
    rehash = password_hasher.check_needs_rehash(user.password_hash)
    new_hash = hash_password(password) if rehash else None
    with write_session(engine) as session:
        session.execute(update(User).where(User.id == user.id).values(last_sign_in_at=now()))
        if new_hash is not None:
            session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
        throttle = session.get(SignInThrottle, address)
        if throttle is not None:
            session.delete(throttle)
    return _actor_of(user)


def _record_failure(engine: Engine, address: str, at: datetime, policy: ThrottlePolicy) -> None:
    for _attempt in range(2):  # a concurrent first failure may insert the row first
        try:
            with write_session(engine) as session:
                row = session.get(SignInThrottle, address)
                if row is None:
                    row = SignInThrottle(email=address, failures=0)
                    session.add(row)
                elif row.last_failure_at is None or at - row.last_failure_at > policy.forget_after:
                    row.failures = 0
                row.failures += 1
                row.last_failure_at = at
                delay = policy.delay(row.failures)
                row.blocked_until = at + delay if delay else None
            return
        except IntegrityError:
            continue


def clear_throttle(engine: Engine, actor: Actor, email: str) -> None:
    """Lift the sign-in block on an address (national council)."""
    require(actor, Action.MANAGE_USERS)
    with write_session(engine) as session:
        row = session.get(SignInThrottle, normalise_email(email))
        if row is not None:
            session.delete(row)


# ---------------------------------------------------------------------------
# web sessions
# ---------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_web_session(
    engine: Engine,
    actor: Actor,
    *,
    now: Clock = utcnow,
    max_age: timedelta | None = None,
) -> str:
    """Start a web session for a signed-in user; returns the opaque token (never stored)."""
    if actor.user_id is None:
        raise AccountError("Seul un compte peut ouvrir une session web.")
    max_age = max_age or timedelta(days=get_settings().session_max_days)
    token = secrets.token_urlsafe(32)
    at = now()
    with write_session(engine) as session:
        session.add(
            WebSession(
                token_hash=_token_hash(token),
                user_id=actor.user_id,
                created_at=at,
                expires_at=at + max_age,
                last_seen_at=at,
            )
        )
    return token


def actor_for_session(
    engine: Engine,
    token: str | None,
    *,
    now: Clock = utcnow,
    idle_timeout: timedelta | None = None,
) -> Actor | None:
    """The session's user, or ``None`` if unknown, expired, idle too long or revoked."""
    if not token:
        return None
    idle_timeout = idle_timeout or timedelta(minutes=get_settings().session_ttl_minutes)
    at = now()
    digest = _token_hash(token)
    with read_session(engine) as session:
        found = session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == digest)
        ).first()
        if found is None:
            return None
        web_session, user = found
        if (
            web_session.revoked_at is not None
            or at >= web_session.expires_at
            or at - web_session.last_seen_at >= idle_timeout
            or not user.active
        ):
            return None
        actor = _actor_of(user)
        stale = at - web_session.last_seen_at >= SESSION_TOUCH_INTERVAL
        session_id = web_session.id
    if stale:
        with write_session(engine) as session:
            session.execute(
                update(WebSession).where(WebSession.id == session_id).values(last_seen_at=at)
            )
    return actor


def close_web_session(engine: Engine, token: str, *, now: Clock = utcnow) -> None:
    """Sign out: the token no longer works (unknown tokens are ignored)."""
    with write_session(engine) as session:
        session.execute(
            update(WebSession)
            .where(WebSession.token_hash == _token_hash(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=now())
        )


def consume_web_session(engine: Engine, token: str | None, *, now: Clock = utcnow) -> Actor | None:
    """End a session and return its user, once (single-use sign-in tickets).

    A single ``UPDATE … WHERE revoked_at IS NULL … RETURNING``: of any number of
    concurrent calls with one token, exactly one gets the actor; the others,
    and any call on an expired or revoked session or a deactivated account,
    get ``None``.
    """
    if not token:
        return None
    at = now()
    with write_session(engine) as session:
        found = session.execute(
            update(WebSession)
            .where(WebSession.token_hash == _token_hash(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(WebSession.user_id, WebSession.expires_at)
        ).first()
        if found is None or at >= found.expires_at:
            return None
        user = session.get(User, found.user_id)
        return _actor_of(user) if user is not None and user.active else None


def revoke_sessions(engine: Engine, actor: Actor, user_id: int, *, now: Clock = utcnow) -> int:
    """End every open web session of a user (oneself, or the national council)."""
    with write_session(engine) as session:
        row = _load_user(session, user_id)
        _require_user_access(actor, row)
        result = session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def purge_web_sessions(
    engine: Engine, *, now: Clock = utcnow, keep: timedelta = timedelta(days=7)
) -> int:
    """Housekeeping: delete sessions that ended more than ``keep`` ago."""
    limit = now() - keep
    with write_session(engine) as session:
        result = session.execute(
            delete(WebSession).where(
                or_(WebSession.expires_at < limit, WebSession.revoked_at < limit)
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# shared secrets
# ---------------------------------------------------------------------------


def shared_secret(engine: Engine, name: str) -> str:
    """A random secret shared by every app process (created on first use)."""
    with read_session(engine) as session:
        value = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if value is not None:
        return value
    try:
        with write_session(engine) as session:
            value = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
            if value is None:
                value = secrets.token_urlsafe(48)
                session.add(AppSecret(name=name, value=value, created_at=utcnow()))
            return value
    except IntegrityError:
        with read_session(engine) as session:
            stored = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
            assert stored is not None
            return stored

"""Accounts: users, argon2id password hashing, sign-in throttling, web sessions.

* Passwords are hashed with argon2id (``argon2-cffi``'s :class:`PasswordHasher`);
  only the hash is stored.  Nobody sets another user's password: staff and
  organisation admins create accounts *by invitation* (:func:`invite_user`) or
  *reset* them (:func:`issue_reset`), which gives a random temporary password,
  shown once, that the user must replace at first sign-in
  (``must_change_password``: the actor can do nothing else, see
  :func:`assessment.permissions.can`).  Only the operator
  (:func:`create_user`, the CLI and the demo seed) chooses a password.
* Staff never reach answers through accounts: they invite only the *first*
  admin of an organisation that has no active admin, never add anyone to an
  organisation that has one, never reset an organisation's account (its admins
  do).  Every account action that touches an organisation is in its trail
  (:mod:`assessment.admin_audit`), shown to its admins.
* An account the actor may not see answers exactly like an unknown id
  (:class:`NotFound`, same message); inviting an address that already has an
  account the inviter may not see looks exactly like a fresh invitation (and
  creates nothing).
* Sign-in throttling follows OWASP's authentication guidance (see
  :class:`ThrottlePolicy`): failures slow further attempts down per address
  *and client*, so an attacker elsewhere cannot lock a user out; per address
  across clients, per client across addresses (spraying) and globally, each
  with a higher allowance; a client that signed in to an address before keeps
  its way in.  Attempts are checked and counted atomically before the password
  is checked, so N concurrent attempts count as N and at most the allowance of
  password checks run.  Nothing sleeps; the clock is injectable.
* Web sessions are server-side rows keyed by the sha256 of a random token
  (``secrets.token_urlsafe(32)``): several app processes on one database share
  sign-ins.  A session ends after ``session_ttl_minutes`` without use or
  ``session_max_days`` after sign-in (settings), when closed, or when revoked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment import admin_audit, score_store
from assessment.admin_audit import AdminEventInfo
from assessment.db import NotFound, read_session, write_connection, write_session
from assessment.errors import UserError
from assessment.organisations import load_organisation, organisation_target, visible_organisation
from assessment.permissions import (
    ORGANISATION_ROLES,
    STAFF_ROLES,
    Action,
    Actor,
    PermissionDenied,
    Role,
    Target,
    can,
    require,
)
from assessment.regions import is_region
from assessment.settings import get_settings
from assessment.tables import AppSecret, Organisation, SignInThrottle, User, WebSession, utcnow
from assessment.text_input import EMAIL, PASSWORD, clean_text, text_problem

Clock = Callable[[], datetime]

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
TEMPORARY_PASSWORD_BYTES = 12
"""``secrets.token_urlsafe(12)``: 16 characters, 96 bits."""
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_seen_at`` is refreshed at most this often (saves a write per page view)."""
CLIENT_MAX_LENGTH = 64
LOCAL_CLIENT = "local"
"""The client of a sign-in that came with no address (CLI, tests, localhost)."""

password_hasher = PasswordHasher()
"""argon2id with argon2-cffi's defaults; tests may swap in cheaper parameters."""

_EMAIL_PATTERN = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
EMAIL_MAX_LENGTH = 320
_SIGN_IN_REFUSED = "Adresse e-mail ou mot de passe incorrect."


class SignInError(UserError):
    """Sign-in refused.  The message is the same whether the address exists or not."""

    def __init__(self, message: str = _SIGN_IN_REFUSED) -> None:
        super().__init__(message)


class SignInThrottled(SignInError):
    """Too many recent failures: wait ``retry_after`` before trying again."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, -(-int(retry_after.total_seconds()) // 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Trop de tentatives de connexion : réessayez dans {minutes} {unit}.")
        self.retry_after = retry_after


class AccountError(UserError, ValueError):
    """Account data refused (French message)."""


# ---------------------------------------------------------------------------
# passwords
# ---------------------------------------------------------------------------


def _secret_bytes(password: str) -> bytes:
    """The password as bytes (a lone surrogate is kept, never a crash)."""
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (a PHC string, salted)."""
    return password_hasher.hash(_secret_bytes(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, _secret_bytes(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why ``password`` is refused (French), or ``None``."""
    if (refused := text_problem(password, PASSWORD, "Mot de passe")) is not None:
        return refused.message
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Le mot de passe doit compter au moins {PASSWORD_MIN_LENGTH} caractères."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Le mot de passe ne peut dépasser {PASSWORD_MAX_LENGTH} caractères."
    if not password.strip():
        return "Le mot de passe ne peut pas être fait que d'espaces."
    return None


def normalise_email(email: str, error: Callable[[str], UserError] = AccountError) -> str:
    """The address stripped and lower-cased; ``error`` when it holds refused characters."""
    return clean_text(email, "Adresse e-mail", EMAIL, error=error).lower()


def _plausible_email(address: str) -> bool:
    return len(address) <= EMAIL_MAX_LENGTH and bool(_EMAIL_PATTERN.match(address))


def _temporary_password() -> str:
    return secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)


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
    must_change_password: bool = False

    def actor(self) -> Actor:
        return Actor(
            user_id=self.id,
            email=self.email,
            role=self.role,
            organisation_id=self.organisation_id,
            region=self.region,
            must_change_password=self.must_change_password,
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
        must_change_password=row.must_change_password,
    )


def _actor_of(row: User) -> Actor:
    return _user_info(row).actor()


def _check_new_user(email: str, role: Role, organisation_id: int | None, region: str | None) -> str:
    email = normalise_email(email)
    if not _plausible_email(email):
        raise AccountError(f"« {email[:EMAIL_MAX_LENGTH]} » n'est pas une adresse e-mail valide.")
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
    return email


_ACCOUNT_EXISTS = "Un compte existe déjà avec cette adresse e-mail."


def _account_target(session: Session, row: User) -> Target:
    """The permission target of an account: its organisation, or the staff."""
    if row.organisation_id is None:
        return Target(staff_account=True)
    return organisation_target(load_organisation(session, row.organisation_id))


def _not_found(user_id: int) -> NotFound:
    return NotFound(f"Compte n° {user_id} introuvable.")


def _visible_user(session: Session, actor: Actor, user_id: int) -> tuple[User, Target]:
    """The account row if ``actor`` may see it (oneself, or may manage it); otherwise
    :class:`NotFound` with the message of an unknown id."""
    row = session.get(User, user_id)
    if row is None or row.role == Role.SYSTEM.value:
        raise _not_found(user_id)
    target = _account_target(session, row)
    if actor.user_id == row.id or can(actor, Action.MANAGE_ACCOUNT, target):
        return row, target
    raise _not_found(user_id)


def _staff_may_not_invite(session: Session, organisation_id: int) -> bool:
    """Whether the organisation is out of reach of staff invitations: it has an active
    admin, or any of its accounts (deactivated ones included) has ever signed in.

    Before anyone of an organisation has signed in, it holds no answers; after,
    only its own admins add accounts.  Otherwise staff could deactivate its
    admins, invite a "first" admin whose temporary password they hold, and read
    its answers through that account.
    """
    if _has_active_admin(session, organisation_id):
        return True
    signed_in = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.organisation_id == organisation_id, User.last_sign_in_at.is_not(None))
    )
    return bool(signed_in)


def _has_active_admin(session: Session, organisation_id: int) -> bool:
    found = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.organisation_id == organisation_id,
            User.role == Role.ORG_ADMIN.value,
            User.active.is_(True),
        )
    )
    return bool(found)


def _record_about(session: Session, actor: Actor, kind: str, row: User) -> None:
    """An account action, in the trail of the account's organisation (or the staff's)."""
    admin_audit.record(
        session,
        actor,
        kind,
        organisation_id=row.organisation_id,
        subject_user_id=row.id,
        subject_email=row.email,
    )


def _revoke(session: Session, user_id: int, at: datetime) -> int:
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


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
    """Create an account with a chosen password (the operator only: CLI, demo); its id."""
    require(actor, Action.SET_PASSWORD)
    role = Role(role)
    email = _check_new_user(email, role, organisation_id, region)
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    password_hash = hash_password(password)  # slow: outside the write transaction
    try:
        with write_session(engine) as session:
            if organisation_id is not None:
                visible_organisation(session, actor, organisation_id)
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise AccountError(_ACCOUNT_EXISTS)
            row = _new_user(email, password_hash, role, organisation_id, region, temporary=False)
            session.add(row)
            session.flush()
            score_store.bump_roster(session)  # a contact in the participation list
            admin_audit.record(
                session,
                actor,
                "account_created",
                organisation_id=organisation_id,
                subject_user_id=row.id,
                subject_email=email,
                details={"role": role.value, "region": region},
            )
            return row.id
    except IntegrityError as exc:
        raise AccountError(_ACCOUNT_EXISTS) from exc


def _new_user(
    email: str,
    password_hash: str,
    role: Role,
    organisation_id: int | None,
    region: str | None,
    *,
    temporary: bool,
) -> User:
    return User(
        email=email,
        password_hash=password_hash,
        role=role.value,
        organisation_id=organisation_id,
        region=region,
        active=True,
        created_at=utcnow(),
        must_change_password=temporary,
    )


@dataclass(frozen=True, slots=True)
class Invitation:
    """A temporary password to hand to the person (shown once, never stored).

    The person signs in with it and must choose a new password before anything
    else.
    """

    email: str
    temporary_password: str


def invite_user(
    engine: Engine,
    actor: Actor,
    *,
    email: str,
    role: Role | str,
    organisation_id: int | None = None,
    region: str | None = None,
) -> Invitation:
    """Create an account by invitation (temporary password, to replace at first sign-in).

    * an organisation's admin: a member or an admin of that organisation;
    * the national body, or the organisation's chamber: the *first* admin of an
      organisation that has no active admin (never a member, never once it has one);
    * the national body: a chamber's account (``role="regional"``, ``region``)
      or its own staff's (``role="national"``).

    An address that already has an account the actor may not see gives an
    invitation that looks the same and creates nothing (the attempt is in the
    staff's trail); one the actor may see is refused.
    """
    role = Role(role)
    email = _check_new_user(email, role, organisation_id, region)
    temporary = _temporary_password()
    password_hash = hash_password(temporary)  # slow: outside the write transaction
    try:
        with write_session(engine) as session:
            kind = _require_invitation(session, actor, role, organisation_id)
            existing = session.scalar(select(User).where(User.email == email))
            if existing is not None:
                if _may_see(session, actor, existing):
                    raise AccountError(_ACCOUNT_EXISTS)
                _record_invitation(session, actor, kind, organisation_id, None, email, role)
                admin_audit.record(
                    session,
                    actor,
                    "invitation_to_existing_address",
                    subject_user_id=existing.id,
                    subject_email=email,
                    details={"organisation_id": organisation_id, "role": role.value},
                )
                return Invitation(email, _temporary_password())
            row = _new_user(email, password_hash, role, organisation_id, region, temporary=True)
            session.add(row)
            session.flush()
            score_store.bump_roster(session)  # a contact in the participation list
            _record_invitation(session, actor, kind, organisation_id, row.id, email, role, region)
    except IntegrityError as exc:  # the same address invited at the same moment
        raise AccountError(_ACCOUNT_EXISTS) from exc
    return Invitation(email, temporary)


def _require_invitation(
    session: Session, actor: Actor, role: Role, organisation_id: int | None
) -> str:
    """Check that ``actor`` may invite this account; the trail's event kind."""
    if organisation_id is None:
        require(actor, Action.MANAGE_USERS, Target(staff_account=True))
        return "account_invited"
    organisation = visible_organisation(session, actor, organisation_id)
    # two "first" admins invited at once: the second waits, then sees the first
    session.execute(
        select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()
    )
    has_admin = _staff_may_not_invite(session, organisation_id)
    target = organisation_target(organisation, has_admin=has_admin)
    if can(actor, Action.INVITE_MEMBER, target):
        return "account_invited"
    require(actor, Action.INVITE_FIRST_ADMIN, target)
    if role is not Role.ORG_ADMIN:
        raise PermissionDenied(
            actor,
            Action.INVITE_FIRST_ADMIN,
            "Vous ne pouvez inviter que le premier référent de l'auto-évaluation de "
            "l'organisation : c'est lui qui invitera ensuite les autres personnes.",
        )
    return "first_admin_invited"


def _may_see(session: Session, actor: Actor, row: User) -> bool:
    try:
        _visible_user(session, actor, row.id)
    except NotFound:
        return False
    return True


def _record_invitation(
    session: Session,
    actor: Actor,
    kind: str,
    organisation_id: int | None,
    user_id: int | None,
    email: str,
    role: Role,
    region: str | None = None,
) -> None:
    details: dict[str, Any] = {"role": role.value}
    if region is not None:
        details["region"] = region
    admin_audit.record(
        session,
        actor,
        kind,
        organisation_id=organisation_id,
        subject_user_id=user_id,
        subject_email=email,
        details=details,
    )


def issue_reset(engine: Engine, actor: Actor, user_id: int) -> Invitation:
    """A new temporary password for an account, which its user must replace at sign-in.

    Its sessions end.  An organisation's accounts are reset by its admins; the
    chambers' and the national staff's by the national body.  Staff never
    reset an organisation's account: the temporary password would open it.
    """
    temporary = _temporary_password()
    password_hash = hash_password(temporary)
    with write_session(engine) as session:
        row, target = _visible_user(session, actor, user_id)
        if row.id == actor.user_id:
            raise AccountError("Changez votre propre mot de passe dans « Mon compte ».")
        require(actor, Action.RESET_ACCOUNT, target)
        row.password_hash = password_hash
        row.must_change_password = True
        _revoke(session, row.id, utcnow())
        _record_about(session, actor, "account_reset", row)
        return Invitation(row.email, temporary)


def list_users(
    engine: Engine,
    actor: Actor,
    *,
    organisation_id: int | None = None,
    staff_only: bool = False,
) -> list[UserInfo]:
    """Every account (national body), only the staff's (``staff_only``), or one
    organisation's (also its admins and its chamber)."""
    query = select(User).order_by(User.email)
    with read_session(engine) as session:
        if organisation_id is None:
            require(actor, Action.MANAGE_USERS)
            if staff_only:
                query = query.where(User.role.in_([r.value for r in STAFF_ROLES]))
        else:
            organisation = visible_organisation(session, actor, organisation_id)
            require(actor, Action.MANAGE_ACCOUNT, organisation_target(organisation))
            query = query.where(User.organisation_id == organisation_id)
        return [_user_info(row) for row in session.scalars(query)]


def organisation_has_admin(engine: Engine, actor: Actor, organisation_id: int) -> bool:
    """Whether the organisation has an active admin (who then invites its members), or
    has ever had an account signed in: then staff invite nobody into it."""
    with read_session(engine) as session:
        visible_organisation(session, actor, organisation_id)
        return _staff_may_not_invite(session, organisation_id)


def set_user_active(engine: Engine, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (its sessions end at once) or reactivate an account.

    The national body: any account; a chamber: its region's organisations'
    accounts; an organisation's admins: its accounts.
    """
    with write_session(engine) as session:
        row, target = _visible_user(session, actor, user_id)
        require(actor, Action.MANAGE_ACCOUNT, target)
        if actor.user_id == user_id and not active:
            raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
        if row.active == active:
            return
        row.active = active
        session.flush()
        score_store.bump_roster(session)  # a contact in the participation list
        if not active:
            _revoke(session, row.id, utcnow())
        _record_about(
            session, actor, "account_reactivated" if active else "account_deactivated", row
        )


def change_password(
    engine: Engine,
    actor: Actor,
    user_id: int,
    *,
    new_password: str,
    current_password: str,
) -> None:
    """Set one's own new password, giving the current (or temporary) one.

    Nobody sets another account's password (see :func:`issue_reset`).  Every
    web session of the account ends; replacing a temporary password lifts
    ``must_change_password``.
    """
    if actor.user_id is None or actor.user_id != user_id:
        require(actor, Action.SET_PASSWORD)  # refused to every signed-in user
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem)
    with read_session(engine) as session:
        row = session.get(User, user_id)
        if row is None:
            raise _not_found(user_id)
        current_hash = row.password_hash
    if not verify_password(current_hash, current_password):
        raise AccountError("Le mot de passe actuel est incorrect.")
    if new_password == current_password:
        raise AccountError("Choisissez un mot de passe différent de l'actuel.")
    new_hash = hash_password(new_password)
    with write_session(engine) as session:
        row = session.get(User, user_id)
        if row is None or row.password_hash != current_hash:
            raise AccountError("Le mot de passe vient d'être changé : reconnectez-vous.")
        was_temporary = row.must_change_password
        row.password_hash = new_hash
        row.must_change_password = False
        _revoke(session, row.id, utcnow())
        _record_about(
            session,
            actor,
            "temporary_password_replaced" if was_temporary else "password_changed",
            row,
        )


def staff_trail(engine: Engine, actor: Actor, *, limit: int = 200) -> list[AdminEventInfo]:
    """The trail of the staff's accounts (national body), latest first."""
    require(actor, Action.MANAGE_USERS)
    with read_session(engine) as session:
        return admin_audit.events(session, organisation_id=None, limit=limit)


# ---------------------------------------------------------------------------
# sign-in
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How failed sign-ins slow further attempts down (OWASP authentication guidance).

    Four counters, each counting the failures of a ``window`` (then starting
    again): one address from one client, one address from every client, one
    client on every address (password spraying from one place), and every
    attempt (distributed spraying).  Past a counter's allowance, each failure
    makes the attempts it covers wait an exponentially growing delay (from
    ``first_delay``, capped at ``max_delay``): nothing is refused for longer.
    A client that signed in to an address (within ``trust_for``) is held only
    to its own (address, client) counter, so an attacker hammering an address
    elsewhere slows down only themselves.  Attempts made while waiting are
    refused without checking the password and do not lengthen the wait.
    """

    free_failures: int = 5
    """Per address and client."""
    address_free_failures: int = 20
    """Per address, from clients that never signed in to it."""
    client_free_failures: int = 30
    """Per client, across addresses."""
    global_free_failures: int = 300
    """Everything, across addresses and clients."""
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(hours=1)
    """Failures older than this (counted from a counter's first) no longer count."""
    trust_for: timedelta = timedelta(days=30)

    def delay(self, failures: int, free: int | None = None) -> timedelta:
        """The wait after the ``failures``-th failure of a counter allowing ``free``."""
        free = self.free_failures if free is None else free
        if failures < free:
            return timedelta(0)
        factor = 2 ** min(failures - free, 20)
        return min(self.first_delay * factor, self.max_delay)


DEFAULT_THROTTLE = ThrottlePolicy()
_THROTTLE = cast(Table, SignInThrottle.__table__)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Counters:
    """The four counter keys of one attempt (addresses and clients stored hashed)."""

    pair: str
    address: str
    client: str
    everything: str = "*"

    @classmethod
    def of(cls, address: str, client: str) -> _Counters:
        return cls(
            pair=f"p:{_digest(address + chr(0) + client)}",
            address=f"a:{_digest(address)}",
            client=f"c:{_digest(client)}",
        )

    def keys(self) -> list[str]:
        return sorted((self.pair, self.address, self.client, self.everything))

    def allowance(self, key: str, policy: ThrottlePolicy) -> int:
        if key == self.pair:
            return policy.free_failures
        if key == self.address:
            return policy.address_free_failures
        if key == self.client:
            return policy.client_free_failures
        return policy.global_free_failures


def normalise_client(client: str | None) -> str:
    """The client's address as counted (``local`` when unknown)."""
    value = (client or "").strip()[:CLIENT_MAX_LENGTH]
    return value or LOCAL_CLIENT


def _insert_missing(conn: Connection, keys: Sequence[str], at: datetime) -> None:
    rows = [{"key": key, "window_start": at, "failures": 0, "attempts": 0} for key in keys]
    table = _THROTTLE
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    else:
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)


def _reserve(
    engine: Engine, counters: _Counters, at: datetime, policy: ThrottlePolicy
) -> timedelta | None:
    """Check and count one attempt atomically; the wait if it must wait, else ``None``.

    In one transaction the four counter rows are locked (``SELECT … FOR
    UPDATE`` on PostgreSQL, in key order; SQLite's ``BEGIN IMMEDIATE`` takes
    the write lock), the attempt is counted, and when it may go on it is
    counted as a failure *before* the password is checked (success gives it
    back): concurrent attempts never see a stale count.
    """
    table = _THROTTLE
    keys = counters.keys()
    with write_connection(engine) as conn:
        _insert_missing(conn, keys, at)
        rows = {
            row.key: row
            for row in conn.execute(
                select(table).where(table.c.key.in_(keys)).order_by(table.c.key).with_for_update()
            )
        }
        trusted = (until := rows[counters.pair].trusted_until) is not None and until > at
        applies = [counters.pair] if trusted else keys
        values: dict[str, dict[str, Any]] = {}
        for key in keys:
            row = rows[key]
            fresh = at - row.window_start >= policy.window
            values[key] = {
                "window_start": at if fresh else row.window_start,
                "failures": 0 if fresh else row.failures,
                "attempts": 1 if fresh else row.attempts + 1,
                "blocked_until": row.blocked_until,
            }
        waits = [
            until - at
            for key in applies
            if (until := values[key]["blocked_until"]) is not None and until > at
        ]
        if not waits:
            for key in keys:
                failures = values[key]["failures"] + 1
                delay = policy.delay(failures, counters.allowance(key, policy))
                values[key]["failures"] = failures
                if delay:
                    values[key]["blocked_until"] = at + delay
        for key in keys:
            conn.execute(update(table).where(table.c.key == key).values(**values[key]))
    return max(waits) if waits else None


def _succeeded(session: Session, counters: _Counters, at: datetime, policy: ThrottlePolicy) -> None:
    """The reserved failure was a success: forget the pair's failures, trust the client."""
    table = _THROTTLE
    # lock in key order, as :func:`_reserve` does, so the two never deadlock
    session.execute(
        select(table.c.key)
        .where(table.c.key.in_(counters.keys()))
        .order_by(table.c.key)
        .with_for_update()
    )
    session.execute(
        update(table)
        .where(table.c.key == counters.pair)
        .values(failures=0, blocked_until=None, trusted_until=at + policy.trust_for)
    )
    session.execute(
        update(table)
        .where(
            table.c.key.in_([counters.address, counters.client, counters.everything]),
            table.c.failures > 0,
        )
        .values(failures=table.c.failures - 1)
    )


def authenticate(
    engine: Engine,
    email: str,
    password: str,
    *,
    client: str | None = None,
    now: Clock = utcnow,
    policy: ThrottlePolicy = DEFAULT_THROTTLE,
) -> Actor:
    """The actor for these credentials, or :class:`SignInError`.

    ``client`` is the address the attempt comes from (the web page gives the
    connection's IP address).  The same message whether the address is
    unknown, the password wrong or the account deactivated;
    :class:`SignInThrottled` while this attempt must wait (see
    :class:`ThrottlePolicy`), without checking the password.  An actor whose
    password is temporary comes back with ``must_change_password``.
    """
    address = normalise_email(email, SignInError)
    clean_text(password, "Mot de passe", PASSWORD, error=SignInError)
    counters = _Counters.of(address, normalise_client(client))
    wait = _reserve(engine, counters, now(), policy)
    if wait is not None:
        raise SignInThrottled(wait)
    user = None
    if _plausible_email(address):
        with read_session(engine) as session:
            user = session.scalar(select(User).where(User.email == address))
    if user is None:
        _verify_unknown(password)
        raise SignInError()
    if not (verify_password(user.password_hash, password) and user.active):
        raise SignInError()
    rehash = password_hasher.check_needs_rehash(user.password_hash)
    new_hash = hash_password(password) if rehash else None
    at = now()
    with write_session(engine) as session:
        changes: dict[str, Any] = {"last_sign_in_at": at}
        if new_hash is not None:
            changes["password_hash"] = new_hash
        session.execute(update(User).where(User.id == user.id).values(**changes))
        _succeeded(session, counters, at, policy)
    return _actor_of(user)


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
    """End every open web session of a user (oneself, or who may manage the account)."""
    with write_session(engine) as session:
        row, target = _visible_user(session, actor, user_id)
        if actor.user_id != row.id:
            require(actor, Action.MANAGE_ACCOUNT, target)
        return _revoke(session, row.id, now())


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


def purge_sign_in_throttle(
    engine: Engine, *, now: Clock = utcnow, policy: ThrottlePolicy = DEFAULT_THROTTLE
) -> int:
    """Housekeeping: delete throttle counters that no longer count (window over, no block,
    no trust left)."""
    at = now()
    with write_session(engine) as session:
        result = session.execute(
            delete(SignInThrottle).where(
                SignInThrottle.window_start < at - policy.window,
                or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until < at),
                or_(SignInThrottle.trusted_until.is_(None), SignInThrottle.trusted_until < at),
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

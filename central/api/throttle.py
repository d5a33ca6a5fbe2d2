"""Login throttling, by user name and by client address, kept in the database (every worker sees it).

Each key (``user:<name>``, ``addr:<ip>``) has a budget of attempts per minute; after a few failures in
a row each further attempt waits twice as long as the last (up to a minute); a user name with
``USER.lock_after`` failures in a row is locked until an admin unlocks it. An address is never locked: a
whole campus may sit behind one address, and locking it would lock everyone out. A refused attempt
is not checked against the password at all, so it costs the attacker a request and us nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from central.models.base import utc
from central.models.users import LoginThrottle


@dataclass(frozen=True, slots=True)
class Budget:
    """How many attempts a key gets: per minute, failures in a row before delays, before a lock."""

    per_minute: int
    free_failures: int
    lock_after: int | None  # None: never locked


# a user name is one person; an address may be a whole office behind NAT, so it gets more room
USER = Budget(per_minute=10, free_failures=3, lock_after=10)
ADDRESS = Budget(per_minute=60, free_failures=20, lock_after=None)
MAX_DELAY_S = 60


def _budget(key: str) -> Budget:
    return USER if key.startswith("user:") else ADDRESS


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an attempt is not even checked: wait ``retry_after_s``, or ``locked`` until an admin unlocks."""

    retry_after_s: int
    locked: bool = False


def keys_of(username: str, address: str | None) -> list[str]:
    """The throttle keys of one attempt."""
    keys = [f"user:{username.strip().lower()[:150]}"]
    if address:
        keys.append(f"addr:{address[:150]}")
    return keys


def check(engine: Engine, keys: list[str], now: datetime) -> Refusal | None:
    """Whether an attempt may go ahead now; counts it against the per-minute budget if so."""
    now = utc(now)
    with Session(engine) as session:
        rows = [_row(session, key, now) for key in keys]
        worst: Refusal | None = None
        for row in rows:
            refusal = _refusal(row, now)
            if refusal is not None and (
                worst is None or refusal.locked or refusal.retry_after_s > worst.retry_after_s
            ):
                worst = refusal
        if worst is None:
            for row in rows:
                row.window_attempts += 1
                session.add(row)
        _commit(session)
    return worst


def record(engine: Engine, keys: list[str], ok: bool, now: datetime) -> None:
    """Record an attempt's outcome: a success clears the failures, a failure delays or locks."""
    now = utc(now)
    with Session(engine) as session:
        for key in keys:
            row = _row(session, key, now)
            if ok:
                row.failures, row.blocked_until = 0, None
            else:
                budget = _budget(key)
                row.failures += 1
                if row.failures >= budget.free_failures:  # 1 s, 2 s, 4 s, ... up to a minute
                    delay = min(MAX_DELAY_S, 2 ** min(row.failures - budget.free_failures, 6))
                    row.blocked_until = now + timedelta(seconds=delay)
                if budget.lock_after is not None and row.failures >= budget.lock_after:
                    row.locked = True
            session.add(row)
        _commit(session)


def unlock(session: Session, username: str) -> bool:
    """Clear a user name's failures and lock (an admin's act); whether there was anything to clear."""
    row = session.get(LoginThrottle, keys_of(username, None)[0])
    if row is None:
        return False
    session.delete(row)
    return True


def _row(session: Session, key: str, now: datetime) -> LoginThrottle:
    row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).first()
    if row is None:
        row = LoginThrottle(key=key, window_start=now)
    if now - utc(row.window_start) >= timedelta(minutes=1):
        row.window_start, row.window_attempts = now, 0
    return row


def _refusal(row: LoginThrottle, now: datetime) -> Refusal | None:
    if row.locked:
        return Refusal(retry_after_s=3600, locked=True)
    waits = []
    if row.blocked_until is not None and utc(row.blocked_until) > now:
        waits.append((utc(row.blocked_until) - now).total_seconds())
    if row.window_attempts >= _budget(row.key).per_minute:
        waits.append((utc(row.window_start) + timedelta(minutes=1) - now).total_seconds())
    return Refusal(retry_after_s=max(1, math.ceil(max(waits)))) if waits else None


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:
        # another worker inserted the same key at the same moment: its count stands, ours is dropped
        session.rollback()

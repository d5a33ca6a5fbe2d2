"""A pass's window as the office gives it and as it is stored.

A bare date is a whole local day of the pass's campus: ``valid_from``'s date is the first valid
day, ``valid_until``'s the last (the pass works through it, and is stored as ending at the next
local midnight, the exclusive end the gates compare with). A date and time without an offset is
UTC, the database's base. The same reading for the API and the console.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator

from central.models.base import not_a_number, utc, within
from gatecore.tokens import EARLIEST, LATEST

_BARE_DAY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def parse_day(text: str) -> date:
    """A day typed as YYYY-MM-DD, or ValueError in the words the office reads for an import's bad
    date (the catalogue has them), never Python's "Invalid isoformat string"."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"bad date {text.strip()!r} (use YYYY-MM-DD)") from None


def _day_or_instant(value: object) -> object:
    # pydantic reads "2026-12-31" as a datetime in Python mode and as a date from JSON: one reading
    if isinstance(value, str) and _BARE_DAY.fullmatch(value):
        return parse_day(value)  # 2026-02-30 too
    return not_a_number(value)


# a pass's bound: an instant, or a bare date (a whole local day of the campus)
Bound = Annotated[datetime | date, BeforeValidator(_day_or_instant)]


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) the local ``day`` begins in ``tz``."""
    return datetime.combine(day, time(), tz).astimezone(UTC)


def instant(bound: datetime | date, tz: ZoneInfo, *, end: bool) -> datetime:
    """A bound as stored: a bare date's local midnight in ``tz`` (the next one for an ``end``, since
    that date is the last valid day); a date and time as given, UTC when it has no offset."""
    if isinstance(bound, datetime):
        return utc(bound)
    return day_start(bound + timedelta(days=1) if end else bound, tz)


def local_days(tz: ZoneInfo) -> tuple[date, date]:
    """The first and last local day of ``tz`` a pass can be valid on, given as bare dates: the first
    whose midnight the token can carry, the last whose end (the next midnight) it can; in Beijing
    1970-01-02 to 2106-02-06 (its 1970-01-01 began before the epoch)."""
    first, last = EARLIEST.astimezone(tz).date(), LATEST.astimezone(tz).date()
    if not within(day_start(first, tz), EARLIEST, LATEST):  # the token's 32-bit seconds from 1970
        first += timedelta(days=1)
    if not within(day_start(last + timedelta(days=1), tz), EARLIEST, LATEST):
        last -= timedelta(days=1)
    return first, last


def _instant_problem(name: str, bound: datetime) -> str | None:
    if within(bound, EARLIEST, LATEST):
        return None
    return f"{name} must lie between {EARLIEST:%Y-%m-%d %H:%M:%S} and {LATEST:%Y-%m-%d %H:%M:%S} UTC"


def window_in(
    tz: ZoneInfo, valid_from: datetime | date, valid_until: datetime | date
) -> tuple[datetime, datetime]:
    """The stored (start, exclusive end) of a window given in the campus's zone ``tz``; ValueError
    saying what is wrong: it must not end before it starts, and must fit the token's timestamps, or
    its QR, card and sheet cannot be made. A refused bare date is told the days ``tz`` allows."""
    bounds = []
    for name, bound, end in (("valid_from", valid_from, False), ("valid_until", valid_until, True)):
        if isinstance(bound, datetime):
            if problem := _instant_problem(name, bound):
                raise ValueError(problem)
        else:
            first, last = local_days(tz)
            if not first <= bound <= last:
                raise ValueError(f"{name} must lie between {first} and {last}")
        bounds.append(instant(bound, tz, end=end))
    if bounds[1] <= bounds[0]:
        raise ValueError("valid_until is not after valid_from")
    return bounds[0], bounds[1]


def check_window(valid_from: datetime | date, valid_until: datetime | date) -> None:
    """What a request's schema can check before its campus is known (ValueError): an instant's range,
    and the order of two bounds of one kind. A bare date's range and a mixed pair's order depend on
    the campus's zone: ``window_in`` checks them when the pass is issued."""
    for name, bound in (("valid_from", valid_from), ("valid_until", valid_until)):
        if isinstance(bound, datetime) and (problem := _instant_problem(name, bound)):
            raise ValueError(problem)
    if isinstance(valid_from, datetime) and isinstance(valid_until, datetime):
        if utc(valid_until) <= utc(valid_from):
            raise ValueError("valid_until is not after valid_from")
    elif not isinstance(valid_from, datetime) and not isinstance(valid_until, datetime):
        if valid_until < valid_from:  # a bare valid_until is the last valid day: the same day is one day
            raise ValueError("valid_until is not after valid_from")

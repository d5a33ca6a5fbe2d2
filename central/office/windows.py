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

from central.models.base import utc
from gatecore.tokens import EARLIEST, LATEST

_BARE_DAY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def _day_or_instant(value: object) -> object:
    # pydantic reads "2026-12-31" as a datetime in Python mode and as a date from JSON: one reading
    if isinstance(value, str) and _BARE_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:  # 2026-02-30: the words the office already reads for an import's bad date
            raise ValueError(f"bad date {value.strip()!r} (use YYYY-MM-DD)") from None
    return value


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


def window_in(
    tz: ZoneInfo, valid_from: datetime | date, valid_until: datetime | date
) -> tuple[datetime, datetime]:
    """The stored (start, exclusive end) of a window given in the campus's zone ``tz``; ValueError
    saying what is wrong: it must not end before it starts, and must fit the token's timestamps, or
    its QR, card and sheet cannot be made."""
    bounds = []
    for name, bound, end in (("valid_from", valid_from, False), ("valid_until", valid_until, True)):
        try:
            at = instant(bound, tz, end=end)
        except OverflowError:  # the day after 9999-12-31, a midnight before year 1
            at = None
        if at is None or not EARLIEST <= at <= LATEST:
            raise ValueError(f"{name} must lie between {EARLIEST.date()} and {LATEST.date()}")
        bounds.append(at)
    if bounds[1] <= bounds[0]:
        raise ValueError("valid_until is not after valid_from")
    return bounds[0], bounds[1]

"""A pass's days as a person reads them where the clocks go forward at midnight (Chile, Lebanon, Cuba):
the day then begins at 01:00, and a whole-day pass still prints its first and last day, not a time."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from central.office.passcards import at_local_midnight, printed_from, printed_until
from central.office.windows import window_in


@pytest.mark.parametrize(
    ("zone", "spring"),
    [
        ("America/Santiago", date(2026, 9, 6)),  # 2026-09-06 00:00 does not exist: the day begins 01:00
        ("Asia/Beirut", date(2026, 3, 29)),
        ("America/Havana", date(2026, 3, 8)),
    ],
)
def test_a_whole_day_pass_prints_its_days_where_a_day_begins_at_one(zone: str, spring: date) -> None:
    tz = ZoneInfo(zone)
    before, eve = spring - timedelta(days=3), spring - timedelta(days=1)
    start, end = window_in(tz, before, eve)  # through the day before the change
    # it printed "有效期至 2026-09-06 01:00" where the card means the whole of 2026-09-05
    assert (printed_from(start, tz), printed_until(end, tz)) == (before.isoformat(), eve.isoformat())
    assert at_local_midnight(end, tz)  # the phone page's "（含当天）": valid through all of it
    start, end = window_in(tz, spring, spring)  # one day: the day the clocks change
    # it printed "2026-09-06 01:00 – 2026-09-07" (a time, as for a pass starting part-way through)
    assert (printed_from(start, tz), printed_until(end, tz)) == (spring.isoformat(), spring.isoformat())

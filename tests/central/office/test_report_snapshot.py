"""A report's counts and its log mark come from one view of the database on PostgreSQL: a batch of its
window that commits while the report is being counted (after the mark is read, or between two counts)
is counted by none of its figures and named by ``arrived_after``, never counted by some and not others,
nor counted and named as arrived after it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from central.models.db import session_scope
from central.office import reports
from central.office.keys import KeyRing
from tests.central.conftest import NOW, World, build_world
from tests.central.office.test_reports import DAY

MADE = NOW + timedelta(hours=5)  # 15:00 local, the office window's end
# the statement after which another worker commits its batch: the mark's, or the fevers' count
AFTER = {"the mark": "SELECT max(entry_event.seq)", "the fevers' count": "FROM fever_alert"}


def _commit_during_report(engine: Engine, world: World, after: str) -> None:
    """Once the report's statement ``after`` has run, a worker commits a fever scan of the window (its
    log row, alert and incident, in one transaction), received a second before the report's instant."""
    pending = [world.scan("staff", celsius=38.5, at=NOW + timedelta(minutes=5))]

    def commit_batch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if pending and after in statement:
            assert world.service.handle(*pending.pop(), MADE - timedelta(seconds=1))

    event.listen(engine, "after_cursor_execute", commit_batch)


@pytest.mark.parametrize("after", AFTER.values(), ids=AFTER.keys())
def test_a_batch_committed_while_a_report_counts_is_in_none_of_its_counts_and_named(
    pg_engine: Engine, keyring: KeyRing, after: str
) -> None:
    world = build_world(pg_engine, keyring)
    assert world.service.handle(*world.scan("zhang", at=NOW), NOW)
    _commit_during_report(pg_engine, world, after)
    with session_scope(pg_engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, MADE)
    c = report.content
    counted = (c["scans"], c["fevers"], c["incidents"], len(c["cases"]), c["per_gate"][0]["scans"])
    assert counted == (1, 0, 0, 0, 1)
    with session_scope(pg_engine) as s:
        assert reports.arrived_after(s, [report]) == {report.id: 1}
        fixed = reports.correct(s, report.id or 0, by="security", at=MADE, note="补录")
        c = fixed.content
        assert (c["scans"], c["fevers"], c["incidents"], len(c["cases"])) == (2, 1, 1, 1)
        assert reports.arrived_after(s, [report, fixed]) == {}

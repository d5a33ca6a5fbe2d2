"""A report names the rows of its window logged after it was made, by the entry log's numbers: a batch
received before the report's instant but committed after it is named too; a report made before the
numbers were kept still names what came after it by receive time. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select
from sqlmodel import Session

from central import migrations
from central.models.db import make_engine, session_scope
from central.models.reports import DailyReport
from central.office import reports
from central.office.keys import KeyRing
from tests.central.conftest import NOW, World, build_world
from tests.central.office.test_reports import DAY

MADE = NOW + timedelta(hours=5)  # 15:00 local, the office window's end


@pytest.fixture(params=["sqlite", "postgresql"])
def any_world(request: pytest.FixtureRequest, keyring: KeyRing) -> World:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    return build_world(engine, keyring)


def test_a_batch_received_before_the_report_but_logged_after_it_is_named(any_world: World) -> None:
    """The worker received the scans at 14:59:59 and committed them once the 15:00 report had counted:
    by receive time they came before the report, yet it never counted them."""
    world = any_world
    assert world.service.handle(*world.scan("zhang", at=NOW), NOW)
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, MADE)
    assert report.content["scans"] == 1 and report.log_seq is not None
    received = MADE - timedelta(seconds=1)
    assert world.service.handle(*world.scan("li", at=NOW + timedelta(minutes=1)), received)
    assert world.service.handle(*world.scan("wang", at=NOW + timedelta(minutes=2)), received)
    with session_scope(world.engine) as s:
        assert reports.arrived_after(s, [report]) == {report.id: 2}
        fixed = reports.correct(s, report.id or 0, by="security", at=MADE, note="补录")
        assert fixed.content["scans"] == 3
        assert reports.arrived_after(s, [report, fixed]) == {}


def test_a_report_made_before_the_log_mark_was_kept_still_names_late_rows(
    tmp_path: Path, keyring: KeyRing
) -> None:
    """A database at revision 0008 holds a report (no log mark); after the upgrade the rows received
    after it was made are still named, by receive time, as before."""
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    migrations.upgrade(engine, "0008")
    world = build_world(engine, keyring)
    assert world.service.handle(*world.scan("zhang", at=NOW), NOW)
    old = MetaData()
    old.reflect(engine, only=["daily_report"])
    table = old.tables["daily_report"]
    start, end = reports.period(DAY, reports.DEFAULT_TIMES[reports.OFFICE], "Asia/Shanghai")
    values = {  # the row the code of revision 0008 wrote (naive UTC, as the columns store instants)
        "campus_id": world.campus_id,
        "day": DAY,
        "kind": reports.OFFICE,
        "version": 1,
        "period_start": start.replace(tzinfo=None),
        "period_end": end.replace(tzinfo=None),
        "made_at": MADE.replace(tzinfo=None),
        "late": False,
        "zero": True,
        "content_json": json.dumps({"scans": 1}),
        "content_hash": "",
    }
    with engine.begin() as c:
        report_id = c.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()
    assert world.service.handle(*world.scan("li", at=NOW + timedelta(minutes=1)), MADE + timedelta(hours=1))
    migrations.upgrade(engine)
    with Session(engine) as s:
        assert s.execute(select(DailyReport.log_seq).where(DailyReport.id == report_id)).scalar_one() is None
        report = s.get(DailyReport, report_id)
        assert report is not None and reports.arrived_after(s, [report]) == {report_id: 1}
    engine.dispose()

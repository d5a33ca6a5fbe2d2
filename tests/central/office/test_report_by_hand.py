"""A report made by hand: only for a day up to the campus's today (and not absurdly early), and it never
stops the scheduler, which makes the whole report of each day at its due time (不迟报、不漏报). One
campus's failing reports stop neither the other campuses' nor the audit checkpoint. A correction
needs a note, in the API as in the console."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from central.audit import checkpoints as audit_checkpoints
from central.models.db import session_scope
from central.models.reports import DailyReport
from central.office import registry, reports, scheduler
from central.office.errors import Invalid
from central.office.scheduler import Scheduler, make_due_reports
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client
from tests.central.office.test_reports import DAY, _scenario

DUE = datetime(2026, 11, 23, 7, 1, tzinfo=UTC)  # 15:01 in Asia/Shanghai, the office report's time


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def _rows(world: World, campus_id: int | None = None) -> list[DailyReport]:
    with session_scope(world.engine) as s:
        stmt = select(DailyReport).where(DailyReport.campus_id == (campus_id or world.campus_id))
        return list(s.exec(stmt.order_by(DailyReport.id)))  # type: ignore[arg-type]


def _by_hand(world: World, day: date | None, now: datetime = NOW) -> DailyReport:
    with session_scope(world.engine) as s:
        return reports.make_by_hand(s, world.campus_id, day, now, by="security")


@pytest.mark.parametrize(
    "day", [date(2026, 11, 24), date(2027, 11, 30), date(9999, 12, 31), date(1, 1, 1), date(2025, 11, 21)]
)
def test_a_report_by_hand_is_for_the_campus_today_at_the_latest_and_not_absurdly_early(
    world: World, day: date
) -> None:
    with pytest.raises(Invalid) as refused:
        _by_hand(world, day)
    assert refused.value.status == 422
    assert "from 2025-11-22 to 2026-11-23 (today on the campus)" in refused.value.message
    assert _rows(world) == []


def test_a_report_by_hand_takes_the_campus_own_today(world: World) -> None:
    world.set_zone("Europe/London")
    evening = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # already the 24th in Shanghai, the office's clock
    assert _by_hand(world, None, evening).day == DAY
    with pytest.raises(Invalid):
        _by_hand(world, DAY + timedelta(days=1), evening)
    assert _by_hand(world, DAY - timedelta(days=366), evening).version == 1  # a year back: allowed


def test_a_report_made_by_hand_before_the_due_time_does_not_stop_the_scheduled_one(world: World) -> None:
    early = _by_hand(world, DAY)  # 10:00: counts the period only so far
    _scenario(world)
    assert make_due_reports(world.engine, NOW + timedelta(hours=4)) == []  # 14:00: nothing due yet
    made = make_due_reports(world.engine, DUE)
    office = [r for r in _rows(world) if r.kind == reports.OFFICE]
    assert [r.id for r in office if r.id in made] == [office[-1].id]
    whole = office[-1]
    assert (whole.day, whole.version, whole.supersedes_id, whole.late) == (DAY, 2, early.id, False)
    assert whole.content["entries"] > early.content["entries"] == 0
    assert make_due_reports(world.engine, DUE + timedelta(minutes=1)) == []  # made once


def test_a_report_made_by_hand_after_the_due_time_counts_as_the_day(world: World) -> None:
    _by_hand(world, DAY, DUE)
    made = make_due_reports(world.engine, DUE)
    assert [r.kind for r in _rows(world) if r.id in made] == [reports.UNIT]


def test_a_report_made_by_hand_for_a_past_day_owes_nothing_for_the_days_between(world: World) -> None:
    """A new campus's first report is made by hand for a day long past: the scheduler was not there on
    the days between, and files no late reports for them; it makes the day's own report when due."""
    _by_hand(world, DAY - timedelta(days=300), DUE)
    made = make_due_reports(world.engine, DUE + timedelta(minutes=1))
    kinds = sorted((r.day, r.kind) for r in _rows(world) if r.id in made)
    assert kinds == [(DAY, reports.OFFICE), (DAY, reports.UNIT)]


def _made_before_the_fix(world: World, day: date) -> None:
    """A report for a day ahead, as make-now stored them before its day was checked."""
    with session_scope(world.engine) as s:
        reports.make_report(s, world.campus_id, day, reports.OFFICE, NOW)


@pytest.mark.parametrize("ahead", [date(2027, 11, 30), date(9999, 12, 31)])
def test_a_report_stored_for_a_day_ahead_stops_no_report(world: World, tmp_path: Path, ahead: date) -> None:
    with session_scope(world.engine) as s:  # yesterday's reports were made
        for kind in (reports.OFFICE, reports.UNIT):
            reports.make_report(s, world.campus_id, DAY - timedelta(days=1), kind, DUE - timedelta(days=1))
    _made_before_the_fix(world, ahead)
    _scenario(world)
    Scheduler(world.engine, tmp_path).tick(DUE, monotonic=100.0)
    today = sorted((r.kind, r.late) for r in _rows(world) if r.day == DAY)
    assert today == [(reports.OFFICE, False), (reports.UNIT, True)]
    assert audit_checkpoints.read(audit_checkpoints.default_path(tmp_path))


def test_one_campus_failing_stops_neither_the_others_nor_the_checkpoint(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with session_scope(world.engine) as s:
        broken = registry.add_campus(s, code="c-broken", name_zh="坏校区", name_en="Broken").id
        # both campuses made reports yesterday, so both owe today's
        for campus_id in (broken, world.campus_id):
            assert campus_id is not None
            for kind in (reports.OFFICE, reports.UNIT):
                reports.make_report(s, campus_id, DAY - timedelta(days=1), kind, DUE - timedelta(days=1))
    real = reports.make_report

    def make_report(session, campus_id, *args, **kw):  # type: ignore[no-untyped-def]
        if campus_id == broken:
            raise OverflowError("date value out of range")
        return real(session, campus_id, *args, **kw)

    monkeypatch.setattr(scheduler, "make_report", make_report)
    _scenario(world)
    Scheduler(world.engine, tmp_path).tick(DUE, monotonic=100.0)
    assert sorted(r.kind for r in _rows(world) if r.day == DAY) == [reports.OFFICE, reports.UNIT]
    assert [r.day for r in _rows(world, broken)] == [DAY - timedelta(days=1)] * 2
    assert audit_checkpoints.read(audit_checkpoints.default_path(tmp_path))
    assert f"campus {broken}: office reports not made" in caplog.text


def _campus_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "future"])
def test_the_console_refuses_a_day_ahead_or_absurdly_early(c: Client, world: World, day: str) -> None:
    if day == "future":
        day = (_campus_today() + timedelta(days=2)).isoformat()
    c.log_in("security", page="/console/reports")
    r = c.form("/console/reports", {"campus_id": str(world.campus_id), "day": day})
    assert r.status_code == 422, r.text
    assert "（本校区今天）之间的日期生成报告" in r.text and "(today on the campus)" in r.text
    assert _rows(world) == []


def test_the_console_makes_the_campus_today_by_default(c: Client, world: World) -> None:
    c.log_in("security", page="/console/reports")
    page = c.http.get(f"/console/reports?campus_id={world.campus_id}").text
    today = _campus_today().isoformat()
    assert f'value="{today}" max="{today}"' in page
    r = c.form("/console/reports", {"campus_id": str(world.campus_id), "day": ""}, follow_redirects=False)
    assert r.status_code == 303
    assert [(r.day.isoformat(), r.kind) for r in _rows(world)] == [(today, reports.OFFICE)]


@pytest.mark.parametrize("note", ["", "   ", "\u3000", "\u200b", "\u2060\ufeff"])
def test_a_correction_needs_a_note_in_the_api(c: Client, world: World, note: str) -> None:
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, DUE)
    r = c.call("POST", f"/api/v1/reports/{report.id}/corrections", json={"note": note})
    assert r.status_code == 422, r.text
    assert (r.json()["msg_zh"], r.json()["msg_en"]) == ("更正须填写说明", "a correction needs a note")
    assert len(_rows(world)) == 1


def test_a_correction_needs_a_note_in_the_console(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, DUE)
    c.log_in("security", page="/console/reports")
    r = c.form(f"/console/reports/{report.id}/correct", {"note": "   "})
    assert r.status_code == 422 and "更正须填写说明" in r.text and "a correction needs a note" in r.text
    r = c.form(f"/console/reports/{report.id}/correct", {"note": "补录离线数据"}, follow_redirects=False)
    assert r.status_code == 303 and [x.version for x in _rows(world)] == [1, 2]


def test_report_due_asks_day_by_day() -> None:
    from datetime import time

    from central.office.scheduler import report_due

    made = {date(2026, 11, d) for d in (18, 19, 21)}  # the 20th's and today's only counted part of the day
    due = report_due(DUE, made, date(2026, 11, 18), time(15, 0), "Asia/Shanghai")
    assert due == [(date(2026, 11, 20), True), (date(2026, 11, 22), True), (DAY, False)]
    # a report stored for a day ahead (its period not over) is not among ``made``: today is owed all the same
    assert report_due(DUE, set(), None, time(15, 0), "Asia/Shanghai") == [(DAY, False)]


def test_a_report_made_before_its_period_ends_says_so_on_paper(world: World) -> None:
    """Made by hand at 10:00 for a period that runs to 15:00: the paper says it counts only so far."""
    from central.office.reports_render import lines

    early = _by_hand(world, DAY, NOW)  # 10:00 local
    made = dict(lines(early, "坞城校区"))
    [row] = [v for k, v in made.items() if k == "生成时间 Made at"]
    assert "只统计至" in row and "counted up to" in row
    late = _by_hand(world, DAY, DUE)
    assert not any("只统计至" in v for _, v in lines(late, "坞城校区"))


@pytest.mark.parametrize(
    ("note", "zh"),
    [
        ("补录\n离线数据", "文本不能含有控制字符（换行、制表符或文字方向控制符）"),
        ("补录\u202e离线数据", "文本不能含有控制字符（换行、制表符或文字方向控制符）"),
        ("补" * 501, "更正说明超过 500 个字符"),
    ],
)
def test_a_correction_note_is_one_line_of_a_printable_length(
    c: Client, world: World, note: str, zh: str
) -> None:
    # each was stored: the PDF drew the line break as nothing and the override reversed the console's
    # list; a note of 300,000 characters made a report of a hundred pages
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, DUE)
    r = c.call("POST", f"/api/v1/reports/{report.id}/corrections", json={"note": note})
    assert r.status_code == 422 and r.json()["msg_zh"] == zh, r.text
    c.log_in("security", page="/console/reports")
    r = c.form(f"/console/reports/{report.id}/correct", {"note": note})
    assert r.status_code == 422 and zh in r.text
    assert len(_rows(world)) == 1
    fine = c.call("POST", f"/api/v1/reports/{report.id}/corrections", json={"note": "  补" * 125 + " "})
    assert fine.status_code == 201 and fine.json()["note"] == ("  补" * 125).strip(), fine.text


def test_a_superseded_version_is_not_signed_and_the_refusal_names_its_successor(
    c: Client, world: World
) -> None:
    """The director signs what stands: version 1, replaced by a correction, is refused in the API (English,
    with the Chinese beside it) and in the console (Chinese first), naming the version that replaced it."""
    with session_scope(world.engine) as s:
        first = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, DUE)
    fixed = c.call("POST", f"/api/v1/reports/{first.id}/corrections", json={"note": "补录离线数据"}).json()
    r = c.call("POST", f"/api/v1/reports/{first.id}/sign", role="director")
    assert r.status_code == 409, r.text
    assert r.json()["msg_en"] == (
        f"report {first.id} (version 1) is superseded by report {fixed['id']} (version 2): sign the newest version"
    )
    assert (
        r.json()["msg_zh"] == f"报告{first.id}（第1版）已被第{fixed['id']}号报告（第2版）取代：请审签最新版本"
    )
    c.log_in("director", page="/console/reports")
    page = c.form(f"/console/reports/{first.id}/sign", {})
    assert page.status_code == 409, page.text
    zh = page.text.index(f"已被第{fixed['id']}号报告（第2版）取代")
    assert zh < page.text.index(f"is superseded by report {fixed['id']} (version 2)")
    assert [x.signed_at for x in _rows(world)] == [None, None]
    ok = c.call("POST", f"/api/v1/reports/{fixed['id']}/sign", role="director")
    assert ok.status_code == 200 and ok.json()["signed_by"] == "director", ok.text

"""Daily and zero reports: counts match the entry log, a zero report on an empty day, signed means frozen,
a schedule missed while central was down is made late, PDF and CSV in Chinese."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from central.api.auth import issue_api_token
from central.app import create_app
from central.decisions.status import record_status
from central.models.db import session_scope
from central.models.journal import EntryEvent
from central.models.registry import Gate
from central.models.reports import DailyReport, ReportSetting
from central.models.users import Role
from central.office import reports
from central.office.reports import ReportError
from central.office.scheduler import make_due_reports, report_due
from central.office.users import create_user
from central.settings import CentralSettings
from gatecore import topics
from gatecore.messages import GateStatus, OfflineDecision, Override
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, event_id
from tests.central.console_helpers import Client
from tests.central.office.pdf_checks import assert_fonts_embedded

DAY = date(2026, 11, 23)  # NOW is 10:00 local on this day, inside the window up to 15:00
TZ = "Asia/Shanghai"


def _scenario(world: World) -> None:
    """A morning at the north gate: entries, an exit, refusals of three kinds, a fever, an override, offline."""
    s = world.service
    scans = [
        world.scan("zhang", at=NOW),
        world.scan("li", at=NOW + timedelta(minutes=1)),  # household_day_used
        world.scan("li", at=NOW + timedelta(minutes=2)),  # household_day_used
        world.scan("staff", celsius=38.5, at=NOW + timedelta(minutes=3)),  # fever
        world.scan("https://u.wechat.com/x", at=NOW + timedelta(minutes=4)),  # qr_foreign
        world.scan("zhang", at=NOW + timedelta(minutes=5), direction="out"),
        world.scan(
            "wang", at=NOW + timedelta(minutes=6), offline=OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
        ),
        world.scan(
            "li",
            at=NOW + timedelta(minutes=7),
            override=Override(event_id(), "guard-1", Verdict.ALLOW, "病假条"),
        ),
        world.scan("staff", celsius=None, at=NOW + timedelta(minutes=8)),  # temp_missing
        world.scan("zhang", at=NOW - timedelta(days=2)),  # outside the window
    ]
    for scan in scans:
        assert s.handle(*scan, NOW)


def test_counts_match_the_entry_log(world: World) -> None:
    _scenario(world)
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))
        rows = [
            r
            for r in s.exec(select(EntryEvent))
            if r.gate_time >= report.period_start and r.kind == "decision"
        ]
    c = report.content
    assert report.period_end == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 15:00 Asia/Shanghai
    assert c["refusals"] == dict(Counter(r.reason for r in rows if r.verdict == "deny"))
    assert c["refusals"] == {"household_day_used": 2, "fever": 1, "qr_foreign": 1}
    assert c["remeasure"] == {"temp_missing": 1}
    assert (c["entries"], c["exits"], c["fevers"], c["incidents"]) == (3, 1, 1, 1)
    assert (c["overrides"], c["offline_decisions"]) == (1, 1)
    # it decided offline, but no outage was recorded (the broker was down, say): listed with 0 minutes
    assert c["gates_offline"] == [
        {
            "gate_id": world.gate_id,
            "name": "北门",
            "outages": 0,
            "minutes": 0,
            "offline_decisions": 1,
            "at_least": False,
        }
    ]
    assert report.zero is False


def test_a_gate_that_turned_a_person_away_before_centrals_late_answer_counts_as_it_did(world: World) -> None:
    """Central decided the first copy (allow) after the gate had stopped waiting and referred the
    person offline; the gate's copy came later and was logged beside it. The report counts what
    happened at the gate: no entry, one referral, one offline decision, the conflict."""
    eid = event_id(NOW)
    assert world.service.handle(*world.scan("zhang", eid=eid, seq=7), NOW)  # central: allow
    turned_away = OfflineDecision(Verdict.REFER, Reason.OFFLINE_UNVERIFIED, 1)
    assert world.service.handle(*world.scan("zhang", eid=eid, seq=7, offline=turned_away), NOW)
    with session_scope(world.engine) as s:
        kinds = sorted(r.kind for r in s.exec(select(EntryEvent)))
        c = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5)).content
    assert kinds == ["decision", "offline_reconcile"]
    assert (c["entries"], c["scans"], c["referred"]) == (0, 1, {"offline_unverified": 1})
    assert (c["offline_decisions"], c["conflicts"]) == (1, 1)
    assert c["gates_offline"][0]["offline_decisions"] == 1
    assert c["per_gate"][0]["entries"] == 0


def _status(world: World, state: str, at: datetime, gate_id: str | None = None) -> None:
    gate = gate_id or world.gate_id
    payload = GateStatus(gate, state, at=at if state == "online" else None).to_json()
    assert record_status(world.engine, topics.gate_status(gate), payload, at)


def test_gates_offline_lists_outages_overlapping_the_day_with_minutes(world: World, tmp_path: Path) -> None:
    start = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)  # the office window: 15:00 to 15:00 local
    with session_scope(world.engine) as s:
        s.add(Gate(gate_id="test-east", campus_id=world.campus_id, name_zh="东门", name_en="East gate"))
    for state, at in [
        ("online", start - timedelta(hours=2)),
        ("offline", start - timedelta(minutes=30)),  # began before the window: 20 of its minutes count
        ("online", start + timedelta(minutes=20)),
        ("offline", NOW),
        ("online", NOW + timedelta(minutes=14, seconds=30)),  # 14.5 minutes: counted as 15
        ("offline", NOW + timedelta(hours=4)),  # still offline when the report is made, at the window's end
    ]:
        _status(world, state, at)
    _status(world, "online", NOW, "test-east")
    _status(world, "offline", NOW + timedelta(hours=5, minutes=30), "test-east")  # after the window
    # central was down while the west gate went dark: it learns of it only from the retained Will
    with session_scope(world.engine) as s:
        s.add(Gate(gate_id="test-west", campus_id=world.campus_id, name_zh="西门", name_en="West gate"))
    _status(world, "online", NOW, "test-west")
    will = GateStatus("test-west", "offline").to_json()
    assert record_status(
        world.engine, topics.gate_status("test-west"), will, NOW + timedelta(hours=1), retained=True
    )
    _status(world, "online", NOW + timedelta(hours=1, minutes=10), "test-west")
    with session_scope(world.engine) as s:
        made_at = NOW + timedelta(hours=5, minutes=40)
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, made_at)
    assert report.content["gates_offline"] == [
        {
            "gate_id": world.gate_id,
            "name": "北门",
            "outages": 3,
            "minutes": 20 + 15 + 60,
            "offline_decisions": 0,
            "at_least": False,
        },
        {
            "gate_id": "test-west",
            "name": "西门",
            "outages": 1,
            "minutes": 10,
            "offline_decisions": 0,
            "at_least": True,
        },
    ]
    from central.office.reports_render import lines, to_pdf

    row = ("离线门岗 Gate offline", "北门 test-north：离线 95 分钟，3 次 / offline 95 min, 3 outage(s)")
    assert row in lines(report, "坞城校区")
    west = (
        "离线门岗 Gate offline",
        "西门 test-west：离线至少 10 分钟，1 次 / offline at least 10 min, 1 outage(s)",
    )
    assert west in lines(report, "坞城校区")
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(to_pdf(report, "坞城校区"))
        command = ["pdftotext", str(tmp_path / "r.pdf"), "-"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        assert "离线 95 分钟" in out


def test_entries_count_what_happened_at_the_gate(world: World) -> None:
    """An offline decision stands as the gate made it: a member admitted offline came in although
    central would have refused; a person turned away offline did not, although central would admit."""
    s, minute = world.service, timedelta(minutes=1)
    s.handle(*world.scan("zhang", at=NOW), NOW)  # online: in, and the household's day is used
    li = world.scan("li", at=NOW + minute, offline=OfflineDecision(Verdict.ALLOW, Reason.OK, 1))
    s.handle(*li, NOW + minute)  # the gate did not know: li came in; central says household day used
    staff = world.scan(
        "staff", at=NOW + 2 * minute, offline=OfflineDecision(Verdict.DENY, Reason.PASS_REVOKED, 1)
    )
    s.handle(*staff, NOW + 2 * minute)  # turned away at the gate; central would have admitted
    with session_scope(world.engine) as session:
        c = reports.make_report(session, world.campus_id, DAY, reports.OFFICE, NOW + 3 * minute).content
    assert (c["entries"], c["refusals"], c["offline_decisions"], c["conflicts"]) == (
        2,
        {"pass_revoked": 1},
        2,
        2,
    )


def test_a_report_made_before_outages_were_kept_still_renders(world: World) -> None:
    from central.office.reports_render import lines

    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW)
    report.content_json = report.content_json.replace(
        '"gates_offline": []', '"gates_offline": ["test-north"]'
    )
    assert ("离线门岗 Gate offline", "test-north") in lines(report, "坞城校区")


def test_zero_report_on_an_empty_day(world: World) -> None:
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.UNIT, NOW)
    assert report.zero and report.content["entries"] == 0 and report.content["refusals"] == {}
    assert report.period_end == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # units: 14:30


def test_signed_report_refuses_edits_and_is_corrected_by_a_new_version(world: World, tmp_path: Path) -> None:
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    client = TestClient(app)
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW)
        tokens = {
            r: issue_api_token(app, create_user(s, f"u-{r}", "pw-123456", [r]))
            for r in (Role.DIRECTOR, Role.SECURITY)
        }
    director = {"Authorization": f"Bearer {tokens[Role.DIRECTOR]}"}
    security = {"Authorization": f"Bearer {tokens[Role.SECURITY]}"}
    url = f"/api/v1/reports/{report.id}"
    assert client.post(f"{url}/sign", headers=security).status_code == 403
    signed = client.post(f"{url}/sign", headers=director).json()
    assert signed["signed_by"] == "u-director"
    assert client.post(f"{url}/sign", headers=director).status_code == 409
    with pytest.raises(ReportError), session_scope(world.engine) as s:
        row = s.get(DailyReport, report.id)
        assert row is not None
        row.content_json = '{"entries": 0}'
        s.add(row)
    with session_scope(world.engine) as s:
        assert s.get(DailyReport, report.id).content_json == report.content_json  # type: ignore[union-attr]
    _scenario(world)
    fixed = client.post(f"{url}/corrections", json={"note": "补录离线数据"}, headers=security)
    assert fixed.status_code == 201
    body = fixed.json()
    assert (body["version"], body["supersedes_id"], body["signed_at"]) == (2, report.id, None)
    assert body["content"]["refusals"]["household_day_used"] == 2
    assert client.post(f"{url}/corrections", json={"note": "again"}, headers=security).status_code == 409
    assert client.get(url, headers=security).json()["signed_by"] == "u-director"


def test_rows_received_after_a_report_was_made_are_named_until_a_correction_counts_them(
    world: World, tmp_path: Path
) -> None:
    """A gate offline at 10:01 sends its scans after the 15:00 report was made: the report stands
    as made, and says how many of its window's rows came since, so the office corrects it."""
    made = NOW + timedelta(hours=5)  # 15:00 local, the window's end
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, made)
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    assert world.service.handle(
        *world.scan("wang", at=NOW + timedelta(minutes=1), offline=offline), made + timedelta(hours=1)
    )
    assert world.service.handle(
        *world.scan("zhang", at=made + timedelta(minutes=5)), made + timedelta(hours=1)
    )
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    with session_scope(world.engine) as s:
        assert reports.arrived_after(s, [report]) == {report.id: 1}  # the 15:05 scan is the next day's
        auth = {
            "Authorization": f"Bearer {issue_api_token(app, create_user(s, 'sec', 'pw-123456', [Role.SECURITY]))}"
        }
    client = TestClient(app)
    assert client.get(f"/api/v1/reports/{report.id}", headers=auth).json()["arrived_after"] == 1
    console = Client(world, tmp_path / "console")
    console.log_in("security", page="/console/reports")
    page = console.http.get(f"/console/reports?campus_id={world.campus_id}").text
    row = re.search(rf'<tr id="report-{report.id}".*?</tr>', page, re.S)
    assert row and "生成后新到记录，请更正" in row.group(0) and ": 1</span>" in row.group(0)
    fixed = client.post(
        f"/api/v1/reports/{report.id}/corrections", json={"note": "补录离线数据"}, headers=auth
    )
    assert (fixed.json()["content"]["entries"], fixed.json()["arrived_after"]) == (1, 0)
    listed = {r["id"]: r["arrived_after"] for r in client.get("/api/v1/reports", headers=auth).json()}
    assert listed == {report.id: 0, fixed.json()["id"]: 0}  # the superseded version says nothing more


def test_a_fever_scanned_offline_before_the_hour_counts_in_the_report_of_its_refusal(world: World) -> None:
    """Scanned at 14:50 by a gate offline until 15:30: the fever, its incident and its refusal are one
    day's, by the gate's time, as every scan; not the fever in the next day's report."""
    at, received = NOW + timedelta(hours=4, minutes=50), NOW + timedelta(hours=5, minutes=30)
    refused = OfflineDecision(Verdict.DENY, Reason.FEVER, 1)
    assert world.service.handle(*world.scan("staff", celsius=38.6, at=at, offline=refused), received)
    with session_scope(world.engine) as s:
        today = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, received).content
        tomorrow = reports.make_report(s, world.campus_id, DAY + timedelta(days=1), reports.OFFICE, received)
    assert (today["refusals"], today["fevers"], today["incidents"]) == ({"fever": 1}, 1, 1)
    assert [c["kind"] for c in today["cases"]] == ["fever"]
    assert (tomorrow.content["fevers"], tomorrow.content["incidents"], tomorrow.content["cases"]) == (
        0,
        0,
        [],
    )


def test_a_scan_a_restarted_gate_never_acted_on_is_no_offline_decision(world: World) -> None:
    """Sent after a restart as not decided by the gate: counted by its reason, not as the gate deciding
    offline, and the gate is not listed as offline for it."""
    not_acted = OfflineDecision(Verdict.REFER, Reason.GATE_RESTARTED, 1)
    assert world.service.handle(*world.scan("zhang", offline=not_acted), NOW)
    with session_scope(world.engine) as s:
        c = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5)).content
    assert (c["entries"], c["referred"]) == (0, {"gate_restarted": 1})
    assert (c["offline_decisions"], c["gates_offline"]) == (0, [])


def test_pdf_and_csv_in_chinese(world: World, tmp_path: Path) -> None:
    _scenario(world)
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW)
        auth = {
            "Authorization": f"Bearer {issue_api_token(app, create_user(s, 'aud', 'pw-123456', [Role.AUDITOR]))}"
        }
    client = TestClient(app)
    csv_text = client.get(f"/api/v1/reports/{report.id}.csv", headers=auth).content
    assert csv_text.startswith(b"\xef\xbb\xbf")
    text = csv_text.decode("utf-8-sig")
    assert "坞城校区 2026-11-23 日报告 Daily report" in text
    assert "拒绝：本户今日已有人出入 Refused: Household's daily pass already used today,2" in text
    pdf = client.get(f"/api/v1/reports/{report.id}.pdf", headers=auth)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert_fonts_embedded(pdf.content, tmp_path)
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(pdf.content)
        out = subprocess.run(
            ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "日报告" in out and "本户今日已有人出入" in out
        # the campus's clock, the per-gate table, the cases and the paper form's signature lines
        assert "Asia/Shanghai 时间 time" in out and "UTC" not in out and "+00:00" not in out
        assert "门岗 Gate" in out and "进校 in" in out
        assert "发热 Fever" in out
        assert "填报人 Reported by" in out and "审核人 Reviewed by" in out and "日期 Date" in out


@pytest.mark.parametrize(
    ("now_local", "last_made", "expected"),
    [
        (datetime(2026, 11, 23, 14, 59), date(2026, 11, 22), []),
        (datetime(2026, 11, 23, 15, 1), date(2026, 11, 22), [(date(2026, 11, 23), False)]),
        (datetime(2026, 11, 23, 15, 30), date(2026, 11, 22), [(date(2026, 11, 23), True)]),
        (datetime(2026, 11, 23, 15, 1), date(2026, 11, 23), []),
        (
            datetime(2026, 11, 23, 9, 0),
            date(2026, 11, 20),
            [(date(2026, 11, 21), True), (date(2026, 11, 22), True)],
        ),
        (datetime(2026, 11, 23, 16, 0), None, [(date(2026, 11, 23), True)]),
    ],
)
def test_report_due(now_local: datetime, last_made: date | None, expected: list[tuple[date, bool]]) -> None:
    from zoneinfo import ZoneInfo

    now = now_local.replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    # every day made up to ``last_made``, over a month
    made = {last_made - timedelta(days=n) for n in range(30)} if last_made else set()
    first = min(made) if made else None
    assert report_due(now, made, first, time(15, 0), TZ) == expected


def test_missed_schedule_is_made_late_after_a_restart(world: World) -> None:
    with session_scope(world.engine) as s:
        s.add(ReportSetting(campus_id=world.campus_id, office_at="15:00", unit_at="14:30"))
    assert len(make_due_reports(world.engine, datetime(2026, 11, 20, 6, 31, tzinfo=UTC))) == 1  # 14:31: units
    assert len(make_due_reports(world.engine, datetime(2026, 11, 20, 7, 1, tzinfo=UTC))) == 1  # 15:01: office
    back = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # down for three days; 09:00 local now
    made = make_due_reports(world.engine, back)
    assert make_due_reports(world.engine, back) == []
    with session_scope(world.engine) as s:
        rows = [s.get(DailyReport, i) for i in made]
    assert sorted((r.day, r.kind, r.late) for r in rows if r) == [
        (date(2026, 11, d), k, True) for d in (21, 22) for k in ("office", "unit")
    ]
    with session_scope(world.engine) as s:
        on_time = s.exec(select(DailyReport).where(DailyReport.day == date(2026, 11, 20))).all()
    assert {r.late for r in on_time} == {False}


def test_scheduler_tick_makes_reports_and_writes_a_checkpoint(world: World, tmp_path: Path) -> None:
    from central.audit import checkpoints as audit_checkpoints
    from central.office.scheduler import Scheduler

    _scenario(world)
    scheduler = Scheduler(world.engine, tmp_path, checkpoint_every=3600)
    scheduler.tick(datetime(2026, 11, 23, 7, 1, tzinfo=UTC), monotonic=100.0)  # 15:01 local
    scheduler.tick(datetime(2026, 11, 23, 7, 2, tzinfo=UTC), monotonic=160.0)  # no second checkpoint yet
    with session_scope(world.engine) as s:
        kinds = sorted((r.kind, r.late) for r in s.exec(select(DailyReport)))
    assert kinds == [("office", False), ("unit", True)]
    [checkpoint] = audit_checkpoints.read(audit_checkpoints.default_path(tmp_path))
    with session_scope(world.engine) as s:
        assert checkpoint.seq == max(r.seq or 0 for r in s.exec(select(EntryEvent)))
    world.service.handle(*world.scan("zhang", at=NOW + timedelta(hours=1)), NOW + timedelta(hours=1))
    scheduler.tick(
        datetime(2026, 11, 23, 8, 0, tzinfo=UTC), monotonic=100.0 + 3600
    )  # an hour after the first
    first, second = audit_checkpoints.read(audit_checkpoints.default_path(tmp_path))
    assert second.seq == first.seq + 1 and second.at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_counts_and_sign_lock_on_postgresql(pg_engine, keyring) -> None:  # type: ignore[no-untyped-def]
    from tests.central.conftest import build_world

    world = build_world(pg_engine, keyring)
    _scenario(world)
    with session_scope(pg_engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))
        reports.sign(s, report.id or 0, by="director", at=NOW)
    assert report.content["refusals"] == {"household_day_used": 2, "fever": 1, "qr_foreign": 1}
    assert (report.content["entries"], report.content["exits"], report.content["offline_decisions"]) == (
        3,
        1,
        1,
    )
    with pytest.raises(ReportError), session_scope(pg_engine) as s:
        row = s.get(DailyReport, report.id)
        assert row is not None
        row.zero = True
        s.add(row)


@pytest.mark.parametrize(
    "tz", ["Asia/Shanghai", "Europe/Berlin", "America/Los_Angeles", "Australia/Lord_Howe"]
)
def test_the_reports_of_consecutive_days_leave_no_hour_out_and_count_none_twice(tz: str) -> None:
    """A day's window runs from the day before at the due time to the day at the due time, in local
    time: across a change of clocks it has 23 or 25 hours, and one day's window ends where the next
    one's begins (Berlin 2026-10-25 is 25 hours: 24 back would leave 13:00–14:00 UTC in no report)."""
    at, day = time(15, 0), date(2026, 1, 1)
    lengths = set()
    for _ in range(366):
        start, end = reports.period(day, at, tz)
        assert reports.period(day + timedelta(days=1), at, tz)[0] == end
        lengths.add(end - start)
        day += timedelta(days=1)
    assert timedelta(hours=24) in lengths
    if tz != "Asia/Shanghai":
        assert len(lengths) == 3  # the two days the clocks change, and every other
    berlin = reports.period(date(2026, 10, 25), at, "Europe/Berlin")
    assert berlin == (datetime(2026, 10, 24, 13, tzinfo=UTC), datetime(2026, 10, 25, 14, tzinfo=UTC))

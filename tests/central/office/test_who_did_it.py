"""Who made each report version (by hand, or a correction) and who acknowledged a fever alert: recorded
with the act, and shown where an auditor reads it (the API, the console's list, the printed report)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import col, select

from central.models.db import session_scope
from central.models.reports import DailyReport
from central.office import reports
from central.office.reports_render import lines, to_csv
from central.office.scheduler import make_due_reports
from gatecore.thermoline import SensorStatus
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client
from tests.central.office.test_report_by_hand import DUE
from tests.central.office.test_reports import DAY


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def _versions(world: World) -> list[DailyReport]:
    with session_scope(world.engine) as s:
        stmt = select(DailyReport).where(DailyReport.campus_id == world.campus_id)
        return list(s.exec(stmt.order_by(col(DailyReport.id))))


def test_each_report_version_names_who_made_it(c: Client, world: World) -> None:
    assert make_due_reports(world.engine, DUE)  # the scheduler's: made by nobody
    c.log_in("director", page="/console/reports")
    made = c.form("/console/reports", {"campus_id": str(world.campus_id), "day": ""})  # today, now
    assert made.status_code == 200, made.text
    scheduled, by_hand = (r for r in _versions(world) if r.kind == reports.OFFICE)
    fixed = c.call("POST", f"/api/v1/reports/{by_hand.id}/corrections", json={"note": "补录离线数据"})
    assert fixed.status_code == 201 and fixed.json()["made_by"] == "security", fixed.text
    page = c.form(f"/console/reports/{fixed.json()['id']}/correct", {"note": "再次更正"})
    assert page.status_code == 200, page.text
    by_id = {r["id"]: r["made_by"] for r in c.call("GET", "/api/v1/reports", role="auditor").json()}
    assert [by_id[r.id] for r in _versions(world) if r.kind == reports.OFFICE] == [
        None,
        "director",
        "security",
        "director",
    ]
    assert by_id[scheduled.id] is None
    # the console's list: the maker beside each version
    c.log_in("auditor", page="/console/reports")
    listing = c.http.get(f"/console/reports?campus_id={world.campus_id}").text
    assert "生成人" in listing and "Made by" in listing
    for report_id, who in by_id.items():
        row = re.search(rf'<tr id="report-{report_id}".*?</tr>', listing, re.S)
        assert row, report_id
        cell = re.search(r'<td class="made-by">(.*?)</td>', row.group(0))
        assert cell and (who or "—") in cell.group(1) and (who is not None or "username" not in cell.group(1))


def test_the_printed_correction_names_who_filed_it(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        first = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, DUE)
    c.call("POST", f"/api/v1/reports/{first.id}/corrections", json={"note": "补录离线数据"}, role="director")
    with session_scope(world.engine) as s:
        original, fixed = (s.get(DailyReport, r.id) for r in _versions(world))
        assert original is not None and fixed is not None
    rows = lines(fixed, "坞城校区")
    labels = [label for label, _ in rows]
    assert ("生成人 Made by", "director") in rows
    assert labels.index("生成人 Made by") == labels.index("生成时间 Made at") + 1
    assert "生成人 Made by,director" in to_csv(fixed, "坞城校区").decode("utf-8-sig")
    pdf = c.call("GET", f"/api/v1/reports/{fixed.id}.pdf", role="auditor")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert all(label != "生成人 Made by" for label, _ in lines(original, "坞城校区"))  # the scheduler's


def test_a_fever_alert_names_who_acknowledged_it_first(c: Client, world: World) -> None:
    assert world.service.handle(*world.scan("staff", celsius=38.6), NOW)
    [alert] = c.call("GET", "/api/v1/fever-alerts", role="auditor").json()
    assert (alert["acknowledged_at"], alert["acknowledged_by"]) == (None, None)
    assert c.call("POST", f"/api/v1/fever-alerts/{alert['id']}/ack", role="director").status_code == 204
    assert c.call("POST", f"/api/v1/fever-alerts/{alert['id']}/ack", role="security").status_code == 204
    [acked] = c.call("GET", "/api/v1/fever-alerts", role="auditor").json()
    assert acked["acknowledged_by"] == "director" and acked["acknowledged_at"] is not None
    assert acked["created_at"] == alert["created_at"]


def test_an_alert_for_symptoms_without_a_reading_is_listed_and_acknowledged(c: Client, world: World) -> None:
    """A guard marks a cough while the thermometer gives nothing: the alert has no reading, and the list
    of alerts (where the auditor reads who acknowledged it) answered 500 for the whole page."""
    scan = world.scan("zhang", celsius=None, status=SensorStatus.MISSING, symptoms=("cough",))
    assert world.service.handle(*scan, NOW)
    r = c.call("GET", "/api/v1/fever-alerts", role="auditor")
    assert r.status_code == 200, r.text
    [alert] = r.json()
    assert (alert["celsius"], alert["symptoms"]) == (None, ["cough"])
    assert c.call("POST", f"/api/v1/fever-alerts/{alert['id']}/ack", role="security").status_code == 204
    [acked] = c.call("GET", "/api/v1/fever-alerts?unacknowledged=false", role="auditor").json()
    assert acked["acknowledged_by"] == "security"


def test_the_console_s_list_names_each_report_s_kind(c: Client, world: World) -> None:
    """The scheduler makes the office's (15:00) and the units' (14:30) report of a day: the list showed
    two rows alike — the day, version 1, the same time — and no way to tell which to sign."""
    assert make_due_reports(world.engine, DUE)
    kinds = {r.id: r.kind for r in _versions(world)}
    assert sorted(kinds.values()) == sorted([reports.OFFICE, reports.UNIT])
    c.log_in("auditor", page="/console/reports")
    listing = c.http.get(f"/console/reports?campus_id={world.campus_id}").text
    words = {reports.OFFICE: "保卫处", reports.UNIT: "各单位"}
    for report_id, kind in kinds.items():
        row = re.search(rf'<tr id="report-{report_id}".*?</tr>', listing, re.S)
        assert row, report_id
        cell = re.search(r'<td class="kind">(.*?)</td>', row.group(0))
        assert cell and words[kind] in cell.group(1), row.group(0)

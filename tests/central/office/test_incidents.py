"""Fever incidents: opened with the alert, walked to closure with who and when, the one-hour flag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from central.api.auth import issue_api_token
from central.app import create_app
from central.models.db import session_scope
from central.models.incidents import FeverIncident
from central.models.journal import FeverAlert
from central.models.users import Role
from central.office import incidents
from central.office.incidents import is_overdue
from central.office.users import create_user
from central.settings import CentralSettings
from tests.central.conftest import NOW, World

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reported_after", "now_after", "overdue"),
    [
        (None, timedelta(minutes=59), False),
        (None, timedelta(minutes=60), False),
        (None, timedelta(minutes=61), True),
        (timedelta(minutes=30), timedelta(hours=5), False),
        (timedelta(minutes=60), timedelta(hours=5), False),
        (timedelta(minutes=75), timedelta(hours=5), True),
    ],
)
def test_one_hour_rule(reported_after: timedelta | None, now_after: timedelta, overdue: bool) -> None:
    reported = T0 + reported_after if reported_after is not None else None
    assert is_overdue(T0, reported, T0 + now_after) is overdue


def test_a_fever_opens_an_incident_in_the_same_transaction(world: World) -> None:
    world.service.handle(*world.scan("staff", celsius=38.4), NOW)
    world.service.handle(*world.scan("zhang", celsius=36.5), NOW)
    with session_scope(world.engine) as s:
        [alert] = s.exec(select(FeverAlert)).all()
        [incident] = s.exec(select(FeverIncident)).all()
    assert (incident.event_id, incident.gate_id, incident.person_id) == (
        alert.event_id,
        world.gate_id,
        world.people["staff"],
    )
    assert (incident.readings, incident.state, incident.opened_at) == ("38.4", "open", NOW)


def _client(world: World, tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]]]:
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    headers = {}
    with session_scope(world.engine) as s:
        for role in (Role.SECURITY, Role.GUARD, Role.AUDITOR):
            user = create_user(s, f"u-{role}", "pw-123456", [role])
            headers[role.value] = {"Authorization": f"Bearer {issue_api_token(app, user)}"}
    return TestClient(app), headers


def test_walk_to_closure_with_who_and_when(world: World, tmp_path: Path) -> None:
    world.service.handle(*world.scan("staff", celsius=38.4), NOW)
    client, h = _client(world, tmp_path)
    [inc] = client.get("/api/v1/incidents", headers=h["auditor"]).json()
    url = f"/api/v1/incidents/{inc['id']}"
    assert (
        client.post(f"{url}/steps", json={"state": "sent_to_observation"}, headers=h["guard"]).status_code
        == 403
    )
    assert client.post(f"{url}/steps", json={"state": "released"}, headers=h["security"]).status_code == 409
    assert (
        client.post(f"{url}/steps", json={"state": "sent_to_observation"}, headers=h["security"]).status_code
        == 200
    )
    assert client.post(f"{url}/steps", json={"state": "remeasured"}, headers=h["security"]).status_code == 409
    r = client.post(f"{url}/steps", json={"state": "remeasured", "celsius": 37.9}, headers=h["security"])
    assert r.json()["readings"] == [38.4, 37.9]
    client.post(f"{url}/steps", json={"state": "remeasured", "celsius": 36.8}, headers=h["security"])
    assert client.post(f"{url}/report", headers=h["security"]).status_code == 200
    assert client.post(f"{url}/report", headers=h["security"]).status_code == 409
    done = client.post(
        f"{url}/steps", json={"state": "released", "note": "复测正常"}, headers=h["security"]
    ).json()
    assert done["state"] == "released" and done["closed_at"] is not None
    assert [(s["state"], s["by"]) for s in done["steps"]] == [
        ("sent_to_observation", "u-security"),
        ("remeasured", "u-security"),
        ("remeasured", "u-security"),
        ("reported", "u-security"),
        ("released", "u-security"),
    ]
    assert client.post(f"{url}/steps", json={"state": "referred"}, headers=h["security"]).status_code == 409


def test_overdue_report_lists_only_unreported_after_an_hour(world: World, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with session_scope(world.engine) as s:
        for i, (age, reported) in enumerate(
            [(timedelta(minutes=10), False), (timedelta(hours=2), False), (timedelta(hours=3), True)]
        ):
            alert = FeverAlert(
                event_id=f"e{i}",
                gate_id=world.gate_id,
                campus_id=world.campus_id,
                celsius=38.0,
                created_at=now - age,
            )
            s.add(alert)
            inc = incidents.incident_for(alert, None)
            s.add(inc)
            s.flush()
            if reported:
                assert inc.id is not None
                incidents.mark_reported(s, inc.id, by="office", at=now - age + timedelta(minutes=20))
    client, h = _client(world, tmp_path)
    late = client.get("/api/v1/incidents", params={"overdue": True}, headers=h["auditor"]).json()
    assert [i["event_id"] for i in late] == ["e1"]
    assert len(client.get("/api/v1/incidents", params={"overdue": False}, headers=h["auditor"]).json()) == 2

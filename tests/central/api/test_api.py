"""The REST API through FastAPI's TestClient on a real SQLite file."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from central.app import create_app
from central.decisions.status import record_status
from central.settings import CentralSettings
from gatecore import topics
from gatecore.messages import GateStatus
from tests.api_auth import bearer
from tests.central.conftest import NOW, World

Clients = Callable[..., TestClient]


@pytest.fixture
def clients(world: World, tmp_path: Path) -> Clients:
    """``clients(role)``: a client on the world's database as a user of ``role`` (None: anonymous)."""
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)

    def make(role: str | None = "auditor") -> TestClient:
        return TestClient(app, headers=bearer(app, world.engine, role) if role else None)

    return make


def test_health(clients: Clients) -> None:
    body = clients(None).get("/api/v1/health").json()
    assert (body["status"], body["database"]) == ("ok", True)


def test_entries_filter_and_paginate_newest_first(world: World, clients: Clients) -> None:
    service = world.service
    for i, (role, celsius) in enumerate([("zhang", 36.6), ("li", 36.7), ("staff", 38.0), ("wang", 36.5)]):
        at = NOW + timedelta(minutes=i)
        service.handle(*world.scan(role, celsius=celsius, at=at), at)
    client = clients()
    page = client.get("/api/v1/entries", params={"limit": 2}).json()
    assert page["count"] == 4
    assert [e["reason"] for e in page["data"]] == ["ok_commuter", "fever"]
    assert page["data"][0]["seq"] > page["data"][1]["seq"]
    rest = client.get("/api/v1/entries", params={"limit": 2, "offset": 2}).json()
    assert [e["reason"] for e in rest["data"]] == ["household_day_used", "ok"]
    denied = client.get("/api/v1/entries", params={"verdict": "deny", "gate_id": world.gate_id}).json()
    assert sorted(e["reason"] for e in denied["data"]) == ["fever", "household_day_used"]
    assert denied["data"][0]["reasons"] == ["fever"]
    by_reason = client.get("/api/v1/entries", params={"reason": "household_day_used"}).json()
    assert by_reason["count"] == 1 and by_reason["data"][0]["person_id"] == world.people["li"]
    window = client.get(
        "/api/v1/entries",
        params={
            "since": (NOW + timedelta(minutes=1)).isoformat(),
            "until": (NOW + timedelta(minutes=3)).isoformat(),
        },
    ).json()
    assert [e["reason"] for e in window["data"]] == ["fever", "household_day_used"]
    assert client.get("/api/v1/entries", params={"campus_id": world.campus_id + 99}).json()["count"] == 0
    assert client.get("/api/v1/entries", params={"limit": 0}).status_code == 422
    alerts = client.get("/api/v1/fever-alerts").json()
    assert [(a["gate_id"], a["celsius"]) for a in alerts] == [(world.gate_id, 38.0)]


@pytest.mark.parametrize("path", ["/api/v1/entries", "/api/v1/entries.csv", "/api/v1/registry-changes"])
def test_a_window_that_ends_before_it_starts_is_refused_not_an_empty_log(
    world: World, clients: Clients, path: str
) -> None:
    world.service.handle(*world.scan("zhang"), NOW)
    # swapped, equal, and the same instant written in two zones (10:00 Beijing is 02:00 UTC)
    for since, until in [
        (NOW + timedelta(days=1), NOW),
        (NOW, NOW),
        (NOW.isoformat(), "2026-11-23T10:00:00+08:00"),
    ]:
        params = {"since": str(since), "until": str(until)}
        r = clients().get(path, params=params)
        assert r.status_code == 422, (params, r.text[:200])
        (error,) = r.json()["detail"]
        assert error["loc"] == ["query", "until"]
        assert (error["msg_zh"], error["msg_en"]) == (
            "起始时间必须早于截止时间",
            "the start time must be before the end time",
        )


def test_gates_with_last_status(world: World, clients: Clients) -> None:
    client = clients("guard")  # the guard sees which gate is down
    [gate] = client.get("/api/v1/gates").json()
    assert (gate["gate_id"], gate["open"], gate["state"]) == (world.gate_id, True, None)
    status = GateStatus(
        gate_id=world.gate_id, state="online", camera="ok", thermometer="silent", outbox=3, at=NOW
    )
    record_status(world.engine, topics.gate_status(world.gate_id), status.to_json(), NOW)
    [gate] = client.get("/api/v1/gates").json()
    assert (gate["state"], gate["thermometer"], gate["outbox"]) == ("online", "silent", 3)
    offline = GateStatus(gate_id=world.gate_id, state="offline", outbox=5, at=NOW)
    record_status(
        world.engine, topics.gate_status(world.gate_id), offline.to_json(), NOW + timedelta(seconds=9)
    )
    [gate] = client.get("/api/v1/gates").json()
    assert (gate["state"], gate["outbox"]) == ("offline", 5)


def test_rejected_lists_dead_letters(world: World, clients: Clients) -> None:
    world.service.handle(topics.gate_events(world.gate_id), b"\xff\xfe garbage", NOW)
    record_status(world.engine, topics.gate_status(world.gate_id), b'{"v":1,"type":"status"}', NOW)
    rows = clients().get("/api/v1/rejected").json()
    assert [r["topic"] for r in rows] == [
        topics.gate_status(world.gate_id),
        topics.gate_events(world.gate_id),
    ]
    assert "missing field" in rows[0]["reason"]
    assert base64.b64decode(rows[1]["payload_b64"]) == b"\xff\xfe garbage"
    assert "not JSON" in rows[1]["reason"]


def test_journals_need_a_role(clients: Clients) -> None:
    """Who may read what: anonymous callers get 401, a guard only the gates, the journals the office."""
    anonymous, guard, director = clients(None), clients("guard"), clients("director")
    for path in ("/api/v1/gates", "/api/v1/entries", "/api/v1/fever-alerts", "/api/v1/rejected"):
        assert anonymous.get(path).status_code == 401, path
    assert guard.get("/api/v1/gates").status_code == 200
    for path in ("/api/v1/entries", "/api/v1/fever-alerts", "/api/v1/rejected"):
        assert guard.get(path).status_code == 403, path
    assert director.get("/api/v1/entries").status_code == 200
    assert director.get("/api/v1/fever-alerts").status_code == 200
    assert director.get("/api/v1/rejected").status_code == 403  # dead letters are for audit and security

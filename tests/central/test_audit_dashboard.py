"""The dashboard's data and routes without a browser: charts, acknowledging, who may look."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from central import dashboard
from central.api import create_app
from central.auth import SESSION_COOKIE, Role, create_user, issue_api_token, issue_session
from central.db import session_scope
from central.models_log import FeverAlert
from central.settings import CentralSettings
from central.status import record_status
from gatecore import topics
from gatecore.messages import GateStatus
from tests.central.conftest import NOW, World


def test_charts_count_today_per_hour_and_refusals(world: World) -> None:
    s = world.service
    for i, (role, celsius) in enumerate([("zhang", 36.5), ("li", 36.6), ("staff", 38.3), ("wang", 36.4)]):
        s.handle(*world.scan(role, celsius=celsius, at=NOW + timedelta(minutes=i)), NOW)
    s.handle(*world.scan("staff", at=NOW + timedelta(hours=1)), NOW)
    s.handle(*world.scan("zhang", at=NOW - timedelta(days=1)), NOW)  # yesterday: not today's chart
    with session_scope(world.engine) as session:
        c = dashboard.charts(session, NOW + timedelta(hours=2))
    hours = c["per_hour"][world.gate_id]
    assert (hours[10], hours[11], sum(hours)) == (2, 1, 3)  # local 10:00 zhang + wang, 11:00 staff
    assert {r["reason"]: r["count"] for r in c["refusals"]} == {"household_day_used": 1, "fever": 1}
    assert {r["label"] for r in c["refusals"]} == {"本户今日已有人出入", "体温异常，禁止通行"}


def test_page_and_ack_need_the_right_role(world: World, tmp_path: Path) -> None:
    world.service.handle(*world.scan("staff", celsius=38.9), NOW)
    record_status(world.engine, topics.gate_status(world.gate_id), GateStatus(world.gate_id, "offline").to_json(), NOW)
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    client = TestClient(app)
    with session_scope(world.engine) as s:
        guard = create_user(s, "g", "pw-123456", [Role.GUARD])
        security = create_user(s, "s", "pw-123456", [Role.SECURITY])
        [alert] = s.exec(select(FeverAlert)).all()
    anonymous = client.get("/dashboard", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")
    client.cookies.set(SESSION_COOKIE, issue_session(app, guard))
    assert client.get("/dashboard").status_code == 403
    client.cookies.set(SESSION_COOKIE, issue_session(app, security))
    html = client.get("/dashboard").text
    assert f'data-gate="{world.gate_id}"' in html and "北门" in html and 'class="state offline"' in html
    client.cookies.clear()
    url = f"/api/v1/fever-alerts/{alert.id}/ack"
    assert client.post(url).status_code == 401
    assert client.post(url, headers={"Authorization": f"Bearer {issue_api_token(app, guard)}"}).status_code == 403
    sec = {"Authorization": f"Bearer {issue_api_token(app, security)}"}
    assert client.post("/api/v1/fever-alerts/999/ack", headers=sec).status_code == 404
    assert client.post(url, headers=sec).status_code == 204
    with session_scope(world.engine) as s:
        assert dashboard.open_alerts(s) == []

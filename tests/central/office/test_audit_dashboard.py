"""The dashboard's data and routes without a browser: charts, acknowledging, who may look, conflicts,
offline gates, the time zones the page shows times in; and ``campusgate audit checkpoint``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from central.api.auth import SESSION_COOKIE, issue_api_token, issue_session
from central.app import create_app
from central.decisions.status import record_status
from central.models.db import session_scope
from central.models.journal import FeverAlert
from central.models.registry import Campus, Gate
from central.models.users import Role, User
from central.office import dashboard, registry
from central.office.users import create_user
from central.settings import CentralSettings
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
    record_status(
        world.engine, topics.gate_status(world.gate_id), GateStatus(world.gate_id, "offline").to_json(), NOW
    )
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    client = TestClient(app)
    with session_scope(world.engine) as s:
        guard = create_user(s, "gd", "pw-123456", [Role.GUARD])
        security = create_user(s, "sec", "pw-123456", [Role.SECURITY])
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
    assert (
        client.post(url, headers={"Authorization": f"Bearer {issue_api_token(app, guard)}"}).status_code
        == 403
    )
    sec = {"Authorization": f"Bearer {issue_api_token(app, security)}"}
    assert client.post("/api/v1/fever-alerts/999/ack", headers=sec).status_code == 404
    assert client.post(url, headers=sec).status_code == 204
    with session_scope(world.engine) as s:
        assert dashboard.open_alerts(s) == []


def test_conflicts_today_and_latest_masked_and_in_the_stream(world: World) -> None:
    from central.api.routes.dashboard import _poll
    from gatecore.messages import OfflineDecision
    from gatecore.reasons import Reason, Verdict

    s = world.service
    s.handle(*world.scan("zhang", at=NOW), NOW)  # holds the household's day
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    s.handle(*world.scan("li", at=NOW + timedelta(minutes=1), offline=offline), NOW + timedelta(minutes=5))
    with session_scope(world.engine) as session:
        c = dashboard.conflicts(session, NOW + timedelta(minutes=6))
        tomorrow = dashboard.conflicts(session, NOW + timedelta(days=1))
    assert c["today"] == 1 and tomorrow["today"] == 0 and len(tomorrow["latest"]) == 1
    [x] = c["latest"]
    assert (x["gate_id"], x["person"], x["household"]) == (world.gate_id, "李*华", "坞城校区 3-2-501")
    assert (x["offline_verdict"], x["verdict"]) == ("allow", "deny") and "household day" in x["conflict"]
    assert x["reason_zh"] == "本户今日已有人出入"

    state = {
        "tz": None,
        "seq": None,
        "alerts": None,
        "gates": None,
        "charts": None,
        "charts_at": 0.0,
        "conflicts": None,
    }
    events = dict(_poll(world.engine, state, NOW + timedelta(minutes=6)))
    assert events["conflicts"] == c
    assert "conflicts" not in dict(_poll(world.engine, state, NOW + timedelta(minutes=6, seconds=5)))


def test_an_offline_gate_shows_since_when(world: World) -> None:
    topic, online = topics.gate_status(world.gate_id), GateStatus(world.gate_id, "online", at=NOW).to_json()
    record_status(world.engine, topic, online, NOW)
    offline = GateStatus(world.gate_id, "offline").to_json()
    record_status(world.engine, topic, offline, NOW + timedelta(minutes=3))
    with session_scope(world.engine) as s:
        [gate] = dashboard.gates(s)
    assert (gate["state"], gate["offline_since"]) == ("offline", (NOW + timedelta(minutes=3)).isoformat())
    assert gate["offline_since_or_earlier"] is False  # heard as it happened
    record_status(world.engine, topic, online, NOW + timedelta(minutes=9))
    with session_scope(world.engine) as s:
        assert dashboard.gates(s)[0]["offline_since"] is None
    # central restarts and learns of the next outage only from the retained Will: a bound, said as one
    record_status(world.engine, topic, offline, NOW + timedelta(minutes=20), retained=True)
    with session_scope(world.engine) as s:
        [gate] = dashboard.gates(s)
    assert (
        gate["offline_since"] == (NOW + timedelta(minutes=20)).isoformat()
        and gate["offline_since_or_earlier"]
    )


def test_times_are_in_each_campus_zone_and_a_policy_change_moves_the_campus(
    world: World, tmp_path: Path
) -> None:
    with session_scope(world.engine) as s:
        berlin = registry.add_campus(s, code="berlin", name_zh="柏林校区", timezone="Europe/Berlin")
        s.add(Gate(gate_id="berlin-main", campus_id=berlin.id, name_zh="正门"))
        s.flush()
        assert dashboard.zones(s) == (
            "Asia/Shanghai",  # the first campus's: the page's own clock
            {world.gate_id: "Asia/Shanghai", "berlin-main": "Europe/Berlin"},
        )
        actor = create_user(s, "tz", "pw-123456", [Role.SECURITY])
        registry.change_policy(s, actor=actor, campus_id=world.campus_id, changes={"timezone": "Asia/Urumqi"})
    with session_scope(world.engine) as s:
        # the policy's zone is the campus's: reports, cards, the phone page and the dashboard follow it
        assert s.get(Campus, world.campus_id).timezone == "Asia/Urumqi"  # type: ignore[union-attr]
        assert dashboard.zones(s)[0] == "Asia/Urumqi"
        viewer = s.exec(select(User).where(User.username == "tz")).one()
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, issue_session(app, viewer))
    html = client.get("/dashboard").text
    assert '<body data-tz="Asia/Urumqi"' in html and '"berlin-main": "Europe/Berlin"' in html
    assert '<body data-tz="Asia/Shanghai">' in client.get("/console/households").text  # the office's clock


def test_audit_checkpoint_cli_appends_the_head_once(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import text

    from campusgate.cli import main
    from central.audit import checkpoints as audit_checkpoints

    db = f"sqlite:///{tmp_path}/central.models.db"  # the world's database file
    path = tmp_path / "office" / "checkpoints.jsonl"
    argv = ["audit", "checkpoint", "--database-url", db, "--file", str(path)]
    assert main(argv) == 0 and not path.exists()
    assert "empty" in capsys.readouterr().out

    world.service.handle(*world.scan("zhang"), NOW)
    world.service.handle(*world.scan("staff", at=NOW + timedelta(minutes=1)), NOW)
    assert main(argv) == 0 and main(argv) == 0  # the second finds the head already there
    out = capsys.readouterr().out
    assert "seq 2 appended" in out and "seq 2 already in" in out
    [kept] = audit_checkpoints.read(path)
    assert kept.seq == 2
    assert main(["audit", "verify", "--database-url", db, "--checkpoints", str(path)]) == 0

    world.service.handle(*world.scan("wang", at=NOW + timedelta(minutes=2)), NOW)
    assert main(argv) == 0
    assert [k.seq for k in audit_checkpoints.read(path)] == [2, 3]

    with world.engine.begin() as c:  # an edited row: no checkpoint may vouch for a log that fails to verify
        c.execute(text("UPDATE entry_event SET celsius = 35.0 WHERE seq = 1"))
    assert main(argv) == 1
    assert "no checkpoint taken" in capsys.readouterr().out
    assert len(audit_checkpoints.read(path)) == 2
    path.write_text(path.read_text() + "not json\n")  # a damaged office file: a reason, not a traceback
    assert main(argv) == 2
    assert f"{path}:3: not a checkpoint" in capsys.readouterr().err
    verify_argv = ["audit", "verify", "--database-url", db, "--checkpoints", str(path)]
    assert main(verify_argv) == 2

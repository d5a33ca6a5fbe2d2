"""The phone pass at a real gate: a code fetched from the holder's link is accepted online and, after
the network goes, offline; a screenshot two minutes old is refused both ways as expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from central.demo.passes import demo_passes
from central.models.registry import Pass
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gatecore.messages import Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from tests.api_auth import bearer
from tests.gate_agent.conftest import gate_settings, wait_until
from tests.integration.conftest import seeded_central
from transport.broker import MosquittoBroker, free_port

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")
READING = Temperature(36.5, SensorStatus.OK)


def test_phone_code_online_offline_and_screenshot(tmp_path: Path) -> None:
    (tmp_path / "mosq").mkdir()
    broker = MosquittoBroker(port=free_port(), workdir=tmp_path / "mosq").start()
    central = seeded_central(broker.port, tmp_path)
    with Session(central.engine) as s:
        resident = demo_passes(s, central.keyring, campus_code="wucheng", roles={"resident"})[0]
    central.start()
    assert central.app is not None and central.api_url is not None
    api, auth = central.api_url, bearer(central.app, central.engine, "security")
    now = datetime.now(UTC)
    body = {
        "person_id": resident.person_id,
        "form": "PHONE",
        "valid_from": (now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(days=7)).isoformat(),
    }
    [issued] = httpx.post(f"{api}/api/v1/passes", json=body, headers=auth, timeout=5).json()
    link_url = f"{api}/api/v1/people/{resident.person_id}/phone-link"
    link = httpx.post(link_url, headers=auth, timeout=5).json()["url"]
    with Session(central.engine) as s:
        row = s.get(Pass, issued["id"])
        assert row is not None
        screenshot = central.keyring.issue(row, now=now - timedelta(minutes=2))  # what the phone showed then

    shown = RecordingDisplay()
    settings = gate_settings(tmp_path, resident.gate_ids[0], broker.port)
    agent = build_agent(settings, display=shown, relay=RecordingRelay())
    agent.start()

    def scan(qr: str):  # type: ignore[no-untyped-def]
        event_id = agent.submit_scan(qr, READING)
        return shown.wait_for(lambda v: v.event_id == event_id, timeout=10)

    try:
        assert wait_until(lambda: agent.link.up and agent.offline.policy_version > 0, 10)
        online = scan(httpx.get(f"{link}/code", timeout=5).json()["qr"])
        assert (online.verdict, online.reason, online.offline) == (Verdict.ALLOW, Reason.OK, False)
        old = scan(screenshot)
        assert (old.verdict, old.reason, old.offline) == (Verdict.DENY, Reason.PASS_EXPIRED, False)

        fresh = httpx.get(f"{link}/code", timeout=5).json()["qr"]  # fetched just before the network goes
        central.stop()
        broker.kill()
        assert wait_until(lambda: not agent.link.up, 10)
        offline = scan(fresh)
        assert (offline.verdict, offline.offline) == (Verdict.ALLOW, True)
        old = scan(screenshot)
        assert (old.verdict, old.reason, old.offline) == (Verdict.DENY, Reason.PASS_EXPIRED, True)
    finally:
        agent.stop()
        central.stop()
        broker.stop()

"""Two members of one household admitted offline at two gates: after the network returns, the
outboxes drain and central flags the second admission as a conflict (entry log and REST)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from central.app import build_central
from central.demo.passes import demo_passes
from central.models.journal import EntryEvent
from central.models.registry import Gate
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gatecore.messages import Temperature
from gatecore.reasons import Verdict
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_settings, wait_until
from tests.integration.conftest import seeded_central
from transport.broker import MosquittoBroker, free_port

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")


def _agent(tmp_path: Path, gate: str, port: int) -> tuple[GateAgent, RecordingDisplay]:
    settings = gate_settings(tmp_path, gate, port, data_dir=tmp_path / gate, resend_after_s=0.5)
    display = RecordingDisplay()
    agent = build_agent(settings, display=display, relay=RecordingRelay())
    agent.start()
    return agent, display


def test_second_offline_admission_of_a_household_is_flagged(tmp_path: Path) -> None:
    broker = MosquittoBroker(port=free_port(), workdir=tmp_path / "mosq")
    (tmp_path / "mosq").mkdir()
    broker.start()
    central = seeded_central(broker.port, tmp_path)
    settings = central.settings
    with Session(central.engine) as s:
        passes = demo_passes(s, central.keyring, campus_code="wucheng", roles={"resident"})
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
        for gate in ("conflict-a", "conflict-b"):
            s.add(Gate(gate_id=gate, campus_id=campus_id, name_zh=gate, name_en=gate, open=True))
        s.commit()
    households: dict[int, list] = {}
    for p in passes:
        households.setdefault(p.household_id, []).append(p)
    first, second = next(m[:2] for m in households.values() if len(m) >= 2)
    central.start()
    (a, shown_a), (b, shown_b) = (
        _agent(tmp_path, "conflict-a", broker.port),
        _agent(tmp_path, "conflict-b", broker.port),
    )
    try:
        # the gates learn policy and keys from the retained config while the network is up
        assert wait_until(lambda: a.offline.policy_version > 0 and b.offline.policy_version > 0, 10)
        central.stop()
        broker.kill()
        assert wait_until(lambda: not a.link.up and not b.link.up, 10)

        reading = Temperature(36.5, SensorStatus.OK)
        first_id = a.submit_scan(first.token, reading)
        second_id = b.submit_scan(second.token, reading)
        va = shown_a.wait_for(lambda v: v.event_id == first_id)
        vb = shown_b.wait_for(lambda v: v.event_id == second_id)
        assert (va.verdict, va.offline, vb.verdict, vb.offline) == (Verdict.ALLOW, True, Verdict.ALLOW, True)

        b.stop()  # gate B stays dark a little longer, so gate A's admission reaches central first
        broker.start()
        central = build_central(settings)
        central.start()
        assert wait_until(lambda: a.outbox.depth() == 0, 15)
        b, shown_b = _agent(tmp_path, "conflict-b", broker.port)
        assert wait_until(lambda: b.outbox.depth() == 0, 15)

        with Session(central.engine) as s:
            rows = {
                r.event_id: r
                for r in s.exec(
                    select(EntryEvent).where(EntryEvent.gate_id.in_(["conflict-a", "conflict-b"]))
                )
            }
        assert rows[first_id].conflict is None and rows[first_id].offline_verdict == "allow"
        assert rows[second_id].offline_verdict == "allow"
        assert "household day already held" in (rows[second_id].conflict or "")
        assert rows[second_id].person_id == second.person_id

        from central.office.users import ensure_admin

        with Session(central.engine) as s:
            ensure_admin(s, "admin", "conflict-test")
            s.commit()
        assert httpx.get(f"{central.api_url}/api/v1/conflicts", timeout=5).status_code == 401
        token = httpx.post(
            f"{central.api_url}/api/v1/auth/token",
            data={"username": "admin", "password": "conflict-test"},
            timeout=5,
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        listed = httpx.get(f"{central.api_url}/api/v1/conflicts", headers=auth, timeout=5).json()
        assert [c["event_id"] for c in listed] == [second_id]
        assert listed[0]["household_id"] == second.household_id and listed[0]["offline_verdict"] == "allow"
        assert (
            httpx.get(
                f"{central.api_url}/api/v1/conflicts?gate_id=conflict-a", headers=auth, timeout=5
            ).json()
            == []
        )
    finally:
        a.stop()
        b.stop()
        central.stop()
        broker.stop()

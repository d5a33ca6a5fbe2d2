"""Chaos: four real gate agents, a real Mosquitto killed and restarted twice, central stopped and
rebuilt once, a few thousand scans - afterwards every event is in central exactly once and every
outbox is empty."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.app import CentralHandle, build_central
from central.demo.passes import demo_passes
from central.demo.seed import local_today, seed_demo
from central.models.journal import EntryEvent
from central.models.registry import Gate
from central.settings import CentralSettings
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gatecore.messages import Temperature
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_settings
from transport.broker import MosquittoBroker, free_port

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")

GATES = ("chaos-a", "chaos-b", "chaos-c", "chaos-d")
SCANS_PER_GATE = 600
IN_FLIGHT = 8  # scans a gate may have queued and not yet shown


def _agent(tmp_path: Path, gate: str, port: int) -> tuple[GateAgent, RecordingDisplay]:
    settings = gate_settings(
        tmp_path, gate, port, data_dir=tmp_path / gate, decision_timeout_s=0.3, resend_after_s=0.5
    )
    settings.data_dir.mkdir(parents=True)
    display = RecordingDisplay()
    return build_agent(settings, display=display, relay=RecordingRelay()), display


def _drive(
    agent: GateAgent, display: RecordingDisplay, tokens: list[str], made: list[str], progress: Counter
) -> None:
    """Scan as fast as the gate answers, never more than IN_FLIGHT ahead of its display."""
    for i in range(SCANS_PER_GATE):
        while len(display.views) < i - IN_FLIGHT:
            time.sleep(0.002)
        made.append(agent.submit_scan(tokens[i % len(tokens)], Temperature(36.5, SensorStatus.OK)))
        progress[agent.settings.gate_id] += 1


def test_every_event_once_through_broker_and_central_crashes(tmp_path: Path) -> None:
    broker = MosquittoBroker(port=free_port(), workdir=tmp_path / "mosq")
    (tmp_path / "mosq").mkdir()
    broker.start()
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/central.models.db", mqtt_port=broker.port, data_dir=tmp_path
    )
    central: CentralHandle = build_central(settings, api=False)
    with Session(central.engine) as s:
        seed_demo(s, central.keyring, local_today(datetime.now(UTC)))
        s.commit()
        passes = demo_passes(s, central.keyring, campus_code="wucheng")
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
        for gate in GATES:
            s.add(Gate(gate_id=gate, campus_id=campus_id, name_zh=gate, name_en=gate, open=True))
        s.commit()
    central.start()
    tokens = [p.token for p in passes]

    agents = [_agent(tmp_path, gate, broker.port) for gate in GATES]
    made: dict[str, list[str]] = {gate: [] for gate in GATES}
    progress: Counter[str] = Counter()
    drivers = [
        threading.Thread(target=_drive, args=(a, d, tokens, made[a.settings.gate_id], progress), daemon=True)
        for a, d in agents
    ]
    total = SCANS_PER_GATE * len(GATES)
    try:
        for a, _ in agents:
            a.start()
        for t in drivers:
            t.start()

        def at(fraction: float) -> None:
            while sum(progress.values()) < fraction * total and any(t.is_alive() for t in drivers):
                time.sleep(0.01)

        at(0.2)
        broker.kill()  # a crash: no Will for anyone, nothing saved since the last autosave
        time.sleep(1.5)
        broker.start()
        at(0.45)
        central.stop()
        time.sleep(1.5)
        central = build_central(settings, api=False)
        central.start()
        at(0.7)
        broker.kill()
        time.sleep(1.5)
        broker.start()
        for t in drivers:
            t.join(60)
        assert not any(t.is_alive() for t in drivers), "the gates stopped answering scans"

        expected = {e for ids in made.values() for e in ids}
        assert len(expected) == total

        def logged() -> list[str]:
            with Session(central.engine) as s:
                return list(
                    s.exec(
                        select(EntryEvent.event_id).where(
                            EntryEvent.gate_id.in_(GATES), EntryEvent.kind == "decision"
                        )
                    )
                )

        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if all(a.outbox.depth() == 0 for a, _ in agents) and len(logged()) >= total:
                break
            time.sleep(0.25)
        rows = logged()
        doubled = [e for e, n in Counter(rows).items() if n > 1]
        assert not doubled, f"{len(doubled)} events logged twice"
        assert not expected - set(rows), f"{len(expected - set(rows))} events missing from central"
        assert set(rows) == expected
        assert [a.outbox.depth() for a, _ in agents] == [0] * len(agents)
        # every scan was answered on the gate's screen, online or offline
        assert all(len(d.views) == SCANS_PER_GATE for _, d in agents)
        assert any(v.offline for _, d in agents for v in d.views), (
            "the outages never forced an offline decision"
        )
    finally:
        for a, _ in agents:
            a.stop()
        central.stop()
        broker.stop()

"""Central sees what never arrived: a gate whose outbox rows were deleted leaves a gap in its
numbers, a gate restarted from an old backup of its data directory numbers backwards (real
Mosquitto, central, a gate agent)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.audit.gaps import count_gaps
from central.demo.passes import demo_passes
from central.models.journal import SequenceGap
from central.models.registry import Gate
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gatecore.messages import Temperature
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_settings, wait_until
from tests.integration.conftest import seeded_central
from transport.broker import MosquittoBroker, free_port

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")

READING = Temperature(36.5, SensorStatus.OK)
GATE = "gaps-east"


def _start(tmp_path: Path, port: int, data_dir: Path) -> tuple[GateAgent, RecordingDisplay]:
    settings = gate_settings(
        tmp_path, GATE, port, data_dir=data_dir, decision_timeout_s=0.5, resend_after_s=0.5
    )
    display = RecordingDisplay()
    agent = build_agent(settings, display=display, relay=RecordingRelay())
    agent.start()
    return agent, display


def _scan(agent: GateAgent, display: RecordingDisplay, token: str) -> None:
    event_id = agent.submit_scan(token, READING)
    display.wait_for(lambda v: v.event_id == event_id, timeout=10)


def _found(central_engine) -> list[tuple[str, int, int]]:
    with Session(central_engine) as s:
        rows = s.exec(select(SequenceGap).where(SequenceGap.gate_id == GATE).order_by(SequenceGap.id)).all()
        return [(r.kind, r.first_seq, r.last_seq) for r in rows]


def test_deleted_outbox_rows_and_a_restored_backup_are_seen(tmp_path: Path) -> None:
    broker = MosquittoBroker(port=free_port(), workdir=tmp_path / "mosq").start()
    central = seeded_central(broker.port, tmp_path)
    with Session(central.engine) as s:
        passes = demo_passes(s, central.keyring, campus_code="wucheng")
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
        s.add(Gate(gate_id=GATE, campus_id=campus_id, name_zh=GATE, name_en=GATE, open=True))
        s.commit()
    token = passes[0].token
    central.start()
    data_dir = tmp_path / "gate-data"
    agent, display = _start(tmp_path, broker.port, data_dir)
    try:
        assert wait_until(lambda: agent.offline.policy_version > 0, 10)
        for _ in range(2):  # seqs 1, 2 reach central
            _scan(agent, display, token)
        assert wait_until(lambda: agent.outbox.depth() == 0, 10)

        broker.stop()  # seqs 3, 4, 5 are decided offline and wait in the outbox
        assert wait_until(lambda: not agent.link.up, 10)
        for _ in range(3):
            _scan(agent, display, token)
        with sqlite3.connect(agent.settings.database_path) as db:  # someone clears part of the outbox
            assert db.execute("DELETE FROM outbox WHERE seq IN (3, 4)").rowcount == 2
        broker.start()
        assert wait_until(lambda: agent.outbox.depth() == 0, 15)
        assert wait_until(lambda: _found(central.engine) == [("gap", 3, 4)], 10), _found(central.engine)

        agent.stop()
        backup = tmp_path / "backup"
        shutil.copytree(data_dir, backup)  # taken after seq 5
        agent, display = _start(tmp_path, broker.port, data_dir)
        for _ in range(2):  # seqs 6, 7 reach central
            _scan(agent, display, token)
        assert wait_until(lambda: agent.outbox.depth() == 0, 10)
        agent.stop()

        shutil.rmtree(data_dir)
        shutil.copytree(backup, data_dir)  # the gate comes back from the old backup
        agent, display = _start(tmp_path, broker.port, data_dir)
        _scan(agent, display, token)  # numbered 6 again
        assert wait_until(lambda: agent.outbox.depth() == 0, 10)
        assert wait_until(lambda: len(_found(central.engine)) == 2, 10)
        assert _found(central.engine) == [("gap", 3, 4), ("regression", 6, 7)]
        with Session(central.engine) as s:
            assert count_gaps(s) == {"missing": 2, "regressions": 1}
    finally:
        agent.stop()
        central.stop()
        broker.stop()

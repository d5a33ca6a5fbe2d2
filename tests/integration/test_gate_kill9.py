"""kill -9 of a gate process holding offline events: the outbox file keeps them, and on restart
with the broker and central up it drains into central exactly once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.app import CentralHandle, build_central
from central.demo.passes import DemoPass, demo_passes
from central.demo.seed import local_today, seed_demo
from central.models.journal import EntryEvent
from central.models.registry import Gate
from central.settings import CentralSettings
from gatecore.messages import ScanEvent
from tests.gate_agent.conftest import wait_until
from transport.broker import MosquittoBroker, free_port

ROOT = Path(__file__).resolve().parents[2]
GATE = "kill9-gate"
SCANS = 12
RUN = "from gate_agent.main import run_gate; from gate_agent.settings import GateSettings; run_gate(GateSettings(), console=True)"


def _outbox(db: Path) -> list[str] | None:
    """The event ids waiting in the gate's outbox file; None while the file or table is not there yet."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return [r[0] for r in conn.execute("SELECT event_id FROM outbox ORDER BY seq")]
    except sqlite3.OperationalError:
        return None


def _decided_offline(db: Path) -> int:
    """How many outbox events carry the gate's own offline decision (attached after it decided)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            payloads = [r[0] for r in conn.execute("SELECT payload FROM outbox")]
    except sqlite3.OperationalError:
        return 0
    return sum(ScanEvent.from_json(p).offline is not None for p in payloads)


def _spawn(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        CAMPUSGATE_GATE_GATE_ID=GATE,
        CAMPUSGATE_GATE_MQTT_PORT=str(port),
        CAMPUSGATE_GATE_CAMERA=str(tmp_path / "none.avi"),
        CAMPUSGATE_GATE_SERIAL_PORT=str(tmp_path / "ttyNONE"),
        CAMPUSGATE_GATE_DATA_DIR=str(tmp_path / "gate"),
        CAMPUSGATE_GATE_RESEND_AFTER_S="0.5",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return subprocess.Popen(
        [sys.executable, "-c", RUN],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def central_with_gate(tmp_path: Path, port: int) -> tuple[CentralHandle, list[DemoPass]]:
    """Central (not started) on SQLite with the demo campuses and GATE registered at wucheng; its passes."""
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/central.models.db", mqtt_port=port, data_dir=tmp_path
    )
    central = build_central(settings, api=False)
    with Session(central.engine) as s:
        seed_demo(s, central.keyring, local_today(datetime.now(UTC)))
        s.commit()
        passes = demo_passes(s, central.keyring, campus_code="wucheng")
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
        s.add(Gate(gate_id=GATE, campus_id=campus_id, name_zh=GATE, name_en=GATE, open=True))
        s.commit()
    return central, passes


@pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")
def test_outbox_survives_kill9_and_drains_once(tmp_path: Path) -> None:
    port = free_port()  # nobody listens yet: the gate starts offline
    central, passes = central_with_gate(tmp_path, port)
    db = tmp_path / "gate" / "gate.sqlite"

    proc = _spawn(tmp_path, port)
    broker = MosquittoBroker(port=port, workdir=tmp_path / "mosq")
    (tmp_path / "mosq").mkdir()
    try:
        assert proc.stdin is not None
        for p in passes[:SCANS]:  # the guard types the temperature, then the code, at the console
            proc.stdin.write(f"36.6\nscan {p.token}\n".encode())
        proc.stdin.flush()
        assert wait_until(lambda: len(_outbox(db) or []) == SCANS, 20), "scans never reached the outbox"
        # killed once the gate has acted on every scan (one it never acted on: test_gate_restart_unacted)
        assert wait_until(lambda: _decided_offline(db) == SCANS, 20), "scans never decided offline"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = _outbox(db) or []
        assert len(before) == len(set(before)) == SCANS  # intact after the crash

        broker.start()
        central.start()
        proc = _spawn(tmp_path, port)
        assert wait_until(lambda: _outbox(db) == [], 30), "the outbox did not drain"
        with Session(central.engine) as s:
            rows = s.exec(
                select(EntryEvent.event_id).where(EntryEvent.gate_id == GATE, EntryEvent.kind == "decision")
            ).all()
            offline = s.exec(select(EntryEvent.offline_verdict).where(EntryEvent.gate_id == GATE)).all()
        assert Counter(rows) == Counter(before)  # each exactly once
        assert all(v is not None for v in offline)  # central kept the gate's own offline decisions
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        central.stop()
        broker.stop()

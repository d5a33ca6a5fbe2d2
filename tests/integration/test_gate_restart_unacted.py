"""kill -9 of a gate while it waits for central's answer: nothing was shown or opened for that scan.
On restart the gate sends it as not decided by the gate (refer, ``gate_restarted``), so central logs
it with the gate's own verdict beside its own, flags the difference, and the household's day stays
free for the person who never came in."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.models.journal import EntryEvent, HouseholdDay
from gatecore import topics
from gatecore.messages import GateStatus, ScanEvent
from tests.gate_agent.conftest import wait_until
from tests.integration.test_gate_kill9 import GATE, _outbox, _spawn, central_with_gate
from tests.mqtt_probe import Probe
from transport.broker import MosquittoBroker, free_port


def _stored(db: Path) -> list[ScanEvent]:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return [ScanEvent.from_json(r[0]) for r in conn.execute("SELECT payload FROM outbox")]


def _online(probe: Probe) -> bool:
    m = probe.next_message(0.2)
    return m is not None and GateStatus.from_json(m.payload).state == "online"


@pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")
def test_scan_killed_before_its_answer_is_logged_as_not_decided_by_the_gate(tmp_path: Path) -> None:
    port = free_port()
    central, passes = central_with_gate(tmp_path, port)
    resident = next(p for p in passes if p.role == "resident")
    db = tmp_path / "gate" / "gate.sqlite"
    (tmp_path / "mosq").mkdir()
    broker = MosquittoBroker(port=port, workdir=tmp_path / "mosq")
    broker.start()  # the broker is up, central is not: the gate publishes and waits for an answer
    proc = _spawn(tmp_path, port, CAMPUSGATE_GATE_DECISION_TIMEOUT_S="120")
    try:
        # the scan must find the gate online (its link up), or it is decided offline at once
        with Probe(port, "restart-watch") as probe:
            probe.connect()
            probe.subscribe(topics.gate_status(GATE))
            assert wait_until(lambda: _online(probe), 30), "the gate never came online"
        assert proc.stdin is not None
        proc.stdin.write(f"36.6\nscan {resident.token}\n".encode())
        proc.stdin.flush()
        assert wait_until(lambda: len(_outbox(db) or []) == 1, 20), "the scan never reached the outbox"
        [waiting] = _stored(db)
        assert waiting.offline is None  # stored, sent, not yet acted on
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

        central.start()
        proc = _spawn(tmp_path, port)
        assert wait_until(lambda: _outbox(db) == [], 30), "the outbox did not drain"
        with Session(central.engine) as s:
            [row] = s.exec(select(EntryEvent).where(EntryEvent.gate_id == GATE)).all()
            days = s.exec(select(HouseholdDay).where(HouseholdDay.event_id == waiting.event_id)).all()
        assert row.event_id == waiting.event_id and row.kind == "decision"
        assert (row.offline_verdict, row.offline_reason) == ("refer", "gate_restarted")
        assert row.verdict == "allow"  # central's own verdict stays beside the gate's
        assert row.conflict is not None and "gate_restarted" in row.conflict
        assert days == []  # the person never came in: the household's day is not taken
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        central.stop()
        broker.stop()

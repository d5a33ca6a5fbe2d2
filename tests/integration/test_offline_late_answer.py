"""A late answer must not erase what a gate did offline (real Mosquitto, central, two gate agents).

Gate A admits household member 1 online; central stops while the broker stays up; gate B waits for
an answer, times out and admits member 2 offline (one relay pulse); central comes back and decides
the queued original copy first (deny: the day is used). Whether that answer reaches gate B before
its first resend, between two resends or after them, the log ends with central's verdict, B's
offline admission in a reconciliation row flagged as a conflict, and B's outbox drained.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.app import CentralHandle, build_central
from central.audit.chain import verify
from central.demo.passes import DemoPass, demo_passes
from central.models.journal import EntryEvent
from central.models.registry import Gate
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gatecore import topics
from gatecore.messages import DecisionMessage, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_settings, wait_until
from tests.integration.conftest import seeded_central
from transport.broker import MosquittoBroker, free_port
from transport.mqtt import LinkOptions, MqttLink

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")

READING = Temperature(36.5, SensorStatus.OK)


@dataclass
class Wire:
    """What crossed the broker for one gate, in order: ('event', offline?) and ('answer', recorded?)."""

    seen: list[tuple[str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, flag: bool) -> None:
        with self.lock:
            self.seen.append((kind, flag))

    def count(self, kind: str, flag: bool) -> int:
        with self.lock:
            return self.seen.count((kind, flag))

    def first(self, kind: str, flag: bool) -> int:
        with self.lock:
            return self.seen.index((kind, flag))


def _spy(port: int, gate: str, wire: Wire) -> MqttLink:
    link = MqttLink(f"spy-{gate}", LinkOptions(port=port))
    link.subscribe(
        topics.gate_events(gate), lambda _t, p: wire.add("event", ScanEvent.from_json(p).offline is not None)
    )
    link.subscribe(
        topics.gate_decisions(gate),
        lambda _t, p: wire.add("answer", DecisionMessage.from_json(p).offline_recorded),
    )
    link.start(wait=10)
    return link


def _agent(
    tmp_path: Path, gate: str, port: int, resend_after_s: float, timeout_s: float
) -> tuple[GateAgent, RecordingDisplay, RecordingRelay]:
    settings = gate_settings(
        tmp_path,
        gate,
        port,
        data_dir=tmp_path / gate,
        decision_timeout_s=timeout_s,
        resend_after_s=resend_after_s,
    )
    display, relay = RecordingDisplay(), RecordingRelay()
    agent = build_agent(settings, display=display, relay=relay)
    agent.start()
    return agent, display, relay


@dataclass
class Campus:
    broker: MosquittoBroker
    central: CentralHandle
    members: tuple[DemoPass, DemoPass]


@pytest.fixture
def campus(tmp_path: Path) -> Iterator[Campus]:
    broker = MosquittoBroker(port=free_port(), workdir=tmp_path / "mosq").start()
    central = seeded_central(broker.port, tmp_path)
    with Session(central.engine) as s:
        passes = demo_passes(s, central.keyring, campus_code="wucheng", roles={"resident"})
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
        for gate in ("late-a", "late-b"):
            s.add(Gate(gate_id=gate, campus_id=campus_id, name_zh=gate, name_en=gate, open=True))
        s.commit()
    households: dict[int, list[DemoPass]] = {}
    for p in passes:
        households.setdefault(p.household_id, []).append(p)
    first, second = next(m[:2] for m in households.values() if len(m) >= 2)
    central.start()
    made = Campus(broker, central, (first, second))
    yield made
    made.central.stop()
    broker.stop()


# (resend interval, offline copies on the wire before central returns): central's answer to the
# original copy reaches the gate before its first resend, between the first and second, after two
@pytest.mark.parametrize(
    "resend_after_s,copies_before_restart", [(6.0, 0), (2.0, 1), (0.5, 2)], ids=["before", "between", "after"]
)
def test_late_answer_keeps_the_offline_admission(
    campus: Campus, tmp_path: Path, resend_after_s: float, copies_before_restart: int
) -> None:
    first, second = campus.members
    port = campus.broker.port
    wire = Wire()
    spy = _spy(port, "late-b", wire)
    # gate A must be answered online even on a loaded machine; gate B gives up on central quickly
    a, shown_a, _ = _agent(tmp_path, "late-a", port, 1.0, timeout_s=10.0)
    b, shown_b, relay_b = _agent(tmp_path, "late-b", port, resend_after_s, timeout_s=0.5)
    central = campus.central
    try:
        assert wait_until(lambda: a.offline.policy_version > 0 and b.offline.policy_version > 0, 10)
        first_id = a.submit_scan(first.token, READING)
        online = shown_a.wait_for(lambda v: v.event_id == first_id, timeout=15)
        assert (online.verdict, online.offline) == (Verdict.ALLOW, False)

        central.stop()  # the broker stays up: gate B's copy waits for central in its session
        event_id = b.submit_scan(second.token, READING)
        offline = shown_b.wait_for(lambda v: v.event_id == event_id, timeout=10)
        assert (offline.verdict, offline.offline, relay_b.count) == (Verdict.ALLOW, True, 1)
        assert wait_until(lambda: wire.count("event", True) >= copies_before_restart, 15)

        central = campus.central = build_central(central.settings)
        central.start()
        assert wait_until(lambda: b.outbox.depth() == 0, 20), f"outbox kept; wire: {wire.seen}"

        # the order this case is about really happened on the wire
        unrecorded = wire.first("answer", False)
        if copies_before_restart == 0:
            assert unrecorded < wire.first("event", True), wire.seen
        else:
            offline_copies = [i for i, seen in enumerate(wire.seen) if seen == ("event", True)]
            assert offline_copies[copies_before_restart - 1] < unrecorded, wire.seen
            if copies_before_restart == 1 and len(offline_copies) > 1:
                assert unrecorded < offline_copies[1], wire.seen
        assert wire.count("answer", True) >= 1, wire.seen
        assert relay_b.count == 1  # the late answers did not open the barrier again

        with Session(central.engine) as s:
            rows = list(
                s.exec(select(EntryEvent).where(EntryEvent.gate_id == "late-b").order_by(EntryEvent.seq))
            )
            assert verify(s).ok
        decided = [r for r in rows if r.event_id == event_id]
        reconciled = [r for r in rows if r.of_event == event_id]
        assert len(decided) == 1 and len(reconciled) == 1, [(r.kind, r.event_id) for r in rows]
        assert (decided[0].verdict, decided[0].reason) == ("deny", Reason.HOUSEHOLD_DAY_USED.value)
        assert decided[0].offline_verdict is None  # central decided the copy sent before the gate did
        row = reconciled[0]
        assert (row.kind, row.offline_verdict, row.offline_reason) == ("offline_reconcile", "allow", "ok")
        assert row.conflict and "gate decided allow/ok offline" in row.conflict
        assert row.person_id == second.person_id
    finally:
        spy.stop()
        a.stop()
        b.stop()

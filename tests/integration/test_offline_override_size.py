"""A guard's override decided offline must reach the entry log: real Mosquitto, central and gate agent.

The gate refuses an override central could not take (a pasted essay) before it stores it. What it
stores goes out again carrying its offline decision and its sequence number, both larger than the
draft it checked: an explanation that left the draft just under the message limit used to be stored,
decided offline and shown, and then refused by central on every resend, so the outbox never drained
and what the guard did never reached the entry log.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.demo.passes import demo_passes
from central.models.journal import EntryEvent, RejectedMessage
from central.models.registry import Gate
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gate_agent.errors import RefusedEventError
from gatecore.ids import uuid7
from gatecore.messages import Override, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.wire import MAX_PAYLOAD
from tests.gate_agent.conftest import gate_settings, wait_until
from tests.integration.conftest import seeded_central
from transport.broker import MosquittoBroker, free_port

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")

GATE = "size-gate"


def _longest_draft_reason(of: ScanEvent) -> str:
    """The longest explanation whose override, as first drafted (no number yet, no offline decision),
    still fits a message: what a check of the draft alone lets through."""
    draft = dataclasses.replace(of, event_id=uuid7(0, os.urandom(10)), seq=0, offline=None, symptoms=())
    n = 0
    while True:
        words = "x" * (n + 1)
        wider = dataclasses.replace(draft, override=Override(of.event_id, "guard", Verdict.ALLOW, words))
        if len(wider.to_json()) > MAX_PAYLOAD - 32:  # a margin for the gate clock's own text
            return "x" * n
        n += 1


def test_every_override_the_gate_stores_reaches_the_log_once(tmp_path: Path) -> None:
    port = free_port()  # nobody listens yet: the gate is offline
    central = seeded_central(port, tmp_path)
    with Session(central.engine) as s:
        token = demo_passes(s, central.keyring, campus_code="wucheng", roles={"resident"})[0].token
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == "wucheng-north")).one()
        s.add(Gate(gate_id=GATE, campus_id=campus_id, name_zh=GATE, name_en=GATE, open=True))
        s.commit()
    display = RecordingDisplay()
    settings = gate_settings(tmp_path, GATE, port, data_dir=tmp_path / "gate", resend_after_s=0.5)
    agent = build_agent(settings, display=display, relay=RecordingRelay())
    broker = MosquittoBroker(port=port, workdir=tmp_path / "mosq")
    (tmp_path / "mosq").mkdir()
    agent.start()
    try:
        scan = agent.submit_scan(token, Temperature(36.5, SensorStatus.OK))
        display.wait_for(lambda v: v.event_id == scan, timeout=10)
        assert agent.last_event is not None
        of = agent.last_event
        stored, refused = [], []
        essay = _longest_draft_reason(of)
        for words in (essay, "phoned the office"):
            try:
                stored.append(agent.submit_override(of, allow=True, reason=words, guard="north-post-1"))
            except RefusedEventError:
                refused.append(words)
        assert refused == [essay]  # at the keyboard, before it took a number: no gap at central
        for event_id in stored:  # decided at the gate, shown: the guard acted on it
            view = display.wait_for(lambda v, e=event_id: v.event_id == e, timeout=10)
            assert (view.offline, view.reason) == (True, Reason.OK_OVERRIDE)
        assert wait_until(lambda: agent.outbox.depth() == 1 + len(stored), 10)

        broker.start()
        central.start()
        drained = wait_until(lambda: agent.outbox.depth() == 0, 20)
        with Session(central.engine) as s:
            logged = list(s.exec(select(EntryEvent).where(EntryEvent.gate_id == GATE)))
            dead = list(s.exec(select(RejectedMessage.reason)))
        assert drained, f"outbox kept {agent.outbox.depth()} events; central refused: {dead}"
        assert sorted(r.event_id for r in logged) == sorted([scan, *stored])  # each once
        for row in logged:
            if row.event_id in stored:
                assert (row.offline_verdict, row.override_verdict) == ("allow", "allow")
        assert dead == []
    finally:
        agent.stop()
        central.stop()
        broker.stop()

"""A campus stored with the zone ``localtime`` (before zones were checked on write), through the real
broker: its scans are answered ``refer`` (decision_error) and kept as dead letters, never decided on
the server's day and never left unanswered; the other campuses decide as ever."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from central.app import CentralHandle
from central.demo.passes import DemoPass, demo_passes
from central.models.journal import EntryEvent, RejectedMessage
from central.models.registry import Campus, CampusPolicyRow
from gatecore import topics
from gatecore.messages import DecisionMessage, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from tests.integration.conftest import seeded_central
from transport.mqtt import LinkOptions, MqttLink


@pytest.fixture
def central(broker, tmp_path: Path) -> Iterator[CentralHandle]:
    """The demo campuses, 坞城 stored with the zone ``localtime`` before central starts."""
    handle = seeded_central(broker.port, tmp_path)
    with Session(handle.engine) as s:
        campus = s.exec(select(Campus).where(Campus.code == "wucheng")).one()
        campus.timezone = "localtime"
        row = s.exec(
            select(CampusPolicyRow)
            .where(CampusPolicyRow.campus_id == campus.id)
            .order_by(col(CampusPolicyRow.version).desc())
        ).first()
        assert row is not None
        row.policy_json = json.dumps({**json.loads(row.policy_json), "timezone": "localtime"})
        s.add_all([campus, row])
        s.commit()
    handle.start()
    yield handle
    handle.stop()


def _scan(p: DemoPass, gate_id: str) -> ScanEvent:
    return ScanEvent(
        event_id=str(uuid.uuid4()),
        gate_id=gate_id,
        seq=1,
        gate_time=datetime.now(UTC),
        qr=p.token,
        temperature=Temperature(36.5, SensorStatus.OK),
        direction="in",
    )


def test_a_scan_on_a_localtime_campus_is_answered_refer_and_kept(central: CentralHandle, broker) -> None:
    with Session(central.engine) as s:
        passes = demo_passes(s, central.keyring)
    here = next(p for p in passes if p.role == "resident" and p.campus_code == "wucheng")
    there = next(p for p in passes if p.role == "resident" and p.campus_code == "changfeng")
    scans = {"wucheng-east": _scan(here, "wucheng-east"), "changfeng-north": _scan(there, "changfeng-north")}
    answers: dict[str, DecisionMessage] = {}
    got = threading.Condition()

    def on_decision(topic: str, payload: bytes) -> None:
        with got:
            msg = DecisionMessage.from_json(payload)
            answers[msg.event_id] = msg
            got.notify_all()

    link = MqttLink(f"zone-{uuid.uuid4().hex[:6]}", LinkOptions(port=broker.port))
    for gate_id in scans:
        link.subscribe(topics.gate_decisions(gate_id), on_decision)
    link.start()
    try:
        for gate_id, event in scans.items():
            link.publish(topics.gate_events(gate_id), event.to_json())
        with got:
            assert got.wait_for(lambda: len(answers) == 2, timeout=10), answers
    finally:
        link.stop()
    refused = answers[scans["wucheng-east"].event_id]
    assert (refused.verdict, refused.reason) == (Verdict.REFER, Reason.DECISION_ERROR)
    # it was decided on the server's day before (allow); the other campus decides as ever
    assert answers[scans["changfeng-north"].event_id].verdict is Verdict.ALLOW
    with Session(central.engine) as s:
        letters = s.exec(select(RejectedMessage)).all()
        logged = s.exec(select(EntryEvent).where(EntryEvent.event_id == refused.event_id)).all()
    assert [letter.reason for letter in letters] == [
        "decision failed: ZoneInfoNotFoundError: \"time zone 'localtime' is not in the IANA database\""
    ]
    assert [(e.verdict, e.reason) for e in logged] == [("refer", "decision_error")]

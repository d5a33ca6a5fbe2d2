"""End to end through real parts: virtual MJPEG camera → OpenCV + pyzbar → gate agent, pty
thermometer → pyserial, MQTT broker, central on SQLite, decision on the gate's display."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlmodel import Session, select

from central.models.journal import EntryEvent, FeverAlert, RejectedMessage
from firmware_sim.scenario import Arrival
from gatecore import topics
from gatecore.messages import DecisionMessage, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from tests.api_auth import bearer
from transport.mqtt import LinkOptions, MqttLink


def household_with_two(passes) -> tuple:
    by_household: dict[int, list] = {}
    for p in passes:
        if p.role == "resident" and p.household_id and p.campus_code == "wucheng":
            by_household.setdefault(p.household_id, []).append(p)
    return next(members[:2] for members in by_household.values() if len(members) >= 2)


def rows(central, **where) -> list[EntryEvent]:
    with Session(central.engine) as s:
        q = select(EntryEvent)
        for k, v in where.items():
            q = q.where(getattr(EntryEvent, k) == v)
        return list(s.exec(q.order_by(EntryEvent.seq)))


def test_household_day_through_camera_and_thermometer(central, passes, rig) -> None:
    first, second = household_with_two(passes)
    gate_in = rig("wucheng-north")
    gate_out = rig("wucheng-east", direction="out")

    view = gate_in.visit(Arrival("wucheng-north", first.token, 36.6))
    assert view.verdict is Verdict.ALLOW and view.reason is Reason.OK
    assert view.celsius == 36.6 and "*" in view.holder and view.household.startswith("坞城校区")
    assert gate_in.relay.wait_for_count(1, timeout=2)
    [row] = rows(central, event_id=view.event_id)
    assert (row.verdict, row.reason, row.person_id, row.gate_id, row.celsius) == (
        "allow",
        "ok",
        first.person_id,
        "wucheng-north",
        36.6,
    )

    # the second member of the household, same day, another gate: refused, naming who holds the day
    refused = gate_out.visit(Arrival("wucheng-east", second.token, 36.5))
    assert refused.verdict is Verdict.DENY and refused.reason is Reason.HOUSEHOLD_DAY_USED
    assert refused.detail["day_holder"] == view.holder
    assert rows(central, event_id=refused.event_id)[0].reason == "household_day_used"

    # the first member goes out and comes back in (repeat suppression is per gate and a few seconds)
    out = gate_out.visit(Arrival("wucheng-east", first.token, 36.4))
    assert out.verdict is Verdict.ALLOW, out
    assert rows(central, event_id=out.event_id)[0].direction == "out"
    time.sleep(4.2)  # past the repeat-suppression window for the same code at the same gate
    back = gate_in.visit(Arrival("wucheng-north", first.token, 36.5))
    assert back.verdict is Verdict.ALLOW


def test_fever_refused_and_alert_stored(central, passes, rig) -> None:
    resident = next(p for p in passes if p.role == "resident" and p.campus_code == "changfeng")
    gate = rig("changfeng-north")
    view = gate.visit(Arrival("changfeng-north", resident.token, 37.5))
    assert view.verdict is Verdict.DENY and view.reason is Reason.FEVER
    assert view.celsius == 37.5
    assert gate.relay.count == 0
    with Session(central.engine) as s:
        [alert] = s.exec(select(FeverAlert).where(FeverAlert.event_id == view.event_id)).all()
    assert alert.celsius == 37.5 and alert.gate_id == "changfeng-north"


def test_foreign_and_forged_codes_are_named_on_the_display(central, passes, rig) -> None:
    resident = next(p for p in passes if p.role == "resident" and p.campus_code == "nanzhonghuan")
    gate = rig("nanzhonghuan-north")
    wechat = gate.visit(Arrival("nanzhonghuan-north", "https://u.wechat.com/EBQ4mK7pZ", 36.5))
    assert wechat.reason is Reason.QR_FOREIGN
    forged = resident.token[:-4] + ("0000" if resident.token[-4:] != "0000" else "1111")
    assert gate.visit(Arrival("nanzhonghuan-north", forged, 36.5)).reason is Reason.TOKEN_BAD_SIGNATURE


def dead_letters(central) -> list[RejectedMessage]:
    with Session(central.engine) as s:
        return list(s.exec(select(RejectedMessage)))


def test_duplicate_delivery_is_stored_once_and_answered_the_same(central, broker, passes) -> None:
    resident = next(p for p in passes if p.role == "resident" and p.campus_code == "wucheng")
    event = ScanEvent(
        event_id=str(uuid.uuid4()),
        gate_id="wucheng-east",
        seq=1,
        gate_time=datetime.now(UTC),
        qr=resident.token,
        temperature=Temperature(36.5, SensorStatus.OK),
        direction="in",
    )
    answers: list[bytes] = []
    got = threading.Condition()

    def on_decision(topic: str, payload: bytes) -> None:
        with got:
            answers.append(payload)
            got.notify_all()

    link = MqttLink(f"dup-{uuid.uuid4().hex[:6]}", LinkOptions(port=broker.port))
    link.subscribe(topics.gate_decisions("wucheng-east"), on_decision)
    link.start()
    try:
        for _ in range(3):
            link.publish(topics.gate_events("wucheng-east"), event.to_json())
        with got:
            assert got.wait_for(lambda: len(answers) >= 3, timeout=10)
        # garbage on the same topic: a dead letter with its reason, no answer, nothing dies
        link.publish(topics.gate_events("wucheng-east"), b"\x00not json")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not dead_letters(central):
            time.sleep(0.05)
    finally:
        link.stop()
    decisions = [DecisionMessage.from_json(a) for a in answers]
    assert len({a for a in answers}) == 1 and decisions[0].event_id == event.event_id
    assert len(rows(central, event_id=event.event_id)) == 1
    assert any("not JSON" in d.reason for d in dead_letters(central))
    assert len(answers) == 3

    # the REST API lists the stored event and the gates
    api, auth = central.api_url, bearer(central.app, central.engine, "security")
    entries = httpx.get(f"{api}/api/v1/entries", params={"gate_id": "wucheng-east"}, headers=auth).json()
    assert [e["event_id"] for e in entries["data"]].count(event.event_id) == 1
    gates = httpx.get(f"{api}/api/v1/gates", headers=auth).json()
    assert "wucheng-east" in json.dumps(gates)

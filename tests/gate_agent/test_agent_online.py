"""The agent online: real broker, a stand-in central answering with gatecore.policy, real camera
file, real decoder and a thermometer on a real pty."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.bootstrap import build_agent
from gate_agent.link import GateLink
from gate_agent.ports import ThermometerHealth
from gate_agent.settings import GateSettings
from gatecore import topics
from gatecore.messages import GateStatus, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus, format_heartbeat, format_measurement
from tests.gate_agent.conftest import (
    PtyDevice,
    StandInCentral,
    gate_id,
    gate_settings,
    make_pass,
    qr_frame,
    wait_until,
)
from transport.broker import EmbeddedBroker, MosquittoBroker
from transport.mqtt import LinkOptions, MqttLink

Broker = MosquittoBroker | EmbeddedBroker
NORMAL = Temperature(36.5, SensorStatus.OK)


class Gate:
    def __init__(self, settings: GateSettings) -> None:
        self.settings = settings
        self.display = RecordingDisplay()
        self.relay = RecordingRelay()
        self.agent = build_agent(settings, display=self.display, relay=self.relay)

    def scan(self, qr: str, temperature: Temperature | None = NORMAL, timeout: float = 5.0):
        eid = self.agent.submit_scan(qr, temperature)
        return self.display.wait_for(lambda v: v.event_id == eid, timeout=timeout)

    def depth(self) -> int:
        return self.agent.outbox.depth()


@pytest.fixture
def online(
    tmp_path: Path, broker: Broker, signing_key: Ed25519PrivateKey
) -> Iterator[tuple[Gate, StandInCentral]]:
    gate = gate_id()
    central = StandInCentral(broker.port, signing_key, gate, revoked=(99,)).start()
    g = Gate(gate_settings(tmp_path, gate, broker.port))
    g.agent.start()
    assert wait_until(lambda: g.agent.link.up and g.agent.offline.policy_version == 1, 10)
    yield g, central
    g.agent.stop()
    central.stop()


def test_central_decides_and_the_outbox_empties(online: tuple[Gate, StandInCentral], signing_key) -> None:
    g, central = online
    first = g.scan(make_pass(signing_key, pass_id=71, household=7))
    assert (first.verdict, first.reason, first.offline) == (Verdict.ALLOW, Reason.OK, False)
    assert (first.holder, first.household, first.celsius) == ("张*明", "坞城校区 7", 36.5)
    assert g.relay.count == 1
    second = g.scan(make_pass(signing_key, pass_id=72, household=7))
    assert (second.verdict, second.reason) == (Verdict.DENY, Reason.HOUSEHOLD_DAY_USED)
    assert second.detail["day_holder"] == "张*明"
    assert g.scan(make_pass(signing_key, pass_id=99, household=9)).reason is Reason.PASS_REVOKED
    assert g.scan("https://u.wechat.com/abc").reason is Reason.QR_FOREIGN  # sent to central all the same
    assert wait_until(lambda: g.depth() == 0, 3)
    assert [e.seq for e in central.events] == [1, 2, 3, 4]
    assert all(e.offline is None for e in central.events)
    assert g.relay.count == 1


def test_an_online_allow_is_remembered_for_a_later_outage(
    online: tuple[Gate, StandInCentral], signing_key
) -> None:
    g, _ = online
    assert g.scan(make_pass(signing_key, pass_id=71, household=7)).verdict is Verdict.ALLOW
    other = ScanEvent(
        str(uuid.uuid4()),
        g.settings.gate_id,
        0,
        datetime.now().astimezone(),
        make_pass(signing_key, pass_id=72, household=7),
        NORMAL,
    )
    assert g.agent.offline.decide(other).reason is Reason.HOUSEHOLD_DAY_USED


def test_no_answer_in_time_decides_offline_and_resends(
    tmp_path: Path, broker: Broker, signing_key: Ed25519PrivateKey
) -> None:
    gate = gate_id()
    central = StandInCentral(broker.port, signing_key, gate)
    g = Gate(gate_settings(tmp_path, gate, broker.port, decision_timeout_s=0.3, resend_after_s=0.3))
    g.agent.start()
    try:
        assert wait_until(lambda: g.agent.link.up, 10)
        started = time.monotonic()
        view = g.scan(make_pass(signing_key, pass_id=71, household=7))  # nobody answers
        assert time.monotonic() - started < 2
        assert (view.verdict, view.reason, view.offline) == (Verdict.REFER, Reason.OFFLINE_NO_CONFIG, True)
        central.start()  # central comes back: the resend carries the offline decision
        assert wait_until(lambda: g.depth() == 0, 10)
        assert central.events[0].event_id == view.event_id
        assert central.events[0].offline is not None
        assert len(g.display.views) == 1
    finally:
        g.agent.stop()
        central.stop()


def test_status_is_retained_with_health_and_policy(
    online: tuple[Gate, StandInCentral], broker: Broker
) -> None:
    g, _ = online
    seen: list[GateStatus] = []
    watcher = MqttLink(f"watch-{uuid.uuid4().hex[:6]}", LinkOptions(port=broker.port))
    watcher.subscribe(
        topics.gate_status(g.settings.gate_id), lambda t, p: seen.append(GateStatus.from_json(p))
    )
    watcher.start()
    try:
        assert wait_until(lambda: any(s.state == "online" and s.policy_version == 1 for s in seen), 5)
        s = seen[-1]
        assert (s.camera, s.thermometer, s.outbox) == ("no_signal", "unplugged", 0)
        g.agent.stop(graceful=False)  # a crash: the broker publishes the Last Will
        assert wait_until(lambda: seen[-1].state == "offline", 30)
    finally:
        watcher.stop()


def test_malformed_decisions_and_configs_are_ignored(
    online: tuple[Gate, StandInCentral], signing_key
) -> None:
    g, central = online
    gate = g.settings.gate_id
    central.link.publish(topics.gate_decisions(gate), b"not json", qos=1)
    central.link.publish(topics.gate_decisions(gate), b'{"v": 1, "type": "decision", "event_id": "x"}', qos=1)
    central.link.publish(topics.gate_config(gate), b'{"v": 1, "type": "config"}', qos=1)
    bad_policy = central.config.to_json().replace(
        b'"campus_id":1,"version"', b'"campus_id":1,"nonsense":1,"version"'
    )
    central.link.publish(topics.gate_config(gate), bad_policy, qos=1)
    time.sleep(0.3)
    assert g.agent.offline.policy_version == 1
    assert g.scan(make_pass(signing_key, pass_id=71, household=7)).verdict is Verdict.ALLOW


def test_late_decision_acknowledges_without_showing_again(
    tmp_path: Path, own_broker: Broker, signing_key: Ed25519PrivateKey
) -> None:
    gate = gate_id()
    central = StandInCentral(own_broker.port, signing_key, gate).start()
    g = Gate(gate_settings(tmp_path, gate, own_broker.port, resend_after_s=0.5))
    g.agent.start()
    try:
        assert wait_until(lambda: g.agent.link.up and g.agent.offline.policy_version == 1, 10)
        own_broker.stop()  # broker (and so central) gone
        assert wait_until(lambda: not g.agent.link.up, 10)
        view = g.scan(make_pass(signing_key, pass_id=71, household=7))
        assert (view.verdict, view.offline) == (Verdict.ALLOW, True)
        assert g.depth() == 1
        own_broker.start()  # same port; gate and central reconnect, the outbox drains
        assert wait_until(lambda: g.depth() == 0, 20)
        assert central.events[-1].event_id == view.event_id
        assert central.events[-1].offline is not None and central.events[-1].offline.reason is Reason.OK
        time.sleep(0.3)
        assert [v.event_id for v in g.display.views] == [view.event_id]  # not shown twice
        assert g.relay.count == 1
    finally:
        g.agent.stop()
        central.stop()


def test_nothing_is_lost_across_a_crash(
    tmp_path: Path, broker: Broker, signing_key: Ed25519PrivateKey
) -> None:
    gate = gate_id()
    offline = Gate(gate_settings(tmp_path, gate))  # no broker at this port
    offline.agent.start()
    ids = [offline.scan(make_pass(signing_key, pass_id=p, household=p)).event_id for p in (1, 2, 3)]
    offline.agent.stop(graceful=False)
    central = StandInCentral(broker.port, signing_key, gate).start()
    g = Gate(gate_settings(tmp_path, gate, broker.port))  # same data dir, now with a broker
    g.agent.start()
    try:
        assert wait_until(lambda: g.depth() == 0, 15)
        assert [e.event_id for e in central.events] == ids
        assert [e.seq for e in central.events] == [1, 2, 3]
        assert all(
            e.offline is not None and e.offline.reason is Reason.OFFLINE_NO_CONFIG for e in central.events
        )
        assert g.display.views == []
    finally:
        g.agent.stop()
        central.stop()


def test_camera_and_thermometer_to_display(
    tmp_path: Path, broker: Broker, signing_key: Ed25519PrivateKey, pty_device: PtyDevice
) -> None:
    token = make_pass(signing_key, pass_id=72, household=8)
    clip = tmp_path / "gate.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for i in range(20):
        writer.write(qr_frame(token, seed=i))
    writer.release()
    gate = gate_id()
    central = StandInCentral(broker.port, signing_key, gate).start()
    g = Gate(
        gate_settings(
            tmp_path,
            gate,
            broker.port,
            camera=str(clip),
            serial_port=pty_device.link,
            decoder="zxing",
            pair_window_s=3.0,
        )
    )
    stop = threading.Event()

    def device() -> None:  # heartbeats, and one measurement once the agent listens
        seq, measured = 0, False
        while not stop.wait(0.2):
            seq += 1
            pty_device.write(format_heartbeat(seq))
            if not measured and g.agent.thermometer.health() is not ThermometerHealth.UNPLUGGED:
                pty_device.write(format_measurement(seq, 36.8, SensorStatus.OK))
                measured = True

    threading.Thread(target=device, daemon=True).start()
    g.agent.start()
    try:
        view = g.display.wait_for(lambda v: True, timeout=10)
        assert (view.verdict, view.reason, view.celsius, view.offline) == (
            Verdict.ALLOW,
            Reason.OK,
            36.8,
            False,
        )
        time.sleep(1.0)
        assert len(g.display.views) == 1  # the code stays in front of the camera: one scan, not twenty
        assert central.events[0].temperature == Temperature(36.8, SensorStatus.OK)
    finally:
        stop.set()
        g.agent.stop()
        central.stop()


def test_status_republished_on_reconnect_carries_no_stale_time(broker: Broker) -> None:
    """What the link sends by itself on (re)connect is the last status without its time: an old
    ``at`` would read at central as the gate's clock being off."""
    gate = gate_id()
    seen: list[GateStatus] = []
    watcher = MqttLink(f"watch-{uuid.uuid4().hex[:6]}", LinkOptions(port=broker.port))
    watcher.subscribe(topics.gate_status(gate), lambda t, p: seen.append(GateStatus.from_json(p)))
    watcher.start()
    link = GateLink(gate, LinkOptions(port=broker.port))
    stale = datetime.now().astimezone() - timedelta(minutes=10)
    last = GateStatus(gate, "online", camera="ok", thermometer="stuck", outbox=4, at=stale)
    assert link.set_status(last) is False
    link.start()  # not up when the status was set: only the on-connect copy goes out
    try:
        assert wait_until(lambda: bool(seen), 10)
        first = seen[0]
        assert (first.state, first.thermometer, first.outbox, first.at) == ("online", "stuck", 4, None)
        fresh = datetime.now().astimezone()
        assert link.set_status(GateStatus(gate, "online", camera="ok", thermometer="ok", at=fresh)) is True
        assert wait_until(lambda: seen[-1].at is not None, 10)
        assert abs((seen[-1].at - fresh).total_seconds()) < 0.001  # a live status keeps its time
    finally:
        link.stop()
        watcher.stop()

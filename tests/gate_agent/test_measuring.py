"""The people at the gate and the thermometer, with a real pseudo-terminal, real QR frames, the real
decoder and the gate screen: the person is asked to measure while the gate waits for a reading,
until the decision replaces it; a pass held up through a re-measure is decided again once a new
reading comes, but never after a fever refusal; a thermometer sending Fahrenheit is named as such
to the guard (the fault and the next step), never converted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central.decisions.answer import decision_message
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.ledger import ConfigStore
from gate_agent.memory_link import MemoryLink
from gate_agent.ports import Fault, ThermometerHealth
from gate_agent.words import FAHRENHEIT_ACTION, FAULT_TEXT
from gatecore.messages import DecisionMessage, ScanEvent
from gatecore.policy import AccessRequest, CampusPolicy, Facts, evaluate, read_pass
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus, format_measurement
from tests.gate_agent.conftest import (
    PtyDevice,
    gate_id,
    gate_settings,
    make_config,
    make_pass,
    qr_frame,
    wait_until,
)
from tests.gate_agent.test_agent_scans import FrameCamera
from transport.broker import free_port


class Gate:
    def __init__(self, agent: GateAgent, pty: PtyDevice, port: int) -> None:
        self.agent, self.pty, self.port = agent, pty, port
        self.display: RecordingDisplay = agent.display.displays[0]  # type: ignore[attr-defined]
        self.seq = 0

    def measure(self, celsius: float | None, status: SensorStatus = SensorStatus.OK) -> None:
        self.seq += 1
        self.pty.write(format_measurement(self.seq, celsius, status))

    def state(self) -> dict[str, Any]:
        return httpx.get(f"http://127.0.0.1:{self.port}/state.json", timeout=5).json()


@pytest.fixture
def make_gate(
    tmp_path: Path, pty_device: PtyDevice, signing_key: Ed25519PrivateKey
) -> Iterator[Callable[..., Gate]]:
    made: list[GateAgent] = []

    def make(*, link: MemoryLink | None = None, camera: FrameCamera | None = None, **kw: object) -> Gate:
        gate, port = link.gate_id if link else gate_id(), free_port()
        settings = gate_settings(
            tmp_path, gate, serial_port=pty_device.link, screen_port=port, screen_verdict_s=60, **kw
        )
        ConfigStore(settings.database_path).save(make_config(signing_key, gate).to_json())
        agent = build_agent(
            settings, display=RecordingDisplay(), relay=RecordingRelay(), camera=camera, link=link
        )
        agent.start()
        made.append(agent)
        assert wait_until(lambda: agent.thermometer.health() is not ThermometerHealth.UNPLUGGED, 5)
        return Gate(agent, pty_device, port)

    yield make
    for agent in made:
        agent.stop()


def in_background(fn: Callable[[], str]) -> list[str]:
    """Run a blocking submit in a thread; its event id lands in the list returned."""
    out: list[str] = []
    threading.Thread(target=lambda: out.append(fn()), daemon=True).start()
    return out


def test_the_person_is_asked_to_measure_until_the_decision_replaces_it(
    make_gate: Callable[..., Gate], signing_key: Ed25519PrivateKey
) -> None:
    g = make_gate(pair_window_s=1.5)
    eid = in_background(lambda: g.agent.submit_scan(make_pass(signing_key, pass_id=61, household=61)))
    assert wait_until(lambda: len(g.display.asked) == 1)
    [(views_before, seconds)] = g.display.asked
    assert views_before == 0 and 0 < seconds <= 1.5 + 2.0  # the wait, and the decision after it
    state = g.state()
    assert state["view"] is None and 0 < state["measure"]["seconds_left"] <= seconds
    g.measure(36.6)
    assert wait_until(lambda: bool(eid))
    view = g.display.wait_for(lambda v: v.event_id == eid[0])
    assert (view.verdict, view.celsius) == (Verdict.ALLOW, 36.6)
    state = g.state()
    assert state["measure"] is None and state["view"]["verdict"] == "allow"

    # no reading in the window: the re-measure verdict replaces the request, it does not linger
    eid = in_background(lambda: g.agent.submit_scan(make_pass(signing_key, pass_id=62, household=62)))
    assert wait_until(lambda: len(g.display.asked) == 2)
    assert g.state()["view"] is None  # the last person's verdict is not left standing for this one
    assert wait_until(lambda: bool(eid), 5)
    view = g.display.wait_for(lambda v: v.event_id == eid[0])
    assert (view.verdict, view.reason) == (Verdict.REMEASURE, Reason.TEMP_MISSING)
    state = g.state()
    assert state["measure"] is None and state["view"]["verdict"] == "remeasure"

    # measured before the pass is shown: nothing to wait for, nobody asked
    g.measure(36.5)
    time.sleep(0.2)
    g.agent.submit_scan(make_pass(signing_key, pass_id=63, household=63))
    assert len(g.display.asked) == 2


def test_a_pass_held_up_through_a_re_measure_is_decided_again_but_never_after_a_fever(
    make_gate: Callable[..., Gate], signing_key: Ed25519PrivateKey
) -> None:
    """The person keeps the pass in front of the camera: no reading (re-measure), then a reading of
    38.5 (decided again: a fever, refused), then 36.4 after the refusal: not decided again — the
    fever refusal stands (docs/rules.md), a lower second try does not open the gate."""
    qr = make_pass(signing_key, pass_id=71, household=71)
    camera = FrameCamera([qr_frame(qr)])
    g = make_gate(camera=camera, pair_window_s=0.5, decision_timeout_s=0.3)
    first = g.display.wait_for(lambda v: True, timeout=10)
    assert (first.verdict, first.reason) == (Verdict.REMEASURE, Reason.TEMP_MISSING)
    g.measure(38.5)
    fever = g.display.wait_for(lambda v: v.event_id != first.event_id, timeout=10)
    assert (fever.verdict, fever.reason, fever.celsius) == (Verdict.DENY, Reason.FEVER, 38.5)
    assert g.agent.relay.count == 0  # type: ignore[attr-defined]
    g.measure(36.4)
    shown_frames = camera.shown
    assert not wait_until(lambda: len(g.display.views) > 2, 3.0)
    assert camera.shown > shown_frames + 50  # the pass was in front of the camera all along
    assert [v.verdict for v in g.display.views] == [Verdict.REMEASURE, Verdict.DENY]
    assert len(g.agent.outbox.pending()) == 2  # two scans, no third one stored


def central(signing_key: Ed25519PrivateKey) -> Callable[[ScanEvent], DecisionMessage]:
    """Central's answer: the one rule with its own assembly of the message."""
    keys = {1: signing_key.public_key()}

    def answer(event: ScanEvent) -> DecisionMessage:
        req = AccessRequest(
            event.event_id, event.gate_id, event.qr, event.temperature, event.direction, event.gate_time
        )
        facts = Facts(holder_name="张*明", household_label="坞城校区 81")
        decision = evaluate(req, read_pass(event.qr, keys, event.gate_time), facts, CampusPolicy(1))
        return decision_message(event, decision, facts, datetime.now(UTC), None)

    return answer


@pytest.mark.parametrize("online", [False, True], ids=["offline", "online"])
def test_a_thermometer_sending_fahrenheit_is_named_not_aimed_at_the_forehead(
    make_gate: Callable[..., Gate], signing_key: Ed25519PrivateKey, online: bool
) -> None:
    link = MemoryLink(gate_id(), answer=central(signing_key)) if online else None
    g = make_gate(link=link)
    g.measure(98.6)
    eid = g.agent.submit_scan(make_pass(signing_key, pass_id=81, household=81))
    view = g.display.wait_for(lambda v: v.event_id == eid)
    assert (view.verdict, view.reason, view.celsius, view.offline) == (
        Verdict.REMEASURE,
        Reason.TEMP_IMPLAUSIBLE,
        98.6,  # as the device sent it: the protocol declares no unit, nothing is converted
        not online,
    )
    assert (view.action_zh, view.action_en) == FAHRENHEIT_ACTION
    assert "°F" in view.action_en and "额头" not in view.action_zh
    g.display.wait_for_fault(Fault.THERMOMETER_FAHRENHEIT)
    state = g.state()
    assert (state["view"]["action_zh"], state["view"]["action_en"]) == FAHRENHEIT_ACTION
    zh, en = FAULT_TEXT[Fault.THERMOMETER_FAHRENHEIT]
    assert {"code": "thermometer_fahrenheit", "zh": zh, "en": en} in state["faults"]
    g.measure(36.6)  # set to Celsius
    g.display.wait_for_fault(Fault.THERMOMETER_FAHRENHEIT, active=False)
    eid = g.agent.submit_scan(make_pass(signing_key, pass_id=82, household=82))
    assert g.display.wait_for(lambda v: v.event_id == eid).verdict is Verdict.ALLOW

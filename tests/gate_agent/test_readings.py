"""The reading the gate judges and sends is the one it shows: a thermometer line of 37.29 on a real
pseudo-terminal, or a guard typing 37.29, is 37.3 °C (half up, the thermometer's resolution) in the
event, in the offline rules and on the gate screen — a fever, never a green ALLOW beside "37.3 °C".
A fever decided offline tells the guard to phone the security office: no office knows yet."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_sim.display import RecordingDisplay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.console import manual_celsius
from gate_agent.ledger import ConfigStore
from gate_agent.ports import ThermometerHealth
from gate_agent.views import DisplayView
from gate_agent.words import OFFLINE_ACTION
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus, checksum
from tests.gate_agent.conftest import PtyDevice, gate_id, gate_settings, make_config, make_pass, wait_until
from transport.broker import free_port


class Gate:
    def __init__(self, agent: GateAgent, display: RecordingDisplay, port: int) -> None:
        self.agent, self.display, self.port = agent, display, port

    def scan(self, qr: str) -> DisplayView:
        eid = self.agent.submit_scan(qr)  # the temperature paired as at the gate
        return self.display.wait_for(lambda v: v.event_id == eid, timeout=10)

    def state(self) -> dict[str, Any]:
        return httpx.get(f"http://127.0.0.1:{self.port}/state.json", timeout=5).json()


@pytest.fixture
def gate(tmp_path: Path, pty_device: PtyDevice, signing_key: Ed25519PrivateKey) -> Iterator[Gate]:
    port = free_port()
    settings = gate_settings(
        tmp_path, gate_id(), serial_port=pty_device.link, screen_port=port, screen_verdict_s=60
    )
    ConfigStore(settings.database_path).save(make_config(signing_key, settings.gate_id).to_json())
    display = RecordingDisplay()
    agent = build_agent(settings, display=display)
    agent.start()
    assert wait_until(lambda: agent.thermometer.health() is not ThermometerHealth.UNPLUGGED, 5)
    yield Gate(agent, display, port)
    agent.stop()


def _line(celsius: str, seq: int = 4) -> bytes:
    body = f"TMP,{seq},{celsius},OK".encode()
    return b"$" + body + b"*" + checksum(body).encode() + b"\r\n"


def _is_offline_fever(view: DisplayView, gate: Gate) -> None:
    assert (view.verdict, view.reason, view.celsius, view.offline) == (Verdict.DENY, Reason.FEVER, 37.3, True)
    event = gate.agent.last_event
    assert event is not None and event.temperature.celsius == 37.3  # what central judges too
    shown = gate.state()["view"]
    assert shown["verdict"] == "deny" and shown["temp"] == "体温 Temp: 37.3 °C"
    # decided at the gate: nobody is notified until the link returns, so the guard phones
    assert (shown["action_zh"], shown["action_en"]) == OFFLINE_ACTION[Reason.FEVER]
    assert "已通知" not in shown["action_zh"] and "notified" not in shown["action_en"]
    assert "保卫处" in shown["action_zh"] and "phone" in shown["action_en"]


def test_a_thermometer_reading_of_37_29_is_a_fever_of_37_3(
    gate: Gate, pty_device: PtyDevice, signing_key: Ed25519PrivateKey
) -> None:
    pty_device.write(_line("37.29"))
    _is_offline_fever(gate.scan(make_pass(signing_key, pass_id=31, household=3)), gate)
    assert gate.agent.last_event is not None
    assert gate.agent.last_event.temperature.status is SensorStatus.OK


def test_a_typed_37_29_is_a_fever_of_37_3(gate: Gate, signing_key: Ed25519PrivateKey) -> None:
    typed = manual_celsius("37.29")  # the guard's console and the line console read it so
    assert typed == 37.3
    gate.agent.manual_temperature(37.29)  # and the agent's own entry, whoever calls it
    _is_offline_fever(gate.scan(make_pass(signing_key, pass_id=32, household=4)), gate)
    assert gate.agent.last_event is not None
    assert gate.agent.last_event.temperature.status is SensorStatus.MANUAL


def test_just_below_the_threshold_is_shown_as_it_is_judged(
    gate: Gate, pty_device: PtyDevice, signing_key: Ed25519PrivateKey
) -> None:
    pty_device.write(_line("37.249"))
    view = gate.scan(make_pass(signing_key, pass_id=33, household=5))
    assert (view.verdict, view.celsius) == (Verdict.ALLOW, 37.2)
    assert gate.state()["view"]["temp"] == "体温 Temp: 37.2 °C"


@pytest.mark.parametrize(
    "typed,celsius", [("37.25", 37.3), (" 36.65 ", 36.7), ("37.249", 37.2), ("36", 36.0)]
)
def test_a_typed_temperature_is_taken_to_a_tenth_half_up(typed: str, celsius: float) -> None:
    assert manual_celsius(typed) == celsius


@pytest.mark.parametrize("typed", ["29.9", "45.1", "nan", "inf", "hot", ""])
def test_a_typed_slip_is_refused(typed: str) -> None:
    assert manual_celsius(typed) is None


@pytest.mark.parametrize("typed", [True, False], ids=["typed-by-the-guard", "from-the-thermometer"])
def test_a_health_code_shown_first_leaves_the_reading_for_the_pass(
    gate: Gate, pty_device: PtyDevice, signing_key: Ed25519PrivateKey, typed: bool
) -> None:
    """A person measured at 38.5 °C shows a WeChat health code first: that scan is refused as no campus
    pass and carries the reading (a fever at the gate, seen), but leaves it; the campus pass shown
    next is judged with it: a fever, refused, not a scan without a reading."""
    if typed:
        gate.agent.manual_temperature(38.5)
    else:
        pty_device.write(_line("38.5"))  # paired with the scan made within the window
    code = gate.scan("https://weixin.qq.com/healthcode/abc")
    assert code.reason is Reason.QR_FOREIGN
    assert gate.agent.last_event is not None and gate.agent.last_event.temperature.celsius == 38.5
    view = gate.scan(make_pass(signing_key, pass_id=41, household=4))
    assert (view.verdict, view.reason, view.celsius) == (Verdict.DENY, Reason.FEVER, 38.5)
    again = gate.scan(
        make_pass(signing_key, pass_id=42, household=5)
    )  # the next person: no reading of theirs
    assert again.celsius != 38.5


def test_a_fever_measured_again_lower_is_still_a_fever_and_reaches_nobody_else(
    gate: Gate, pty_device: PtyDevice, signing_key: Ed25519PrivateKey
) -> None:
    """A person reads 38.2 °C, measures again at once and reads 36.5 °C, then shows the pass: refused
    for the fever (it was let through with 36.5, and the 38.2 then refused the next person, who had not
    measured yet). Neither reading is left for the next person, who is asked to measure."""
    pty_device.write(_line("38.2", seq=5) + _line("36.5", seq=6))
    time.sleep(0.3)  # both read before the pass is shown
    view = gate.scan(make_pass(signing_key, pass_id=51, household=6))
    assert (view.verdict, view.reason, view.celsius) == (Verdict.DENY, Reason.FEVER, 38.2)
    after = gate.scan(make_pass(signing_key, pass_id=52, household=7))
    assert (after.verdict, after.reason, after.celsius) == (Verdict.REMEASURE, Reason.TEMP_MISSING, None)

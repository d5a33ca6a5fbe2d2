"""Scenario runner: simulated gates (virtual camera + virtual thermometer + gate agent + virtual
display) and people arriving at them, so a whole campus runs on one laptop."""

from __future__ import annotations

import logging
import random
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from firmware_sim.camera import VirtualCamera
from firmware_sim.display import RecordingDisplay
from firmware_sim.relay import RecordingRelay
from firmware_sim.thermometer import VirtualThermometer
from gate_agent.views import DisplayView
from gatecore.thermoline import SensorStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Card:
    """A pass the simulator can show: its QR text and who it belongs to (for choosing arrivals)."""

    qr: str
    household_id: int
    person_id: int
    campus: str  # campus code, e.g. "wucheng"


@dataclass(frozen=True, slots=True)
class Arrival:
    """Someone stepping up to a gate: what the camera sees and what the thermometer reads."""

    gate_id: str
    qr: str | None
    celsius: float | None
    note: str = ""


@dataclass
class GateRig:
    """One simulated gate: devices, the agent driving them, and what its display showed."""

    gate_id: str
    camera: VirtualCamera
    thermometer: VirtualThermometer
    display: RecordingDisplay
    relay: RecordingRelay
    agent: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def visit(self, arrival: Arrival, *, timeout: float = 10.0) -> DisplayView:
        """Measure, show the code, wait for the display's answer, step away."""
        with self._lock:  # one person at a gate at a time
            seen = {id(v) for v in self.display.views}
            if arrival.celsius is None:
                self.thermometer.measure(None, SensorStatus.ERROR)
            else:
                self.thermometer.measure(arrival.celsius)
            self.camera.show(arrival.qr)
            try:
                return self.display.wait_for(lambda v: id(v) not in seen, timeout=timeout)
            finally:
                self.camera.blank()

    def stop(self) -> None:
        """Stop the agent and the devices."""
        if self.agent is not None:
            self.agent.stop()  # type: ignore[attr-defined]
        self.camera.stop()
        self.thermometer.stop()


def start_rig(
    gate_id: str,
    *,
    mqtt_port: int,
    data_dir: Path,
    direction: str = "in",
    echo: bool = False,
    fps: float = 8.0,
    decision_timeout_s: float = 2.0,
) -> GateRig:
    """Start a virtual camera and thermometer and a real gate agent reading them."""
    from gate_agent.bootstrap import build_agent
    from gate_agent.settings import GateSettings

    camera = VirtualCamera(fps=fps, seed=zlib.crc32(gate_id.encode()) & 0xFFFF)
    camera.start()
    thermometer = VirtualThermometer(link_path=data_dir / f"{gate_id}-ttyIR0")
    thermometer.start()
    display = RecordingDisplay(echo=echo)
    relay = RecordingRelay()
    settings = GateSettings(
        gate_id=gate_id,
        mqtt_port=mqtt_port,
        camera=camera.url,
        serial_port=thermometer.path,
        data_dir=data_dir / gate_id,
        direction=direction,
        decision_timeout_s=decision_timeout_s,  # type: ignore[arg-type]
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    agent = build_agent(settings, display=display, relay=relay)
    agent.start()
    return GateRig(gate_id, camera, thermometer, display, relay, agent)


# what the demo prints beside each arrival, for whoever watches it: Chinese first, English beside
NOTES: dict[str, tuple[str, str]] = {
    "resident": ("住户", "resident"),
    "second_member": ("同户第二人", "second member of the same household"),
    "fever": ("发烧", "fever"),
    "no_reading": ("测温仪未读到", "thermometer could not read"),
    "wechat": ("微信码", "a WeChat code"),
    "altered": ("被改动的出入证", "an altered pass"),
}


def note(key: str) -> str:
    """An arrival's note in both languages: "发烧 fever"."""
    return " ".join(NOTES[key])


def household_day(
    cards: Sequence[Card], gates_by_campus: dict[str, list[str]], seed: int = 1
) -> Iterator[Arrival]:
    """An endless, varied stream of arrivals: mostly residents, with second members of a household,
    fevers, unusable readings, a WeChat code and a forged pass, as a real morning brings."""
    rng = random.Random(seed)
    by_household: dict[int, list[Card]] = {}
    for card in cards:
        by_household.setdefault(card.household_id, []).append(card)
    households = [members for members in by_household.values() if members]
    while True:
        members = rng.choice(households)
        first = members[0]
        gate = rng.choice(gates_by_campus[first.campus])
        roll = rng.random()
        celsius = round(rng.uniform(36.0, 37.1), 1)
        if roll < 0.08:
            yield Arrival(gate, first.qr, round(rng.uniform(37.5, 38.9), 1), note("fever"))
        elif roll < 0.12:
            yield Arrival(gate, first.qr, None, note("no_reading"))
        elif roll < 0.15:
            yield Arrival(gate, "https://u.wechat.com/EBQ4mK7pZ", celsius, note("wechat"))
        elif roll < 0.18:
            forged = first.qr[:-4] + ("0000" if first.qr[-4:] != "0000" else "1111")
            yield Arrival(gate, forged, celsius, note("altered"))
        else:
            yield Arrival(gate, first.qr, celsius, note("resident"))
            if len(members) > 1 and rng.random() < 0.5:
                other_gate = rng.choice(gates_by_campus[first.campus])
                yield Arrival(other_gate, members[1].qr, celsius, note("second_member"))

"""Helpers for the gate agent tests: real ptys, real QR frames, real passes and configs, and a
tiny stand-in central on a real broker."""

from __future__ import annotations

import base64
import os
import threading
import time
import tty
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from central.decisions.answer import decision_message
from gate_agent.settings import GateSettings
from gatecore import topics
from gatecore.messages import DecisionMessage, GateConfig, ScanEvent
from gatecore.policy import AccessRequest, CampusPolicy, Facts, Holder, evaluate, read_pass
from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token
from transport.broker import free_port
from transport.mqtt import LinkOptions, MqttLink


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.02) -> bool:
    """Poll until predicate() is true; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def gate_id() -> str:
    """A gate id of the test's own, so tests sharing the session broker keep apart."""
    return f"t-{uuid.uuid4().hex[:10]}"


def make_pass(
    key: Ed25519PrivateKey,
    *,
    pass_id: int,
    household: int = 7,
    person: int | None = None,
    kind: PassKind = PassKind.RESIDENT,
    campus: int = 1,
) -> str:
    """A valid card pass (key id 1) as QR text."""
    now = datetime.now(UTC)
    claims = PassClaims(
        key_id=1,
        kind=kind,
        form=PassForm.CARD,
        campus_id=campus,
        pass_id=pass_id,
        household_id=household,
        person_id=person if person is not None else pass_id,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    return issue_token(claims, key)


def make_config(
    key: Ed25519PrivateKey,
    gate: str,
    *,
    revoked: list[int] | None = None,
    policy: CampusPolicy | None = None,
    gate_open: bool = True,
) -> GateConfig:
    """What central would publish on the retained config topic."""
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return GateConfig(
        gate_id=gate,
        campus_id=1,
        gate_open=gate_open,
        policy=(policy or CampusPolicy(1)).to_dict(),
        public_keys={"1": base64.b64encode(raw).decode()},
        revoked=revoked or [],
        issued_at=datetime.now(UTC),
    )


def qr_frame(
    text: str, *, size: tuple[int, int] = (640, 480), module_px: int = 4, seed: int = 1
) -> np.ndarray:
    """A BGR camera-like frame: grey noisy background with the QR symbol for text in the middle."""
    w, h = size
    rng = np.random.default_rng(seed)
    frame = rng.normal(128, 12, size=(h, w)).clip(0, 255).astype(np.uint8)
    qr = segno.make(text, error="m", boost_error=False, micro=False)
    matrix = np.array([list(row) for row in qr.matrix], dtype=bool)
    symbol = np.where(np.pad(matrix, 4), 20, 235).astype(np.uint8)
    symbol = cv2.resize(symbol, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    noisy = (symbol.astype(np.int16) + rng.normal(0, 10, size=symbol.shape)).clip(0, 255).astype(np.uint8)
    y, x = (h - noisy.shape[0]) // 2, (w - noisy.shape[1]) // 2
    frame[y : y + noisy.shape[0], x : x + noisy.shape[1]] = noisy
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


class PtyDevice:
    """A pseudo-terminal behind a stable symlink, as the thermometer simulator provides one."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = self.slave = -1
        self.plug()

    def plug(self) -> None:
        """Create a new pty and point the link at it."""
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no line discipline: bytes pass as a UART would carry them
        tmp = self.link.with_suffix(".new")
        os.symlink(os.ttyname(self.slave), tmp)
        os.replace(tmp, self.link)

    def write(self, data: bytes) -> None:
        """Bytes from the device."""
        os.write(self.master, data)

    def unplug(self) -> None:
        """Pull the cable: the pty goes away and the link with it."""
        for fd in (self.master, self.slave):
            if fd >= 0:
                os.close(fd)
        self.master = self.slave = -1
        self.link.unlink(missing_ok=True)


@pytest.fixture
def pty_device(tmp_path: Path) -> Iterator[PtyDevice]:
    dev = PtyDevice(tmp_path / "ttyIR0")
    yield dev
    dev.unplug()


def gate_settings(tmp_path: Path, gate: str, port: int | None = None, **kw: object) -> GateSettings:
    """Settings for a test gate; port None: a free port where no broker listens."""
    values: dict[str, object] = dict(
        gate_id=gate,
        mqtt_port=port or free_port(),
        camera=str(tmp_path / "no-camera.avi"),
        serial_port=tmp_path / "no-thermometer",
        data_dir=tmp_path / "data",
        decision_timeout_s=2.0,
        status_interval_s=1.0,
        resend_after_s=1.0,
    )
    values.update(kw)
    return GateSettings(**values)  # type: ignore[arg-type]


class StandInCentral:
    """A few lines of central: answer each scan event with gatecore.policy, once per event id."""

    NAMES = {71: "张*明", 72: "王*华"}

    def __init__(
        self, port: int, key: Ed25519PrivateKey, gate: str, *, revoked: tuple[int, ...] = ()
    ) -> None:
        self.gate = gate
        self.policy = CampusPolicy(1)
        self.keys = {1: key.public_key()}
        self.revoked = set(revoked)
        self.events: list[ScanEvent] = []
        self.decided: dict[str, DecisionMessage] = {}
        self.days: dict[tuple[int, object], Holder] = {}
        self._lock = threading.Lock()
        self.link = MqttLink(f"central-{uuid.uuid4().hex[:6]}", LinkOptions(port=port))
        self.link.subscribe(topics.gate_events(gate), self._on_event)
        self.config = make_config(key, gate, revoked=list(revoked))

    def start(self) -> StandInCentral:
        self.link.start(wait=10)
        self.link.publish(topics.gate_config(self.gate), self.config.to_json(), qos=1, retain=True)
        return self

    def stop(self) -> None:
        self.link.publish(topics.gate_config(self.gate), b"", qos=1, retain=True)  # clear retained
        self.link.stop()

    def _on_event(self, topic: str, payload: bytes) -> None:
        event = ScanEvent.from_json(payload)
        with self._lock:
            self.events.append(event)
            msg = self.decided.get(event.event_id) or self._decide(event)
            self.decided[event.event_id] = msg
        self.link.publish(topics.gate_decisions(self.gate), msg.to_json(), qos=1)

    def _decide(self, event: ScanEvent) -> DecisionMessage:
        req = AccessRequest(
            event.event_id, event.gate_id, event.qr, event.temperature, event.direction, event.gate_time
        )
        claims = read_pass(event.qr, self.keys, event.gate_time)
        pid = getattr(claims, "person_id", 0)
        hh = getattr(claims, "household_id", 0)
        facts = Facts(
            revoked=getattr(claims, "pass_id", 0) in self.revoked,
            holder_name=self.NAMES.get(pid, ""),
            household_label=f"坞城校区 {hh}",
        )
        day = self.policy.local_date(event.gate_time)
        facts = replace(facts, day_holder=self.days.get((hh, day)))
        d = evaluate(req, claims, facts, self.policy)
        if d.claim is not None:
            self.days.setdefault((hh, day), Holder(pid, self.NAMES.get(pid, "")))
        return decision_message(event, d, facts, datetime.now(UTC), None)  # central's own assembly

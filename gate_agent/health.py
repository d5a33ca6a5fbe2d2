"""HealthWatch: polls device health, shows and clears faults on the display, and publishes the
retained GateStatus on every change and every status_interval_s."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from gate_agent.errors import GateError
from gate_agent.ports import (
    Camera,
    CameraHealth,
    Display,
    Fault,
    Link,
    Outbox,
    Thermometer,
    ThermometerHealth,
)
from gate_agent.settings import GateSettings
from gatecore.messages import GateStatus

logger = logging.getLogger(__name__)

POLL_S = 0.25
LINK_GRACE_S = 3.0  # a reconnect within this long is not worth alarming the guard

_CAMERA_FAULT = {CameraHealth.NO_SIGNAL: Fault.CAMERA_NO_SIGNAL, CameraHealth.FROZEN: Fault.CAMERA_FROZEN}
_THERMO_FAULT = {
    ThermometerHealth.UNPLUGGED: Fault.THERMOMETER_UNPLUGGED,
    ThermometerHealth.SILENT: Fault.THERMOMETER_SILENT,
    ThermometerHealth.GARBAGE: Fault.THERMOMETER_GARBAGE,
    ThermometerHealth.STUCK: Fault.THERMOMETER_STUCK,
    ThermometerHealth.FAHRENHEIT: Fault.THERMOMETER_FAHRENHEIT,
}


class HealthWatch:
    """The status thread's work."""

    def __init__(
        self,
        settings: GateSettings,
        camera: Camera,
        thermometer: Thermometer,
        display: Display,
        outbox: Outbox,
        link: Link,
        policy_version: Callable[[], int],
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        *,
        frames_skipped: Callable[[], int] = lambda: 0,
    ) -> None:
        self.settings = settings
        self.camera, self.thermometer, self.display = camera, thermometer, display
        self.outbox, self.link = outbox, link
        self.policy_version = policy_version
        self.clock = clock
        self.frames_skipped = frames_skipped
        self.active: set[Fault] = set()
        self._poke = threading.Event()
        self._down_since: float | None = time.monotonic()
        self._last: tuple[object, ...] | None = None
        self._next_at = 0.0

    def poke(self) -> None:
        """Something changed (link up or down, new config): publish soon."""
        self._poke.set()

    def snapshot(self) -> GateStatus:
        """The status as it is now."""
        try:
            depth = self.outbox.depth()
        except GateError:
            depth = -1
        return GateStatus(
            gate_id=self.settings.gate_id,
            state="online",
            camera=str(self.camera.health()),
            thermometer=str(self.thermometer.health()),
            outbox=depth,
            at=self.clock(),
            policy_version=self.policy_version(),
            frames_skipped=self.frames_skipped(),
        )

    def check(self) -> GateStatus:
        """One poll: update faults, publish the status if changed or due."""
        status = self.snapshot()
        now = time.monotonic()
        if self.link.up:
            self._down_since = None
        elif self._down_since is None:
            self._down_since = now
        wanted = set()
        if status.camera in _CAMERA_FAULT:
            wanted.add(_CAMERA_FAULT[CameraHealth(status.camera)])
        if status.thermometer in _THERMO_FAULT:
            wanted.add(_THERMO_FAULT[ThermometerHealth(status.thermometer)])
        if self._down_since is not None and now - self._down_since >= LINK_GRACE_S:
            wanted.add(Fault.LINK_DOWN)
        for fault in sorted(wanted - self.active):
            logger.warning("fault: %s", fault)
            self.display.show_fault(fault)
        for fault in sorted(self.active - wanted):
            logger.info("fault cleared: %s", fault)
            self.display.clear_fault(fault)
        self.active = wanted
        # frames_skipped is left out: under back-pressure it grows with every frame, and the periodic
        # status carries it
        key = (status.camera, status.thermometer, status.outbox, status.policy_version, self.link.up)
        if key != self._last or now >= self._next_at:
            if self.link.set_status(status):
                self._next_at = now + self.settings.status_interval_s
            self._last = key
        return status

    def run(self, stop: threading.Event) -> None:
        """Poll until stop."""
        while not stop.is_set():
            try:
                self.check()
            except Exception:  # health reporting must never take the gate down
                logger.exception("health check failed")
            self._poke.wait(POLL_S)
            if self._poke.is_set():
                self._poke.clear()
                self._last = None  # publish at once

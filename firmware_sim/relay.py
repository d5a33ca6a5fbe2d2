"""Virtual relays: RecordingRelay (in-process, records every open pulse) and VirtualSerialRelay
(a relay board on a pseudo-terminal, speaking gate_agent.devices.relay's frame, for SerialRelay)."""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from pathlib import Path

from gate_agent.devices.relay import parse_frame


class RecordingRelay:
    """Implements gate_agent.ports.Relay; remembers (monotonic time, pulse length) of each open."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pulses: list[tuple[float, float]] = []

    def open(self, pulse_s: float = 1.0) -> None:
        """Record one open pulse."""
        with self._cond:
            self._pulses.append((time.monotonic(), pulse_s))
            self._cond.notify_all()

    @property
    def pulses(self) -> list[tuple[float, float]]:
        """Every pulse so far."""
        with self._cond:
            return list(self._pulses)

    @property
    def count(self) -> int:
        """How many times the relay opened."""
        with self._cond:
            return len(self._pulses)

    def wait_for_count(self, n: int, timeout: float = 5.0) -> bool:
        """Block until at least n pulses were recorded; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._pulses) >= n, timeout)


class VirtualSerialRelay(RecordingRelay):
    """A relay board behind a pty (symlinked at ``link_path``): records each valid open frame
    and counts damaged lines, which a real board ignores."""

    def __init__(self, link_path: Path) -> None:
        super().__init__()
        self.link_path = link_path
        self.rejected = 0
        self._master = self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> str:
        """The device path to give SerialRelay."""
        return str(self.link_path)

    def start(self) -> VirtualSerialRelay:
        """Create the pty and read frames in a thread."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        tmp = self.link_path.with_suffix(".new")
        os.symlink(os.ttyname(self._slave), tmp)
        os.replace(tmp, self.link_path)
        self._thread = threading.Thread(target=self._read, name="virtual-relay", daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        buf = b""
        while not self._stop.is_set():
            if not select.select([self._master], [], [], 0.1)[0]:
                continue
            try:
                buf += os.read(self._master, 1024)
            except OSError:
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                pulse = parse_frame(line)
                if pulse is None:
                    self.rejected += 1
                else:
                    self.open(pulse)

    def stop(self) -> None:
        """Stop reading and remove the pty."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1
        self.link_path.unlink(missing_ok=True)

"""A virtual infrared thermometer on a pseudo-terminal, speaking gatecore.thermoline.

The gate agent opens ``VirtualThermometer.path`` with ``serial.Serial(path, 9600)`` exactly as it
would open ``/dev/ttyUSB0``; the fault knobs (silence, stuck sensor, frozen firmware, garbage, a pulled cable) let
tests and the scenario runner exercise every way a real device misbehaves.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import random
import shutil
import tempfile
import threading
import time
import tty
from pathlib import Path
from types import TracebackType

from gatecore.thermoline import SensorStatus, format_heartbeat, format_measurement

logger = logging.getLogger(__name__)

# How long a write may wait for the reader to drain a nearly full pty before the rest is dropped;
# short, because a real sensor never waits for its host either.
_WRITE_GRACE_S = 0.2


class VirtualThermometer:
    """A serial thermometer on a pty, reachable through a stable symlink."""

    def __init__(self, link_path: str | Path | None = None, heartbeat_s: float = 1.0) -> None:
        self._own_dir: Path | None = None
        if link_path is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="campusgate-tty-"))
            link_path = self._own_dir / "ttyIR0"
        self._link = Path(link_path)
        self._heartbeat_s = heartbeat_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave_name: str | None = None
        self._seq = 0
        self._silent = False
        self._stuck: float | None = None
        self._frozen = False
        self._last_line: bytes | None = None  # what a frozen device sends again and again
        self._dropping = False  # log a full buffer once, not once a second
        self.lines_sent = 0
        self.lines_dropped = 0

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The symlink the gate opens (stable across unplug/replug)."""
        return self._link

    @property
    def device(self) -> str | None:
        """The current /dev/pts/N behind the symlink, or None while unplugged."""
        return self._slave_name

    @property
    def plugged(self) -> bool:
        """Whether the virtual cable is in."""
        return self._master is not None

    def start(self) -> None:
        """Plug the device in and start the heartbeat thread."""
        self._stop.clear()
        self._plug()
        self._thread = threading.Thread(target=self._heartbeats, name="vthermo-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the heartbeat, pull the cable and remove what start() created."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.unplug()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> VirtualThermometer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what the device sends -------------------------------------------------------------

    def measure(self, celsius: float | None, status: SensorStatus = SensorStatus.OK) -> bool:
        """Emit one $TMP line now; False when it went nowhere (silent, unplugged, buffer full)."""
        with self._lock:
            if self._silent:
                return False
            if self._frozen and self._last_line is not None:
                return self._write(self._last_line)
            if self._stuck is not None:
                celsius = self._stuck
            self._last_line = format_measurement(self._next_seq(), celsius, status)
            return self._write(self._last_line)

    def send_raw(self, data: bytes) -> bool:
        """Send bytes as they are: half lines, bad checksums, line noise."""
        with self._lock:
            return self._write(data)

    def send_garbage(self, n: int = 32) -> bytes:
        """Send n random bytes (as a flaky cable would) and return them."""
        data = random.randbytes(n)
        self.send_raw(data)
        return data

    def send_garbage_line(self, n: int = 24) -> bytes:
        """Send one damaged line (n random bytes, none of them CR, LF or '$', then CR LF), as a
        cable at the wrong baud rate delivers it, and return it."""
        data = bytes(b if b not in b"\r\n$" else 0x3F for b in random.randbytes(n)) + b"\r\n"
        self.send_raw(data)
        return data

    # -- fault knobs -----------------------------------------------------------------------

    def set_silent(self, silent: bool) -> None:
        """A hung sensor: no heartbeats and no measurements while set."""
        with self._lock:
            self._silent = silent

    def set_stuck(self, celsius: float | None) -> None:
        """A stuck sensor: every measurement reports ``celsius``; None frees it."""
        with self._lock:
            self._stuck = celsius

    def set_frozen(self, frozen: bool) -> None:
        """Hung firmware: every heartbeat and measurement sends the last line again, sequence number
        and all, while set."""
        with self._lock:
            self._frozen = frozen

    def unplug(self) -> None:
        """Pull the USB cable: the reader's port fails and the path disappears."""
        with self._lock:
            master, self._master, self._slave_name = self._master, None, None
            if master is not None:
                os.close(master)  # the reader's next read fails with EIO, as with a pulled adapter
            self._link.unlink(missing_ok=True)
        if master is not None:
            logger.info("virtual thermometer unplugged from %s", self._link)

    def replug(self) -> None:
        """Plug the cable back in: a new pty, the same path, the sequence restarting from 0."""
        self.unplug()
        self._plug()

    # -- internals -------------------------------------------------------------------------

    def _plug(self) -> None:
        master, slave = os.openpty()
        # raw mode on the slave (no echo, no CR/LF translation) survives closing it: the
        # settings belong to the pty pair, and pyserial sets raw mode again on open anyway
        tty.setraw(slave)
        name = os.ttyname(slave)
        # keep no slave end open ourselves, so that bytes written while no reader is attached are
        # discarded when the gate opens the port, like a real device's output on a closed port
        os.close(slave)
        flags = fcntl.fcntl(master, fcntl.F_GETFL)
        fcntl.fcntl(master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self._link.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._link.with_name(f".{self._link.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(name)
        os.replace(tmp, self._link)  # atomic: a reader never sees a missing or half-made link
        with self._lock:
            self._master, self._slave_name = master, name
            self._seq = 0  # a replugged device has rebooted
            self._frozen, self._last_line = False, None  # out of its hang, if it was in one
            self._dropping = False
        logger.info("virtual thermometer at %s -> %s", self._link, name)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _heartbeats(self) -> None:
        while not self._stop.wait(self._heartbeat_s):
            with self._lock:
                if self._silent or self._master is None:
                    continue
                if not (self._frozen and self._last_line is not None):
                    self._last_line = format_heartbeat(self._next_seq())
                self._write(self._last_line)

    def _write(self, data: bytes) -> bool:
        """Write without ever blocking for long; the caller holds the lock."""
        if self._master is None:
            self.lines_dropped += 1
            return False
        view = memoryview(data)
        deadline = time.monotonic() + _WRITE_GRACE_S
        while view:
            try:
                n = os.write(self._master, view)
                view = view[n:]
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                # EIO on the master means no reader end is usable right now
            # once dropping, drop at once: a reader that is not reading must not slow the device
            if self._dropping or time.monotonic() >= deadline:
                self.lines_dropped += 1
                if not self._dropping:
                    logger.warning("thermometer output full (nobody reading %s); dropping lines", self._link)
                    self._dropping = True
                return False
            time.sleep(0.005)  # select() on a pty master reports writable even when full
        self.lines_sent += 1
        self._dropping = False
        return True

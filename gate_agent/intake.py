"""FrameIntake: camera -> newest frame -> decoder -> scans, with back-pressure on the camera: while
the scan pipeline is full, frames are skipped (and counted), never scans."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from gate_agent.errors import DecoderError, GateError
from gate_agent.ports import Camera, QrDecoder
from gate_agent.waiters import RepeatFilter

logger = logging.getLogger(__name__)

# scans stored but not yet decided beyond which the camera is paused: each waits up to the decision
# timeout, so a longer line would only answer the person in front of the camera seconds late
SCAN_BACKLOG = 4

Submit = Callable[[str, float], str]


class FrameIntake:
    """The camera and decode threads' work; ``skipped`` counts frames not decoded under back-pressure."""

    def __init__(
        self,
        camera: Camera,
        decoder: QrDecoder,
        repeats: RepeatFilter,
        submit: Submit,
        backlog: Callable[[], int],
        *,
        limit: int = SCAN_BACKLOG,
    ) -> None:
        self.camera, self.decoder, self.repeats = camera, decoder, repeats
        self.submit = submit  # stores the scan in the outbox and queues it; returns its event id
        self.backlog = backlog
        self.limit = limit
        self.skipped = 0
        self._frames: queue.Queue[tuple[float, np.ndarray]] = queue.Queue(maxsize=1)

    def camera_loop(self, stop: threading.Event) -> None:
        """Read frames until stop, keeping only the newest."""
        while not stop.is_set():
            frame = self.camera.read()
            if frame is None:
                stop.wait(0.05)
                continue
            # keep only the newest frame: a decoder slower than the camera must not build up a
            # backlog (a network stream buffers), or the gate would answer seconds late
            try:
                self._frames.get_nowait()
            except queue.Empty:
                pass
            self._frames.put((time.monotonic(), frame))

    def decode_loop(self, stop: threading.Event) -> None:
        """Decode frames until stop; each fresh QR text becomes a scan, stored before it is queued."""
        last_error = 0.0
        while not stop.is_set():
            try:
                seen_at, frame = self._frames.get(timeout=0.2)
            except queue.Empty:
                continue
            if self.backlog() >= self.limit:
                # a code not read now is read from a later frame: the person is still holding it up
                self.skipped += 1
                continue
            try:
                texts = self.decoder.decode(frame)
            except DecoderError as exc:
                if time.monotonic() - last_error > 5:
                    logger.warning("decoder failed: %s", exc)
                    last_error = time.monotonic()
                continue
            for text in texts:
                if not self.repeats.fresh(text, seen_at):
                    continue
                try:
                    self.submit(text, seen_at)
                except GateError as exc:  # the outbox refused it: nothing was shown or queued
                    logger.error("scan not stored, nothing shown: %s", exc)

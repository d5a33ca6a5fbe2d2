"""OpenCvCamera: frames from a device index, an MJPEG/RTSP URL or a video file, with health
and automatic reopening."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from gate_agent.errors import CameraError
from gate_agent.ports import CameraHealth

logger = logging.getLogger(__name__)

FAILURES_BEFORE_REOPEN = 3
BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 10.0
NETWORK_TIMEOUT_MS = 5000


class OpenCvCamera:
    """cv2.VideoCapture behind the Camera port; read() never raises and never blocks for long."""

    def __init__(
        self,
        source: str,
        *,
        no_signal_after_s: float = 2.0,
        frozen_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self._no_signal_after = no_signal_after_s
        self._frozen_after = frozen_after_s
        self._clock = clock
        self._cap: cv2.VideoCapture | None = None
        self._failures = 0
        self._backoff = BACKOFF_MIN_S
        self._last_why = ""
        self._last_warned = 0.0
        self._retry_at = 0.0
        self._last_frame_at: float | None = None
        # a stream takes a moment to deliver its first frame: no signal is judged from here, unless
        # opening fails first
        self._watching_since = clock()
        self._failed = False
        self._last_digest: int | None = None
        self._same_since: float | None = None
        self._frame_interval = 0.0  # files are paced to their own frame rate, like a live camera
        self._next_frame_at = 0.0

    def _open(self) -> None:
        """Open the source or raise CameraError."""
        src = self.source.strip()
        if src.isdigit():
            cap = cv2.VideoCapture(int(src))
        elif "://" in src:
            # without these a dead IP camera blocks a read for about 30 s inside FFmpeg
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                NETWORK_TIMEOUT_MS,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                NETWORK_TIMEOUT_MS,
            ]
            cap = cv2.VideoCapture(src, cv2.CAP_FFMPEG, params)
        else:
            if not Path(src).exists():
                raise CameraError(f"camera source {src!r} does not exist")
            cap = cv2.VideoCapture(src)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"cannot open camera source {src!r}")
        self._cap = cap
        self._frame_interval = 0.0
        if not src.isdigit() and "://" not in src:
            fps = cap.get(cv2.CAP_PROP_FPS)
            self._frame_interval = 1.0 / fps if 0 < fps < 240 else 0.0
        logger.info("camera source opened")

    def _fail(self, why: str) -> None:
        self._failed = True
        self._failures += 1
        if self._failures >= FAILURES_BEFORE_REOPEN or self._cap is None:
            # the same failure every 10 s for hours (or a clip looping) is one fact, not hundreds of warnings
            now = self._clock()
            repeat = why == self._last_why and now - self._last_warned < 300
            logger.log(
                logging.DEBUG if repeat else logging.WARNING,
                "camera: %s; reopening in %.1f s",
                why,
                self._backoff,
            )
            if not repeat:
                self._last_why, self._last_warned = why, now
            self._release()
            self._retry_at = self._clock() + self._backoff
            self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
            self._failures = 0

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def read(self) -> np.ndarray | None:
        """The next frame, or None (not yet reopened, end of a file, a read failure)."""
        now = self._clock()
        if self._cap is None:
            if now < self._retry_at:
                return None
            try:
                self._open()
            except CameraError as exc:
                self._fail(str(exc))
                return None
        if self._frame_interval and now < self._next_frame_at:
            time.sleep(self._next_frame_at - now)
        assert self._cap is not None
        try:
            ok, frame = self._cap.read()
        except cv2.error as exc:
            ok, frame = False, None
            logger.warning("camera read raised: %s", exc)
        if not ok or frame is None:
            self._fail("no frame from source")  # a file at its end reopens, so a clip loops
            return None
        self._failures = 0
        self._backoff = BACKOFF_MIN_S
        now = self._clock()
        self._next_frame_at = now + self._frame_interval
        self._note_frame(frame, now)
        return frame

    def _note_frame(self, frame: np.ndarray, now: float) -> None:
        self._last_frame_at = now
        # a live sensor never yields two identical frames (noise); identical bytes mean a hung encoder
        digest = zlib.crc32(np.ascontiguousarray(frame[::4, ::4]).tobytes())
        if digest != self._last_digest:
            self._last_digest = digest
            self._same_since = now

    def health(self) -> CameraHealth:
        """no_signal: no frame for no_signal_after_s (counted from the start until the first frame,
        or at once when the source failed before any); frozen: identical frames for frozen_after_s."""
        now = self._clock()
        last = self._last_frame_at
        if last is None and self._failed:
            return CameraHealth.NO_SIGNAL
        if now - (last if last is not None else self._watching_since) > self._no_signal_after:
            return CameraHealth.NO_SIGNAL
        if self._same_since is not None and now - self._same_since >= self._frozen_after:
            return CameraHealth.FROZEN
        return CameraHealth.OK

    def close(self) -> None:
        """Release the capture device."""
        self._release()

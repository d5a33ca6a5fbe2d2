"""OpenCvCamera on real video files written with cv2.VideoWriter."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from gate_agent.devices.camera import OpenCvCamera
from gate_agent.ports import CameraHealth
from tests.gate_agent.conftest import wait_until


def write_avi(path: Path, frames: list[np.ndarray], fps: float = 20.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def moving(n: int) -> list[np.ndarray]:
    frames = []
    for i in range(n):
        f = np.full((120, 160, 3), 90, np.uint8)
        cv2.rectangle(f, (5 * i, 10), (5 * i + 30, 60), (250, 250, 250), -1)
        frames.append(f)
    return frames


def test_reads_frames_from_a_video_file(tmp_path: Path) -> None:
    cam = OpenCvCamera(str(write_avi(tmp_path / "clip.avi", moving(10))))
    try:
        assert wait_until(lambda: cam.read() is not None, 2)
        frames = [f for f in (cam.read() for _ in range(5)) if f is not None]
        assert frames and frames[0].shape == (120, 160, 3)
        assert cam.health() is CameraHealth.OK
    finally:
        cam.close()


def test_a_clip_loops_when_it_ends(tmp_path: Path) -> None:
    cam = OpenCvCamera(str(write_avi(tmp_path / "clip.avi", moving(3), fps=50)))
    try:
        got = 0
        deadline = time.monotonic() + 5
        while got < 8 and time.monotonic() < deadline:
            got += cam.read() is not None
        assert got >= 8  # three frames, read past the end: the camera reopened the file
    finally:
        cam.close()


def test_missing_source_is_no_signal(tmp_path: Path) -> None:
    cam = OpenCvCamera(str(tmp_path / "gone.avi"))
    assert cam.read() is None
    assert cam.health() is CameraHealth.NO_SIGNAL
    cam.close()


def test_unreachable_stream_is_no_signal() -> None:
    cam = OpenCvCamera("http://127.0.0.1:9/video.mjpg")  # discard port: nothing listens
    started = time.monotonic()
    assert cam.read() is None
    assert time.monotonic() - started < 6
    assert cam.health() is CameraHealth.NO_SIGNAL
    cam.close()


def test_identical_frames_are_frozen(tmp_path: Path) -> None:
    still = [np.full((120, 160, 3), 77, np.uint8)] * 10
    cam = OpenCvCamera(str(write_avi(tmp_path / "still.avi", still)), frozen_after_s=0.3)
    try:
        deadline = time.monotonic() + 3
        while cam.health() is not CameraHealth.FROZEN and time.monotonic() < deadline:
            cam.read()
        assert cam.health() is CameraHealth.FROZEN
    finally:
        cam.close()


def test_stops_giving_signal_when_the_source_disappears(tmp_path: Path) -> None:
    path = write_avi(tmp_path / "clip.avi", moving(2), fps=50)
    cam = OpenCvCamera(str(path), no_signal_after_s=0.3)
    try:
        assert wait_until(lambda: cam.read() is not None, 2)
        path.unlink()
        deadline = time.monotonic() + 3
        while cam.health() is not CameraHealth.NO_SIGNAL and time.monotonic() < deadline:
            cam.read()
            time.sleep(0.01)
        assert cam.health() is CameraHealth.NO_SIGNAL
    finally:
        cam.close()


def test_no_signal_waits_for_the_first_frame_until_the_grace_is_over(tmp_path: Path) -> None:
    """A stream takes a moment to deliver its first frame: the gate does not cry no signal at start."""
    now = [100.0]
    clip = write_avi(tmp_path / "clip.avi", moving(3))
    cam = OpenCvCamera(str(clip), no_signal_after_s=2.0, clock=lambda: now[0])
    try:
        assert cam.health() is CameraHealth.OK  # started, nothing read yet
        now[0] += 2.5
        assert cam.health() is CameraHealth.NO_SIGNAL  # the grace is over and still no frame
        assert cam.read() is not None
        assert cam.health() is CameraHealth.OK
    finally:
        cam.close()

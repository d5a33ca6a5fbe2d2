"""The virtual camera, read through real OpenCV (FFmpeg) and decoded with pyzbar."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from pyzbar import pyzbar

from firmware_sim.camera import VirtualCamera

PASS_A = "CG1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBDO4I4"
PASS_B = "CG1:NCFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTLRR+%3"


@pytest.fixture
def cam() -> Iterator[VirtualCamera]:
    """A camera at 20 fps, so that waits for the next frame stay short."""
    c = VirtualCamera(fps=20.0, seed=1)
    c.start()
    yield c
    c.stop()


@pytest.fixture
def cap(cam: VirtualCamera) -> Iterator[cv2.VideoCapture]:
    """OpenCV reading the stream, as the gate agent does."""
    v = cv2.VideoCapture(cam.url)
    assert v.isOpened(), f"OpenCV could not open {cam.url}"
    yield v
    v.release()


def _read(cap: cv2.VideoCapture) -> np.ndarray:
    ok, frame = cap.read()
    assert ok and frame is not None
    return frame


def _decoded(cap: cv2.VideoCapture) -> list[str]:
    return [s.data.decode() for s in pyzbar.decode(_read(cap))]


def _wait_for(cap: cv2.VideoCapture, texts: list[str], within_s: float = 15.0) -> None:
    """Read frames until one decodes to exactly texts (earlier frames may still be buffered)."""
    end = time.monotonic() + within_s
    seen: list[str] = []
    while time.monotonic() < end:
        seen = _decoded(cap)
        if seen == texts:
            return
    raise AssertionError(f"stream never showed {texts}; last decoded {seen}")


def test_opencv_reads_frames_of_the_right_size(cap: cv2.VideoCapture) -> None:
    for _ in range(3):
        assert _read(cap).shape == (480, 640, 3)


def test_other_resolution() -> None:
    with VirtualCamera(width=1280, height=720, fps=20.0) as c:
        v = cv2.VideoCapture(c.url)
        try:
            assert _read(v).shape == (720, 1280, 3)
        finally:
            v.release()


def test_shown_pass_decodes_and_switches(cam: VirtualCamera, cap: cv2.VideoCapture) -> None:
    assert _decoded(cap) == []  # nobody at the gate to begin with
    cam.show(PASS_A)
    _wait_for(cap, [PASS_A])
    cam.show(PASS_B)
    _wait_for(cap, [PASS_B])
    cam.blank()
    _wait_for(cap, [])


def test_frames_vary_but_frozen_frames_do_not(cam: VirtualCamera, cap: cv2.VideoCapture) -> None:
    cam.show(PASS_A)
    _wait_for(cap, [PASS_A])
    live = [_read(cap) for _ in range(3)]
    assert not np.array_equal(live[0], live[1])  # fresh sensor noise on every frame
    cam.freeze(True)
    snap = cam.current_jpeg()
    time.sleep(0.3)
    assert cam.current_jpeg() == snap
    # frames sent before the freeze may still be buffered (more of them on a loaded machine): read
    # until three in a row are identical, which live frames with fresh noise never are
    frozen = [_read(cap)]
    end = time.monotonic() + 15.0
    while len(frozen) < 3 and time.monotonic() < end:
        frame = _read(cap)
        frozen = [*frozen, frame] if np.array_equal(frozen[-1], frame) else [frame]
    assert len(frozen) == 3, "a frozen camera kept sending different frames"
    cam.freeze(False)
    time.sleep(0.2)
    assert cam.current_jpeg() != snap


def test_several_clients(cam: VirtualCamera, cap: cv2.VideoCapture) -> None:
    other = cv2.VideoCapture(cam.url)
    try:
        cam.show(PASS_B)
        _wait_for(cap, [PASS_B])
        _wait_for(other, [PASS_B])
    finally:
        other.release()


def test_snapshot_and_health(cam: VirtualCamera) -> None:
    with urllib.request.urlopen(cam.snapshot_url, timeout=5) as r:
        assert r.headers["Content-Type"] == "image/jpeg"
        img = cv2.imdecode(np.frombuffer(r.read(), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == (480, 640, 3)
    with urllib.request.urlopen(f"http://127.0.0.1:{cam.port}/health", timeout=5) as r:
        health = json.loads(r.read())
    assert health["ok"] is True and health["showing_qr"] is False


def test_dark_camera_drops_and_refuses_then_returns(cam: VirtualCamera, cap: cv2.VideoCapture) -> None:
    _read(cap)
    cam.go_dark(True)
    end = time.monotonic() + 5
    ok = True
    while ok and time.monotonic() < end:  # frames already in flight may still arrive
        ok, _ = cap.read()
    assert not ok
    again = cv2.VideoCapture(cam.url)
    assert not again.isOpened()
    again.release()
    cam.go_dark(False)
    back = cv2.VideoCapture(cam.url)
    try:
        assert _read(back).shape == (480, 640, 3)
    finally:
        back.release()


def test_stop_closes_the_port() -> None:
    c = VirtualCamera()
    c.start()
    port = c.port
    c.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

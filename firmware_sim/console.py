"""Hand-driven simulator devices for integrators: a thermometer read from stdin, a camera showing
a chosen code. Used by ``campusgate sim thermometer`` and ``campusgate sim camera``."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from firmware_sim.camera import VirtualCamera
from firmware_sim.thermometer import VirtualThermometer
from gatecore.thermoline import SensorStatus

HELP = """commands: <celsius> (e.g. 36.6) | err | garbage | silent | loud | stuck <celsius> | unstuck | unplug | replug | quit"""


def interactive_thermometer(link: str, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    """Run a virtual thermometer behind ``link``; each stdin line is a measurement or a fault."""
    th = VirtualThermometer(link_path=Path(link))
    th.start()
    print(f"virtual thermometer on {th.path} -> {th.device}\n{HELP}", file=out, flush=True)
    try:
        for raw in stdin:
            cmd, _, arg = raw.strip().partition(" ")
            if not cmd:
                continue
            if cmd == "quit":
                break
            elif cmd == "err":
                th.measure(None, SensorStatus.ERROR)
            elif cmd == "garbage":
                th.send_garbage()
            elif cmd in ("silent", "loud"):
                th.set_silent(cmd == "silent")
            elif cmd == "stuck":
                th.set_stuck(float(arg))
            elif cmd == "unstuck":
                th.set_stuck(None)
            elif cmd == "unplug":
                th.unplug()
            elif cmd == "replug":
                th.replug()
            else:
                try:
                    celsius = float(cmd)
                except ValueError:
                    print(f"unknown command {cmd!r}; {HELP}", file=out, flush=True)
                    continue
                th.measure(celsius)
            print(f"ok {cmd}", file=out, flush=True)
    finally:
        th.stop()
    return 0


def serve_camera(show: str | None, fps: float = 10.0) -> int:
    """Serve an MJPEG camera showing ``show`` (a pass's QR text) until Ctrl-C."""
    cam = VirtualCamera(fps=fps)
    cam.start()
    cam.show(show)
    print(f"virtual camera: {cam.url}  (snapshot: {cam.snapshot_url}); Ctrl-C stops", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        cam.stop()
    return 0

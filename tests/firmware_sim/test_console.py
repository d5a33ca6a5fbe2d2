"""`campusgate sim thermometer`: an integrator types readings, a serial reader receives them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import serial

from gatecore.thermoline import Measurement, SensorStatus, parse_line


def test_typed_reading_reaches_the_serial_port(tmp_path: Path) -> None:
    link = tmp_path / "ttyIR0"
    exe = Path(sys.executable).with_name("campusgate")
    proc = subprocess.Popen(
        [str(exe), "sim", "thermometer", "--link", str(link)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert "virtual thermometer on" in proc.stdout.readline()
        deadline = time.monotonic() + 5
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with serial.Serial(str(link), 9600, timeout=2) as port:
            proc.stdin.write("bogus\n37.8\n")
            proc.stdin.flush()
            readings = []
            while time.monotonic() < deadline + 5 and not readings:
                line = port.readline()
                if line.startswith(b"$TMP"):
                    readings.append(parse_line(line))
        assert readings[0] == Measurement(readings[0].seq, 37.8, SensorStatus.OK)
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(10) == 0
        out = proc.stdout.read()
        assert "unknown command 'bogus'" in out
    finally:
        if proc.poll() is None:
            proc.kill()

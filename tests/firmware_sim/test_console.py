"""`campusgate sim thermometer` and `sim camera`: an integrator types (or pipes) commands, the
gate's own serial reader and QR decoder receive what they would from real devices."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
import serial

from gate_agent.devices.decoder import make_decoder
from gate_agent.devices.thermometer import SerialThermometer
from gate_agent.ports import ThermometerHealth
from gatecore.thermoline import Measurement, SensorStatus, parse_line
from tests.gate_agent.conftest import wait_until


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


def test_a_piped_script_reaches_the_gate_reader_and_four_garbage_lines_raise_garbage(tmp_path: Path) -> None:
    """`printf … | campusgate sim thermometer`: every line runs, a bad one is refused without ending
    the console, four `garbage` lines put the gate's reader in `garbage` although heartbeats keep
    coming, and the end of the input ends the device cleanly."""
    link = tmp_path / "ttyIR0"
    reader = SerialThermometer(str(link), 9600)  # the gate's reader, retrying until the link appears
    reader.start()
    # typed by hand, garbage lines come slower than the heartbeats (one a second) between them
    script = "sleep 2\n36.6\nstuck x\n" + "garbage\nsleep 1.2\n" * 4 + "sleep 3\n"
    exe = Path(sys.executable).with_name("campusgate")
    proc = subprocess.Popen(
        [str(exe), "sim", "thermometer", "--link", str(link)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(script)
        proc.stdin.close()  # the whole script at once, then the end of the input
        assert wait_until(lambda: reader.health() is ThermometerHealth.GARBAGE, 15)
        assert proc.wait(20) == 0
        out = proc.stdout.read()
        assert out.count("ok garbage") == 4 and "ok 36.6" in out
        assert "refused: stuck needs a temperature" in out
        assert reader.reading_for_scan(time.monotonic(), 30.0).celsius == 36.6
        assert reader.frame_errors >= 4
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.stop()


def _decoded_snapshot(url: str, decoder: object) -> list[str]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        frame = cv2.imdecode(np.frombuffer(answer.read(), np.uint8), cv2.IMREAD_COLOR)
    return decoder.decode(frame)  # type: ignore[attr-defined]


def test_sim_camera_presents_its_codes_in_turn_and_takes_codes_from_the_console() -> None:
    """`campusgate sim camera --show A --show B`: successive frames decode (with the gate's own
    decoder) to A, then B, then A again; `show C` on the console holds C up; `quit` ends it."""
    first, second, typed = "CG1:FIRST-PERSON", "CG1:SECOND-PERSON", "CG1:TYPED-ON-THE-CONSOLE"
    exe = Path(sys.executable).with_name("campusgate")
    proc = subprocess.Popen(
        [str(exe), "sim", "camera", "--show", first, "--show", second, "--hold", "1", "--gap", "0.3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    decoder = make_decoder("cascade")
    try:
        assert proc.stdout is not None and proc.stdin is not None
        snapshot = proc.stdout.readline().split("snapshot: ")[1].split(")")[0]
        seen: list[str] = []  # each code as it came into view
        deadline = time.monotonic() + 30
        while seen[-3:] != [first, second, first] and time.monotonic() < deadline:
            for text in _decoded_snapshot(snapshot, decoder):
                if not seen or seen[-1] != text:
                    seen.append(text)
        assert seen[-3:] == [first, second, first], seen
        proc.stdin.write(f"show {typed}\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ok show"
        # the camera serves a new picture from its next frame on
        assert wait_until(lambda: _decoded_snapshot(snapshot, decoder) == [typed], 2)
        time.sleep(1.5)  # longer than a code is held: the cycle has stopped
        assert _decoded_snapshot(snapshot, decoder) == [typed]
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["camera", "--show", "X", "--fps", "nan"], "--fps (nan) must be above 0"),
        (["camera", "--show", "X", "--fps", "inf"], "--fps at most 120"),
        (["camera", "--show", "X", "--fps", "1e30"], "--fps (1e+30) must be above 0"),
        (["camera", "--show", "X", "--hold", "1e30"], "--hold and --gap at most 86400 seconds"),
        (["camera", "--show", "X", "--gap", "1e30"], "--gap (1e+30) at least 0"),
        (["camera", "--show", "X", "--hold", "nan"], "--hold (nan)"),
        (["camera", "--show", "X", "--gap", "-1"], "--gap (-1) at least 0"),
        (["camera", "--codes", "/no/such/codes.txt"], "refused: --codes /no/such/codes.txt"),
        # more than a QR code holds: one code held up, or one of several taking turns
        (["camera", "--show", "A" * 5000], "refused: code 1 (5000 characters) does not fit in a QR code"),
        (["camera", "--show", "CG1:X", "--show", "é" * 3000], "refused: code 2 (3000 characters)"),
        (["camera", "--codes", "{long}"], "refused: code 1 (4400 characters)"),
        (["thermometer", "--link", "{file}/ttyIR0"], "refused: --link {file}/ttyIR0"),
    ],
)
def test_bad_simulator_arguments_are_refused_saying_why(tmp_path: Path, args: list[str], says: str) -> None:
    """An integrator's typo (NaN, a negative gap, a path through a file) ends the command with 2 and
    one line saying what is wrong, never a traceback nor a device that serves nonsense."""
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    too_long = tmp_path / "codes.txt"
    too_long.write_text("# one code a line\n" + "B" * 4400 + "\n")
    args = [a.replace("{file}", str(in_the_way)).replace("{long}", str(too_long)) for a in args]
    exe = Path(sys.executable).with_name("campusgate")
    done = subprocess.run(
        [str(exe), "sim", *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert says.replace("{file}", str(in_the_way)) in done.stderr
    assert "Traceback" not in done.stderr

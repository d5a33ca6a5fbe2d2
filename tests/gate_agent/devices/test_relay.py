"""SerialRelay over a real pty to the virtual relay board: pulses arrive framed and checked,
damaged lines are ignored, an unplugged board is logged (not raised) and works again when back."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_sim.relay import VirtualSerialRelay
from gate_agent.devices.relay import SerialRelay, open_frame, parse_frame


def test_frame_round_trip_and_damage() -> None:
    assert open_frame(1.5) == b"@OPEN:1500*" + open_frame(1.5)[11:13] + b"\n"
    assert parse_frame(open_frame(0.8)) == 0.8
    assert parse_frame(open_frame(0.8).replace(b"800", b"900")) is None  # checksum catches it
    assert parse_frame(b"garbage") is None


def test_pulses_over_a_pty(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    board = VirtualSerialRelay(tmp_path / "ttyRELAY").start()
    relay = SerialRelay(board.path)
    try:
        relay.open(1.0)
        relay.open(0.25)
        assert board.wait_for_count(2, timeout=3)
        assert [p for _, p in board.pulses] == [1.0, 0.25]
        relay._send(b"@OPEN:1000*00\n")  # a line damaged on the cable
        relay.open(2.0)
        assert board.wait_for_count(3, timeout=3)
        assert board.rejected == 1 and board.pulses[-1][1] == 2.0

        board.stop()  # the board is unplugged: the pulse is lost, logged, and nothing raises
        relay.open(1.0)
        assert "relay pulse failed" in caplog.text
        board = VirtualSerialRelay(tmp_path / "ttyRELAY").start()  # plugged back in
        relay.open(1.0)
        assert board.wait_for_count(1, timeout=3)
    finally:
        relay.close()
        board.stop()

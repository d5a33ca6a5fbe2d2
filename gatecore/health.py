"""What a gate's devices report of themselves, as GateStatus carries it: the values the protocol knows."""

from __future__ import annotations

import enum


class CameraHealth(enum.StrEnum):
    """What the camera reports of itself (GateStatus.camera)."""

    OK = "ok"
    NO_SIGNAL = "no_signal"
    FROZEN = "frozen"
    UNKNOWN = "unknown"  # not heard from yet


class ThermometerHealth(enum.StrEnum):
    """What the thermometer reader reports (GateStatus.thermometer)."""

    OK = "ok"
    SILENT = "silent"
    GARBAGE = "garbage"
    STUCK = "stuck"  # the device repeats one line, sequence number and all: frozen firmware
    FAHRENHEIT = "fahrenheit"  # its readings look like degrees Fahrenheit (98.6); the line carries Celsius
    UNPLUGGED = "unplugged"
    UNKNOWN = "unknown"  # not heard from yet

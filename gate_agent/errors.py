"""The gate agent's exception tree. Adapters translate library errors into these, so that the
agent's threads catch one family and never a cv2, serial or sqlite exception.

- :class:`GateError` - base class of everything below.
  - :class:`CameraError` - the camera source cannot be opened or read (cv2 failures).
  - :class:`DecoderError` - a frame could not be handed to the QR decoder (bad shape, library failure).
  - :class:`ThermometerError` - the serial port cannot be opened or read (``serial.SerialException``,
    ``OSError`` such as EIO when a USB adapter is pulled).
  - :class:`OutboxError` - the local SQLite store (outbox, ledger, config) failed (``sqlite3.Error``).
  - :class:`RefusedEventError` - a scan or override central would refuse (a NUL in a guard's words,
    an explanation too long for a message); nothing was stored.
  - :class:`ConfigError` - a received gate configuration cannot be used (bad key, bad policy).
  - :class:`RelayError` - the relay's serial port cannot be opened or written.

Pure-core errors (``gatecore.CoreError``: tokens, messages, thermometer frames) are expected input
problems and are handled where they occur; they are not wrapped.
"""

from __future__ import annotations


class GateError(Exception):
    """Base class of every gate agent error."""


class CameraError(GateError):
    """The camera source cannot be opened or read."""


class DecoderError(GateError):
    """The QR decoder failed on a frame."""


class ThermometerError(GateError):
    """The thermometer's serial port cannot be opened or read."""


class OutboxError(GateError):
    """The local SQLite store failed."""


class RefusedEventError(GateError):
    """A scan event central would refuse; it was not stored."""


class ConfigError(GateError):
    """A gate configuration from central cannot be used."""


class RelayError(GateError):
    """The relay's serial port cannot be opened or written."""

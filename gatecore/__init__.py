"""campusgate's pure core: pass tokens, wire messages, topic names and the pass rules.

Nothing here performs I/O, reads the clock, logs or keeps global state; time and facts are
arguments. Central and the gate agent (offline mode) import the same functions, so a rule
lives in exactly one place.

Exceptions (all subclass :class:`CoreError`):

- :class:`gatecore.tokens.TokenError` - a QR text is not a valid pass token; carries a ``Reason``.
- :class:`gatecore.messages.MessageError` - an MQTT payload is not a valid message.
- :class:`gatecore.thermoline.FrameError` - a thermometer line is damaged.
"""


class CoreError(Exception):
    """Base class of every error raised by the pure core."""

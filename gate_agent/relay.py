"""The turnstile relay: the Relay port and NullRelay for gates without one (a guard opens by hand)."""

from __future__ import annotations

import logging

from gate_agent.ports import Relay

__all__ = ["NullRelay", "Relay"]

logger = logging.getLogger(__name__)


class NullRelay:
    """A relay that only logs; for gates where the guard opens the barrier."""

    def open(self, pulse_s: float = 1.0) -> None:
        """Log the pulse that would have been sent."""
        logger.info("relay: open for %.1f s (no relay attached)", pulse_s)

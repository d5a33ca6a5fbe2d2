"""The heap of a long-running, latency-bound process (central's worker, the fleet, a gate).

CPython's full collection walks every tracked object while holding the GIL: in a worker that has
imported SQLAlchemy, pydantic and paho and read its registry, that is 200,000 objects and a pause of
~120 ms on this machine's cores, during which no event is read and no answer sent. Nearly all of
them live as long as the process, so once start-up is over they are moved out of the collector's
sight (``gc.freeze``): later collections walk only what was made since, and a pause is a few ms.
Reference counting still frees what is no longer used; only cyclic garbage among the frozen objects
would stay, and start-up makes little of it (collected just before).
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def settle() -> int:
    """Collect, then freeze what survived; the number of objects frozen. Call once start-up is done."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.debug("heap settled: %d objects frozen", frozen)
    return frozen

"""The heap of a long-running, latency-bound process (central's worker, the fleet, a gate).

CPython's full collection walks every tracked object while holding the GIL: in a worker that has
imported SQLAlchemy, pydantic and paho and read its registry, that is 200,000 objects and a pause of
~120 ms on this machine's cores, during which no event is read and no answer sent. Nearly all of
them live as long as the process, so once start-up is over they are moved out of the collector's
sight (``gc.freeze``): later collections walk only what was made since, and a pause is a few ms.
Reference counting still frees what is no longer used; only cyclic garbage among the frozen objects
would stay, and start-up makes little of it (collected just before).

What the process keeps after start-up (the registry cache filling as gates scan) grows the heap
again: each of two workers at 1,000 gates × 0.5 scans/s paused 27-54 ms for a full collection about
every ten seconds (timed by a temporary probe on the collector's callbacks). So whatever survives a
full collection the collector makes on its own is frozen too, right as that collection ends
(everything left then is reachable): the next ones walk only what came after, 2-10 ms in the same
runs. A refreeze also keeps for ever any object alive then that later dies in a cycle (a session in
use, a few kilobytes), so refreezes are spaced out: 10 s after start-up, twice as far apart each
time, then every 10 minutes at most.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

logger = logging.getLogger(__name__)

FIRST_REFREEZE_S = 10.0
LAST_REFREEZE_S = 600.0
_now = time.monotonic  # the refreezes' clock (a test sets its own)


class _Refreeze:
    """When the next refreeze may be, and the spacing after it."""

    next_at = 0.0
    spacing = FIRST_REFREEZE_S


def settle() -> int:
    """Collect, then freeze what survived; the number of objects frozen. Call once start-up is done;
    from then on, full collections are followed by a freeze as well (spaced out, see above)."""
    gc.collect()
    gc.freeze()
    _Refreeze.spacing = FIRST_REFREEZE_S
    _Refreeze.next_at = _now() + _Refreeze.spacing
    if _refreeze not in gc.callbacks:
        gc.callbacks.append(_refreeze)
    frozen = gc.get_freeze_count()
    logger.debug("heap settled: %d objects frozen", frozen)
    return frozen


def _refreeze(phase: str, info: dict[str, Any]) -> None:
    # called by the collector at the end of every collection; the lists are whole again here, and
    # nothing has run since the collection that could have made garbage
    if phase != "stop" or info.get("generation") != 2:
        return
    now = _now()
    if now < _Refreeze.next_at:
        return
    gc.freeze()
    _Refreeze.spacing = min(_Refreeze.spacing * 2, LAST_REFREEZE_S)
    _Refreeze.next_at = now + _Refreeze.spacing

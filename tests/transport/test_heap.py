"""transport.heap.settle: what start-up left as garbage is collected, what lives is moved out of the
collector's walks."""

from __future__ import annotations

import gc
import weakref

from transport.heap import settle


class _Cycle:
    def __init__(self) -> None:
        self.me = self  # a cycle: reference counting alone never frees it


def test_settle_collects_the_garbage_and_freezes_what_lives() -> None:
    kept = [_Cycle() for _ in range(100)]
    garbage = [weakref.ref(_Cycle()) for _ in range(50)]
    assert all(r() is not None for r in garbage)
    try:
        frozen = settle()
        assert all(r() is None for r in garbage)  # collected before the freeze, not kept for ever
        assert frozen == gc.get_freeze_count() >= len(kept)
        walked = {id(o) for o in gc.get_objects()}
        assert not any(id(k) in walked for k in kept)  # the next collections do not walk them
    finally:
        gc.unfreeze()  # a test process goes on collecting as usual

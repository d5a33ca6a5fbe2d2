"""transport.heap.settle: what start-up left as garbage is collected, what lives is moved out of the
collector's walks; later, what survives a full collection the collector makes on its own is too."""

from __future__ import annotations

import gc
import weakref

from transport import heap
from transport.heap import settle


class _Cycle:
    def __init__(self) -> None:
        self.me = self  # a cycle: reference counting alone never frees it


def test_settle_collects_the_garbage_and_freezes_what_lives() -> None:
    gc.disable()  # only the collections the test makes: an automatic one would free the garbage early
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
        gc.callbacks.remove(heap._refreeze)
        gc.enable()


def test_a_full_collection_after_start_up_freezes_what_survived_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = [1000.0]
    monkeypatch.setattr(heap, "_now", lambda: clock[0])
    gc.disable()  # only the collections the test makes
    try:
        settle()
        later = [_Cycle() for _ in range(100)]  # what the process keeps after start-up (its cache)
        garbage = weakref.ref(_Cycle())
        clock[0] += heap.FIRST_REFREEZE_S - 1
        gc.collect()  # too soon after start-up: collected, not frozen
        walked = {id(o) for o in gc.get_objects()}
        assert all(id(k) in walked for k in later) and garbage() is None
        gc.collect(0)  # a young collection never freezes
        assert all(id(k) in {id(o) for o in gc.get_objects()} for k in later)
        clock[0] += 1
        gc.collect()  # the first full collection due: what survived it is frozen, garbage is not
        walked = {id(o) for o in gc.get_objects()}
        assert not any(id(k) in walked for k in later)
        # and the next may follow twice as late, and never more than ten minutes apart
        assert heap._Refreeze.next_at == clock[0] + 2 * heap.FIRST_REFREEZE_S
        for _ in range(12):
            clock[0] = heap._Refreeze.next_at
            gc.collect()
        assert heap._Refreeze.spacing == heap.LAST_REFREEZE_S
    finally:
        gc.unfreeze()
        gc.callbacks.remove(heap._refreeze)
        gc.enable()

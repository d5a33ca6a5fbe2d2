"""Group commit: events arrive on paho's network thread, one decision thread takes them in batches.

The worker runs two: one for scan events, one for the gates' status heartbeats (a thousand gates
send 200 a second), so that paho's network thread never waits for the database. Nobody waits on a
status being stored: its thread lingers, every batch gathering what arrives in a quarter of a second.

A batch is whatever has arrived, up to ``max_events``: under load every transaction (and its
fsync, its chain-head lock) carries the events that queued while the last one was decided, up to
64; a lone event while the gates are busy waits ``max_wait_s`` (2 ms) for company. Answers are
published after the batch committed. An event taken from the broker but not yet committed when the
process dies is not lost: the gate keeps it in its outbox until an answer arrives, and resends it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from central.models.db import unavailable

logger = logging.getLogger(__name__)
SLOW_BATCH_S = 0.25

T = TypeVar("T")  # what is queued
R = TypeVar("R")  # what deciding a batch gives, handed to publish after the commit


class GroupCommit(Generic[T, R]):
    """A queue of received messages and the thread that decides them in batches."""

    def __init__(
        self,
        decide: Callable[[Sequence[T]], R],
        publish: Callable[[R], None],
        *,
        max_events: int = 64,
        max_wait_s: float = 0.002,
        linger: bool = False,
        name: str = "central-decide",
    ) -> None:
        self.decide, self.publish = decide, publish
        self.max_events, self.max_wait_s = max_events, max_wait_s
        self.linger = linger  # every batch waits max_wait_s for company: for what nobody waits on
        self.name = name
        self._queue: queue.Queue[T] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.batches = self.events = 0
        self._last_size = 0

    def put(self, item: T) -> None:
        """Queue one received message (paho's thread: returns at once)."""
        self._queue.put(item)

    def start(self) -> None:
        """Start the decision thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Decide what is queued, then end the thread (call after the link stopped delivering)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def take(self, timeout: float) -> list[T]:
        """The next batch: the first event (waiting up to ``timeout``), what is queued behind it, and,
        for a lone event while the gates are busy, what arrives in the next max_wait_s.

        The wait is for company, and only a lone event has none: when the last batch was a single
        event too and nothing else has arrived, the gates are quiet and it is decided at once; when
        events queued up while the last batch was decided, they are the company, and waiting longer
        would only leave the thread idle while the gates wait (at saturation, 2 ms of every batch).
        """
        try:
            batch = [self._queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        self._drain(batch)
        # alone, right after a busy batch: company may follow (or, lingering, always)
        if self.linger or (len(batch) == 1 and self._last_size > 1):
            deadline = time.monotonic() + self.max_wait_s
            while len(batch) < self.max_events:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
                self._drain(batch)
        self._last_size = len(batch)
        return batch

    def _drain(self, batch: list[T]) -> None:
        # what is queued now, up to a full batch, without waiting
        while len(batch) < self.max_events:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _run(self) -> None:
        while True:
            batch = self.take(0.2)
            if not batch:
                if self._stop.is_set():
                    return
                continue
            started = time.monotonic()
            try:
                answers = self.decide(batch)
            except Exception:  # the thread must outlive any batch; the gates resend what went unanswered
                logger.exception("%s: a batch of %d failed", self.name, len(batch))
                continue
            self.batches, self.events = self.batches + 1, self.events + len(batch)
            took = time.monotonic() - started
            try:
                self.publish(answers)
            except Exception as exc:  # e.g. the status thread's config publish, the database gone away
                logger.error(  # a database's cause, not SQLAlchemy's text (it quotes values); else the trace
                    "%s: publishing what a batch of %d decided failed: %s",
                    self.name,
                    len(batch),
                    unavailable(exc),
                    exc_info=not isinstance(exc, SQLAlchemyError),
                )
            if took > SLOW_BATCH_S:  # the gates waited: say so, with what it cost
                logger.warning(
                    "%s: slow batch: %d decided in %.0f ms (%d waiting)",
                    self.name,
                    len(batch),
                    took * 1000,
                    self._queue.qsize(),
                )

"""The gate's one SQLite file (outbox, ledger, last config): how it is opened."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gate_agent.errors import OutboxError

# what the operator does about a damaged store (docs/operations.md, "A gate's damaged store")
_RECOVER = (
    ". Keep a copy of it, then recover what it holds (sqlite3 {path} .recover | sqlite3 {path}.new, and"
    " move that into place) or move it aside to start empty: central names the scans it never received"
    " as a sequence gap"
)


class Store:
    """A connection shared by the agent's threads behind one lock; writes are durable on return."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            # WAL + FULL: an event put() before publishing must survive kill -9 and a power cut
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            # a damaged page held back every queued event behind it, the gate logging twice a second
            damage = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(f"cannot open {self.path}: {exc}{_RECOVER.format(path=self.path)}") from exc
        if damage != ["ok"]:
            conn.close()
            detail = "; ".join(damage)
            raise OutboxError(f"{self.path} is damaged ({detail}){_RECOVER.format(path=self.path)}")
        self._conn = conn
        self._lock = threading.Lock()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction under the lock; sqlite errors become OutboxError."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise OutboxError(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

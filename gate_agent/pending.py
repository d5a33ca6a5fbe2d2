"""ForNextScan: what a guard sets for the next scan (a typed temperature, a symptom mark). One scan
takes it, the guard may withdraw it, and it lapses after MANUAL_VALID_S: by then the person it was
meant for has left, and it must not land on a stranger. SymptomMark: the symptom mark, which only the
scan of a campus pass takes (names_a_pass)."""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

from gatecore.reasons import Reason
from gatecore.tokens import TokenError, parse_token

T = TypeVar("T")

MANUAL_VALID_S = 120.0  # what a guard set for the next scan, older than this, belongs to someone who has left


class ForNextScan(Generic[T]):
    """One value waiting for the next scan; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self._at = 0.0  # monotonic, when it was set

    def set(self, value: T) -> None:
        """The guard sets it (replacing what was there); its time starts now."""
        with self._lock:
            self._value, self._at = value, time.monotonic()

    def withdraw(self) -> None:
        """The guard takes it back."""
        with self._lock:
            self._value = None

    def pending(self) -> tuple[T, float] | None:
        """What waits and the seconds it has left, or None (nothing set, taken, withdrawn or lapsed)."""
        with self._lock:
            return self._live()

    def take(self) -> T | None:
        """For the scan being made: what waits, which is then gone; None when nothing does."""
        with self._lock:
            live, self._value = self._live(), None
        return None if live is None else live[0]

    def _live(self) -> tuple[T, float] | None:
        if self._value is None:
            return None
        # read at each use, so one setting (and a test that shortens it) governs every such value
        left = MANUAL_VALID_S - (time.monotonic() - self._at)
        return (self._value, left) if left > 0 else None


# what the token parser says of a text that is no campus pass it can read: a foreign code (a WeChat
# health code), a damaged or cut one, an unknown format; such a scan names nobody
NOT_A_PASS = frozenset({Reason.QR_FOREIGN, Reason.TOKEN_TRUNCATED, Reason.TOKEN_BAD_VERSION})


def names_a_pass(qr: str) -> bool:
    """Whether a QR text reads as a campus pass token (its form only: prefix, base45, length,
    version), so that a scan of it is about a person; whether it is genuine, valid and whose is for
    the rules. Told at the gate, online or not, without a key."""
    try:
        parse_token(qr, {})  # no key: a well-formed token stops at its key id
    except TokenError as exc:
        return exc.reason not in NOT_A_PASS
    return True


class SymptomMark(ForNextScan[tuple[str, ...]]):
    """A cough or other symptoms the guard marked (seed 003: 发烧咳嗽者), for the next scan of a pass."""

    def mark(self, symptoms: tuple[str, ...]) -> None:
        """Mark the next scan; () withdraws the mark."""
        if symptoms:
            self.set(symptoms)
        else:
            self.withdraw()

    def waiting(self) -> tuple[str, ...]:
        """The mark waiting for the next scan of a pass (() when none)."""
        pending = self.pending()
        return () if pending is None else pending[0]

    def take_for(self, qr: str) -> tuple[str, ...]:
        """The mark, for a scan of ``qr``: a health code or a damaged pass names nobody, so it leaves
        the mark for the pass shown after it."""
        return (self.take() or ()) if names_a_pass(qr) else ()

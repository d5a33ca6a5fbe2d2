"""The rules' vocabulary: the facts about a pass, the scan, the household-day claim, the decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gatecore.messages import ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.tokens import PassClaims, PassKind


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive range of local dates (an approval, a return batch)."""

    start: date
    end: date

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls inside."""
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Holder:
    """The household member who claimed the day."""

    person_id: int
    masked_name: str
    at: datetime | None = None  # when the day was claimed, for the refusal to say when


@dataclass(frozen=True, slots=True)
class Facts:
    """What the registry (or, offline, the gate's last config and ledger) knows of the pass."""

    known: bool = True
    revoked: bool = False
    person_active: bool = True
    holder_name: str = ""  # masked
    household_label: str = ""
    gate_open: bool = True
    key_person_until: date | None = None  # refused through this date (inclusive)
    commuter: bool = False  # employer certificate recorded and approved
    approvals: tuple[Window, ...] = ()  # staff / contractor approvals by an approver
    return_batches: tuple[Window, ...] = ()  # student return batches
    visitor_used: bool = False
    vehicle_registered: bool = False
    day_holder: Holder | None = None
    offline: bool = False  # decided at the gate without the registry
    # kinds whose registry records this decider does not hold (offline, a config without them)
    unchecked: frozenset[PassKind] = frozenset()
    group: str | None = None  # the person's closed-management group tag, e.g. "logistics"
    exit_approvals: tuple[Window, ...] = ()  # approvals to leave while kept in
    last_negative_at: datetime | None = None  # sampling time of the latest test, when it was negative


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """A scan as the rules see it."""

    event_id: str
    gate_id: str
    qr: str
    temperature: Temperature
    direction: str
    scanned_at: datetime
    symptoms: tuple[str, ...] = ()  # marked by the guard: cough, other

    @classmethod
    def from_scan(cls, event: ScanEvent, at: datetime | None = None) -> AccessRequest:
        """The rules' view of a scan event, judged at ``at`` (central's clock online; by default
        the gate's scan time, for the gate deciding on its own)."""
        return cls(
            event_id=event.event_id,
            gate_id=event.gate_id,
            qr=event.qr,
            temperature=event.temperature,
            direction=event.direction,
            scanned_at=event.gate_time if at is None else at,
            symptoms=event.symptoms,
        )


@dataclass(frozen=True, slots=True)
class DayClaim:
    """A claim the caller must make atomically: household H is used on local date D by P."""

    household_id: int
    local_date: date
    person_id: int


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome: a verdict, the one reason to show, and every reason that applied."""

    verdict: Verdict
    reason: Reason
    reasons: tuple[Reason, ...]
    policy_version: int
    claims: PassClaims | None = None
    claim: DayClaim | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def fever(self) -> bool:
        """A fever alert must be raised."""
        return Reason.FEVER in self.reasons

    @property
    def alert(self) -> bool:
        """The offices are alerted and an incident opened: a fever, or symptoms the guard marked."""
        return Reason.FEVER in self.reasons or Reason.SYMPTOMS in self.reasons

    @property
    def open_turnstile(self) -> bool:
        """Only an allow opens the turnstile."""
        return self.verdict is Verdict.ALLOW

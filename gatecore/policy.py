"""The pass rules (DOMAIN.md rules 1-10) as one pure function: facts in, decision out.

Central and the gate's offline mode both call :func:`evaluate`. The household-day rule is
two-phase: an allowing decision may carry a :class:`DayClaim`, which the caller makes atomically
(database or local ledger); if the claim is lost, the caller evaluates again with the winner as
``facts.day_holder`` and gets the refusal naming who holds the day.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gatecore.messages import ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict, most_useful
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PassClaims, PassKind, TokenError, verify_token

HOUSEHOLD_KINDS = frozenset({PassKind.RESIDENT, PassKind.TENANT})
STAFF_KINDS = frozenset({PassKind.STAFF, PassKind.FOREIGN_TEACHER})
STUDENT_KINDS = frozenset({PassKind.STUDENT, PassKind.INTL_STUDENT})
# kinds whose admission depends on records a gate does not hold offline
REGISTRY_KINDS = STAFF_KINDS | STUDENT_KINDS | {PassKind.CONTRACTOR, PassKind.VEHICLE, PassKind.VISITOR}
_STRENGTH = {Verdict.DENY: 3, Verdict.REFER: 2, Verdict.REMEASURE: 1, Verdict.ALLOW: 0}
GROUP_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # a pass kind ("student") or a person's group tag
MAX_NAT_HOURS = 24 * 30


@dataclass(frozen=True, slots=True)
class CampusPolicy:
    """Per-campus settings (DOMAIN.md rule 9), versioned; every decision records the version."""

    campus_id: int
    version: int = 1
    fever_threshold: float = 37.3
    plausible_min: float = 34.0
    plausible_max: float = 43.0
    household_quota: bool = True
    timezone: str = "Asia/Shanghai"
    allowed_kinds: frozenset[PassKind] = frozenset(PassKind)
    opens: time | None = None  # opening hours in local time; None: always open
    closes: time | None = None
    # closed management (seed 003 封闭化管理, seed 004 封闭住宿): groups kept in, whose exit needs an
    # approval; a group is a pass kind in lower case ("student") or a person's group tag ("logistics")
    closed_groups: frozenset[str] = frozenset()
    nat_interval_hours: int = 0  # kept-in people are tested this often (seed 002); 0: no programme
    nat_max_age_hours: int | None = None  # the gate refers a kept-in person without a negative this recent

    def __post_init__(self) -> None:
        bad = sorted(g for g in self.closed_groups if not isinstance(g, str) or not GROUP_CODE.match(g))
        if bad:
            raise ValueError(f"closed_groups: {bad} are not group codes (lower-case letters, digits, _)")
        if not 0 <= self.nat_interval_hours <= MAX_NAT_HOURS:
            raise ValueError(f"nat_interval_hours must be 0 (off) to {MAX_NAT_HOURS}")
        if self.nat_max_age_hours is not None and not 1 <= self.nat_max_age_hours <= MAX_NAT_HOURS:
            raise ValueError(f"nat_max_age_hours must be empty (off) or 1 to {MAX_NAT_HOURS}")

    def local_date(self, at: datetime) -> date:
        """The campus's calendar date at an instant (the household day follows it)."""
        return at.astimezone(ZoneInfo(self.timezone)).date()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the config topic and the database."""
        d = dataclasses.asdict(self)
        d["allowed_kinds"] = sorted(k.name.lower() for k in self.allowed_kinds)
        d["closed_groups"] = sorted(self.closed_groups)
        d["opens"] = self.opens.isoformat() if self.opens else None
        d["closes"] = self.closes.isoformat() if self.closes else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CampusPolicy:
        """Inverse of to_dict; unknown keys are an error."""
        d = dict(d)
        if "allowed_kinds" in d:
            d["allowed_kinds"] = frozenset(PassKind[k.upper()] for k in d["allowed_kinds"])
        if "closed_groups" in d:
            d["closed_groups"] = frozenset(d["closed_groups"])
        for key in ("opens", "closes"):
            if d.get(key):
                d[key] = time.fromisoformat(d[key])
        return cls(**d)


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
    def from_scan(cls, event: ScanEvent) -> AccessRequest:
        """The rules' view of a scan event: judged at the gate's scan time."""
        return cls(
            event_id=event.event_id,
            gate_id=event.gate_id,
            qr=event.qr,
            temperature=event.temperature,
            direction=event.direction,
            scanned_at=event.gate_time,
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


def read_pass(qr: str, public_keys: Mapping[int, Ed25519PublicKey], at: datetime) -> PassClaims | TokenError:
    """Verify a QR text at an instant; a refusal is returned, not raised, to feed evaluate()."""
    try:
        return verify_token(qr, public_keys, at)
    except TokenError as exc:
        return exc


def _temperature(t: Temperature, policy: CampusPolicy) -> list[Reason]:
    if t.status is SensorStatus.MISSING or (t.celsius is None and t.status is SensorStatus.OK):
        return [Reason.TEMP_MISSING]
    if t.status not in (SensorStatus.OK, SensorStatus.MANUAL) or t.celsius is None:
        return [Reason.TEMP_IMPLAUSIBLE]
    if not policy.plausible_min <= t.celsius <= policy.plausible_max:
        return [Reason.TEMP_IMPLAUSIBLE]
    if t.celsius >= policy.fever_threshold:
        return [Reason.FEVER]
    return []


def _registry(c: PassClaims, f: Facts, policy: CampusPolicy) -> list[Reason]:
    out = []
    if not f.known:
        out.append(Reason.PASS_UNKNOWN)
    if f.revoked:
        out.append(Reason.PASS_REVOKED)
    if not f.person_active:
        out.append(Reason.PERSON_INACTIVE)
    if c.campus_id != policy.campus_id:
        out.append(Reason.WRONG_CAMPUS)
    return out


def _category(c: PassClaims, f: Facts, policy: CampusPolicy, day: date, inward: bool) -> list[Reason]:
    if c.kind not in policy.allowed_kinds:
        return [Reason.CATEGORY_NOT_ALLOWED]
    if f.offline and c.kind in REGISTRY_KINDS:
        return [Reason.OFFLINE_UNVERIFIED]
    if c.kind in STAFF_KINDS and not any(w.covers(day) for w in f.approvals):
        return [Reason.STAFF_NOT_APPROVED]
    if c.kind is PassKind.CONTRACTOR and not any(w.covers(day) for w in f.approvals):
        return [Reason.CONTRACTOR_NOT_APPROVED]
    if c.kind in STUDENT_KINDS and inward and not any(w.covers(day) for w in f.return_batches):
        return [Reason.STUDENT_NOT_IN_BATCH]
    if c.kind is PassKind.VISITOR and inward and f.visitor_used:
        return [Reason.VISITOR_PASS_USED]
    if c.kind is PassKind.VEHICLE and not f.vehicle_registered:
        return [Reason.VEHICLE_NOT_REGISTERED]
    return []


def _outside_hours(policy: CampusPolicy, at: datetime) -> bool:
    if policy.opens is None or policy.closes is None:
        return False
    local = at.astimezone(ZoneInfo(policy.timezone)).time()
    if policy.opens <= policy.closes:
        return not policy.opens <= local < policy.closes
    return policy.closes <= local < policy.opens  # hours that span midnight


def kept_in(c: PassClaims, f: Facts, policy: CampusPolicy) -> bool:
    """Whether the pass holder is in a group the campus keeps in (closed management)."""
    groups = policy.closed_groups
    return bool(groups) and (c.kind.name.lower() in groups or (f.group is not None and f.group in groups))


def _closed(c: PassClaims, f: Facts, policy: CampusPolicy, request: AccessRequest, day: date) -> list[Reason]:
    if not kept_in(c, f, policy):
        return []
    out = []
    if request.direction == "out" and not any(w.covers(day) for w in f.exit_approvals):
        out.append(Reason.CLOSED_MANAGEMENT)
    hours = policy.nat_max_age_hours
    if hours is not None and (
        f.last_negative_at is None or request.scanned_at - f.last_negative_at > timedelta(hours=hours)
    ):
        out.append(Reason.NAT_OVERDUE)
    return out


def quota_applies(c: PassClaims, f: Facts, policy: CampusPolicy) -> bool:
    """Whether this pass counts against its household's one-person-a-day slot."""
    return policy.household_quota and c.household_id != 0 and c.kind in HOUSEHOLD_KINDS and not f.commuter


def evaluate(
    request: AccessRequest, claims: PassClaims | TokenError, facts: Facts, policy: CampusPolicy
) -> Decision:
    """Apply every rule; the strongest verdict wins and the most useful reason is shown."""
    day = policy.local_date(request.scanned_at)
    inward = request.direction == "in"
    reasons = _temperature(request.temperature, policy)
    detail: dict[str, Any] = {}
    if request.temperature.celsius is not None:
        detail["celsius"] = request.temperature.celsius
    if request.symptoms:  # handled like a fever (seed 003: 对发烧咳嗽者一律实行医学隔离观察)
        reasons.append(Reason.SYMPTOMS)
        detail["symptoms"] = list(request.symptoms)
    if not facts.gate_open:
        reasons.append(Reason.GATE_CLOSED)
    if _outside_hours(policy, request.scanned_at):
        reasons.append(Reason.OUTSIDE_HOURS)
    claim = None
    ok = Reason.OK
    if isinstance(claims, TokenError):
        reasons.append(claims.reason)
        detail["token"] = str(claims)
        claims_or_none = None
    else:
        claims_or_none = claims
        reasons += _registry(claims, facts, policy)
        if facts.key_person_until is not None and day <= facts.key_person_until:
            reasons.append(Reason.KEY_PERSON)
            detail["monitored_until"] = facts.key_person_until.isoformat()
        reasons += _category(claims, facts, policy, day, inward)
        reasons += _closed(claims, facts, policy, request, day)
        if quota_applies(claims, facts, policy):
            holder = facts.day_holder
            if holder is None:
                claim = DayClaim(claims.household_id, day, claims.person_id)
            elif holder.person_id != claims.person_id:
                reasons.append(Reason.HOUSEHOLD_DAY_USED)
                detail["day_holder"] = holder.masked_name
        elif claims.kind in HOUSEHOLD_KINDS and facts.commuter:
            ok = Reason.OK_COMMUTER
    if not reasons:
        return Decision(Verdict.ALLOW, ok, (ok,), policy.version, claims_or_none, claim, detail)
    strongest = _strongest(reasons)
    shown = most_useful([r for r in reasons if r.verdict is strongest])
    ordered = tuple(sorted(set(reasons), key=lambda r: (r.info.priority, r.value)))
    return Decision(strongest, shown, ordered, policy.version, claims_or_none, None, detail)


def _strongest(reasons: list[Reason]) -> Verdict:
    return max((r.verdict for r in reasons), key=_STRENGTH.__getitem__)


def override(decision: Decision, *, allow: bool) -> Decision:
    """A guard's override: the verdict changes, the original reasons are kept for the audit."""
    reason = Reason.OK_OVERRIDE if allow else Reason.OVERRIDE_DENY
    return dataclasses.replace(
        decision,
        verdict=Verdict.ALLOW if allow else Verdict.DENY,
        reason=reason,
        reasons=(reason, *decision.reasons),
        claim=None,
    )

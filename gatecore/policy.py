"""The pass rules (docs/rules.md) as pure functions: facts in, decision out.

Central and the gate's offline mode both call :func:`decide`, the one copy of the sequence
evaluate → claim the household day → evaluate again: an admitted household member takes the day
however admitted (the rules, a guard's override, the gate on its own offline), the caller makes
the claim atomically (database or local ledger), and if the claim is lost the rules run again with
the winner as ``facts.day_holder`` so the refusal names who holds the day.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gatecore.campus import DEFAULT_TZ, CampusPolicy
from gatecore.facts import AccessRequest, DayClaim, Decision, Facts, Holder, Window
from gatecore.messages import Temperature
from gatecore.reasons import IDENTITY, Reason, Verdict, most_useful
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PassClaims, PassKind, TokenError, verify_token

__all__ = [  # the rules' vocabulary is re-exported: callers import everything about the rules from here
    "DEFAULT_TZ",
    "HOUSEHOLD_KINDS",
    "LAPSED_ON_EXIT",
    "REGISTRY_KINDS",
    "STAFF_KINDS",
    "STUDENT_KINDS",
    "AccessRequest",
    "CampusPolicy",
    "ClaimDay",
    "DayClaim",
    "Decision",
    "Facts",
    "Holder",
    "Outcome",
    "Window",
    "day_claim",
    "decide",
    "evaluate",
    "override",
    "quota_applies",
    "read_pass",
    "temperature_reasons",
    "verified_claims",
]

HOUSEHOLD_KINDS = frozenset({PassKind.RESIDENT, PassKind.TENANT})
STAFF_KINDS = frozenset({PassKind.STAFF, PassKind.FOREIGN_TEACHER})
STUDENT_KINDS = frozenset({PassKind.STUDENT, PassKind.INTL_STUDENT})
# kinds whose admission depends on registry records (approvals, batches, registrations, visits)
REGISTRY_KINDS = STAFF_KINDS | STUDENT_KINDS | {PassKind.CONTRACTOR, PassKind.VEHICLE, PassKind.VISITOR}
# entry permissions (seed 000 持证进校, seed 003 不准进入校园): on the way out they are logged, not applied.
# A pass that expired while its holder was inside still proves who they are (its signature holds)
LAPSED_ON_EXIT = frozenset(
    {
        Reason.PASS_EXPIRED,
        Reason.STAFF_NOT_APPROVED,
        Reason.CONTRACTOR_NOT_APPROVED,
        Reason.VEHICLE_NOT_REGISTERED,
        Reason.VISITOR_OUTSIDE_WINDOW,
        Reason.CATEGORY_NOT_ALLOWED,
    }
)
_STRENGTH = {Verdict.DENY: 3, Verdict.REFER: 2, Verdict.REMEASURE: 1, Verdict.ALLOW: 0}


def read_pass(qr: str, public_keys: Mapping[int, Ed25519PublicKey], at: datetime) -> PassClaims | TokenError:
    """Verify a QR text at an instant; a refusal is returned, not raised, to feed evaluate()."""
    try:
        return verify_token(qr, public_keys, at)
    except TokenError as exc:
        return exc


def verified_claims(claims: PassClaims | TokenError) -> PassClaims | None:
    """Whose pass it is, if its signature verified (even when its time did not: a visitor going out
    after the window still needs the registry's facts)."""
    return claims if isinstance(claims, PassClaims) else claims.claims


def temperature_reasons(t: Temperature, policy: CampusPolicy) -> list[Reason]:
    """What the reading alone says (fever, re-measure), whoever it is and wherever."""
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
    # a visitor going out needs no record (the one-time use counts on the way in)
    if c.kind in f.unchecked and (inward or c.kind is not PassKind.VISITOR):
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
    local = at.astimezone(policy.zone).time()
    if policy.opens <= policy.closes:
        return not policy.opens <= local < policy.closes
    return policy.closes <= local < policy.opens  # hours that span midnight


def kept_in(c: PassClaims, f: Facts, policy: CampusPolicy) -> bool:
    """Whether the pass holder is in a group the campus keeps in (closed management)."""
    groups = policy.closed_groups
    return bool(groups) and (c.kind.name.lower() in groups or (f.group is not None and f.group in groups))


def _closed(c: PassClaims, f: Facts, policy: CampusPolicy, request: AccessRequest, day: date) -> list[Reason]:
    # the one exception to "exits are let through" (docs/rules.md, rule 12): people kept in need an approval
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
    """Apply every rule; identity first, else the strongest verdict wins and the most useful reason shows."""
    day = policy.local_date(request.scanned_at)
    inward = request.direction == "in"
    reasons = temperature_reasons(request.temperature, policy)
    lapsed: list[Reason] = []  # entry permissions that no longer hold, for a person going out
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
    if isinstance(claims, TokenError) and not inward and claims.reason in LAPSED_ON_EXIT and claims.claims:
        lapsed.append(claims.reason)  # a visitor whose window ended while inside is let out
        claims = claims.claims
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
        for r in _category(claims, facts, policy, day, inward):
            (reasons if inward or r not in LAPSED_ON_EXIT else lapsed).append(r)
        reasons += _closed(claims, facts, policy, request, day)
        if quota_applies(claims, facts, policy):
            holder = facts.day_holder
            if holder is None:
                claim = DayClaim(claims.household_id, day, claims.person_id)
            elif holder.person_id != claims.person_id:
                reasons.append(Reason.HOUSEHOLD_DAY_USED)
                detail["day_holder"] = holder.masked_name
                if holder.at is not None:  # campus time, as the guard tells it: "used at 08:12"
                    detail["day_holder_at"] = holder.at.astimezone(policy.zone).isoformat()
        elif claims.kind in HOUSEHOLD_KINDS and facts.commuter:
            ok = Reason.OK_COMMUTER
    if lapsed:
        detail["lapsed"] = [r.value for r in lapsed]  # flagged to the office, never shown as a refusal
        ok = Reason.OK_EXIT_LAPSED
    if not reasons:
        return Decision(Verdict.ALLOW, ok, (ok,), policy.version, claims_or_none, claim, detail)
    identity = [r for r in reasons if r in IDENTITY]
    # identity outranks everything (docs/rules.md, rule 11): the guard keeps a revoked card, whatever else applies
    strongest = Verdict.DENY if identity else _strongest(reasons)
    shown = most_useful(identity or [r for r in reasons if r.verdict is strongest])
    ordered = tuple(sorted(set(reasons), key=lambda r: (r not in IDENTITY, r.info.priority, r.value)))
    return Decision(strongest, shown, ordered, policy.version, claims_or_none, None, detail)


def _strongest(reasons: list[Reason]) -> Verdict:
    return max((r.verdict for r in reasons), key=_STRENGTH.__getitem__)


def override(decision: Decision, *, allow: bool) -> Decision:
    """A guard's override: the verdict changes, the original reasons are kept for the audit.

    The household day is not settled here but by :func:`day_claim` in :func:`decide`: an admitted
    member takes the day whether the rules or the guard admitted them.
    """
    reason = Reason.OK_OVERRIDE if allow else Reason.OVERRIDE_DENY
    return dataclasses.replace(
        decision,
        verdict=Verdict.ALLOW if allow else Verdict.DENY,
        reason=reason,
        reasons=(reason, *decision.reasons),
        claim=None,
    )


def day_claim(
    claims: PassClaims | TokenError, facts: Facts, policy: CampusPolicy, day: date, *, admitted: bool
) -> DayClaim | None:
    """The household-day claim a passage makes: every admitted household member takes the day,
    however admitted (the rules, a guard's override, the gate on its own offline)."""
    if not admitted or not isinstance(claims, PassClaims) or not quota_applies(claims, facts, policy):
        return None
    holder = facts.day_holder
    if holder is not None and holder.person_id == claims.person_id:
        return None  # they hold it already: out and back in again
    return DayClaim(claims.household_id, day, claims.person_id)


ClaimDay = Callable[[DayClaim], "Holder | None"]  # makes a claim atomically; the other holder if lost


@dataclass(frozen=True, slots=True)
class Outcome:
    """What :func:`decide` settled: the decision, the facts it used, and who won the day if not us."""

    decision: Decision
    facts: Facts
    lost_to: Holder | None = None


def decide(
    request: AccessRequest,
    claims: PassClaims | TokenError,
    facts: Facts,
    policy: CampusPolicy,
    *,
    claim: ClaimDay,
    guard: Verdict | None = None,
    done: Verdict | None = None,
) -> Outcome:
    """The one sequence, online and offline: evaluate, apply the guard's override (``guard``),
    claim the household day for an admission, and evaluate again when the claim is lost.

    ``done`` is what the gate already did on its own (an offline decision being reconciled): a
    person it let through took the day whatever the rules say now; one it turned away took none.
    """
    day = policy.local_date(request.scanned_at)

    def once(f: Facts) -> Decision:
        d = evaluate(request, claims, f, policy)
        if guard is not None:
            d = override(d, allow=guard is Verdict.ALLOW)
        admitted = (done if done is not None else d.verdict) is Verdict.ALLOW
        # whose pass it is, its signature verified (``verified_claims``): one whose time does not
        # hold (expired while its holder was inside, let out; a guard letting its holder in) names who
        # passed as well as a valid one, and they take the day as any member admitted does
        whose = verified_claims(claims) or claims
        return dataclasses.replace(d, claim=day_claim(whose, f, policy, day, admitted=admitted))

    decision = once(facts)
    if decision.claim is None:
        return Outcome(decision, facts)
    winner = claim(decision.claim)
    if winner is None or winner.person_id == decision.claim.person_id:
        return Outcome(decision, facts)
    facts = dataclasses.replace(facts, day_holder=winner)
    # the claim was made and lost: the decision carries none left to make
    return Outcome(dataclasses.replace(once(facts), claim=None), facts, winner)

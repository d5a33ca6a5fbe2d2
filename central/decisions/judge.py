"""Judging one scan event at a registered gate: the facts, the one rule sequence of gatecore.policy,
the household-day claim and the visitor pass, and the conflicts with what the gate did offline."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session

from central.decisions.cache import RegistryCache
from central.decisions.clock import judged_at
from central.decisions.facts import build_facts, gate_facts
from central.decisions.ledger import claim_day, use_visitor_pass, visitor_pass_used
from central.models.registry import Gate
from central.office.keys import KeyRing
from central.office.registry import latest_policy
from gatecore.messages import ScanEvent
from gatecore.policy import (
    AccessRequest,
    CampusPolicy,
    Decision,
    Facts,
    Outcome,
    decide,
    read_pass,
    temperature_reasons,
    verified_claims,
)
from gatecore.reasons import Reason, Verdict
from gatecore.tokens import PassClaims, PassKind, TokenError


@dataclasses.dataclass(slots=True)
class Judged:
    """Central's decision, the facts it used, and the conflict with the gate's offline decision."""

    decision: Decision
    facts: Facts
    conflict: str | None
    # whose pass it is when its signature holds, its time or not (the decision's claims name nobody
    # once a pass's time fails): the person the log row names, so an auditor sees whom a guard let in
    whose: PassClaims | None = None


def alerting(event: ScanEvent) -> list[Reason]:
    """The alert reasons of a scan judged without a campus: a fever by the default threshold, symptoms."""
    fever = [r for r in temperature_reasons(event.temperature, CampusPolicy(0)) if r is Reason.FEVER]
    return fever + ([Reason.SYMPTOMS] if event.symptoms else [])


def campus_policy(session: Session, cache: RegistryCache, campus_id: int) -> CampusPolicy:
    """The campus's policy in force (the worker's cache drops it when a new version is stored)."""
    return cache.value(("policy", campus_id), lambda: latest_policy(session, campus_id))


def household_days(
    session: Session,
    cache: RegistryCache,
    scans: Iterable[tuple[ScanEvent, datetime, PassClaims | None]],
    *,
    max_skew_s: float,
) -> set[tuple[int, date]]:
    """The (household, local date) each (event, receipt, verified claims) would take a day on: its
    campus's date at the instant the scan is judged, as :func:`evaluate` judges it."""
    days = set()
    for event, received_at, claims in scans:
        gate = cache.row(session, Gate, event.gate_id)
        if claims is None or not claims.household_id or gate is None:
            continue
        at, _ = judged_at(session, event, received_at, max_skew_s=max_skew_s)
        days.add((claims.household_id, campus_policy(session, cache, gate.campus_id).local_date(at)))
    return days


def evaluate(
    session: Session,
    event: ScanEvent,
    gate: Gate,
    received_at: datetime,
    *,
    keyring: KeyRing,
    cache: RegistryCache,
    max_skew_s: float,
) -> Judged:
    """Central's decision on one event at a registered gate, with the facts used and any conflict with
    what the gate did offline (the household day claimed and a visitor pass used in ``session``)."""
    judged = judge(session, event, gate, received_at, keyring=keyring, cache=cache, max_skew_s=max_skew_s)
    decision, conflicts = judged.decision, [judged.conflict] if judged.conflict else []
    if event.offline is not None and decision.verdict is not event.offline.verdict:
        conflicts.append(
            f"gate decided {event.offline.verdict.value}/{event.offline.reason.value} offline, "
            f"central decides {decision.verdict.value}/{decision.reason.value}"
        )
    return Judged(decision, judged.facts, "; ".join(conflicts) or None, judged.whose)


def judge(
    session: Session,
    event: ScanEvent,
    gate: Gate,
    received_at: datetime,
    *,
    keyring: KeyRing,
    cache: RegistryCache,
    max_skew_s: float,
) -> Judged:
    """:func:`evaluate` but for comparing its verdict with the gate's: the decision, and the conflicts
    of what an offline admission could not take (a day held by another, a used one-time pass) or of
    the gate's clock. A late copy of an admission central had refused takes what it took by this."""
    policy = campus_policy(session, cache, gate.campus_id)
    at, clock = judged_at(session, event, received_at, max_skew_s=max_skew_s)
    claims = read_pass(event.qr, keyring.public_keys(), at)
    day = policy.local_date(at)
    done = event.offline.verdict if event.offline is not None else None
    admitted_offline = done is Verdict.ALLOW
    # an offline admission is judged by what the gate could know at its scan time
    as_of = at if admitted_offline else None
    verified = verified_claims(claims)
    facts = (
        build_facts(
            session, verified, gate, day, revoked_as_of=as_of, cache=cache, nucleic=policy.tests_nucleic
        )
        if verified is not None
        else gate_facts(gate)
    )
    request = AccessRequest.from_scan(event, at)
    guard = event.override.verdict if event.override else None

    def run(f: Facts) -> Outcome:
        # the one sequence the offline gate runs too; a person the gate turned away offline did
        # not come in and takes no day (``done``)
        return decide(
            request,
            claims,
            f,
            policy,
            claim=lambda c: claim_day(session, c, event.event_id, at=received_at, cache=cache),
            guard=guard,
            done=done,
        )

    outcome = run(facts)
    decision, facts = outcome.decision, outcome.facts
    conflicts: list[str] = [clock] if clock else []
    if outcome.lost_to is not None and admitted_offline:
        conflicts.append(f"household day already held by person {outcome.lost_to.person_id}")
    refused_offline = done is not None and not admitted_offline
    if refused_offline and _uses_visitor_pass(claims, event, decision, False):
        # judged, not used: whether it was used is read now (the cache's pass row may predate a use)
        assert isinstance(claims, PassClaims)
        if visitor_pass_used(session, claims.pass_id):
            facts = dataclasses.replace(facts, visitor_used=True)
            decision = run(facts).decision
    elif not refused_offline and _uses_visitor_pass(claims, event, decision, admitted_offline):
        assert isinstance(claims, PassClaims)
        if not use_visitor_pass(session, claims.pass_id, at):
            facts = dataclasses.replace(facts, visitor_used=True)
            decision = run(facts).decision
            if admitted_offline:
                conflicts.append("one-time visitor pass already used")
    return Judged(decision, facts, "; ".join(conflicts) or None, verified)


def _uses_visitor_pass(
    claims: PassClaims | TokenError, event: ScanEvent, decision: Decision, admitted: bool
) -> bool:
    return (
        isinstance(claims, PassClaims)
        and claims.kind is PassKind.VISITOR
        and event.direction == "in"
        and (decision.verdict is Verdict.ALLOW or admitted)
    )

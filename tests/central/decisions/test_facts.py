"""A batch's facts read up front (``prefetch``) are the facts read one by one, in fewer statements."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event
from sqlmodel import Session

from central.decisions.cache import NoCache, RegistryCache
from central.decisions.facts import build_facts, prefetch
from central.models.db import read_only, session_scope
from central.models.registry import Approval, Gate, Pass, Vehicle
from gatecore.tokens import PassClaims, parse_token
from tests.central.conftest import NOW, World

DAY = date(2026, 11, 23)


def _vehicle_pass(world: World) -> str:
    # a vehicle whose id is also a person's id: the pass's person_id names the vehicle, not that person
    with session_scope(world.engine) as s:
        s.add(
            Vehicle(
                id=world.people["li"],
                plate="晋A12345",
                owner_person_id=world.people["staff"],
                valid_until=DAY + timedelta(days=30),
            )
        )
        s.flush()
        p = Pass(
            person_id=world.people["li"],
            kind="VEHICLE",
            campus_id=world.campus_id,
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=30),
        )
        s.add(p)
        s.flush()
        return world.keyring.issue(p)


def _claims(world: World, qr: str) -> PassClaims:
    return parse_token(world.tokens.get(qr, qr), world.keyring.public_keys())


def test_prefetched_facts_equal_facts_read_one_by_one(world: World) -> None:
    vehicle_qr = _vehicle_pass(world)
    with session_scope(world.engine) as s:  # several approvals, one only requested: joined rows, not facts
        staff = world.people["staff"]
        s.add(Approval(person_id=staff, kind="exit", valid_from=DAY, valid_until=DAY, approved_by="院长"))
        s.add(
            Approval(
                person_id=staff,
                kind="exit",
                valid_from=DAY,
                valid_until=DAY,
                approved_by="",
                status="requested",
            )
        )
        s.add(
            Approval(
                person_id=world.people["li"], kind="exit", valid_from=DAY, valid_until=DAY, approved_by="院长"
            )
        )
    claims = [_claims(world, role) for role in ("zhang", "li", "staff", "wang")]
    claims.append(_claims(world, vehicle_qr))
    gone = _claims(world, "zhang")
    with session_scope(world.engine) as s:  # a signed pass whose row is gone reads as unknown
        s.delete(s.get(Pass, gone.pass_id))
    cache, facts = RegistryCache(), {}
    with Session(read_only(world.engine)) as s:
        cache.refresh(s)
        prefetch(s, cache, {world.gate_id}, claims)
        gate = cache.row(s, Gate, world.gate_id)
        assert gate is not None
        for c in claims:
            from_cache = build_facts(s, c, gate, DAY, cache=cache, nucleic=False)
            one_by_one = build_facts(s, c, s.get(Gate, world.gate_id), DAY, cache=NoCache(), nucleic=False)
            assert from_cache == one_by_one, c
            facts[c.pass_id] = from_cache
    assert not facts[gone.pass_id].known
    assert facts[claims[-1].pass_id].vehicle_registered
    # the vehicle's holder is its owner (the staff member), not the person whose id the vehicle shares
    assert facts[claims[-1].pass_id].holder_name == facts[claims[2].pass_id].holder_name
    assert facts[claims[2].pass_id].exit_approvals and facts[claims[2].pass_id].approvals  # staff: both kinds


def test_prefetch_reads_passes_holders_and_households_in_one_statement(world: World) -> None:
    claims = [_claims(world, role) for role in ("zhang", "li", "staff", "wang")]
    statements: list[str] = []
    event.listen(world.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    cache = RegistryCache()
    with Session(read_only(world.engine)) as s:
        cache.refresh(s)
        cache.row(s, Gate, world.gate_id)
        statements.clear()
        prefetch(s, cache, {world.gate_id}, claims)
        statements[:] = [" ".join(q.split()) for q in statements]
        reads = [
            q
            for q in statements
            if any(f" FROM {t}" in q for t in ("access_pass", "person", "household ", "approval"))
        ]
        assert len(reads) == 1, reads  # passes, holders, households and approvals in one statement
        statements.clear()
        gate = cache.row(s, Gate, world.gate_id)
        for c in claims:  # everything the facts need is held: no statement at all
            build_facts(s, c, gate, DAY, cache=cache, nucleic=False)
        assert [q for q in statements if "household_day" not in q] == []

"""A worker's registry cache never takes a revision number from a transaction that did not commit:
giving back a household day moves the revision inside the batch, and if that batch rolls back, the
next change anyone commits takes the same number. A cache that had adopted it would keep serving
rows from before that change (a revoked pass let in)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from central.decisions.ledger import give_back
from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.journal import EntryEvent
from central.models.registry import Pass
from central.office.keys import KeyRing
from gatecore.messages import DecisionMessage
from gatecore.reasons import Reason
from tests.central.conftest import NOW, build_world, event_id


def test_a_give_back_that_rolled_back_leaves_the_cache_to_read_the_next_change(
    any_engine: Engine, keyring: KeyRing
) -> None:
    world = build_world(any_engine, keyring)
    service = DecisionService(any_engine, keyring)
    first = event_id()
    [out] = service.handle(*world.scan("li", eid=first, seq=1), NOW)
    assert DecisionMessage.from_json(out.payload).reason is Reason.OK  # the day is li's; the cache is warm
    [out] = service.handle(*world.scan("staff", seq=2), NOW)
    # a late refusal's give-back, in a batch whose transaction then rolls back (a lost claim, a
    # concurrent copy, an outage: the batch is decided again in a new one)
    with Session(any_engine) as session:
        entry = session.exec(select(EntryEvent).where(EntryEvent.event_id == first)).one()
        assert give_back(session, service.cache, entry, []) == ["household day"]
        # a later event of the batch reads the staff pass (as it stands before the revocation)
        assert service.cache.row(session, Pass, world.passes["staff"]) is not None
        session.rollback()
    # the office revokes the staff pass: its commit moves the revision to the number the rolled-back
    # give-back had taken
    with session_scope(any_engine) as s:
        row = s.get(Pass, world.passes["staff"])
        assert row is not None
        row.revoked_at = datetime.now(UTC)
        s.add(row)
    [out] = service.handle(*world.scan("staff", seq=3), NOW)
    assert DecisionMessage.from_json(out.payload).reason is Reason.PASS_REVOKED

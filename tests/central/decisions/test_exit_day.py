"""Going out takes the household's day as coming in does (docs/decision-flow.md, "Entering and leaving":
the household day still applies on the way out), also for a person let out whose pass expired while
they were inside (``ok_exit_lapsed``): central and the offline gate alike, apart or in one batch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.registry import Pass
from central.office.keys import KeyRing
from gatecore.messages import DecisionMessage, Override, ScanEvent
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, build_world
from tests.central.decisions.gates import offline_gate

LATER = NOW + timedelta(minutes=5)


def _expired(world: World, role: str) -> str:
    """The role's pass as it was issued, its last valid moment an hour ago: the QR text."""
    with session_scope(world.engine) as s:
        row = s.get(Pass, world.passes[role])
        assert row is not None
        row.valid_until = NOW - timedelta(hours=1)
        return world.keyring.issue(row)


@pytest.mark.parametrize("together", [False, True], ids=["apart", "one-batch"])
@pytest.mark.parametrize("expired", [False, True], ids=["valid-pass", "expired-pass"])
def test_a_member_let_out_holds_the_day(
    any_engine: Engine, keyring: KeyRing, expired: bool, together: bool
) -> None:
    world = build_world(any_engine, keyring)
    li = _expired(world, "li") if expired else "li"
    service = DecisionService(any_engine, keyring)
    scans = [(*world.scan(li, direction="out"), NOW), (*world.scan("zhang", at=LATER), LATER)]
    out = service.handle_batch(scans) if together else [o for s in scans for o in service.handle_batch([s])]
    went_out, came_in = (DecisionMessage.from_json(o.payload) for o in out)
    assert went_out.reason is (Reason.OK_EXIT_LAPSED if expired else Reason.OK)
    assert (came_in.reason, came_in.detail.get("day_holder")) == (Reason.HOUSEHOLD_DAY_USED, "李*华")


def test_the_offline_gate_counts_an_expired_pass_let_out_as_central_does(
    world: World, tmp_path: Path
) -> None:
    gate = offline_gate(world, tmp_path, NOW)
    went_out = gate.decide(ScanEvent.from_json(world.scan(_expired(world, "li"), direction="out")[1]))
    came_in = gate.decide(ScanEvent.from_json(world.scan("zhang", at=LATER)[1]))
    assert (went_out.reason, came_in.reason) == (Reason.OK_EXIT_LAPSED, Reason.HOUSEHOLD_DAY_USED)


def test_a_member_a_guard_lets_in_on_an_expired_pass_holds_the_day(world: World, tmp_path: Path) -> None:
    """The pass's signature still names them, as going out: the override admits a household member,
    who takes the day (gatecore.policy.day_claim: however admitted), online and offline alike."""
    expired = _expired(world, "li")
    of = ScanEvent.from_json(world.scan(expired)[1]).event_id
    let_in = Override(of, "guard-7", Verdict.ALLOW, "本人")
    gate = offline_gate(world, tmp_path, NOW)
    offline = gate.decide(ScanEvent.from_json(world.scan(expired, override=let_in)[1]))
    after_offline = gate.decide(ScanEvent.from_json(world.scan("zhang", at=LATER)[1]))
    assert (offline.reason, after_offline.reason) == (Reason.OK_OVERRIDE, Reason.HOUSEHOLD_DAY_USED)
    online = world.service.handle(*world.scan(expired, override=let_in), NOW)
    after = world.service.handle(*world.scan("zhang", at=LATER), LATER)
    came_in = DecisionMessage.from_json(after[0].payload)
    assert DecisionMessage.from_json(online[0].payload).reason is Reason.OK_OVERRIDE
    assert (came_in.reason, came_in.detail.get("day_holder")) == (Reason.HOUSEHOLD_DAY_USED, "李*华")


def test_the_log_names_whose_expired_pass_it_was(world: World) -> None:
    """A pass whose time failed still proves whose it is (its signature holds): the entry-log row names
    the person, household and pass, refused or let in by a guard, so an auditor sees whom the gate met
    and a search by person finds it. A forged pass names nobody."""
    from sqlmodel import select

    from central.models.journal import EntryEvent

    expired = _expired(world, "li")
    refused = world.service.handle(*world.scan(expired), NOW)
    of = DecisionMessage.from_json(refused[0].payload).event_id
    let_in = world.service.handle(
        *world.scan(expired, override=Override(of, "guard-7", Verdict.ALLOW, "本人")), NOW
    )
    forged = world.service.handle(
        *world.scan(expired[:-3] + ("000" if expired[-3:] != "000" else "111")), NOW
    )
    ids = [DecisionMessage.from_json(out[0].payload).event_id for out in (refused, let_in, forged)]
    with session_scope(world.engine) as s:
        rows = {r.event_id: r for r in s.exec(select(EntryEvent).where(EntryEvent.kind == "decision"))}
    li = (world.passes["li"], world.people["li"])
    assert [(rows[i].reason, (rows[i].pass_id, rows[i].person_id)) for i in ids[:2]] == [
        ("pass_expired", li),
        ("ok_override", li),
    ]
    assert rows[ids[0]].household_id is not None and rows[ids[0]].household_id == rows[ids[1]].household_id
    assert (rows[ids[2]].pass_id, rows[ids[2]].person_id) == (None, None)

"""The demo seed: the college's household counts, fast on SQLite, and every demo role decided right."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import func, select

from central.decisions.service import DecisionService
from central.demo.seed import demo_passes, pass_tokens, seed_demo
from central.models.db import session_scope
from central.models.registry import Household
from central.office.keys import KeyRing
from gatecore import topics
from gatecore.messages import DecisionMessage, ScanEvent, Temperature
from gatecore.reasons import Reason
from gatecore.thermoline import SensorStatus
from gatecore.topics import valid_gate_id
from tests.central.conftest import NOW, event_id

TODAY = date(2026, 11, 23)  # NOW is 10:00 on this day in Asia/Shanghai


def test_seed_matches_the_notice(engine: Engine, keyring: KeyRing) -> None:
    with session_scope(engine) as s:
        summary = seed_demo(s, keyring, TODAY)
    assert summary.created
    assert list(summary.campuses) == ["wucheng", "nanzhonghuan", "changfeng"]
    assert len(summary.gates) == 6 and all(valid_gate_id(g) for g in summary.gates)
    with session_scope(engine) as s:
        per_campus = dict(
            s.exec(select(Household.campus_id, func.count()).group_by(Household.campus_id)).all()
        )
        labels = s.exec(select(func.count(func.distinct(Household.label)))).one()
        again = seed_demo(s, keyring, TODAY)
    assert [per_campus[summary.campuses[c]] for c in summary.campuses] == [179, 93, 118]
    assert labels == summary.households == 390
    assert not again.created and again.passes == summary.passes


def test_demo_roles_are_decided_as_the_rules_say(engine: Engine, keyring: KeyRing) -> None:
    with session_scope(engine) as s:
        seed_demo(s, keyring, TODAY)
        passes = demo_passes(s, keyring, campus_code="wucheng")
        tokens = pass_tokens(s, keyring, [passes[0].pass_id, 10**6])
    assert list(tokens) == [passes[0].pass_id] and tokens[passes[0].pass_id] == passes[0].token
    by_role: dict[str, list] = {}
    for p in passes:
        by_role.setdefault(p.role, []).append(p)
    service = DecisionService(engine, keyring)

    def decide(p, minutes: int = 0) -> Reason:
        gate = p.gate_ids[0]
        at = NOW + timedelta(minutes=minutes)
        event = ScanEvent(
            event_id=event_id(at),
            gate_id=gate,
            seq=1,
            gate_time=at,
            qr=p.token,
            temperature=Temperature(36.5, SensorStatus.OK),
        )
        out = service.handle(topics.gate_events(gate), event.to_json(), at)
        return DecisionMessage.from_json(out[0].payload).reason

    expected = {
        "staff": Reason.OK,
        "staff_unapproved": Reason.STAFF_NOT_APPROVED,
        "student": Reason.STUDENT_NOT_IN_BATCH,
        "student_batch": Reason.OK,
        "key_person": Reason.KEY_PERSON,
        "commuter": Reason.OK_COMMUTER,
        "revoked": Reason.PASS_REVOKED,
        "visitor": Reason.OK,
    }
    for role, reason in expected.items():
        assert decide(by_role[role][0]) is reason, role
    assert decide(by_role["visitor"][0], minutes=30) is Reason.VISITOR_PASS_USED
    # a household of several residents: the first member takes the day, the next is refused
    members: dict[int, list] = {}
    for p in by_role["resident"]:
        members.setdefault(p.household_id, []).append(p)
    family = next(m for m in members.values() if len(m) >= 2)
    assert decide(family[0]) is Reason.OK
    assert decide(family[1], minutes=1) is Reason.HOUSEHOLD_DAY_USED

"""The offline gate fed the config central publishes decides the notice rules of issue 11 (items 9-12)
as central does: withdrawn approvals, lapsed commuter certificates, closed management, the
nucleic-acid rule and symptoms; a withdrawal reaches the gate with the next config."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.models.db import session_scope
from central.models.health import NucleicTest
from central.models.registry import Approval, Person
from central.office import registry
from gatecore.messages import DecisionMessage, ScanEvent
from gatecore.reasons import Reason
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client
from tests.central.decisions.gates import offline_gate, published_config
from tests.central.office.test_nucleic import add_student

DAY = date(2026, 11, 23)


def both(world: World, gate, role: str, **scan: object) -> tuple[Reason, Reason]:  # type: ignore[no-untyped-def]
    """(offline gate's reason, central's reason) for the same scan."""
    topic, payload = world.scan(role, **scan)  # type: ignore[arg-type]
    local = gate.decide(ScanEvent.from_json(payload))
    online = DecisionMessage.from_json(world.service.handle(topic, payload, NOW)[0].payload)
    return local.reason, online.reason


def test_a_withdrawal_reaches_the_gate_with_the_next_config(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    before = offline_gate(world, tmp_path / "a", NOW)
    with Session(world.engine) as s:
        approval = s.exec(select(Approval).where(Approval.person_id == world.people["staff"])).one()
    assert c.call("POST", f"/api/v1/approvals/{approval.id}/withdraw", role="approver").status_code == 200
    assert c.published == [world.gate_id]  # the config is re-published at once
    after = offline_gate(world, tmp_path / "b", NOW)
    assert both(world, after, "staff") == (Reason.STAFF_NOT_APPROVED, Reason.STAFF_NOT_APPROVED)
    # a gate still holding the old config does not know yet: the staleness docs/decision-flow.md states
    assert before.decide(ScanEvent.from_json(world.scan("staff")[1])).reason is Reason.OK
    assert b'"staff_approvals":{}' in published_config(world, NOW)


@pytest.mark.parametrize(
    ("until", "expected"), [(DAY, Reason.OK_COMMUTER), (DAY - timedelta(days=1), Reason.HOUSEHOLD_DAY_USED)]
)
def test_a_lapsed_commuter_certificate_offline(
    world: World, tmp_path: Path, until: date, expected: Reason
) -> None:
    with session_scope(world.engine) as s:
        wang = s.get(Person, world.people["wang"])
        wang.commuter_until = until  # type: ignore[union-attr]
        s.add(wang)
    gate = offline_gate(
        world, tmp_path, NOW - timedelta(days=1)
    )  # cut the day before: the gate judges the date
    topic, payload = world.scan("zhang", at=NOW - timedelta(minutes=1))
    answer = DecisionMessage.from_json(world.service.handle(topic, payload, NOW)[0].payload)
    gate.remember_online_allow(ScanEvent.from_json(payload), answer)
    assert both(world, gate, "wang") == (expected, expected)


def _policy(world: World, **changes: object) -> None:
    with session_scope(world.engine) as s:
        current = registry.latest_policy(s, world.campus_id)
        registry.save_policy(s, dataclasses.replace(current, **changes))  # type: ignore[arg-type]


def test_closed_management_offline_as_central(world: World, tmp_path: Path) -> None:
    pid = add_student(world, "stu", "孙小红", last4="1234")
    _policy(world, closed_groups=frozenset({"student", "logistics"}))
    with session_scope(world.engine) as s:
        staff = s.get(Person, world.people["staff"])
        staff.group = "logistics"  # type: ignore[union-attr]
        s.add(staff)
    gate = offline_gate(world, tmp_path / "a", NOW)
    closed = (Reason.CLOSED_MANAGEMENT, Reason.CLOSED_MANAGEMENT)
    assert both(world, gate, "stu", direction="out") == closed
    assert both(world, gate, "staff", direction="out") == closed
    assert both(world, gate, "stu", direction="in") == (Reason.OK, Reason.OK)
    with session_scope(world.engine) as s:
        s.add(Approval(person_id=pid, kind="exit", valid_from=DAY, valid_until=DAY, approved_by="院长"))
    gate = offline_gate(world, tmp_path / "b", NOW)
    assert both(world, gate, "stu", direction="out") == (Reason.OK, Reason.OK)


@pytest.mark.parametrize(
    ("ago", "expected"),
    [(None, Reason.NAT_OVERDUE), (timedelta(hours=50), Reason.NAT_OVERDUE), (timedelta(hours=10), Reason.OK)],
)
def test_the_nucleic_acid_rule_offline_as_central(
    world: World, tmp_path: Path, ago: timedelta | None, expected: Reason
) -> None:
    pid = add_student(world, "stu", "孙小红", last4="1234")
    _policy(world, closed_groups=frozenset({"student"}), nat_max_age_hours=48)
    if ago is not None:
        with session_scope(world.engine) as s:
            s.add(NucleicTest(person_id=pid, sampled_at=NOW - ago, result="negative", imported_at=NOW))
    gate = offline_gate(world, tmp_path, NOW)
    assert both(world, gate, "stu") == (expected, expected)
    assert both(world, gate, "zhang") == (Reason.OK, Reason.OK)  # not kept in: no test asked


def test_symptoms_offline_as_central(world: World, tmp_path: Path) -> None:
    gate = offline_gate(world, tmp_path, NOW)
    assert both(world, gate, "zhang", symptoms=("cough",)) == (Reason.SYMPTOMS, Reason.SYMPTOMS)

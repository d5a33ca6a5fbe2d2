"""Whose clock: online, central's receive time judges validity and the household day; an offline
decision being reconciled is judged at the gate's time corrected by its measured skew, flagged
when the clock is off or claims the future."""

from __future__ import annotations

from datetime import timedelta

from central.decisions.status import record_status
from central.models.db import session_scope
from central.models.registry import Pass
from gatecore import topics
from gatecore.messages import DecisionMessage, GateStatus, OfflineDecision
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World
from tests.central.decisions.gates import central_days

DAY = "2026-11-23"


def _phone_code(world: World, signed_at) -> str:
    """zhang's phone code, signed at ``signed_at`` (valid for one minute from then)."""
    with session_scope(world.engine) as s:
        row = Pass(
            person_id=world.people["zhang"],
            kind="RESIDENT",
            form="PHONE",
            campus_id=world.campus_id,
            household_id=world.household_id,
            valid_from=NOW - timedelta(days=2),
            valid_until=NOW + timedelta(days=30),
        )
        s.add(row)
        s.flush()
        return world.keyring.issue(row, now=signed_at)


def _answer(world: World, scan: tuple[str, bytes], received) -> DecisionMessage:
    return DecisionMessage.from_json(world.service.handle(*scan, received)[0].payload)


def test_a_gate_claiming_an_old_time_does_not_make_a_day_old_phone_code_valid(world: World) -> None:
    yesterday = NOW - timedelta(days=1)
    code = _phone_code(world, yesterday)
    msg = _answer(world, world.scan(code, at=yesterday + timedelta(seconds=10)), NOW)
    assert (msg.verdict, msg.reason) == (Verdict.DENY, Reason.PASS_EXPIRED)
    fresh = _phone_code(world, NOW - timedelta(seconds=20))
    assert _answer(world, world.scan(fresh, at=NOW - timedelta(days=3)), NOW).reason is Reason.OK


def test_a_gate_claiming_tomorrow_uses_todays_household_day(world: World) -> None:
    msg = _answer(world, world.scan("zhang", at=NOW + timedelta(days=1)), NOW)
    assert msg.reason is Reason.OK
    assert central_days(world) == {(world.household_id, DAY, world.people["zhang"])}
    assert _answer(world, world.scan("li", at=NOW), NOW).reason is Reason.HOUSEHOLD_DAY_USED


def test_offline_decision_is_judged_at_the_gates_time_within_its_skew(world: World) -> None:
    scanned = NOW - timedelta(minutes=10)  # during the outage; the code was fresh then
    code = _phone_code(world, scanned - timedelta(seconds=5))
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    msg = _answer(world, world.scan(code, at=scanned, offline=offline), NOW)
    assert (msg.verdict, msg.reason) == (Verdict.ALLOW, Reason.OK)
    assert "conflict" not in msg.detail


def _status(world: World, skew_s: float) -> None:
    status = GateStatus(gate_id=world.gate_id, state="online", at=NOW + timedelta(seconds=skew_s))
    record_status(world.engine, topics.gate_status(world.gate_id), status.to_json(), NOW, max_skew_s=30)


def test_offline_time_is_corrected_by_the_measured_skew_and_flagged_when_off(world: World) -> None:
    _status(world, 3600)  # the gate's clock runs an hour fast
    # the gate says 10:55 for a scan central's clock puts at 09:55, when this code was fresh
    code = _phone_code(world, NOW - timedelta(minutes=5, seconds=5))
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    at_gate = NOW - timedelta(minutes=5) + timedelta(hours=1)
    msg = _answer(world, world.scan(code, at=at_gate, offline=offline), NOW + timedelta(minutes=1))
    assert msg.reason is Reason.OK
    assert "gate clock: off by 3600 s" in msg.detail["conflict"]


def test_offline_time_after_receipt_is_flagged_and_bounded(world: World) -> None:
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    msg = _answer(world, world.scan("zhang", at=NOW + timedelta(days=1), offline=offline), NOW)
    assert "after its receipt" in msg.detail["conflict"]
    assert central_days(world) == {(world.household_id, DAY, world.people["zhang"])}

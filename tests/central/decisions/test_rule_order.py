"""Identity first and exits under lapsed permissions, through central's decision service on SQLite,
and the daily report counting identity refusals and flagged exits."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from central.models.db import session_scope
from central.models.registry import Approval, Pass, Person
from central.office import reports
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, visitor_pass
from tests.central.decisions.test_service import decide

DAY = date(2026, 11, 23)


def _revoke(world: World, role: str) -> None:
    with session_scope(world.engine) as s:
        row = s.get(Pass, world.passes[role])
        assert row is not None
        row.revoked_at = NOW - timedelta(hours=1)


def test_revoked_card_after_the_household_day_is_used_says_keep_the_card(world: World) -> None:
    assert decide(world, "zhang").reason is Reason.OK
    _revoke(world, "li")
    msg = decide(world, "li", at=NOW + timedelta(minutes=5))
    assert (msg.verdict, msg.reason) == (Verdict.DENY, Reason.PASS_REVOKED)
    assert msg.reason.info.action_en == "Refuse and keep the card"


def test_deactivated_teacher_is_told_he_is_deactivated_not_unapproved(world: World) -> None:
    with session_scope(world.engine) as s:
        person = s.get(Person, world.people["staff"])
        assert person is not None
        person.active = False
        for a in s.exec(select(Approval)):
            s.delete(a)
    assert decide(world, "staff").reason is Reason.PERSON_INACTIVE


def test_report_counts_identity_refusals_and_lapsed_exits(world: World) -> None:
    assert decide(world, "zhang").reason is Reason.OK
    _revoke(world, "li")
    assert decide(world, "li", at=NOW + timedelta(minutes=1)).reason is Reason.PASS_REVOKED
    assert decide(world, "https://u.wechat.com/x", at=NOW + timedelta(minutes=2)).reason is Reason.QR_FOREIGN
    with session_scope(world.engine) as s:
        for a in s.exec(select(Approval)):
            a.valid_until = DAY - timedelta(days=1)  # lapsed while the teacher was inside
    out = decide(world, "staff", direction="out", at=NOW + timedelta(minutes=3))
    assert (out.verdict, out.reason, out.detail["lapsed"]) == (
        Verdict.ALLOW,
        Reason.OK_EXIT_LAPSED,
        ["staff_not_approved"],
    )
    assert decide(world, "staff", at=NOW + timedelta(minutes=4)).reason is Reason.STAFF_NOT_APPROVED
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))
    c = report.content
    assert (c["identity_refusals"], c["exits_lapsed"], c["exits"]) == (2, 1, 1)
    assert c["refusals"] == {"pass_revoked": 1, "qr_foreign": 1, "staff_not_approved": 1}


def _visitor(world: World, *, revoked: bool) -> str:
    """A visitor pass whose window ended an hour ago (while the visitor was inside)."""
    revoked_at = NOW - timedelta(hours=2) if revoked else None
    return visitor_pass(world, NOW - timedelta(hours=3), NOW - timedelta(hours=1), revoked_at)[0]


def test_visitor_whose_window_ended_inside_is_let_out_unless_revoked(world: World) -> None:
    out = decide(world, _visitor(world, revoked=False), direction="out")
    assert (out.verdict, out.reason, out.detail["lapsed"]) == (
        Verdict.ALLOW,
        Reason.OK_EXIT_LAPSED,
        ["visitor_outside_window"],
    )
    assert decide(world, _visitor(world, revoked=True), direction="out").reason is Reason.PASS_REVOKED
    assert decide(world, _visitor(world, revoked=False)).reason is Reason.VISITOR_OUTSIDE_WINDOW

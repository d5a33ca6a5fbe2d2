"""Which reason shows (identity first), exits under lapsed entry permissions, and the one sequence
evaluate → claim → evaluate again that central and the gate both run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gatecore.messages import Temperature
from gatecore.policy import (
    AccessRequest,
    CampusPolicy,
    DayClaim,
    Facts,
    Holder,
    Window,
    decide,
    evaluate,
    read_pass,
)
from gatecore.reasons import IDENTITY, REASONS, Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PassKind

from .conftest import NOW

POLICY = CampusPolicy(campus_id=1, version=3)
TODAY = date(2026, 11, 23)
HELD = Facts(day_holder=Holder(5, "张*明"))


def _req(text: str, *, direction: str = "in", celsius: float = 36.5) -> AccessRequest:
    return AccessRequest("e1", "g1", text, Temperature(celsius, SensorStatus.OK), direction, NOW)


@pytest.mark.parametrize(
    "token,facts,expected",
    [
        ({}, Facts(revoked=True, day_holder=Holder(5, "张*明")), Reason.PASS_REVOKED),
        ({"kind": PassKind.STAFF, "household_id": 0}, Facts(person_active=False), Reason.PERSON_INACTIVE),
        ({"kind": PassKind.STUDENT, "household_id": 0, "campus_id": 2}, Facts(), Reason.WRONG_CAMPUS),
        ({}, Facts(known=False, key_person_until=TODAY, gate_open=False), Reason.PASS_UNKNOWN),
    ],
    ids=["revoked-after-day-used", "deactivated-teacher", "student-wrong-campus", "unknown-key-person"],
)
def test_identity_outranks_every_other_reason(make_token, keys, token, facts, expected) -> None:
    text = make_token(**token)
    d = evaluate(_req(text, celsius=38.0), read_pass(text, keys, NOW), facts, POLICY)
    assert (d.verdict, d.reason) == (Verdict.DENY, expected)
    assert d.fever  # the fever is still alerted; only the shown reason changes
    assert d.reasons[0] is expected


def test_identity_codes_have_the_lowest_priorities() -> None:
    worst_identity = max(REASONS[r].priority for r in IDENTITY)
    assert all(REASONS[r].priority > worst_identity for r in set(Reason) - IDENTITY)


@pytest.mark.parametrize(
    "token,facts,lapsed",
    [
        ({"kind": PassKind.STAFF, "household_id": 0}, Facts(), "staff_not_approved"),
        ({"kind": PassKind.CONTRACTOR, "household_id": 0}, Facts(), "contractor_not_approved"),
        (
            {"kind": PassKind.VEHICLE, "household_id": 0},
            Facts(vehicle_registered=False),
            "vehicle_not_registered",
        ),
        (
            {"kind": PassKind.VISITOR, "household_id": 0, "valid_until": NOW - timedelta(hours=1)},
            Facts(),
            "visitor_outside_window",
        ),
        (
            {"kind": PassKind.RESIDENT, "valid_until": NOW - timedelta(hours=1)},
            Facts(),
            "pass_expired",
        ),
    ],
    ids=["staff", "contractor", "vehicle", "visitor", "expired-pass"],
)
def test_exit_with_lapsed_entry_permission_is_let_out_and_flagged(
    make_token, keys, token, facts, lapsed
) -> None:
    text = make_token(**token)
    out = evaluate(_req(text, direction="out"), read_pass(text, keys, NOW), facts, POLICY)
    assert (out.verdict, out.reason, out.detail["lapsed"]) == (Verdict.ALLOW, Reason.OK_EXIT_LAPSED, [lapsed])
    assert "entry" not in out.reason.info.en.lower() and "进" not in out.reason.info.zh
    inward = evaluate(_req(text), read_pass(text, keys, NOW), facts, POLICY)
    assert inward.verdict is Verdict.DENY and inward.reason.value == lapsed


def test_exit_still_refuses_identity_and_fever(make_token, keys) -> None:
    text = make_token(kind=PassKind.STAFF, household_id=0)
    revoked = evaluate(_req(text, direction="out"), read_pass(text, keys, NOW), Facts(revoked=True), POLICY)
    assert revoked.reason is Reason.PASS_REVOKED
    early = make_token(kind=PassKind.RESIDENT, valid_from=NOW + timedelta(days=1))
    not_yet = evaluate(_req(early, direction="out"), read_pass(early, keys, NOW), Facts(), POLICY)
    assert (not_yet.verdict, not_yet.reason) == (Verdict.DENY, Reason.PASS_NOT_YET_VALID)
    fever = evaluate(_req(text, direction="out", celsius=38.0), read_pass(text, keys, NOW), Facts(), POLICY)
    assert fever.reason is Reason.FEVER and fever.detail["lapsed"] == ["staff_not_approved"]


class Ledger:
    """The smallest atomic claimer: first claim of a (household, day) wins."""

    def __init__(self) -> None:
        self.days: dict[tuple[int, date], int] = {}

    def claim(self, c: DayClaim) -> Holder | None:
        winner = self.days.setdefault((c.household_id, c.local_date), c.person_id)
        return None if winner == c.person_id else Holder(winner, f"#{winner}")


@pytest.mark.parametrize(
    "guard,done", [(Verdict.ALLOW, None), (Verdict.ALLOW, Verdict.ALLOW), (None, Verdict.ALLOW)]
)
def test_every_admission_takes_the_household_day(make_token, keys, guard, done) -> None:
    text = make_token()
    ledger = Ledger()
    # the override admits someone the rules refuse (a fever), the gate admitted on its own
    out = decide(
        _req(text, celsius=38.0),
        read_pass(text, keys, NOW),
        Facts(),
        POLICY,
        claim=ledger.claim,
        guard=guard,
        done=done,
    )
    assert ledger.days == {(7, TODAY): 100}
    assert out.lost_to is None


def test_a_refusal_takes_no_day_and_a_lost_claim_names_the_holder(make_token, keys) -> None:
    ledger = Ledger()
    text = make_token()
    out = decide(_req(text, celsius=38.0), read_pass(text, keys, NOW), Facts(), POLICY, claim=ledger.claim)
    assert out.decision.verdict is Verdict.DENY and ledger.days == {}
    ledger.days[(7, TODAY)] = 5
    lost = decide(_req(text), read_pass(text, keys, NOW), Facts(), POLICY, claim=ledger.claim)
    assert (lost.decision.reason, lost.lost_to) == (Reason.HOUSEHOLD_DAY_USED, Holder(5, "#5"))
    assert lost.decision.claim is None
    turned_away = decide(
        _req(text), read_pass(text, keys, NOW), HELD, POLICY, claim=ledger.claim, done=Verdict.DENY
    )
    assert turned_away.decision.claim is None and turned_away.lost_to is None


def test_window_helper_is_inclusive() -> None:
    assert Window(TODAY, TODAY).covers(TODAY)

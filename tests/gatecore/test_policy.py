"""The rule book, one case per reason code, asserting codes (never words)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from gatecore.campus import policy_problems
from gatecore.messages import Temperature
from gatecore.policy import (
    AccessRequest,
    CampusPolicy,
    Decision,
    Facts,
    Holder,
    Window,
    evaluate,
    override,
    read_pass,
)
from gatecore.reasons import REASONS, Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PassKind

from .conftest import NOW

TODAY = date(2026, 11, 23)
POLICY = CampusPolicy(campus_id=1, version=3)
OK_TEMP = Temperature(36.5, SensorStatus.OK)


def decide(
    make_token,
    keys,
    *,
    token: dict | None = None,
    facts: Facts = Facts(),  # noqa: B008 (a frozen dataclass: sharing it is safe)
    policy: CampusPolicy = POLICY,
    temp: Temperature = OK_TEMP,
    direction: str = "in",
    at: datetime = NOW,
    qr: str | None = None,
    symptoms: tuple[str, ...] = (),
) -> Decision:
    text = qr if qr is not None else make_token(**(token or {}))
    req = AccessRequest("e1", "g1", text, temp, direction, at, symptoms)
    return evaluate(req, read_pass(text, keys, at), facts, policy)


WINDOW_TODAY = Window(TODAY - timedelta(days=1), TODAY + timedelta(days=1))
WINDOW_PAST = Window(TODAY - timedelta(days=10), TODAY - timedelta(days=5))
CLOSED = replace(POLICY, closed_groups=frozenset({"student", "logistics"}))
TESTED = replace(CLOSED, nat_max_age_hours=72)
STUDENT = dict(kind=PassKind.STUDENT, household_id=0)
IN_BATCH = Facts(return_batches=(WINDOW_TODAY,))

CASES: list[tuple[str, dict, Reason]] = [
    ("resident, first of the day", {}, Reason.OK),
    ("commuter", dict(facts=Facts(commuter=True, day_holder=Holder(5, "张*明"))), Reason.OK_COMMUTER),
    ("fever", dict(temp=Temperature(37.3, SensorStatus.OK)), Reason.FEVER),
    ("no reading", dict(temp=Temperature(None, SensorStatus.MISSING)), Reason.TEMP_MISSING),
    ("too cold to be a person", dict(temp=Temperature(31.0, SensorStatus.OK)), Reason.TEMP_IMPLAUSIBLE),
    ("sensor error", dict(temp=Temperature(None, SensorStatus.ERROR)), Reason.TEMP_IMPLAUSIBLE),
    ("WeChat code", dict(qr="https://u.wechat.com/abc"), Reason.QR_FOREIGN),
    ("future format", dict(qr="CG9:ABC"), Reason.TOKEN_BAD_VERSION),
    ("truncated", dict(qr="CG1:ABCDEF"), Reason.TOKEN_TRUNCATED),
    ("unknown key", dict(token=dict(key_id=77)), Reason.TOKEN_UNKNOWN_KEY),
    ("expired", dict(token=dict(valid_until=NOW - timedelta(minutes=1))), Reason.PASS_EXPIRED),
    ("not yet valid", dict(token=dict(valid_from=NOW + timedelta(days=1))), Reason.PASS_NOT_YET_VALID),
    ("revoked", dict(facts=Facts(revoked=True)), Reason.PASS_REVOKED),
    ("unknown pass", dict(facts=Facts(known=False)), Reason.PASS_UNKNOWN),
    ("deactivated", dict(facts=Facts(person_active=False)), Reason.PERSON_INACTIVE),
    ("other campus", dict(token=dict(campus_id=2)), Reason.WRONG_CAMPUS),
    ("key person", dict(facts=Facts(key_person_until=TODAY)), Reason.KEY_PERSON),
    ("gate closed", dict(facts=Facts(gate_open=False)), Reason.GATE_CLOSED),
    ("outside hours", dict(policy=replace(POLICY, opens=time(6), closes=time(9))), Reason.OUTSIDE_HOURS),
    (
        "category barred",
        dict(policy=replace(POLICY, allowed_kinds=frozenset({PassKind.STAFF}))),
        Reason.CATEGORY_NOT_ALLOWED,
    ),
    ("staff, no approval", dict(token=dict(kind=PassKind.STAFF, household_id=0)), Reason.STAFF_NOT_APPROVED),
    (
        "staff, lapsed approval",
        dict(token=dict(kind=PassKind.STAFF), facts=Facts(approvals=(WINDOW_PAST,))),
        Reason.STAFF_NOT_APPROVED,
    ),
    (
        "staff, approved",
        dict(token=dict(kind=PassKind.STAFF), facts=Facts(approvals=(WINDOW_TODAY,))),
        Reason.OK,
    ),
    ("student early", dict(token=dict(kind=PassKind.STUDENT)), Reason.STUDENT_NOT_IN_BATCH),
    (
        "student in batch",
        dict(token=dict(kind=PassKind.STUDENT), facts=Facts(return_batches=(WINDOW_TODAY,))),
        Reason.OK,
    ),
    ("contractor, no approval", dict(token=dict(kind=PassKind.CONTRACTOR)), Reason.CONTRACTOR_NOT_APPROVED),
    (
        "visitor, second use",
        dict(token=dict(kind=PassKind.VISITOR), facts=Facts(visitor_used=True)),
        Reason.VISITOR_PASS_USED,
    ),
    (
        "visitor, window over",
        dict(token=dict(kind=PassKind.VISITOR, valid_until=NOW - timedelta(hours=1))),
        Reason.VISITOR_OUTSIDE_WINDOW,
    ),
    ("vehicle unregistered", dict(token=dict(kind=PassKind.VEHICLE)), Reason.VEHICLE_NOT_REGISTERED),
    (
        "vehicle registered",
        dict(token=dict(kind=PassKind.VEHICLE), facts=Facts(vehicle_registered=True)),
        Reason.OK,
    ),
    ("household day taken", dict(facts=Facts(day_holder=Holder(5, "张*明"))), Reason.HOUSEHOLD_DAY_USED),
    ("holder goes out and back", dict(facts=Facts(day_holder=Holder(100, "李*"))), Reason.OK),
    ("cough marked by the guard", dict(symptoms=("cough",)), Reason.SYMPTOMS),
    (
        "symptoms outrank the household day",
        dict(symptoms=("other",), facts=Facts(day_holder=Holder(5, "张*明"))),
        Reason.SYMPTOMS,
    ),
    (
        "kept-in student leaving",
        dict(token=STUDENT, policy=CLOSED, direction="out"),
        Reason.CLOSED_MANAGEMENT,
    ),
    (
        "kept-in student leaving with an exit approval",
        dict(token=STUDENT, policy=CLOSED, direction="out", facts=Facts(exit_approvals=(WINDOW_TODAY,))),
        Reason.OK,
    ),
    (
        "kept-in student, exit approval lapsed",
        dict(token=STUDENT, policy=CLOSED, direction="out", facts=Facts(exit_approvals=(WINDOW_PAST,))),
        Reason.CLOSED_MANAGEMENT,
    ),
    (
        "logistics staff in closed housing leaving",
        dict(
            token=dict(kind=PassKind.STAFF, household_id=0),
            policy=CLOSED,
            direction="out",
            facts=Facts(group="logistics", approvals=(WINDOW_TODAY,)),
        ),
        Reason.CLOSED_MANAGEMENT,
    ),
    (
        "other staff leaving a closed campus",
        dict(
            token=dict(kind=PassKind.STAFF, household_id=0),
            policy=CLOSED,
            direction="out",
            facts=Facts(group="teaching", approvals=(WINDOW_TODAY,)),
        ),
        Reason.OK,
    ),
    ("kept-in student entering", dict(token=STUDENT, policy=CLOSED, facts=IN_BATCH), Reason.OK),
    ("kept-in, never tested", dict(token=STUDENT, policy=TESTED, facts=IN_BATCH), Reason.NAT_OVERDUE),
    (
        "kept-in, last negative too old",
        dict(
            token=STUDENT, policy=TESTED, facts=replace(IN_BATCH, last_negative_at=NOW - timedelta(hours=73))
        ),
        Reason.NAT_OVERDUE,
    ),
    (
        "kept-in, recent negative",
        dict(
            token=STUDENT, policy=TESTED, facts=replace(IN_BATCH, last_negative_at=NOW - timedelta(hours=72))
        ),
        Reason.OK,
    ),
    ("resident on a testing campus", dict(policy=TESTED), Reason.OK),
    (
        "staff going out, approval lapsed while inside",
        dict(
            token=dict(kind=PassKind.STAFF, household_id=0),
            facts=Facts(approvals=(WINDOW_PAST,)),
            direction="out",
        ),
        Reason.OK_EXIT_LAPSED,
    ),
    (
        "offline, staff records not held",
        dict(
            token=dict(kind=PassKind.STAFF),
            facts=Facts(offline=True, unchecked=frozenset({PassKind.STAFF})),
        ),
        Reason.OFFLINE_UNVERIFIED,
    ),
]


@pytest.mark.parametrize("name,kwargs,expected", CASES, ids=[c[0] for c in CASES])
def test_reason(make_token, keys, name: str, kwargs: dict, expected: Reason) -> None:
    decision = decide(make_token, keys, **kwargs)
    assert decision.reason is expected
    assert decision.verdict is expected.verdict
    assert decision.policy_version == 3


def test_every_reason_has_words_and_is_covered_somewhere() -> None:
    assert set(REASONS) == set(Reason)
    for info in REASONS.values():
        assert info.zh and info.en and info.action_zh and info.action_en
    tested = {c[2] for c in CASES} | {Reason.OK_OVERRIDE, Reason.OVERRIDE_DENY, Reason.TOKEN_BAD_SIGNATURE}
    # these come from central and the gate, not from evaluate() (EVENT_REFUSED: tests/central/decisions;
    # GATE_RESTARTED: tests/integration/test_gate_restart_unacted.py)
    assert set(Reason) - tested == {
        Reason.UNKNOWN_GATE,
        Reason.OFFLINE_NO_CONFIG,
        Reason.EVENT_REFUSED,
        Reason.DECISION_ERROR,
        Reason.GATE_RESTARTED,
    }


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"closed_groups": ["Students!"]}, "closed_groups"),
        ({"nat_interval_hours": -1}, "nat_interval_hours"),
        ({"nat_max_age_hours": 0}, "nat_max_age_hours"),
        ({"nat_max_age_hours": 24 * 31}, "nat_max_age_hours"),
        ({"nat_max_age_hours": "72"}, "nat_max_age_hours"),
    ],
)
def test_closed_management_and_testing_settings_are_validated(changes: dict, field: str) -> None:
    assert policy_problems(TESTED) == []
    problems = policy_problems(CampusPolicy.from_dict({**TESTED.to_dict(), **changes}))
    assert [p[0] for p in problems] == [field]
    assert all(zh and en for _, zh, en in problems)


def test_closed_management_settings_travel_as_json() -> None:
    d = TESTED.to_dict()
    assert (d["closed_groups"], d["nat_max_age_hours"]) == (["logistics", "student"], 72)
    assert CampusPolicy.from_dict(d) == TESTED
    legacy = {
        k: v for k, v in d.items() if k not in ("closed_groups", "nat_interval_hours", "nat_max_age_hours")
    }
    assert CampusPolicy.from_dict(legacy).closed_groups == frozenset()  # a stored policy from before


def test_symptoms_raise_the_alert_as_a_fever_does(make_token, keys) -> None:
    decision = decide(make_token, keys, symptoms=("cough", "other"))
    assert decision.alert and not decision.fever and decision.claim is None
    assert decision.detail["symptoms"] == ["cough", "other"]
    assert decide(make_token, keys, temp=Temperature(38.0, SensorStatus.OK)).alert


def test_first_member_claims_the_day_in_campus_local_date(make_token, keys) -> None:
    late = datetime.fromisoformat("2026-11-23T23:59:00+08:00")
    d = decide(make_token, keys, at=late)
    assert d.claim is not None and d.claim.local_date == date(2026, 11, 23)
    assert d.claim.household_id == 7 and d.claim.person_id == 100
    after_midnight = decide(make_token, keys, at=late + timedelta(minutes=2))
    assert after_midnight.claim is not None and after_midnight.claim.local_date == date(2026, 11, 24)


def test_refusal_names_the_holder(make_token, keys) -> None:
    d = decide(make_token, keys, facts=Facts(day_holder=Holder(5, "张*明")))
    assert d.detail["day_holder"] == "张*明" and "day_holder_at" not in d.detail
    assert d.claim is None


def test_refusal_says_when_the_holder_took_the_day_in_campus_time(make_token, keys) -> None:
    at = datetime(2026, 11, 23, 0, 12, 5, tzinfo=UTC)
    d = decide(make_token, keys, facts=Facts(day_holder=Holder(5, "张*明", at=at)))
    assert d.detail["day_holder_at"] == "2026-11-23T08:12:05+08:00"  # Asia/Shanghai


def test_quota_off_never_claims(make_token, keys) -> None:
    d = decide(
        make_token,
        keys,
        policy=replace(POLICY, household_quota=False),
        facts=Facts(day_holder=Holder(5, "x")),
    )
    assert d.verdict is Verdict.ALLOW and d.claim is None


def test_exit_counts_against_the_day_too(make_token, keys) -> None:
    d = decide(make_token, keys, direction="out", facts=Facts(day_holder=Holder(5, "张*明")))
    assert d.reason is Reason.HOUSEHOLD_DAY_USED


def test_student_may_leave_without_a_batch(make_token, keys) -> None:
    d = decide(make_token, keys, token=dict(kind=PassKind.STUDENT), direction="out")
    assert d.verdict is Verdict.ALLOW


def test_fever_is_shown_before_the_household_quota_and_both_are_kept(make_token, keys) -> None:
    d = decide(
        make_token, keys, temp=Temperature(38.1, SensorStatus.OK), facts=Facts(day_holder=Holder(5, "张*明"))
    )
    assert d.reason is Reason.FEVER and d.fever
    assert set(d.reasons) == {Reason.FEVER, Reason.HOUSEHOLD_DAY_USED}
    assert not d.open_turnstile


def test_forged_pass_is_refused_even_when_the_reading_is_missing(make_token, keys) -> None:
    text = make_token()
    forged = text[:-2] + ("00" if text[-2:] != "00" else "11")
    d = decide(make_token, keys, qr=forged, temp=Temperature(None, SensorStatus.MISSING))
    assert d.verdict is Verdict.DENY
    assert Reason.TEMP_MISSING in d.reasons


def test_threshold_is_a_campus_setting(make_token, keys) -> None:
    t = Temperature(37.4, SensorStatus.OK)
    assert decide(make_token, keys, temp=t).reason is Reason.FEVER
    assert decide(make_token, keys, temp=t, policy=replace(POLICY, fever_threshold=37.5)).reason is Reason.OK


def test_manual_reading_counts(make_token, keys) -> None:
    assert decide(make_token, keys, temp=Temperature(36.4, SensorStatus.MANUAL)).reason is Reason.OK


def test_overnight_opening_hours(make_token, keys) -> None:
    night = replace(POLICY, opens=time(22), closes=time(6))  # open 22:00-06:00 local
    assert decide(make_token, keys, policy=night).reason is Reason.OUTSIDE_HOURS  # 10:00 local
    at = datetime.fromisoformat("2026-11-23T23:00:00+08:00")
    assert decide(make_token, keys, policy=night, at=at).reason is Reason.OK


def test_override_keeps_the_original_reasons(make_token, keys) -> None:
    refused = decide(make_token, keys, facts=Facts(day_holder=Holder(5, "张*明")))
    allowed = override(refused, allow=True)
    assert allowed.verdict is Verdict.ALLOW and allowed.reason is Reason.OK_OVERRIDE
    assert Reason.HOUSEHOLD_DAY_USED in allowed.reasons and allowed.claim is None
    assert override(decide(make_token, keys), allow=False).reason is Reason.OVERRIDE_DENY


def test_policy_round_trips_through_json_form() -> None:
    p = replace(POLICY, opens=time(6, 30), closes=time(22), allowed_kinds=frozenset({PassKind.RESIDENT}))
    assert CampusPolicy.from_dict(p.to_dict()) == p
    with pytest.raises(TypeError):
        CampusPolicy.from_dict({**p.to_dict(), "surprise": 1})


def test_docs_reason_table_is_current() -> None:
    from pathlib import Path

    from gatecore.reasons import reasons_markdown

    doc = Path(__file__).parents[2] / "docs" / "reasons.md"
    assert doc.read_text(encoding="utf-8") == reasons_markdown(), "run: campusgate reasons > docs/reasons.md"

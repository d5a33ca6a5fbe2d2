"""The decision service against a real SQLite file: one test per behaviour, asserting codes not words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import func, select

from central.audit.chain import verify
from central.decisions.cache import RegistryCache
from central.decisions.service import DecisionService
from central.models.db import make_engine, session_scope
from central.models.journal import EntryEvent, FeverAlert, HouseholdDay, RejectedMessage
from central.models.registry import Pass
from central.office.keys import KeyRing
from gatecore import topics
from gatecore.messages import MAX_PAYLOAD, DecisionMessage, OfflineDecision, Override
from gatecore.messages import FeverAlert as FeverAlertMessage
from gatecore.reasons import Reason, Verdict
from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token
from tests.central.conftest import NOW, World, build_world, event_id, visitor_pass
from transport.broker import free_port

RECEIVED = NOW + timedelta(milliseconds=40)


def decide(world: World, role: str, **kwargs: object) -> DecisionMessage:
    """Scan ``role``'s pass and return the one decision published."""
    # received 40 ms after the scan: online, central judges at its own receive time
    received = kwargs.get("at", NOW) + (RECEIVED - NOW)  # type: ignore[operator]
    out = world.service.handle(*world.scan(role, **kwargs), received)  # type: ignore[arg-type]
    decisions = [o for o in out if o.topic == topics.gate_decisions(kwargs.get("gate_id") or world.gate_id)]
    assert len(decisions) == 1, out
    return DecisionMessage.from_json(decisions[0].payload)


def count(world: World, table: type) -> int:
    with session_scope(world.engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_allowed_scan_is_logged_once_and_answered(world: World) -> None:
    topic, payload = world.scan("zhang")
    out = world.service.handle(topic, payload, RECEIVED)
    assert [(o.topic, o.retain) for o in out] == [(topics.gate_decisions(world.gate_id), False)]
    msg = DecisionMessage.from_json(out[0].payload)
    assert (msg.verdict, msg.reason, msg.open) == (Verdict.ALLOW, Reason.OK, True)
    assert (msg.holder, msg.household, msg.celsius) == ("张*明", "坞城校区 3-2-501", 36.6)
    with session_scope(world.engine) as s:
        rows = s.exec(select(EntryEvent)).all()
    assert len(rows) == 1
    assert rows[0].event_id == msg.event_id and rows[0].decision_json.encode() == out[0].payload
    assert (rows[0].person_id, rows[0].pass_id) == (world.people["zhang"], world.passes["zhang"])


def test_duplicate_is_stored_once_and_answered_identically(world: World) -> None:
    topic, payload = world.scan("zhang")
    first = world.service.handle(topic, payload, RECEIVED)
    again = world.service.handle(topic, payload, RECEIVED + timedelta(seconds=5))
    assert again == first[:1]
    assert count(world, EntryEvent) == 1


def _scan_json(world: World) -> dict:
    return json.loads(world.scan("zhang")[1])


@pytest.mark.parametrize(
    "make,reason",
    [
        (lambda d: b"{not json", "payload is not JSON"),
        (lambda d: json.dumps({**d, "v": 2}).encode(), "unsupported message version 2"),
        (lambda d: json.dumps({**d, "qr": "A" * 9000}).encode(), f"exceeds {MAX_PAYLOAD}"),
        (lambda d: json.dumps({k: v for k, v in d.items() if k != "qr"}).encode(), "missing field 'qr'"),
        (lambda d: json.dumps({**d, "event_id": "nope"}).encode(), "event_id 'nope' is not a UUID"),
    ],
    ids=["not-json", "version", "oversized", "missing-field", "bad-event-id"],
)
def test_malformed_payload_becomes_a_dead_letter(world: World, make, reason: str) -> None:
    payload = make(_scan_json(world))
    topic = topics.gate_events(world.gate_id)
    out = world.service.handle(topic, payload, RECEIVED)
    # answered `refer` when the gate's event id can still be read, so the gate stops resending
    readable = reason not in (
        "payload is not JSON",
        f"exceeds {MAX_PAYLOAD}",
        "event_id 'nope' is not a UUID",
    )
    assert [DecisionMessage.from_json(o.payload).reason for o in out] == (
        [Reason.EVENT_REFUSED] if readable else []
    )
    with session_scope(world.engine) as s:
        rejected = s.exec(select(RejectedMessage)).all()
    assert len(rejected) == 1
    assert reason in rejected[0].reason
    assert rejected[0].topic == topic and rejected[0].payload_size == len(payload)
    assert rejected[0].payload == payload[:MAX_PAYLOAD]
    assert count(world, EntryEvent) == 0


def test_topic_and_payload_gate_must_match(world: World) -> None:
    _, payload = world.scan("zhang")
    out = world.service.handle(topics.gate_events("other-gate"), payload, RECEIVED)
    # the refusal goes to the gate that published (the broker lets a gate publish only on its own topic)
    assert [(o.topic, DecisionMessage.from_json(o.payload).reason) for o in out] == [
        (topics.gate_decisions("other-gate"), Reason.EVENT_REFUSED)
    ]
    with session_scope(world.engine) as s:
        rejected = s.exec(select(RejectedMessage)).one()
    assert "does not match topic gate 'other-gate'" in rejected.reason
    assert count(world, EntryEvent) == 0


def test_unknown_gate_is_referred(world: World) -> None:
    msg = decide(world, "zhang", gate_id="nowhere-gate")
    assert (msg.verdict, msg.reason, msg.open) == (Verdict.REFER, Reason.UNKNOWN_GATE, False)
    assert count(world, EntryEvent) == 1


def test_second_household_member_is_refused_naming_the_first(world: World) -> None:
    assert decide(world, "zhang").reason is Reason.OK
    msg = decide(world, "li", at=NOW + timedelta(minutes=5))
    assert (msg.verdict, msg.reason, msg.open) == (Verdict.DENY, Reason.HOUSEHOLD_DAY_USED, False)
    assert msg.detail["day_holder"] == "张*明"
    # when 张*明 came in (central received the scan), in the campus's time as a guard says it
    assert msg.detail["day_holder_at"] == "2026-11-23T10:00:00.040000+08:00"
    assert datetime.fromisoformat(msg.detail["day_holder_at"]) == RECEIVED
    assert msg.holder == "李*华"


def test_same_member_goes_out_and_back(world: World) -> None:
    assert decide(world, "zhang").verdict is Verdict.ALLOW
    assert decide(world, "zhang", direction="out", at=NOW + timedelta(hours=1)).verdict is Verdict.ALLOW
    assert decide(world, "zhang", at=NOW + timedelta(hours=2)).verdict is Verdict.ALLOW


def test_commuter_is_not_counted_against_the_household(world: World) -> None:
    assert decide(world, "wang").reason is Reason.OK_COMMUTER
    assert decide(world, "zhang").reason is Reason.OK
    assert decide(world, "wang", at=NOW + timedelta(minutes=1)).reason is Reason.OK_COMMUTER


def test_fever_refuses_raises_an_alert_and_claims_nothing(world: World) -> None:
    out = world.service.handle(*world.scan("zhang", celsius=37.5), RECEIVED)
    decision = DecisionMessage.from_json(out[0].payload)
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.FEVER)
    alerts = [o for o in out if o.topic == topics.FEVER_ALERTS]
    assert len(alerts) == 1
    alert = json.loads(alerts[0].payload)
    assert (alert["type"], alert["celsius"], alert["holder"], alert["campus_id"]) == (
        "fever",
        37.5,
        "张*明",
        world.campus_id,
    )
    with session_scope(world.engine) as s:
        row = s.exec(select(FeverAlert)).one()
    assert (row.event_id, row.celsius, row.gate_id) == (decision.event_id, 37.5, world.gate_id)
    assert FeverAlertMessage.__name__  # the message type the offices subscribe to
    # refused entry did not use the household's day
    assert decide(world, "li").verdict is Verdict.ALLOW


def test_forged_token_is_refused(world: World) -> None:
    forged = issue_token(
        PassClaims(
            key_id=world.keyring.signing_kid,
            kind=PassKind.RESIDENT,
            form=PassForm.CARD,
            campus_id=world.campus_id,
            pass_id=world.passes["zhang"],
            household_id=world.household_id,
            person_id=world.people["zhang"],
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=1),
        ),
        Ed25519PrivateKey.generate(),
    )
    msg = decide(world, forged)
    assert (msg.verdict, msg.reason) == (Verdict.DENY, Reason.TOKEN_BAD_SIGNATURE)
    assert msg.holder == ""


def test_revoked_pass_is_refused(world: World) -> None:
    with session_scope(world.engine) as s:
        p = s.get(Pass, world.passes["li"])
        assert p is not None
        p.revoked_at = NOW - timedelta(hours=1)
        s.add(p)
    assert decide(world, "li").reason is Reason.PASS_REVOKED


def test_staff_needs_an_approval_for_the_day(world: World) -> None:
    assert decide(world, "staff").reason is Reason.OK
    assert decide(world, "staff", at=datetime(2027, 1, 5, 2, tzinfo=UTC)).reason in (
        Reason.STAFF_NOT_APPROVED,
        Reason.PASS_EXPIRED,
    )


def test_household_day_follows_shanghai_midnight(world: World) -> None:
    late = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)  # 23:59 on the 23rd in Asia/Shanghai
    assert decide(world, "zhang", at=late).verdict is Verdict.ALLOW
    assert decide(world, "li", at=late + timedelta(seconds=30)).reason is Reason.HOUSEHOLD_DAY_USED
    # 00:01 on the 24th: a new day, though it is still the 23rd in UTC
    assert decide(world, "li", at=late + timedelta(minutes=2)).verdict is Verdict.ALLOW
    assert decide(world, "zhang", at=late + timedelta(minutes=3)).reason is Reason.HOUSEHOLD_DAY_USED


def test_offline_admission_is_kept_and_conflict_flagged(world: World) -> None:
    assert decide(world, "zhang").verdict is Verdict.ALLOW
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    msg = decide(world, "li", offline=offline, at=NOW + timedelta(minutes=1))
    assert (msg.verdict, msg.reason, msg.offline, msg.open) == (
        Verdict.DENY,
        Reason.HOUSEHOLD_DAY_USED,
        True,
        False,
    )
    with session_scope(world.engine) as s:
        row = s.exec(select(EntryEvent).where(EntryEvent.event_id == msg.event_id)).one()
    assert (row.offline_verdict, row.offline_reason, row.verdict) == ("allow", "ok", "deny")
    assert (
        row.conflict
        and "household day already held" in row.conflict
        and "central decides deny" in row.conflict
    )


def _revoke(world: World, role: str, at: datetime) -> None:
    with session_scope(world.engine) as s:
        row = s.get(Pass, world.passes[role])
        assert row is not None
        row.revoked_at = at
        s.add(row)


def test_offline_admission_after_a_revocation_is_a_conflict(world: World) -> None:
    """The gate had not yet heard of the revocation (it was offline): central flags the admission."""
    _revoke(world, "staff", NOW - timedelta(minutes=10))
    msg = decide(world, "staff", offline=OfflineDecision(Verdict.ALLOW, Reason.OK, 1))
    assert (msg.verdict, msg.reason, msg.offline) == (Verdict.DENY, Reason.PASS_REVOKED, True)
    with session_scope(world.engine) as s:
        row = s.exec(select(EntryEvent).where(EntryEvent.event_id == msg.event_id)).one()
    assert row.offline_verdict == "allow" and "central decides deny/pass_revoked" in (row.conflict or "")


def test_offline_admission_before_a_revocation_stands(world: World) -> None:
    """Admitted offline at 10:00, pass revoked at 10:05, the event reaches central at 10:10: the gate
    was right at the time, so no conflict; a scan after the revocation is refused as usual."""
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    _revoke(world, "staff", NOW + timedelta(minutes=5))
    topic, payload = world.scan("staff", offline=offline, at=NOW)
    [out] = world.service.handle(topic, payload, NOW + timedelta(minutes=10))
    msg = DecisionMessage.from_json(out.payload)
    assert (msg.verdict, msg.offline) == (Verdict.ALLOW, True) and "conflict" not in msg.detail
    with session_scope(world.engine) as s:
        row = s.exec(select(EntryEvent).where(EntryEvent.event_id == msg.event_id)).one()
    assert (row.verdict, row.conflict) == ("allow", None)
    later = decide(world, "staff", at=NOW + timedelta(minutes=11))
    assert later.reason is Reason.PASS_REVOKED


def test_a_person_turned_away_offline_uses_no_household_day(world: World) -> None:
    """The gate refused li offline (its clock a little slow, it had heard of a revocation that central
    dates later, say); central would admit, but li did not come in: zhang may still enter today."""
    refused = OfflineDecision(Verdict.DENY, Reason.PASS_REVOKED, 1)
    msg = decide(world, "li", offline=refused)
    assert msg.offline and msg.verdict is Verdict.ALLOW  # central's view, flagged as a conflict
    with session_scope(world.engine) as s:
        row = s.exec(select(EntryEvent).where(EntryEvent.event_id == msg.event_id)).one()
    assert row.offline_verdict == "deny" and "gate decided deny/pass_revoked offline" in (row.conflict or "")
    assert decide(world, "zhang", at=NOW + timedelta(minutes=1)).verdict is Verdict.ALLOW


def test_a_slow_gate_clock_does_not_turn_a_known_revocation_into_an_admission(world: World) -> None:
    """Revoked at 10:00; the gate knew and refused, its clock reading 09:59:50: nobody came in, and
    central neither admits the pass nor claims the household's day for it."""
    _revoke(world, "li", NOW)
    refused = OfflineDecision(Verdict.DENY, Reason.PASS_REVOKED, 1)
    msg = decide(world, "li", offline=refused, at=NOW - timedelta(seconds=10))
    assert (msg.verdict, msg.reason) == (Verdict.DENY, Reason.PASS_REVOKED)
    assert decide(world, "zhang", at=NOW + timedelta(minutes=1)).verdict is Verdict.ALLOW


def test_offline_admission_claims_the_day(world: World) -> None:
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    msg = decide(world, "li", offline=offline)
    assert msg.verdict is Verdict.ALLOW and msg.offline and "conflict" not in msg.detail
    later = decide(world, "zhang", at=NOW + timedelta(minutes=5))
    assert (later.reason, later.detail["day_holder"]) == (Reason.HOUSEHOLD_DAY_USED, "李*华")


def test_late_offline_copy_of_a_decided_event_is_reconciled(world: World) -> None:
    assert decide(world, "zhang").verdict is Verdict.ALLOW
    eid = event_id()
    first = world.service.handle(*world.scan("li", eid=eid), RECEIVED)
    # central's answer was lost; the gate admitted li on its own and resends the event
    late = world.scan("li", eid=eid, offline=OfflineDecision(Verdict.ALLOW, Reason.OK, 1))
    acknowledged = world.service.handle(*late, RECEIVED + timedelta(seconds=30))
    # the same verdict, now saying the offline admission is logged: the gate may drop its outbox row
    said, ack = (
        DecisionMessage.from_json(first[0].payload),
        DecisionMessage.from_json(acknowledged[0].payload),
    )
    assert (said.offline_recorded, ack.offline_recorded, ack.offline, ack.open) == (False, True, True, False)
    assert (ack.verdict, ack.reason) == (said.verdict, said.reason)
    # every later copy is answered byte for byte: the original with the original, the offline one so
    assert world.service.handle(*late, RECEIVED + timedelta(seconds=60)) == acknowledged
    assert world.service.handle(*world.scan("li", eid=eid), RECEIVED + timedelta(seconds=90)) == first
    with session_scope(world.engine) as s:
        rows = s.exec(select(EntryEvent).where(EntryEvent.kind == "offline_reconcile")).all()
    assert len(rows) == 1
    assert rows[0].of_event == eid and rows[0].offline_verdict == "allow"
    assert rows[0].conflict and "central decided deny/household_day_used" in rows[0].conflict


def _used_at(world: World, pass_id: int) -> datetime | None:
    with session_scope(world.engine) as s:
        row = s.get(Pass, pass_id)
        assert row is not None
        return row.used_at


@pytest.mark.parametrize("together", [False, True], ids=["later", "in-one-batch"])
def test_a_person_the_gate_turned_away_before_centrals_late_answer_uses_nothing(
    world: World, together: bool
) -> None:
    """Central decided the gate's first copy after the gate had given up waiting and turned the
    person away (refer). The offline copy gives back what central's allow took: the household day
    and the one-time visitor pass. The person who was not let in can come back, and so can the
    other member of the household."""
    token, pass_id = visitor_pass(world, NOW - timedelta(hours=1), NOW + timedelta(hours=3))
    refused = OfflineDecision(Verdict.REFER, Reason.OFFLINE_UNVERIFIED, 1)
    visitor_eid, li_eid = event_id(), event_id()
    live = [world.scan(token, eid=visitor_eid, seq=90), world.scan("li", eid=li_eid, seq=91)]
    offline = [
        world.scan(token, eid=visitor_eid, seq=90, offline=refused),
        world.scan("li", eid=li_eid, seq=91, offline=refused),
    ]
    if together:  # both copies waited in the broker while central was down
        out = world.service.handle_batch([(*e, RECEIVED) for e in live + offline])
    else:
        out = world.service.handle_batch([(*e, RECEIVED) for e in live])
        assert _used_at(world, pass_id) == RECEIVED
        out += world.service.handle_batch([(*e, RECEIVED + timedelta(seconds=20)) for e in offline])
    assert {DecisionMessage.from_json(o.payload).verdict for o in out} == {Verdict.ALLOW}
    assert _used_at(world, pass_id) is None
    with session_scope(world.engine) as s:
        assert s.exec(select(HouseholdDay)).all() == []
        rows = s.exec(select(EntryEvent).where(EntryEvent.kind == "offline_reconcile")).all()
        assert verify(s).ok
    assert sorted(r.conflict or "" for r in rows) == [
        "gate decided refer/offline_unverified offline, central decided allow/ok; central's household day given back",
        "gate decided refer/offline_unverified offline, central decided allow/ok; central's one-time visitor pass given back",
    ]
    later = NOW + timedelta(minutes=5)
    assert decide(world, "zhang", at=later).verdict is Verdict.ALLOW  # the day was free after all
    again = DecisionMessage.from_json(world.service.handle(*world.scan(token, at=later), later)[0].payload)
    assert (again.verdict, again.reason) == (Verdict.ALLOW, Reason.OK)


def test_nothing_is_given_back_that_a_later_admission_stands_on(world: World) -> None:
    """Zhang, turned away by the gate before central's late allow came, scans again and is let in (the
    day is already his); then the first copy's offline refusal arrives. The day stays his: li is
    still refused. The visitor the guard let in by an override keeps the pass used."""
    refused = OfflineDecision(Verdict.REFER, Reason.OFFLINE_UNVERIFIED, 1)
    first = event_id()
    world.service.handle(*world.scan("zhang", eid=first, seq=50), RECEIVED)
    assert decide(world, "zhang", at=NOW + timedelta(minutes=1)).verdict is Verdict.ALLOW
    late = world.scan("zhang", eid=first, seq=50, offline=refused)
    world.service.handle(*late, RECEIVED + timedelta(minutes=2))
    assert decide(world, "li", at=NOW + timedelta(minutes=3)).reason is Reason.HOUSEHOLD_DAY_USED

    token, pass_id = visitor_pass(world, NOW - timedelta(hours=1), NOW + timedelta(hours=3))
    visit = event_id()
    world.service.handle(*world.scan(token, eid=visit, seq=60), RECEIVED)
    let_in = Override(of_event=visit, guard="guard-07", verdict=Verdict.ALLOW, reason="checked by phone")
    assert (
        decide(world, token, seq=61, at=NOW + timedelta(seconds=5), override=let_in).verdict is Verdict.ALLOW
    )
    world.service.handle(
        *world.scan(token, eid=visit, seq=60, offline=refused), RECEIVED + timedelta(seconds=8)
    )
    assert _used_at(world, pass_id) == RECEIVED
    again = decide(world, token, at=NOW + timedelta(minutes=10))
    assert (again.verdict, again.reason) == (Verdict.DENY, Reason.VISITOR_PASS_USED)


def test_a_member_later_in_the_batch_finds_the_day_given_back(any_engine: Engine, keyring: KeyRing) -> None:
    """The offline refusal gives zhang's day back in the batch that also holds li's scan: li, decided
    after it, gets the day (the worker forgot zhang as its holder at once), on both databases."""
    world = build_world(any_engine, keyring)
    service = DecisionService(any_engine, keyring, RegistryCache())
    first = event_id()
    service.handle(*world.scan("zhang", eid=first, seq=5), NOW)
    refused = OfflineDecision(Verdict.DENY, Reason.OFFLINE_UNVERIFIED, 1)
    later = NOW + timedelta(seconds=9)
    out = service.handle_batch(
        [(*world.scan("zhang", eid=first, seq=5, offline=refused), later), (*world.scan("li", seq=6), later)]
    )
    [li] = [m for m in map(DecisionMessage.from_json, (o.payload for o in out)) if m.event_id != first]
    assert (li.verdict, li.reason) == (Verdict.ALLOW, Reason.OK)
    with session_scope(any_engine) as s:
        assert [d.person_id for d in s.exec(select(HouseholdDay)).all()] == [world.people["li"]]
        assert verify(s).ok


def test_an_offline_refusal_of_a_used_one_time_pass_is_judged_as_used(world: World) -> None:
    """Central's view of an offline refusal reads the pass's use afresh: a pass used online a moment
    before is 'used', not 'allow', though the worker's cache read the pass before it was used."""
    token, _ = visitor_pass(world, NOW - timedelta(hours=1), NOW + timedelta(hours=3))
    service = DecisionService(world.engine, world.keyring, RegistryCache())  # one worker's, kept

    def judged(at: datetime, offline: OfflineDecision | None = None) -> DecisionMessage:
        [out] = service.handle(*world.scan(token, at=at, offline=offline), at + (RECEIVED - NOW))
        return DecisionMessage.from_json(out.payload)

    assert judged(NOW).verdict is Verdict.ALLOW  # used, and the pass row cached unused
    hits = service.cache.hits
    refused = OfflineDecision(Verdict.REFER, Reason.OFFLINE_UNVERIFIED, 1)
    msg = judged(NOW + timedelta(minutes=1), refused)
    assert (msg.verdict, msg.reason) == (Verdict.DENY, Reason.VISITOR_PASS_USED)
    assert service.cache.hits > hits  # the pass's row came from the cache


def test_guard_override_is_logged(world: World) -> None:
    assert decide(world, "zhang").verdict is Verdict.ALLOW
    ov = Override(of_event=event_id(), guard="guard-07", verdict=Verdict.ALLOW, reason="送医")
    msg = decide(world, "li", override=ov)
    assert (msg.verdict, msg.reason) == (Verdict.ALLOW, Reason.OK_OVERRIDE)
    assert "household_day_used" in msg.reasons
    with session_scope(world.engine) as s:
        row = s.exec(select(EntryEvent).where(EntryEvent.event_id == msg.event_id)).one()
    assert (row.override_guard, row.override_reason, row.override_of) == ("guard-07", "送医", ov.of_event)


def test_database_outage_does_not_escape(world: World, keyring: KeyRing) -> None:
    down = make_engine(f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    service = DecisionService(down, keyring)
    assert service.handle(*world.scan("zhang"), RECEIVED) == []
    assert service.handle(topics.gate_events(world.gate_id), b"{bad", RECEIVED) == []


def test_fever_at_an_unregistered_gate_is_alerted_and_still_referred(world: World) -> None:
    out = world.service.handle(*world.scan("zhang", celsius=38.4, gate_id="nowhere-gate"), RECEIVED)
    msg = DecisionMessage.from_json(out[0].payload)
    assert (msg.verdict, msg.reason, msg.open) == (Verdict.REFER, Reason.UNKNOWN_GATE, False)
    alerts = [json.loads(o.payload) for o in out if o.topic == topics.FEVER_ALERTS]
    assert [(a["gate_id"], a["celsius"]) for a in alerts] == [("nowhere-gate", 38.4)]
    with session_scope(world.engine) as s:
        row = s.exec(select(FeverAlert)).one()
    assert (row.gate_id, row.campus_id) == ("nowhere-gate", None)
    normal = world.service.handle(*world.scan("zhang", gate_id="nowhere-gate"), RECEIVED)
    assert [o.topic for o in normal] == [topics.gate_decisions("nowhere-gate")]

"""Symptoms marked at the gate and closed management (issue 11, items 9 and 10), judged by the decision
service on SQLite: the alert, the incident with its one-hour report, the exit refused unless approved,
and the daily report's counts."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

from central.audit.chain import verify_chain
from central.decisions.service import DecisionService
from central.models.db import session_scope
from central.models.incidents import FeverIncident
from central.models.journal import EntryEvent, FeverAlert
from central.models.registry import Approval, Person
from central.office import incidents, registry, reports, reports_render
from central.office.keys import KeyRing
from gatecore import topics
from gatecore.messages import Override, ScanEvent
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, build_world, event_id
from tests.central.decisions.test_service import RECEIVED, decide
from tests.central.office.test_nucleic import add_student

DAY = date(2026, 11, 23)


def test_a_cough_refers_to_the_duty_room_and_opens_the_fever_incident(world: World) -> None:
    out = world.service.handle(*world.scan("zhang", celsius=36.6, symptoms=("cough",)), RECEIVED)
    [decision] = [o for o in out if o.topic == topics.gate_decisions(world.gate_id)]
    [alert] = [o for o in out if o.topic == topics.FEVER_ALERTS]
    assert b'"symptoms":["cough"]' in alert.payload and b'"celsius":36.6' in alert.payload
    assert b'"reason":"symptoms"' in decision.payload and b'"open":false' in decision.payload
    with session_scope(world.engine) as s:
        [row] = s.exec(select(FeverAlert)).all()
        [incident] = s.exec(select(FeverIncident)).all()
        assert (row.symptoms, row.celsius) == ("cough", 36.6)
        assert (incident.symptoms, incident.readings, incident.person_id) == (
            "cough",
            "36.6",
            world.people["zhang"],
        )
        assert incidents.is_overdue(incident.opened_at, None, RECEIVED + timedelta(minutes=61))
        incidents.mark_reported(s, incident.id, by="security", at=RECEIVED + timedelta(minutes=30))  # type: ignore[arg-type]
    # the household's day is not taken by someone sent to the duty room
    assert decide(world, "li").reason is Reason.OK


def test_symptoms_without_a_reading_still_alert(world: World) -> None:
    msg = decide(world, "staff", celsius=None, symptoms=("other",))
    assert msg.verdict is Verdict.DENY and msg.reason is Reason.SYMPTOMS
    with session_scope(world.engine) as s:
        [row] = s.exec(select(FeverAlert)).all()
    assert (row.symptoms, row.celsius) == ("other", None)


def _keep_in(world: World, *groups: str) -> None:
    with session_scope(world.engine) as s:
        current = registry.latest_policy(s, world.campus_id)
        registry.save_policy(s, dataclasses.replace(current, closed_groups=frozenset(groups)))


def test_a_kept_in_student_is_refused_on_the_way_out_unless_approved(world: World) -> None:
    pid = add_student(world, "stu", "孙小红", last4="1234")
    assert decide(world, "stu", direction="out").reason is Reason.OK  # no closed management yet
    _keep_in(world, "student", "logistics")
    refused = decide(world, "stu", direction="out")
    assert (refused.verdict, refused.reason) == (Verdict.DENY, Reason.CLOSED_MANAGEMENT)
    assert refused.text_zh == "封闭管理期间，未经批准不得离校"
    assert decide(world, "stu", direction="in").reason is Reason.OK  # entering is not what it restricts
    with session_scope(world.engine) as s:
        s.add(Approval(person_id=pid, kind="exit", valid_from=DAY, valid_until=DAY, approved_by="院长"))
    assert decide(world, "stu", direction="out").reason is Reason.OK


def test_logistics_staff_in_closed_housing_need_an_exit_approval(world: World) -> None:
    _keep_in(world, "logistics")
    assert decide(world, "staff", direction="out").reason is Reason.OK  # an ordinary teacher leaves
    with session_scope(world.engine) as s:
        person = s.get(Person, world.people["staff"])
        person.group = "logistics"  # type: ignore[union-attr]
        s.add(person)
    assert decide(world, "staff", direction="out").reason is Reason.CLOSED_MANAGEMENT
    with session_scope(world.engine) as s:  # a requested (not yet approved) exit does not count
        s.add(
            Approval(
                person_id=world.people["staff"],
                kind="exit",
                valid_from=DAY,
                valid_until=DAY,
                approved_by="",
                status="requested",
            )
        )
    assert decide(world, "staff", direction="out").reason is Reason.CLOSED_MANAGEMENT


def test_the_daily_report_counts_symptom_referrals_and_closed_management_refusals(world: World) -> None:
    add_student(world, "stu", "孙小红", last4="1234")
    _keep_in(world, "student")
    s = world.service
    s.handle(*world.scan("zhang", symptoms=("cough",), at=NOW), RECEIVED)
    s.handle(*world.scan("staff", celsius=38.6, symptoms=("cough",), at=NOW + timedelta(minutes=1)), RECEIVED)
    s.handle(*world.scan("li", celsius=38.2, at=NOW + timedelta(minutes=2)), RECEIVED)
    s.handle(*world.scan("stu", direction="out", at=NOW + timedelta(minutes=3)), RECEIVED)
    s.handle(*world.scan("stu", direction="out", at=NOW + timedelta(minutes=4)), RECEIVED)
    with session_scope(world.engine) as session:
        report = reports.make_report(session, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))
        rendered = dict(reports_render.lines(report, "坞城校区"))
    c = report.content
    assert c["symptom_referrals"] == 2
    assert c["fevers"] == 2  # a cough with a normal reading is no fever
    assert c["incidents"] == 3
    assert c["closed_management_refusals"] == 2
    assert c["refusals"]["closed_management"] == 2
    symptoms, kept_in = (
        "咳嗽等症状转医务室 Sent to medical duty (symptoms)",
        "封闭管理拒绝离校 Exits refused (closed management)",
    )
    assert (rendered[symptoms], rendered[kept_in]) == ("2", "2")


@pytest.mark.parametrize("allow", [True, False], ids=["let-in", "refusal-confirmed"])
def test_a_guards_override_of_a_fever_refusal_is_one_case(world: World, allow: bool) -> None:
    """The guard overrides a fever refusal (the doctor on duty lets the person in, or the guard confirms
    it with a reason): the override repeats the scan's reading, and the case stays one alert, one
    incident and one fever in the daily report; it was two of each."""
    s = world.service
    topic, payload = world.scan("zhang", celsius=38.6, at=NOW)
    s.handle(topic, payload, RECEIVED)
    scan = ScanEvent.from_json(payload)
    verdict = Verdict.ALLOW if allow else Verdict.DENY
    ov = Override(of_event=scan.event_id, guard="north-post", verdict=verdict, reason="经保卫处电话确认")
    out = s.handle(*world.scan("zhang", celsius=38.6, at=NOW + timedelta(seconds=20), override=ov), RECEIVED)
    assert [o.topic for o in out] == [topics.gate_decisions(world.gate_id)]  # no second alert
    shown = b'"reason":"ok_override"' if allow else b'"reason":"override_deny"'
    assert shown in out[0].payload
    with session_scope(world.engine) as session:
        assert [a.event_id for a in session.exec(select(FeverAlert))] == [scan.event_id]
        assert [i.event_id for i in session.exec(select(FeverIncident))] == [scan.event_id]
        report = reports.make_report(session, world.campus_id, DAY, reports.OFFICE, NOW + timedelta(hours=5))
    assert (report.content["fevers"], report.content["incidents"]) == (1, 1)


def test_an_override_of_a_scan_central_never_had_still_alerts_its_fever(world: World) -> None:
    """The scan overridden never reached central (lost with a damaged gate store, or refused): the
    override's reading is the only record of the fever, and it opens the case."""
    ov = Override(of_event=event_id(NOW), guard="north-post", verdict=Verdict.ALLOW, reason="医生放行")
    out = world.service.handle(*world.scan("zhang", celsius=38.6, override=ov), RECEIVED)
    assert [o.topic for o in out] == [topics.gate_decisions(world.gate_id), topics.FEVER_ALERTS]
    with session_scope(world.engine) as session:
        assert (
            len(session.exec(select(FeverAlert)).all()) == len(session.exec(select(FeverIncident)).all()) == 1
        )


def test_a_scan_and_its_override_in_one_batch_are_one_case(world: World) -> None:
    topic, payload = world.scan("zhang", celsius=38.6, at=NOW)
    ov = Override(ScanEvent.from_json(payload).event_id, "north-post", Verdict.ALLOW, "医生放行")
    override = world.scan("zhang", celsius=38.6, at=NOW + timedelta(seconds=20), override=ov)
    world.service.handle_batch([(topic, payload, RECEIVED), (*override, RECEIVED)])
    with session_scope(world.engine) as session:
        assert len(session.exec(select(FeverAlert)).all()) == 1


@pytest.mark.parametrize(
    "batches", [[[0], [1], [2]], [[0, 1, 2]], [[1], [2]]], ids=["apart", "one-batch", "scan-lost"]
)
def test_an_override_of_an_override_of_a_fever_is_still_one_case(
    any_engine: Engine, keyring: KeyRing, batches: list[list[int]]
) -> None:
    """The guard lets a feverish person in, then changes their mind and refuses (the console overrides
    the last decision: the override). Each override repeats the reading; the case stays one alert and
    one incident, the scan's (or the first override's, when central never had the scan), whether the
    three came apart or in one batch, on both databases. The second override opened a second case."""
    world = build_world(any_engine, keyring)
    scan = world.scan("zhang", celsius=38.6, at=NOW)
    first = ScanEvent.from_json(scan[1]).event_id
    let_in = Override(first, "north-post", Verdict.ALLOW, "医生放行")
    allow = world.scan("zhang", celsius=38.6, at=NOW + timedelta(seconds=20), override=let_in)
    refuse = Override(ScanEvent.from_json(allow[1]).event_id, "north-post", Verdict.DENY, "复测仍发热")
    deny = world.scan("zhang", celsius=38.6, at=NOW + timedelta(seconds=40), override=refuse)
    events = [scan, allow, deny]
    service = DecisionService(any_engine, keyring)
    alerted = []
    for batch in batches:
        out = service.handle_batch([(*events[i], RECEIVED) for i in batch])
        alerted += [o for o in out if o.topic == topics.FEVER_ALERTS]
    case = ScanEvent.from_json(events[batches[0][0]][1]).event_id
    with session_scope(any_engine) as session:
        assert [a.event_id for a in session.exec(select(FeverAlert))] == [case]
        assert [i.event_id for i in session.exec(select(FeverIncident))] == [case]
    assert len(alerted) == 1


def test_symptoms_at_an_unregistered_gate_are_alerted_too(world: World) -> None:
    out = world.service.handle(*world.scan("zhang", symptoms=("cough",), gate_id="nowhere-gate"), RECEIVED)
    assert b'"reason":"unknown_gate"' in out[0].payload
    assert [o.topic for o in out] == [topics.gate_decisions("nowhere-gate"), topics.FEVER_ALERTS]
    with session_scope(world.engine) as s:
        row = s.exec(select(FeverAlert)).one()
        incident = s.exec(select(FeverIncident)).one()
    assert (row.gate_id, row.symptoms, incident.symptoms) == ("nowhere-gate", "cough", "cough")


def test_a_batch_stores_its_alerts_and_incidents_with_its_log_rows_once(
    any_engine: Engine, keyring: KeyRing
) -> None:
    """A fever and a cough among others in one batch: each alert and incident is stored as decided (on
    PostgreSQL in the query that commits the log rows), and a resent batch adds none of them again."""
    world = build_world(any_engine, keyring)
    scans = [
        world.scan("zhang", celsius=38.5),
        world.scan("wang"),
        world.scan("staff", celsius=36.6, symptoms=("cough", "other")),
    ]
    items = [(topic, payload, RECEIVED) for topic, payload in scans]
    first = DecisionService(any_engine, keyring).handle_batch(items)
    assert len([o for o in first if o.topic == topics.FEVER_ALERTS]) == 2
    again = DecisionService(any_engine, keyring).handle_batch(items)  # the gates resend the batch
    assert [o for o in again if o.topic == topics.FEVER_ALERTS] == []
    with session_scope(any_engine) as s:
        alerts = {a.gate_id + a.event_id[-4:]: a for a in s.exec(select(FeverAlert)).all()}
        found = sorted((a.celsius, a.symptoms, a.created_at) for a in alerts.values())
        assert found == [(36.6, "cough,other", RECEIVED), (38.5, "", RECEIVED)]
        opened = sorted(
            (i.person_id, i.readings, i.symptoms, i.opened_at) for i in s.exec(select(FeverIncident))
        )
        assert opened == sorted(
            [
                (world.people["zhang"], "38.5", "", RECEIVED),
                (world.people["staff"], "36.6", "cough,other", RECEIVED),
            ]
        )
        assert s.exec(select(func.count()).select_from(EntryEvent)).one() == 3
        assert verify_chain(s) is None

"""Campus policy is validated on write (REST API), with a bilingual message per field; whatever is
stored, every scan still gets a decision; the scheduler survives a bad stored time zone."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from central.audit import chain as audit_chain
from central.models.db import session_scope
from central.models.incidents import FeverIncident
from central.models.journal import EntryEvent, FeverAlert, RejectedMessage
from central.models.registry import Campus, CampusPolicyRow
from central.models.reports import DailyReport
from central.office import registry
from central.office.catalogue import message_words
from central.office.scheduler import Scheduler
from gatecore import topics
from gatecore.messages import DecisionMessage, OfflineDecision
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client


@pytest.mark.parametrize(
    "changes,field,words",
    [
        ({"fever_threshold": 73.0}, "fever_threshold", "37.0–38.5"),
        ({"fever_threshold": 33.0}, "fever_threshold", "37.0–38.5"),
        ({"plausible_min": 44.0, "plausible_max": 35.0}, "plausible_min", "min < max"),
        ({"plausible_min": 20.0}, "plausible_min", "30.0–45.0"),
        ({"timezone": "Asia/Shangai"}, "timezone", "IANA"),
        # a list or an object was a 500; the machine's own zone followed the server's clock setting
        ({"timezone": ["Asia/Shanghai"]}, "timezone", "IANA"),
        ({"timezone": {"name": "Asia/Shanghai"}}, "timezone", "IANA"),
        ({"timezone": "localtime"}, "timezone", "IANA"),
        ({"opens": "08:00:00", "closes": None}, "opens", "both"),
        ({"opens": "08:00:00", "closes": "08:00:00"}, "opens", "differ"),
        # values of the wrong kind: each was a 500, stored as it came, or answered with Python's words
        ({"fever_threshold": "37.5"}, "fever_threshold", "must be a number"),
        ({"fever_threshold": None}, "fever_threshold", "must be a number"),
        ({"plausible_max": True}, "plausible_max", "must be a number"),
        ({"household_quota": "no"}, "household_quota", "true or false"),
        ({"household_quota": None}, "household_quota", "true or false"),
        ({"opens": "", "closes": "06:00"}, "opens", "both"),
        ({"opens": "07:00+08:00", "closes": "18:00"}, "opens", "local time"),
        ({"opens": "07:00", "closes": "２２:００"}, "closes", "local time"),
        ({"opens": 7, "closes": 8}, "opens", "local time"),
        ({"allowed_kinds": "student"}, "allowed_kinds", "list of: resident"),
        ({"allowed_kinds": [1]}, "allowed_kinds", "list of: resident"),
        ({"closed_groups": [["x"]]}, "closed_groups", "list of group codes"),
    ],
)
def test_bad_policy_is_refused_with_a_bilingual_message(
    world: World, tmp_path: Path, changes: dict, field: str, words: str
) -> None:
    c = Client(world, tmp_path)
    r = c.call("PUT", f"/api/v1/campuses/{world.campus_id}/policy", json={"changes": changes})
    assert r.status_code == 422, r.text
    details = r.json()["detail"]
    hit = [d for d in details if d["loc"] == ["body", field]]
    assert hit and words in hit[0]["msg_en"] and hit[0]["msg_zh"]
    assert hit[0]["msg"].startswith(hit[0]["msg_zh"])  # Chinese first, English beside it
    with session_scope(world.engine) as s:
        assert registry.latest_policy(s, world.campus_id).version == 1  # nothing stored
    assert c.published == []


def test_a_field_no_policy_has_is_refused_in_the_catalogue_s_words(world: World, tmp_path: Path) -> None:
    # the office wrote its own Chinese here (不能修改的策略字段), not the catalogue's (规则: the word the
    # console uses for a campus's policy everywhere else)
    c = Client(world, tmp_path)
    r = c.call("PUT", f"/api/v1/campuses/{world.campus_id}/policy", json={"changes": {"bogus": 1}})
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert (error["msg_zh"], error["msg_en"]) == (
        "不能修改的规则字段：bogus",
        "cannot change policy fields: bogus",
    )
    assert message_words(error["msg_en"]) == (error["msg_zh"], error["msg_en"])


def test_good_policy_is_saved(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    changes = {"fever_threshold": 37.5, "timezone": "Asia/Urumqi", "opens": "22:00:00", "closes": "06:00:00"}
    r = c.call("PUT", f"/api/v1/campuses/{world.campus_id}/policy", json={"changes": changes})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    # the same values again, or no change at all: no new version for the gates to load
    for same in (changes, {}):
        again = c.call("PUT", f"/api/v1/campuses/{world.campus_id}/policy", json={"changes": same})
        assert again.status_code == 200 and again.json()["version"] == 2, again.text
    with session_scope(world.engine) as s:
        assert registry.latest_policy(s, world.campus_id).version == 2


def test_campus_with_a_misspelt_time_zone_is_refused(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    r = c.call(
        "POST", "/api/v1/campuses", json={"code": "x", "name_zh": "新校区", "timezone": "Asia/Shangai"}
    )
    assert r.status_code == 422 and "IANA" in r.text
    (error,) = r.json()["detail"]
    assert error["msg_zh"] == "时区“Asia/Shangai”不在 IANA 时区库中"
    assert error["msg_en"] == "time zone 'Asia/Shangai' is not in the IANA database"  # English alone


def _store_bad_timezone(world: World) -> None:
    """What an old version or a hand edit may have left in the database."""
    with session_scope(world.engine) as s:
        row = s.exec(select(CampusPolicyRow).where(CampusPolicyRow.campus_id == world.campus_id)).one()
        row.policy_json = json.dumps({**json.loads(row.policy_json), "timezone": "Asia/Shangai"})
        campus = s.get(Campus, world.campus_id)
        assert campus is not None
        campus.timezone = "Asia/Shangai"


def test_a_bad_stored_policy_still_gets_every_scan_an_answer(world: World) -> None:
    _store_bad_timezone(world)
    out = world.service.handle(*world.scan("zhang", celsius=38.6), NOW)
    decisions = [
        DecisionMessage.from_json(o.payload) for o in out if o.topic == topics.gate_decisions(world.gate_id)
    ]
    assert [(d.verdict, d.reason) for d in decisions] == [(Verdict.REFER, Reason.DECISION_ERROR)]
    assert [o.topic for o in out if o.topic == topics.FEVER_ALERTS]  # the fever is still alerted
    with session_scope(world.engine) as s:
        letters = s.exec(select(RejectedMessage)).all()
    assert len(letters) == 1 and "decision failed: ZoneInfoNotFoundError" in letters[0].reason


def test_an_answer_central_could_not_decide_is_logged_once_with_what_the_gate_did(world: World) -> None:
    """The gate shows the refer it gets, so the log has it; the gate's offline decision on the copy
    too, and the fever; a resend is answered with the same bytes and logged no second time."""
    _store_bad_timezone(world)
    offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
    scan = world.scan("zhang", celsius=38.6, offline=offline)
    first = world.service.handle(*scan, NOW)
    again = world.service.handle(*scan, NOW + timedelta(seconds=5))
    answer = [o.payload for o in first if o.topic == topics.gate_decisions(world.gate_id)]
    assert answer == [o.payload for o in again if o.topic == topics.gate_decisions(world.gate_id)]
    assert DecisionMessage.from_json(answer[0]).offline_recorded
    with session_scope(world.engine) as s:
        rows = s.exec(select(EntryEvent)).all()
        alerts, incidents = s.exec(select(FeverAlert)).all(), s.exec(select(FeverIncident)).all()
        assert audit_chain.verify_chain(s) is None
    assert [(r.verdict, r.reason, r.offline_verdict, r.campus_id) for r in rows] == [
        ("refer", "decision_error", "allow", world.campus_id)
    ]
    assert rows[0].decision_json.encode() == answer[0]
    assert (len(alerts), len(incidents)) == (1, 1)


def test_scheduler_skips_a_campus_with_a_bad_time_zone_and_lives(world: World, tmp_path: Path) -> None:
    other = World(world.engine, world.keyring, 0, "", 0)
    with session_scope(world.engine) as s:
        other.campus_id = registry.add_campus(s, code="ok", name_zh="长风校区").id or 0
    _store_bad_timezone(world)
    refreshed: list[int] = []
    scheduler = Scheduler(world.engine, tmp_path, refresh=lambda: refreshed.append(1))
    scheduler.tick(NOW + timedelta(days=1, hours=6), 1.0)
    with session_scope(world.engine) as s:
        made = {r.campus_id for r in s.exec(select(DailyReport))}
    assert made == {other.campus_id} and refreshed == [1]

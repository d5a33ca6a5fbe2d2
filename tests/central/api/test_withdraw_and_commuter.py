"""Approvals withdrawn by the approver and commuter certificates that lapse (issue 11, item 12):
through the REST API and the console over HTTP, judged by the decision service on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.models.changes import RegistryChange
from central.models.registry import Approval, Person
from gatecore.reasons import Reason
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client
from tests.central.decisions.test_service import decide


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def _staff_approval(world: World) -> int:
    with Session(world.engine) as s:
        approval = s.exec(select(Approval).where(Approval.person_id == world.people["staff"])).one()
    assert approval.id is not None
    return approval.id


def test_the_approver_withdraws_and_the_next_decision_refuses(c: Client, world: World) -> None:
    assert decide(world, "staff").reason is Reason.OK
    aid = _staff_approval(world)
    url = f"/api/v1/approvals/{aid}/withdraw"
    assert c.call("POST", url, role="security").status_code == 403  # the office asks; it does not withdraw
    r = c.call("POST", url, role="approver")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["withdrawn_by"]) == ("withdrawn", "approver")
    assert c.published == [world.gate_id]  # the staff member's campus gets a new config at once
    assert decide(world, "staff", at=NOW).reason is Reason.STAFF_NOT_APPROVED
    again = c.call("POST", url, role="approver")
    assert again.status_code == 409 and "withdrawn" in again.json()["detail"]
    assert c.call("GET", "/api/v1/approvals?status=withdrawn", role="auditor").json()["count"] == 1
    with Session(world.engine) as s:
        journal = [
            (j.username, j.action, j.entity_id)
            for j in s.exec(select(RegistryChange).where(RegistryChange.action == "withdraw"))
        ]
    assert journal == [("approver", "withdraw", str(aid))]


def test_a_requested_approval_cannot_be_withdrawn(c: Client, world: World) -> None:
    body = {"person_id": world.people["staff"], "valid_from": "2026-12-01", "valid_until": "2026-12-31"}
    aid = c.call("POST", "/api/v1/approvals", json=body).json()["id"]
    r = c.call("POST", f"/api/v1/approvals/{aid}/withdraw", role="approver")
    assert r.status_code == 409 and "requested" in r.json()["detail"]
    assert c.published == []
    assert c.call("POST", f"/api/v1/approvals/{aid}/approve", role="approver").status_code == 200
    assert c.published == [world.gate_id]  # an approval reaches the offline gates at once too


def test_the_console_shows_withdraw_to_the_approver_alone(c: Client, world: World) -> None:
    aid = _staff_approval(world)
    c.log_in("security", "/console/approvals")
    page = c.http.get("/console/approvals").text
    assert f'action="/console/approvals/{aid}/withdraw"' not in page
    assert c.form(f"/console/approvals/{aid}/withdraw").status_code == 403
    c.log_in("approver", "/console/approvals")
    page = c.http.get("/console/approvals").text
    assert f'action="/console/approvals/{aid}/withdraw"' in page and "撤回" in page
    r = c.form(f"/console/approvals/{aid}/withdraw", follow_redirects=False)
    assert r.status_code == 303
    page = c.http.get("/console/approvals").text
    assert 'data-status="withdrawn"' in page and "已撤回" in page
    assert f'action="/console/approvals/{aid}/withdraw"' not in page
    with Session(world.engine) as s:
        assert s.get(Approval, aid).status == "withdrawn"  # type: ignore[union-attr]
    assert decide(world, "staff").reason is Reason.STAFF_NOT_APPROVED


def test_a_commuter_certificate_needs_its_validity(c: Client, world: World) -> None:
    url = f"/api/v1/people/{world.people['li']}/commuter"
    r = c.call("PUT", url, json={"certificate": True})
    assert r.status_code == 422 and "valid_until" in r.text
    r = c.call("PUT", url, json={"certificate": True, "valid_until": "2026-11-30"})
    assert r.status_code == 200 and r.json()["commuter_until"] == "2026-11-30"
    assert c.published == [world.gate_id]
    withdrawn = c.call("PUT", url, json={"certificate": False}).json()
    assert (withdrawn["commuter"], withdrawn["commuter_until"]) == (False, None)


@pytest.mark.parametrize(("until", "reason"), [("2026-11-23", Reason.OK_COMMUTER), ("2026-11-22", None)])
def test_a_lapsed_commuter_certificate_counts_against_the_household(
    c: Client, world: World, until: str, reason: Reason | None
) -> None:
    r = c.call(
        "PUT",
        f"/api/v1/people/{world.people['wang']}/commuter",
        json={"certificate": True, "valid_until": until},
    )
    assert r.status_code == 200
    assert decide(world, "zhang").reason is Reason.OK  # zhang takes the household's day
    got = decide(world, "wang")  # NOW is 2026-11-23 in Shanghai: the certificate's last day, or the day after
    if reason is None:
        assert got.reason is Reason.HOUSEHOLD_DAY_USED and got.detail["day_holder"] == "张*明"
    else:
        assert got.reason is reason
    with Session(world.engine) as s:
        assert s.get(Person, world.people["wang"]).commuter_until.isoformat() == until  # type: ignore[union-attr]


def test_closed_management_and_testing_settings_through_the_api_and_the_console(
    c: Client, world: World
) -> None:
    url = f"/api/v1/campuses/{world.campus_id}/policy"
    for bad, field in [
        ({"closed_groups": ["Students!"]}, "closed_groups"),
        ({"closed_groups": "student"}, "closed_groups"),
        ({"nat_max_age_hours": 0}, "nat_max_age_hours"),
        ({"nat_interval_hours": 10_000}, "nat_interval_hours"),
    ]:
        r = c.call("PUT", url, json={"changes": bad})
        assert r.status_code == 422 and field in r.text, (bad, r.text)
    assert c.published == []
    ok = c.call(
        "PUT", url, json={"changes": {"closed_groups": ["student", "logistics"], "nat_max_age_hours": 72}}
    )
    assert ok.status_code == 200 and ok.json()["closed_groups"] == ["logistics", "student"]
    assert c.published == [world.gate_id]

    c.log_in("security", f"/console/policy?campus_id={world.campus_id}")
    form = {
        "fever_threshold": "37.3",
        "plausible_min": "34.0",
        "plausible_max": "43.0",
        "household_quota": "true",
        "timezone": "Asia/Shanghai",
        "allowed_kinds": ["resident", "staff", "student"],
        "closed_groups": "student，logistics",
        "nat_interval_hours": "72",
        "nat_max_age_hours": "",
    }
    r = c.form(f"/console/policy/{world.campus_id}", {**form, "closed_groups": "学生"})
    assert r.status_code == 200 and "封闭管理分组须为小写字母" in r.text
    r = c.form(f"/console/policy/{world.campus_id}", form)  # the preview: nothing saved yet
    assert "核酸检测周期" in r.text and 'id="p-closed_groups"' in r.text
    r = c.form(f"/console/policy/{world.campus_id}", {**form, "confirm": "yes"})
    api = c.call("GET", url).json()
    assert (api["closed_groups"], api["nat_interval_hours"], api["nat_max_age_hours"]) == (
        ["logistics", "student"],
        72,
        None,
    )

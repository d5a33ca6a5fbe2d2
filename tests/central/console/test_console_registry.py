"""Registry API: each resource as the roles that may and may not use it; bad input; the change journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.models.changes import RegistryChange
from central.models.registry import Approval, Person
from tests.central.conftest import World
from tests.central.console_helpers import Client


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def test_campus_create_and_list_by_role(c: Client) -> None:
    body = {"code": "dongshan", "name_zh": "东山校区", "name_en": "Dongshan"}
    assert c.call("POST", "/api/v1/campuses", role="guard", json=body).status_code == 403
    assert c.call("POST", "/api/v1/campuses", role="auditor", json=body).status_code == 403
    r = c.call("POST", "/api/v1/campuses", json=body)
    assert r.status_code == 201 and r.json()["code"] == "dongshan"
    assert c.call("POST", "/api/v1/campuses", json=body).status_code == 409
    assert len(c.call("GET", "/api/v1/campuses", role="guard").json()) == 2


def test_policy_update_is_a_new_version_and_republishes(c: Client, world: World) -> None:
    url = f"/api/v1/campuses/{world.campus_id}/policy"
    version = c.call("GET", url, role="auditor").json()["version"]
    r = c.call("PUT", url, json={"changes": {"fever_threshold": 37.5}})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == version + 1 and r.json()["fever_threshold"] == 37.5
    assert c.published == [world.gate_id]
    assert c.call("PUT", url, json={"changes": {"no_such": 1}}).status_code == 422
    assert c.call("PUT", url, role="approver", json={"changes": {}}).status_code == 403


def test_gate_close_republishes_its_config(c: Client, world: World) -> None:
    r = c.call("PATCH", f"/api/v1/gates/{world.gate_id}", json={"open": False})
    assert r.status_code == 200 and r.json()["open"] is False
    assert c.published == [world.gate_id]
    assert c.call("PATCH", "/api/v1/gates/nope", json={"open": False}).status_code == 404
    assert (
        c.call("PATCH", f"/api/v1/gates/{world.gate_id}", role="guard", json={"open": True}).status_code
        == 403
    )
    bad = {"gate_id": "Bad Id!", "campus_id": world.campus_id, "name_zh": "x"}
    assert c.call("POST", "/api/v1/gates", json=bad).status_code == 422


def test_households_create_filter_paginate(c: Client, world: World) -> None:
    for room in ("101", "102", "103"):
        body = {"campus_id": world.campus_id, "building": "7", "unit": "1", "room": room}
        assert c.call("POST", "/api/v1/households", json=body).status_code == 201
    dup = {"campus_id": world.campus_id, "building": "7", "unit": "1", "room": "101"}
    assert c.call("POST", "/api/v1/households", json=dup).status_code == 409
    unknown = {**dup, "campus_id": 999}
    r = c.call("POST", "/api/v1/households", json=unknown)
    assert r.status_code == 404 and r.json()["detail"] == "campus 999 not found"
    page = c.call("GET", "/api/v1/households?q=7-1-&limit=2&offset=1", role="director").json()
    assert page["count"] == 3 and [h["room"] for h in page["data"]] == ["102", "103"]
    assert c.call("GET", "/api/v1/households", role="guard").status_code == 403


def test_people_id_number_kept_only_as_hash_and_last4(c: Client, world: World) -> None:
    body = {
        "household_id": world.household_id,
        "name": "钱六",
        "category": "tenant",
        "id_number": "14010219800101123X",
    }
    r = c.call("POST", "/api/v1/people", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["id_last4"] == "123X" and r.json()["category"] == "TENANT" and "id_number" not in r.json()
    with Session(world.engine) as s:
        person = s.get(Person, r.json()["id"])
        assert person is not None and "14010219800101123X" not in (person.id_hash or "")
        journal = s.exec(select(RegistryChange)).all()
        assert "1401021980" not in json.dumps([j.detail for j in journal])
    again = c.call("POST", "/api/v1/people", json={**body, "name": "别人"})
    assert again.status_code == 409 and "ID number" in again.json()["detail"]
    assert c.call("POST", "/api/v1/people", json={**body, "category": "pirate"}).status_code == 422
    assert (
        c.call("POST", "/api/v1/people", json={**body, "household_id": 999, "id_number": None}).status_code
        == 404
    )


def test_an_id_number_in_full_width_digits_or_padded_is_the_same_number(c: Client, world: World) -> None:
    body = {"name": "钱六", "category": "tenant", "id_number": "14010219800101123X"}
    assert c.call("POST", "/api/v1/people", json=body).status_code == 201
    # typed on a Chinese keyboard (全角), lower-case x, or with a stray space: the same person again
    for same in ("１４０１０２１９８００１０１１２３Ｘ", "14010219800101123x", " 14010219800101123X "):
        r = c.call("POST", "/api/v1/people", json={**body, "name": "别人", "id_number": same})
        assert r.status_code == 409 and "ID number" in r.json()["detail"], (same, r.text)
    # blank, too short, an ID card with a digit missing, an X in the middle, punctuation
    for bad in ("    ", "1234", "１２３４", "1401021980010112", "1401021980X101123X", "E1234-567"):
        r = c.call("POST", "/api/v1/people", json={**body, "name": "别人", "id_number": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"][0]["msg_zh"].startswith("证件号应为身份证的 18"), r.text
    r = c.call("POST", "/api/v1/people", json={**body, "id_number": "１１０１０１１９９００１０１００２Ｘ"})
    assert r.status_code == 201 and r.json()["id_last4"] == "002X"
    # a foreign teacher registers with a passport number (letters and digits, or nine digits)
    for passport in ("E12345678", "ｅ87654321", "123456789"):
        r = c.call("POST", "/api/v1/people", json={**body, "name": "Anna", "id_number": passport})
        assert r.status_code == 201, (passport, r.text)


def test_people_update_filters_and_commuter_recorded_by(c: Client, world: World) -> None:
    pid = world.people["li"]
    r = c.call("PATCH", f"/api/v1/people/{pid}", json={"active": False, "key_person_until": "2026-12-01"})
    assert (
        r.status_code == 200 and r.json()["active"] is False and r.json()["key_person_until"] == "2026-12-01"
    )
    r = c.call(
        "PUT", f"/api/v1/people/{pid}/commuter", json={"certificate": True, "valid_until": "2026-12-31"}
    )
    assert r.json()["commuter"] is True and r.json()["commuter_recorded_by"] == "security"
    page = c.call(
        "GET", f"/api/v1/people?household_id={world.household_id}&active=true", role="auditor"
    ).json()
    assert page["count"] == 2 and pid not in [p["id"] for p in page["data"]]
    assert c.call("GET", "/api/v1/people?q=赵", role="auditor").json()["count"] == 1
    assert c.call("PATCH", f"/api/v1/people/{pid}", role="auditor", json={"active": True}).status_code == 403
    assert c.call("PATCH", f"/api/v1/people/{pid}", json={"key_person_until": "soon"}).status_code == 422


def test_approval_requested_by_office_decided_only_by_approver(c: Client, world: World) -> None:
    body = {"person_id": world.people["staff"], "valid_from": "2026-11-01", "valid_until": "2026-12-31"}
    assert c.call("POST", "/api/v1/approvals", role="approver", json=body).status_code == 403
    bad = c.call("POST", "/api/v1/approvals", json={**body, "valid_until": "2026-10-01"})
    assert bad.status_code == 422
    r = c.call("POST", "/api/v1/approvals", json=body)
    assert r.status_code == 201 and r.json()["status"] == "requested"
    aid = r.json()["id"]
    refused = c.call("POST", f"/api/v1/approvals/{aid}/approve", role="security")
    assert refused.status_code == 403 and "approver" in refused.json()["detail"]
    ok = c.call("POST", f"/api/v1/approvals/{aid}/approve", role="approver")
    assert (
        ok.status_code == 200 and ok.json()["approved_by"] == "approver" and ok.json()["status"] == "approved"
    )
    assert c.call("POST", f"/api/v1/approvals/{aid}/reject", role="approver").status_code == 409
    assert c.call("GET", "/api/v1/approvals?status=approved", role="director").json()["count"] == 2
    with Session(world.engine) as s:
        assert s.get(Approval, aid).status == "approved"  # type: ignore[union-attr]
        actions = [
            (j.username, j.action)
            for j in s.exec(select(RegistryChange).where(RegistryChange.entity == "approval"))
        ]
    assert actions == [("security", "create"), ("approver", "approve")]


def test_return_batches_only_for_students(c: Client, world: World) -> None:
    student = c.call("POST", "/api/v1/people", json={"name": "孙同学", "category": "student"}).json()
    r = c.call(
        "POST",
        "/api/v1/return-batches",
        json={"person_id": student["id"], "start": "2026-11-20", "end": "2026-11-30"},
    )
    assert r.status_code == 201
    nope = c.call(
        "POST",
        "/api/v1/return-batches",
        json={"person_id": world.people["zhang"], "start": "2026-11-20", "end": "2026-11-30"},
    )
    assert nope.status_code == 422
    assert len(c.call("GET", f"/api/v1/return-batches?person_id={student['id']}", role="auditor").json()) == 1


def test_visitor_gets_one_time_pass_in_window(c: Client, world: World) -> None:
    body = {
        "name": "周访客",
        "campus_id": world.campus_id,
        "household_id": world.household_id,
        "valid_from": "2026-11-23T01:00:00Z",
        "valid_until": "2026-11-23T09:00:00Z",
    }
    r = c.call("POST", "/api/v1/visitors", json=body)
    assert r.status_code == 201 and r.json()["kind"] == "VISITOR" and r.json()["used_at"] is None
    assert (
        c.call("POST", "/api/v1/visitors", json={**body, "valid_until": "2026-11-22T00:00:00Z"}).status_code
        == 422
    )
    assert c.call("POST", "/api/v1/visitors", role="guard", json=body).status_code == 403


def test_vehicles(c: Client, world: World) -> None:
    body = {"plate": "晋a12345", "owner_person_id": world.people["zhang"], "valid_until": "2027-06-30"}
    r = c.call("POST", "/api/v1/vehicles", json=body)
    assert r.status_code == 201 and r.json()["plate"] == "晋A12345"
    assert c.call("POST", "/api/v1/vehicles", json=body).status_code == 409
    assert (
        c.call("POST", "/api/v1/vehicles", json={**body, "plate": "晋B1", "owner_person_id": 999}).status_code
        == 404
    )
    assert [v["plate"] for v in c.call("GET", "/api/v1/vehicles?plate=a12", role="guard").json()] == [
        "晋A12345"
    ]


def test_every_change_is_journalled_with_who_and_when(c: Client, world: World) -> None:
    c.call(
        "POST",
        "/api/v1/households",
        json={"campus_id": world.campus_id, "building": "9", "unit": "1", "room": "1"},
    )
    c.call("PATCH", f"/api/v1/gates/{world.gate_id}", role="admin", json={"open": False})
    with Session(world.engine) as s:
        rows = s.exec(select(RegistryChange).order_by(RegistryChange.id)).all()
    assert [(r.username, r.action, r.entity) for r in rows] == [
        ("security", "create", "household"),
        ("admin", "update", "gate"),
    ]
    assert all(r.at is not None for r in rows)


def test_one_car_is_one_plate_however_it_is_written(c: Client, world: World) -> None:
    # 晋A·12345 and 晋A12345 were two vehicles, and a plate could hide a zero-width space or a
    # direction override: the guard's search for the plate found one of them, or none
    body = {"plate": "晋A·12345", "owner_person_id": world.people["zhang"], "valid_until": "2027-06-30"}
    r = c.call("POST", "/api/v1/vehicles", json=body)
    assert r.status_code == 201 and r.json()["plate"] == "晋A12345", r.text
    for same in ("晋A12345", "晋a 12345", "晋Ａ-１２３４５", "晋A・12345"):
        r = c.call("POST", "/api/v1/vehicles", json={**body, "plate": same})
        assert r.status_code == 409 and r.json()["msg_zh"] == "车辆 晋A12345 已登记", (same, r.text)
    for bad in ("晋A\u200b12345", "晋A\u202e12345", "晋A12345!"):
        r = c.call("POST", "/api/v1/vehicles", json={**body, "plate": bad})
        assert r.status_code == 422, (bad, r.text)
        assert "只能是汉字、字母和数字" in r.json()["detail"][0]["msg_zh"], r.text
    for query in ("晋A·123", "a 12345"):
        found = c.call("GET", "/api/v1/vehicles", role="guard", params={"plate": query}).json()
        assert [v["plate"] for v in found] == ["晋A12345"], query
    c.log_in("security")
    page = c.form("/console/vehicles", {**{k: str(v) for k, v in body.items()}, "plate": "晋B\u200b777"})
    assert "只能是汉字、字母和数字" in page.text and "letters and digits only" in page.text

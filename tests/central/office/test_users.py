"""Console users: the admin's API and the ``campusgate user`` command that makes the first admin."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from campusgate.cli import main
from central.models.changes import RegistryChange
from central.models.db import create_all, make_engine
from central.models.users import User
from central.office.users import authenticate
from tests.central.conftest import World
from tests.central.console_helpers import Client


def test_admin_creates_updates_and_lists_users(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    r = c.call(
        "POST",
        "/api/v1/users",
        role="admin",
        json={"username": "gate.li", "password": "rain-at-2am!", "roles": ["guard"]},
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert (new["username"], new["roles"], new["active"]) == ("gate.li", ["guard"], True)
    assert "password" not in r.text and "hash" not in r.text
    with Session(world.engine) as s:
        assert authenticate(s, "gate.li", "rain-at-2am!") is not None

    r = c.call(
        "PATCH",
        f"/api/v1/users/{new['id']}",
        role="admin",
        json={"roles": ["guard", "auditor"], "active": False},
    )
    assert r.json()["roles"] == ["auditor", "guard"] and r.json()["active"] is False
    with Session(world.engine) as s:
        assert authenticate(s, "gate.li", "rain-at-2am!") is None  # a disabled user cannot log in
        journal = s.exec(select(RegistryChange).where(RegistryChange.entity == "app_user")).all()
    assert [(j.action, j.username) for j in journal] == [("create", "admin"), ("update", "admin")]
    assert all("rain-at-2am!" not in j.detail for j in journal)

    names = [u["username"] for u in c.call("GET", "/api/v1/users", role="admin").json()]
    assert names == sorted(names) and "gate.li" in names


def test_bad_user_changes_are_refused_with_reasons(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    body = {"username": "guard", "password": "long-enough-1", "roles": ["guard"]}
    taken = c.call("POST", "/api/v1/users", role="admin", json=body)
    assert taken.status_code == 409 and "already taken" in taken.json()["detail"]
    short = c.call(
        "POST", "/api/v1/users", role="admin", json={**body, "username": "x1", "password": "short"}
    )
    assert short.status_code == 422 and "too short" in short.text
    bad_role = c.call(
        "POST", "/api/v1/users", role="admin", json={**body, "username": "x2", "roles": ["janitor"]}
    )
    assert bad_role.status_code == 422
    bad_name = c.call("POST", "/api/v1/users", role="admin", json={**body, "username": "Bad Name"})
    assert bad_name.status_code == 422 and "not valid" in bad_name.text
    with Session(world.engine) as s:
        admin_id = s.exec(select(User).where(User.username == "admin")).one().id
    lock_out = c.call("PATCH", f"/api/v1/users/{admin_id}", role="admin", json={"active": False})
    assert lock_out.status_code == 409 and "your own account" in lock_out.json()["detail"]
    demote = c.call("PATCH", f"/api/v1/users/{admin_id}", role="admin", json={"roles": ["guard"]})
    assert demote.status_code == 409 and "own admin role" in demote.json()["detail"]
    assert c.call("PATCH", "/api/v1/users/99999", role="admin", json={"active": True}).status_code == 404


def test_cookie_writes_outside_the_console_need_the_csrf_token(world: World, tmp_path: Path) -> None:
    """A page of another site could post with the admin's or director's cookie: the token stops it."""
    c = Client(world, tmp_path)
    token = c.log_in("admin", page="/console/people")
    body = {"username": "forged", "password": "long-enough-1", "roles": ["admin"]}
    forged = c.http.post("/api/v1/users", json=body)
    assert forged.status_code == 403 and "reload the page" in forged.json()["detail"]
    assert c.http.post("/api/v1/reports/1/sign", json={}).status_code == 403
    assert c.http.post("/api/v1/incidents/1/steps", json={"step": "released"}).status_code == 403
    odd = c.http.post("/console/households", data={"csrf": "é" * 64, "building": "1"})
    assert odd.status_code == 403  # a non-ASCII token is refused like any wrong one, not a crash
    ok = c.http.post("/api/v1/users", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("role", ["security", "approver", "guard", "auditor", "director"])
def test_only_an_admin_manages_users(world: World, tmp_path: Path, role: str) -> None:
    c = Client(world, tmp_path)
    assert c.call("GET", "/api/v1/users", role=role).status_code == 403
    body = {"username": "sneaky", "password": "long-enough-1", "roles": ["admin"]}
    assert c.call("POST", "/api/v1/users", role=role, json=body).status_code == 403


def test_cli_makes_the_first_admin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/central.models.db"
    create_all(make_engine(url))
    secret = tmp_path / "pw"
    secret.write_text("first-admin-pw\n")
    base = ["user", "--database-url", url]
    assert (
        main(
            [*base, "add", "office", "--role", "admin", "--role", "security", "--password-file", str(secret)]
        )
        == 0
    )
    assert "created user office" in capsys.readouterr().out
    # a second add of the same name is refused with a reason, not a traceback
    assert main([*base, "add", "office", "--role", "admin", "--password-file", str(secret)]) == 2
    assert "already taken" in capsys.readouterr().err
    secret.write_text("short")
    assert main([*base, "add", "other", "--role", "guard", "--password-file", str(secret)]) == 2
    assert "too short" in capsys.readouterr().err

    assert main([*base, "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["username"], listed["roles"], listed["active"]) == ("office", ["admin", "security"], True)

    secret.write_text("a-new-password")
    assert main([*base, "passwd", "office", "--password-file", str(secret)]) == 0
    assert main([*base, "disable", "office"]) == 0
    assert main([*base, "disable", "nobody"]) == 2
    engine = make_engine(url)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "office")).one()
        assert user.active is False
        user.active = True
        s.add(user)
        s.commit()
        assert authenticate(s, "office", "a-new-password") is not None
        journal = [(j.action, j.username) for j in s.exec(select(RegistryChange).order_by(RegistryChange.id))]
    assert journal[0][0] == "create" and journal[0][1].startswith("cli:")
    assert [a for a, _ in journal] == ["create", "update", "update"]


def test_the_change_journal_reads_back_newest_first_with_filters(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    body = {"username": "gate.wu", "password": "long-enough-1", "roles": ["guard"]}
    user_id = c.call("POST", "/api/v1/users", role="admin", json=body).json()["id"]
    c.call("PATCH", f"/api/v1/users/{user_id}", role="admin", json={"active": False})
    c.call("PATCH", f"/api/v1/gates/{world.gate_id}", role="security", json={"open": False})

    everything = c.call("GET", "/api/v1/registry-changes", role="auditor").json()
    assert everything["count"] == 3
    assert [(r["username"], r["action"], r["entity"]) for r in everything["data"]] == [
        ("security", "update", "gate"),
        ("admin", "update", "app_user"),
        ("admin", "create", "app_user"),
    ]
    assert everything["data"][1]["detail"] == {"username": "gate.wu", "active": False}
    users = c.call(
        "GET", "/api/v1/registry-changes", role="auditor", params={"entity": "app_user", "limit": 1}
    )
    assert users.json()["count"] == 2 and users.json()["data"][0]["action"] == "update"
    by_office = c.call(
        "GET", "/api/v1/registry-changes", role="director", params={"username": "security"}
    ).json()
    assert [r["entity_id"] for r in by_office["data"]] == [world.gate_id]
    at = datetime.fromisoformat(everything["data"][0]["at"])  # the gate change, the newest
    naive_utc = at.astimezone(UTC).replace(tzinfo=None).isoformat()  # no offset: read as UTC
    beijing = at.astimezone(timezone(timedelta(hours=8))).isoformat()  # the same instant in Beijing time

    def entities(**params: str) -> list[str]:
        body = c.call("GET", "/api/v1/registry-changes", role="auditor", params=params).json()
        return [r["entity"] for r in body["data"]]

    assert entities(since=naive_utc) == ["gate"] and entities(since=beijing) == ["gate"]  # since inclusive
    assert entities(until=naive_utc) == ["app_user", "app_user"]  # until exclusive
    assert entities(until=beijing) == ["app_user", "app_user"]
    assert c.call("GET", "/api/v1/registry-changes", role="guard").status_code == 403


def test_a_new_password_ends_the_old_logins(world: World, tmp_path: Path) -> None:
    """A password is changed because it leaked: tokens and cookies issued before stop working."""
    c = Client(world, tmp_path)
    body = {"username": "gate.zhao", "password": "first-password", "roles": ["guard"]}
    user_id = c.call("POST", "/api/v1/users", role="admin", json=body).json()["id"]
    token = c.http.post("/api/v1/auth/token", data={"username": "gate.zhao", "password": "first-password"})
    old = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert c.http.get("/api/v1/auth/me", headers=old).json()["username"] == "gate.zhao"

    c.call("PATCH", f"/api/v1/users/{user_id}", role="admin", json={"roles": ["guard", "auditor"]})
    assert c.http.get("/api/v1/auth/me", headers=old).status_code == 200  # a role change keeps the login
    c.call("PATCH", f"/api/v1/users/{user_id}", role="admin", json={"password": "second-password"})
    assert c.http.get("/api/v1/auth/me", headers=old).status_code == 401
    token = c.http.post("/api/v1/auth/token", data={"username": "gate.zhao", "password": "second-password"})
    new = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert c.http.get("/api/v1/auth/me", headers=new).status_code == 200

"""Console pages for the admin's users (create, roles, enable/disable, password) and the change journal."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.models.changes import RegistryChange
from central.models.db import session_scope
from central.models.users import User
from central.office.users import authenticate
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client

NEW = {"username": "gate.li", "password": "rain-at-2am!", "roles": ["guard"]}


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def rows(html: str, prefix: str) -> list[str]:
    return re.findall(rf'<tr id="{prefix}-([^"]+)"', html)


def stored(c: Client, username: str) -> User | None:
    with Session(c.engine) as s:
        return s.exec(select(User).where(User.username == username)).first()


def can_log_in(c: Client, username: str, password: str) -> bool:
    with Session(c.engine) as s:
        return authenticate(s, username, password) is not None


# --- users -----------------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_log_in(c: Client) -> None:
    c.log_in("admin", page="/console/users")
    r = c.form("/console/users", NEW)
    assert r.status_code == 200 and 'id="message"' in r.text
    assert "gate.li" in rows(r.text, "user")
    assert can_log_in(c, "gate.li", "rain-at-2am!")
    assert stored(c, "gate.li").roles == "guard"  # type: ignore[union-attr]
    with Session(c.engine) as s:
        journal = s.exec(select(RegistryChange).where(RegistryChange.entity == "app_user")).all()
    assert [(j.action, j.username) for j in journal] == [("create", "admin")]
    assert all("rain-at-2am!" not in j.detail for j in journal)

    again = c.form("/console/users", NEW)  # the name is taken now
    assert again.status_code == 409 and 'id="err-username"' in again.text and "already taken" in again.text


def test_a_short_password_is_a_field_error_and_creates_nothing(c: Client) -> None:
    c.log_in("admin", page="/console/users")
    r = c.form("/console/users", {**NEW, "password": "short"})
    assert r.status_code == 422
    error = re.search(r'<span class="field-error" id="err-password">(.*?)</span></label>', r.text)
    assert error and "密码太短：至少 10 个字符" in error.group(1)  # Chinese first
    assert "the password is too short: at least 10 characters" in error.group(1)  # English beside it
    assert "short" not in re.findall(r'name="password"[^>]*value="([^"]*)"', r.text)  # never echoed
    assert 'value="gate.li"' in r.text  # the rest of the form is kept
    assert stored(c, "gate.li") is None

    no_roles = c.form("/console/users", {"username": "gate.li", "password": "rain-at-2am!"})
    assert no_roles.status_code == 422 and 'id="err-roles"' in no_roles.text
    assert stored(c, "gate.li") is None


def test_an_admin_cannot_disable_themselves_or_drop_their_admin_role(c: Client) -> None:
    c.log_in("admin", page="/console/users")
    r = c.form("/console/users/admin/active", {"active": "false"})
    assert r.status_code == 409
    assert 'id="err-active-admin"' in r.text and "you cannot disable your own account" in r.text
    r = c.form("/console/users/admin/roles", {"roles": ["auditor"]})
    assert 'id="err-roles-admin"' in r.text and "you cannot remove your own admin role" in r.text
    admin = stored(c, "admin")
    assert admin is not None and admin.active and admin.roles == "admin"


def test_role_change_disable_enable_and_new_password_take_effect(c: Client) -> None:
    c.log_in("admin", page="/console/users")
    c.form("/console/users", NEW)

    r = c.form("/console/users/gate.li/roles", {"roles": ["guard", "auditor"]})
    assert r.status_code == 200 and 'id="message"' in r.text
    assert stored(c, "gate.li").roles == "auditor,guard"  # type: ignore[union-attr]

    r = c.form("/console/users/gate.li/active", {"active": "false"})
    assert 'id="user-gate.li" data-active="no"' in r.text
    assert not can_log_in(c, "gate.li", "rain-at-2am!")
    c.form("/console/users/gate.li/active", {"active": "true"})
    assert can_log_in(c, "gate.li", "rain-at-2am!")

    short = c.form("/console/users/gate.li/password", {"password": "short"})
    assert short.status_code == 422 and 'id="err-password-gate.li"' in short.text
    assert "too short" in short.text
    assert can_log_in(c, "gate.li", "rain-at-2am!")
    c.form("/console/users/gate.li/password", {"password": "snow-at-noon!"})
    assert can_log_in(c, "gate.li", "snow-at-noon!") and not can_log_in(c, "gate.li", "rain-at-2am!")

    unknown = c.form("/console/users/nobody/active", {"active": "false"})
    assert unknown.status_code == 404 and "no user called &#39;nobody&#39;" in unknown.text  # escaped quotes
    assert c.form("/console/users/gate.li/username", {"username": "x"}).status_code == 404


def test_only_the_admin_may_manage_users(c: Client) -> None:
    c.log_in("admin", page="/console/users")
    assert 'id="nav-users"' in c.http.get("/console/users").text
    for role in ("security", "auditor", "director", "approver", "guard"):
        c.log_in(role, page="/console/vehicles" if role == "guard" else "/console/households")
        assert c.http.get("/console/users").status_code == 403
        assert c.form("/console/users", NEW).status_code == 403
        assert c.form("/console/users/guard/active", {"active": "false"}).status_code == 403
    c.log_in("security", page="/console/households")
    assert 'id="nav-users"' not in c.http.get("/console/households").text
    assert stored(c, "gate.li") is None and stored(c, "guard").active  # type: ignore[union-attr]


# --- change journal --------------------------------------------------------------------------------


def test_the_change_page_lists_the_user_creation_by_the_admin(c: Client) -> None:
    c.log_in("admin", page="/console/users")
    c.form("/console/users", NEW)
    c.log_in("auditor", page="/console/changes")
    page = c.http.get("/console/changes").text
    row = re.search(r'<tr id="change-\d+">.*?</tr>', page, re.S)
    assert row is not None  # the newest first: the creation
    assert '<td class="username">admin</td>' in row.group(0) and "app_user" in row.group(0)
    assert "username=gate.li" in row.group(0) and "roles=guard" in row.group(0)
    assert 'id="nav-changes"' in page and 'id="nav-users"' not in page


def test_the_change_filters_narrow_the_journal_and_times_are_beijing_time(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        s.add(RegistryChange(at=NOW, username="security", action="create", entity="household", entity_id="7"))
    c.log_in("admin", page="/console/users")
    c.form("/console/users", NEW)
    c.log_in("director", page="/console/changes")

    def listed(**query: str) -> list[str]:
        r = c.http.get("/console/changes", params=query)
        assert r.status_code == 200, r.text
        return re.findall(r'<td class="entity" data-entity="([^"]*)">', r.text)

    assert listed() == ["app_user", "household"]
    assert listed(entity="household") == ["household"]
    assert listed(username="admin") == ["app_user"]
    assert listed(entity="household", username="admin") == []
    # 09:59 Beijing is 01:59 UTC, before NOW (02:00 UTC); read as UTC it would be after it
    assert listed(since="2026-11-23T09:59", until="2026-11-23T10:01") == ["household"]
    assert listed(since="2026-11-23T10:01", until="2026-11-23T11:00") == []
    page = c.http.get("/console/changes", params={"entity": "household"}).text
    assert "2026-11-23 10:00:00" in page

    bad = c.http.get("/console/changes", params={"since": "2026-11-24T00:00", "until": "2026-11-23T00:00"})
    assert bad.status_code == 422 and "before the end time" in bad.text
    assert c.http.get("/console/changes", params={"since": "yesterday"}).status_code == 422


def test_the_change_page_is_paged_fifty_a_page(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        for i in range(55):
            at, who = NOW + timedelta(minutes=i), "security"
            s.add(RegistryChange(at=at, username=who, action="update", entity="person", entity_id=str(i)))
    c.log_in("security", page="/console/changes")
    first = c.http.get("/console/changes", params={"entity": "person"}).text
    assert len(rows(first, "change")) == 50 and 'id="count">55<' in first
    assert 'id="next"' in first and 'id="prev"' not in first
    second = c.http.get("/console/changes", params={"entity": "person", "offset": "50"}).text
    ids = [int(i) for i in rows(first, "change") + rows(second, "change")]
    assert len(ids) == 55 and ids == sorted(ids, reverse=True)  # newest first, nothing twice
    assert 'id="prev"' in second and 'id="next"' not in second


def test_guards_and_approvers_may_not_read_the_journal(c: Client) -> None:
    c.log_in("guard")
    page = c.http.get("/console/vehicles").text
    assert 'id="nav-changes"' not in page and 'id="nav-users"' not in page
    assert c.http.get("/console/changes").status_code == 403
    c.log_in("approver", page="/console/households")
    assert c.http.get("/console/changes").status_code == 403

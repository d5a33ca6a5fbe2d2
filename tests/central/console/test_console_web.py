"""Console pages through the app (no browser): login, language, roles, clear field errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.api.auth import SESSION_COOKIE
from central.models.registry import Household
from tests.central.conftest import World
from tests.central.console_helpers import Client, page_csrf


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def as_user(c: Client, username: str) -> None:
    c.log_in(username)


def test_anonymous_pages_redirect_to_login_and_bad_password_says_so(c: Client) -> None:
    r = c.http.get("/console/households", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=/console/households"
    token = page_csrf(c.http.get("/console/login").text)
    r = c.http.post("/console/login", data={"username": "security", "password": "nope", "csrf": token})
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_login_needs_the_token_of_its_own_page(c: Client) -> None:
    """Login CSRF: a form posted from elsewhere carries no token for this browser's nonce."""
    forged = c.http.post("/console/login", data={"username": "security", "password": "security-demo"})
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.cookies
    assert "reload the page" in forged.text
    old = page_csrf(c.http.get("/console/login").text)
    c.http.cookies.clear()
    fresh = page_csrf(c.http.get("/console/login").text)  # another browser, another nonce
    assert fresh != old
    data = {"username": "security", "password": "security-demo"}
    assert c.http.post("/console/login", data={**data, "csrf": old}).status_code == 403
    r = c.http.post("/console/login", data={**data, "csrf": fresh}, follow_redirects=False)
    assert r.status_code == 303 and SESSION_COOKIE in r.cookies


def test_login_sets_cookie_and_english_toggle(c: Client) -> None:
    token = page_csrf(c.http.get("/console/login").text)
    r = c.http.post(
        "/console/login",
        data={"username": "security", "password": "security-demo", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and SESSION_COOKIE in r.cookies
    assert "住户" in c.http.get("/console/households").text
    c.http.get("/console/lang?to=en")
    assert "Households" in c.http.get("/console/households").text


def test_household_form_field_errors_and_duplicate(c: Client, world: World) -> None:
    as_user(c, "security")
    r = c.form("/console/households", data={"campus_id": str(world.campus_id), "building": "3", "unit": "2"})
    assert 'id="err-room"' in r.text
    r = c.form(
        "/console/households",
        data={"campus_id": str(world.campus_id), "building": "3", "unit": "2", "room": "501"},
    )
    assert "exists on this campus" in r.text
    with Session(c.engine) as s:
        assert len(s.exec(select(Household)).all()) == 1


def test_person_form_rejects_unknown_category_with_message(c: Client) -> None:
    as_user(c, "security")
    r = c.form("/console/people", data={"name": "某人", "category": "pirate"})
    assert "unknown category" in r.text


def test_roles_on_console_pages(c: Client, world: World) -> None:
    as_user(c, "guard")
    assert c.http.get("/console/households").status_code == 403
    as_user(c, "auditor")
    page = c.http.get("/console/passes")
    assert page.status_code == 200 and f'id="pass-{world.passes["li"]}"' in page.text
    assert 'class="revoke"' not in page.text and 'class="pdf"' not in page.text  # nothing offered that 403s
    r = c.form(f"/console/passes/{world.passes['li']}/revoke")
    assert r.status_code == 403 and "forbidden" in r.text  # the role, not the CSRF check
    assert c.form("/console/approvals/1/approve").status_code == 403
    as_user(c, "security")
    assert c.http.get("/console/import").status_code == 200
    r = c.form("/console/import", files={"file": ("a.csv", "校区,姓名\n火星,某".encode())})
    assert r.status_code == 422 and "unknown campus" in r.text

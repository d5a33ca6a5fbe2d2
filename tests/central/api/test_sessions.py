"""Sessions over HTTP (TestClient, real SQLite): logout, a new password and disabling end them on the
server; cookies carry Secure behind HTTPS; bearer tokens are short-lived and refreshed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.api.auth import SESSION_COOKIE, TOKEN_MAX_AGE_S, issue_api_token
from central.models.users import User
from tests.central.conftest import World
from tests.central.console_helpers import Client, page_csrf


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def _log_in(c: Client, username: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    token = page_csrf(c.http.get("/console/login").text)
    return c.http.post(
        "/console/login",
        data={"username": username, "password": password, "csrf": token},
        headers=headers,
        follow_redirects=False,
    )


def _user(c: Client, username: str) -> User:
    with Session(c.engine) as s:
        return s.exec(select(User).where(User.username == username)).one()


def test_logout_ends_the_session_on_the_server(c: Client) -> None:
    r = _log_in(c, "security", "security-demo")
    cookie = r.cookies[SESSION_COOKIE]
    me = c.http.get("/api/v1/auth/me", cookies={SESSION_COOKIE: cookie})
    assert me.status_code == 200
    c.csrf = page_csrf(c.http.get("/console/households").text)
    assert c.form("/console/logout", follow_redirects=False).status_code == 303
    c.http.cookies.clear()
    # a copy of the old cookie (a shared PC, a stolen cookie) is dead too
    assert c.http.get("/api/v1/auth/me", cookies={SESSION_COOKIE: cookie}).status_code == 401


def test_password_change_and_disable_end_tokens(c: Client) -> None:
    guard = _user(c, "guard")
    old = {"Authorization": f"Bearer {issue_api_token(c.app, guard)}"}
    assert c.http.get("/api/v1/auth/me", headers=old).status_code == 200
    r = c.call("PATCH", f"/api/v1/users/{guard.id}", role="admin", json={"password": "a-new-password-1"})
    assert r.status_code == 200
    assert c.http.get("/api/v1/auth/me", headers=old).status_code == 401
    guard = _user(c, "guard")
    current = {"Authorization": f"Bearer {issue_api_token(c.app, guard)}"}
    assert (
        c.call("PATCH", f"/api/v1/users/{guard.id}", role="admin", json={"active": False}).status_code == 200
    )
    assert (
        c.call("PATCH", f"/api/v1/users/{guard.id}", role="admin", json={"active": True}).status_code == 200
    )
    # enabled again, the user logs in anew: the token from before the disable stays dead
    assert c.http.get("/api/v1/auth/me", headers=current).status_code == 401


@pytest.mark.parametrize(
    "headers,secure",
    [({}, False), ({"X-Forwarded-Proto": "https"}, True), ({"X-Forwarded-Proto": "http"}, False)],
)
def test_session_cookie_is_secure_behind_https(c: Client, headers: dict[str, str], secure: bool) -> None:
    r = _log_in(c, "auditor", "auditor-demo", **headers)
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert ("secure" in cookie.lower()) is secure, cookie


@pytest.mark.parametrize(
    "setting,headers,secure", [(True, {}, True), (False, {"X-Forwarded-Proto": "https"}, False)]
)
def test_the_setting_overrides_the_scheme(
    c: Client, setting: bool, headers: dict[str, str], secure: bool
) -> None:
    c.app.state.settings = c.app.state.settings.model_copy(update={"cookie_secure": setting})
    r = c.http.get("/console/login", headers=headers)  # the login form's nonce cookie
    cookie = r.headers["set-cookie"]
    assert ("secure" in cookie.lower()) is secure, cookie


def test_tokens_live_an_hour_and_refresh_within_a_week(c: Client) -> None:
    r = c.http.post("/api/v1/auth/token", data={"username": "director", "password": "director-demo"})
    assert r.json()["expires_in"] == TOKEN_MAX_AGE_S == 3600
    token = r.json()["access_token"]
    fresh = c.http.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {token}"})
    assert fresh.status_code == 200
    headers = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert c.http.get("/api/v1/auth/me", headers=headers).json()["username"] == "director"
    stale = issue_api_token(c.app, _user(c, "director"), int(time.time()) - 8 * 24 * 3600)
    assert c.http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {stale}"}).status_code == 200
    refused = c.http.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {stale}"})
    assert refused.status_code == 401 and "log in again" in refused.json()["detail"]

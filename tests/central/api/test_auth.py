"""Users, passwords, cookies and tokens: who is let in, who is refused and with what message."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central.api.application import create_app
from central.api.auth import (
    SESSION_COOKIE,
    CurrentUser,
    Role,
    User,
    authenticate,
    create_user,
    ensure_admin,
    issue_session,
    require_roles,
    seed_demo_users,
)
from central.models.db import session_scope
from central.settings import CentralSettings


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> FastAPI:
    """The API with demo users and two probe routes."""
    with session_scope(engine) as s:
        seed_demo_users(s)
    application = create_app(CentralSettings(data_dir=tmp_path, database_url="sqlite://"), engine)

    @application.get("/probe/approver")
    def probe(user: Annotated[User, Depends(require_roles(Role.APPROVER))]) -> dict[str, str]:
        return {"user": user.username}

    @application.get("/probe/anyone")
    def anyone(user: CurrentUser) -> dict[str, str]:
        return {"user": user.username}

    return application


def login(client: TestClient, username: str, password: str | None = None) -> dict[str, str]:
    """Bearer headers for a demo user."""
    r = client.post(
        "/api/v1/auth/token", data={"username": username, "password": password or f"{username}-demo"}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_password_is_hashed_with_argon2_and_checked(engine: Engine) -> None:
    with session_scope(engine) as s:
        user = create_user(s, "wang", "s3cret-pass", [Role.SECURITY])
        assert user.password_hash.startswith("$argon2") and "s3cret" not in user.password_hash
        assert authenticate(s, "wang", "s3cret-pass") is not None
        assert authenticate(s, "wang", "wrong") is None
        assert authenticate(s, "nobody", "s3cret-pass") is None
        with pytest.raises(ValueError):
            create_user(s, "wang", "x", [Role.GUARD])
        with pytest.raises(ValueError):
            create_user(s, "li", "x", ["janitor"])


def test_ensure_admin_creates_once_and_promotes(engine: Engine) -> None:
    with session_scope(engine) as s:
        first = ensure_admin(s, "root", "pw-1")
        again = ensure_admin(s, "root", "pw-2")
        assert first.id == again.id and authenticate(s, "root", "pw-1") is not None
        create_user(s, "office", "pw", [Role.SECURITY])
        promoted = ensure_admin(s, "office", "ignored")
        assert promoted.role_set == {Role.ADMIN, Role.SECURITY}


def test_inactive_user_cannot_log_in(engine: Engine) -> None:
    with session_scope(engine) as s:
        create_user(s, "gone", "pw", [Role.GUARD]).active = False
    with session_scope(engine) as s:
        assert authenticate(s, "gone", "pw") is None


def test_token_with_form_or_json_and_me(app: FastAPI) -> None:
    client = TestClient(app)
    headers = login(client, "approver")
    assert client.get("/api/v1/auth/me", headers=headers).json()["roles"] == ["approver"]
    r = client.post("/api/v1/auth/token", json={"username": "guard", "password": "guard-demo"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"


def test_wrong_password_is_401_with_message(app: FastAPI) -> None:
    r = TestClient(app).post("/api/v1/auth/token", data={"username": "admin", "password": "nope"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong username or password"


def test_no_credentials_401_wrong_role_403_admin_all_but_approving(app: FastAPI) -> None:
    client = TestClient(app)
    r = client.get("/probe/approver")
    assert r.status_code == 401 and "authentication required" in r.json()["detail"]
    r = client.get("/probe/approver", headers=login(client, "guard"))
    assert r.status_code == 403 and "approver" in r.json()["detail"]
    assert client.get("/probe/approver", headers=login(client, "approver")).json() == {"user": "approver"}
    # approving is the approver's alone (书记或院长): the system admin manages users, not approvals
    assert client.get("/probe/approver", headers=login(client, "admin")).status_code == 403


def test_forged_or_foreign_token_is_401(app: FastAPI) -> None:
    client = TestClient(app)
    token = login(client, "admin")["Authorization"]
    assert client.get("/probe/anyone", headers={"Authorization": token + "x"}).status_code == 401
    # a session cookie is not an API token: the salts differ
    cookie_value = token.removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, cookie_value)
    assert client.get("/probe/anyone").status_code == 401


def test_session_cookie_authenticates(app: FastAPI, engine: Engine) -> None:
    with session_scope(engine) as s:
        user = s.exec(__import__("sqlmodel").select(User).where(User.username == "security")).one()
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, issue_session(app, user))
    assert client.get("/probe/anyone").json() == {"user": "security"}

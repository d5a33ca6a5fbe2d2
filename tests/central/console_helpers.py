"""Shared setup of the console tests: the app on the small world, demo users, bearer headers."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from central.api.auth import SESSION_COOKIE, issue_api_token, issue_session
from central.app import create_app
from central.models.db import session_scope
from central.models.users import User
from central.office.users import DEMO_USERS, hash_password
from central.settings import CentralSettings
from tests.central.conftest import World

CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf" value="([^"]*)">')


def page_csrf(html: str) -> str:
    """The CSRF token a console page put in its forms (every form of a page carries the same one)."""
    tokens = set(CSRF_INPUT.findall(html))
    assert len(tokens) == 1 and "" not in tokens, f"expected one CSRF token on the page, found {tokens}"
    return tokens.pop()


@cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose: hash each demo password once per run


def demo_users() -> list[User]:
    """The demo users of ``seed_demo_users``, with hashes computed once per test run."""
    return [
        User(username=u, password_hash=_hash(pw), roles=",".join(roles))
        for u, (pw, roles) in DEMO_USERS.items()
    ]


class Client:
    """A TestClient with a bearer token per demo role, and the gate ids whose config was re-published."""

    def __init__(self, world: World, tmp_path: Path) -> None:
        with session_scope(world.engine) as s:
            s.add_all(demo_users())
        self.engine = world.engine
        self.app: FastAPI = create_app(
            CentralSettings(data_dir=tmp_path, database_url="sqlite://"), world.engine
        )
        self.app.state.keyring = world.keyring
        self.published: list[str] = []
        self.app.state.publish_config = lambda gate_id: self.published.append(gate_id) or True
        self.http = TestClient(self.app)
        self._tokens: dict[str, dict[str, str]] = {}

    def headers(self, role: str) -> dict[str, str]:
        """Bearer headers of the demo user of ``role``."""
        if role not in self._tokens:
            # the password exchange is tested in test_auth; here the token is signed directly (argon2 is slow)
            with Session(self.engine) as s:
                user = s.exec(select(User).where(User.username == role)).one()
            self._tokens[role] = {"Authorization": f"Bearer {issue_api_token(self.app, user)}"}
        return self._tokens[role]

    def call(self, method: str, url: str, role: str | None = "security", **kw):  # type: ignore[no-untyped-def]
        """A request as ``role`` (None: anonymous)."""
        headers = self.headers(role) if role else {}
        return self.http.request(method, url, headers=headers, **kw)

    def log_in(self, username: str, page: str = "/console/vehicles") -> str:
        """Use the console as ``username`` (session cookie) and keep the CSRF token read from ``page``."""
        with Session(self.engine) as s:
            user = s.exec(select(User).where(User.username == username)).one()
        self.http.cookies.set(SESSION_COOKIE, issue_session(self.app, user))
        r = self.http.get(page)
        assert r.status_code == 200, f"{username} cannot open {page}: {r.status_code}"
        self.csrf = page_csrf(r.text)
        return self.csrf

    def form(self, url: str, data: dict[str, Any] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        """POST a console form with the session's CSRF token, as the page's form would."""
        return self.http.post(url, data={**(data or {}), "csrf": self.csrf}, **kw)

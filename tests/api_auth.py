"""Bearer headers for tests that call central's API: a user holding the role, its token signed directly
(the password exchange itself is tested in tests/central/test_auth.py; argon2 is slow on purpose)."""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import select

from central.api.auth import issue_api_token
from central.models.db import session_scope
from central.models.users import User
from central.office.users import hash_password


@cache
def _hash() -> str:
    return hash_password("test-password")


def bearer(app: FastAPI, engine: Engine, role: str) -> dict[str, str]:
    """``Authorization`` headers of the user ``test-<role>`` (created on first use) holding ``role``."""
    username = f"test-{role}"
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = User(username=username, password_hash=_hash(), roles=role)
            session.add(user)
            session.flush()
        token = issue_api_token(app, user)
    return {"Authorization": f"Bearer {token}"}

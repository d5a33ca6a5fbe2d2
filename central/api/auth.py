"""Users, roles and who may call what: argon2 password hashes, signed console cookies, API bearer tokens.

A request authenticates with the console's session cookie (``cg_session``, signed by itsdangerous)
or with ``Authorization: Bearer <token>`` from ``POST /api/v1/auth/token``. Both are signed with
the secret in ``data_dir/console-secret`` (created on first start, shared by every worker like
the keys). ``require_roles(...)`` refuses with 401 (no or bad credentials) or 403 (wrong role);
an admin may do everything.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from central.api import throttle
from central.api.throttle import Refusal
from central.models.db import read_only
from central.models.users import Role, User
from central.office.users import authenticate

logger = logging.getLogger(__name__)

SESSION_COOKIE = "cg_session"
SESSION_MAX_AGE_S = 12 * 3600  # one working day at the security office
# a bearer token lives an hour; POST /api/v1/auth/refresh swaps a live one for a fresh one, for at
# most a week after the password was given (then log in again), so a leaked token dies soon
TOKEN_MAX_AGE_S = 3600
TOKEN_RENEW_MAX_S = 7 * 24 * 3600


class UserPublic(BaseModel):
    """A user as the API shows it: never the hash."""

    id: int
    username: str
    roles: list[str]
    active: bool


class TokenPublic(BaseModel):
    """An API bearer token."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = TOKEN_MAX_AGE_S


def login_user(app: FastAPI, username: str, password: str) -> User | None:
    """:func:`authenticate` in a session of its own (call it off the event loop)."""
    with Session(read_only(app.state.engine)) as session:
        user = authenticate(session, username, password)
        if user is not None:
            session.expunge(user)
        return user


def attempt_login(app: FastAPI, username: str, password: str, address: str | None) -> User | Refusal | None:
    """A throttled :func:`login_user`: the user, None for wrong credentials, or why it was not tried."""
    keys = throttle.keys_of(username, address)
    refusal = throttle.check(app.state.engine, keys, datetime.now(UTC))
    if refusal is not None:
        logger.warning(
            "login throttled for %d s%s", refusal.retry_after_s, " (locked)" if refusal.locked else ""
        )
        return refusal
    user = login_user(app, username, password)
    throttle.record(app.state.engine, keys, user is not None, datetime.now(UTC))
    return user


def load_secret(data_dir: Path) -> str:
    """The signing secret for cookies and tokens, created on first start in ``data_dir``."""
    path = data_dir / "console-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x") as f:
                f.write(secrets.token_urlsafe(48))
            path.chmod(0o600)
        except FileExistsError:
            pass  # another worker made it first
    return path.read_text().strip()


def _serializer(app: FastAPI, salt: str) -> URLSafeTimedSerializer:
    secret = getattr(app.state, "auth_secret", None)
    if secret is None:
        secret = app.state.auth_secret = load_secret(app.state.settings.data_dir)
    return URLSafeTimedSerializer(secret, salt=salt)


def _credentials(user: User) -> str:
    # a digest of the password hash and the session epoch: a new password (a new salted hash) or a
    # raised epoch (logout, disable) ends every cookie and token issued before
    return hashlib.sha256(f"{user.password_hash}:{user.session_epoch}".encode()).hexdigest()[:16]


def issue_session(app: FastAPI, user: User) -> str:
    """The console cookie value for ``user``."""
    return str(_serializer(app, "session").dumps({"u": user.id, "k": _credentials(user)}))


def issue_api_token(app: FastAPI, user: User, logged_in_at: int | None = None) -> str:
    """A bearer token for ``user``; ``logged_in_at`` (epoch seconds) carries over on a refresh."""
    first = int(time.time()) if logged_in_at is None else logged_in_at
    return str(_serializer(app, "api-token").dumps({"u": user.id, "k": _credentials(user), "a": first}))


def token_login_time(app: FastAPI, token: str) -> int | None:
    """When the password behind a live bearer token was given (epoch seconds), or None."""
    try:
        data: Any = _serializer(app, "api-token").loads(token, max_age=TOKEN_MAX_AGE_S)
    except BadSignature:
        return None
    first = data.get("a") if isinstance(data, dict) else None
    return first if isinstance(first, int) else None


def _read(app: FastAPI, salt: str, value: str, max_age: int) -> tuple[int, str] | None:
    try:
        data: Any = _serializer(app, salt).loads(value, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return data["u"], str(data.get("k", ""))


def _auth_session(request: Request) -> Iterator[Session]:
    with Session(read_only(request.app.state.engine)) as session:
        yield session


def optional_user(request: Request, session: Annotated[Session, Depends(_auth_session)]) -> User | None:
    """The user behind the request's bearer token or session cookie, or None."""
    claim: tuple[int, str] | None = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        claim = _read(request.app, "api-token", header[7:].strip(), TOKEN_MAX_AGE_S)
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        claim = _read(request.app, "session", cookie, SESSION_MAX_AGE_S)
    if claim is None:
        return None
    user = session.get(User, claim[0])
    if user is None or not user.active or not hmac.compare_digest(claim[1], _credentials(user)):
        return None
    session.expunge(user)
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The authenticated user; 401 otherwise."""
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="authentication required: log in or send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role | str) -> Callable[[User], User]:
    """A dependency returning the current user if they hold one of ``roles`` (see ``User.may``: an
    admin holds every role but the approver's); 403 if not."""
    wanted = tuple(Role(r) for r in roles)

    def dependency(user: CurrentUser) -> User:
        if not user.may(*wanted):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"forbidden: this needs one of the roles {', '.join(wanted) or 'admin'}",
            )
        return user

    return dependency


router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenPublic)
async def token(request: Request) -> TokenPublic:
    """Exchange username and password (form fields or JSON) for a bearer token."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body: Any = await request.json()
    else:
        body = dict(await request.form())
    username, password = str(body.get("username", "")), str(body.get("password", ""))
    address = request.client.host if request.client else None
    # argon2 takes ~0.1 s: off the event loop
    user = await run_in_threadpool(attempt_login, request.app, username, password, address)
    if isinstance(user, Refusal):
        detail = "account locked: an admin must unlock it" if user.locked else "too many login attempts"
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, detail=detail, headers={"Retry-After": str(user.retry_after_s)}
        )
    if user is None:
        logger.info("token refused: bad credentials")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
    return TokenPublic(access_token=issue_api_token(request.app, user))


@router.post("/refresh", response_model=TokenPublic)
def refresh(request: Request, user: CurrentUser) -> TokenPublic:
    """A fresh token for a live one, within a week of the login it came from (401 after: log in again)."""
    header = request.headers.get("authorization", "")
    first = (
        token_login_time(request.app, header[7:].strip()) if header.lower().startswith("bearer ") else None
    )
    if first is None or time.time() - first > TOKEN_RENEW_MAX_S:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="log in again: only a bearer token within a week of its login can be refreshed",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return TokenPublic(access_token=issue_api_token(request.app, user, first))


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """Who the credentials belong to."""
    assert user.id is not None
    return UserPublic(id=user.id, username=user.username, roles=sorted(user.role_set), active=user.active)

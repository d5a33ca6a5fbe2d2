"""The console's doors: the login form (with its pre-session CSRF token and the login throttle), logout
that ends the sessions on the server, and the language switch."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from central.api import csrf
from central.api.auth import SESSION_COOKIE, SESSION_MAX_AGE_S, attempt_login, issue_session
from central.api.deps import WriteSession
from central.api.throttle import Refusal
from central.console.i18n import LANG_COOKIE, WORDS, lang_of, translator
from central.console.web import Viewer, form_of, render, router
from central.models.users import User
from central.office.users import end_sessions

public = APIRouter(prefix="/console", include_in_schema=False)  # no session yet: outside the CSRF check


def login_form(request: Request, *, status_code: int = 200, **ctx: Any) -> Response:
    """The login form with a pre-session CSRF token: another site cannot log a browser in to an
    account of its own (whose pages the victim would then fill in)."""
    nonce = request.cookies.get(csrf.LOGIN_COOKIE) or secrets.token_urlsafe(16)
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        login_token=csrf.login_token(request.app, nonce),
        **ctx,
    )
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        nonce,
        max_age=3600,
        httponly=True,
        samesite="lax",
        path="/console/login",
        secure=secure_cookies(request),
    )
    return response


def safe_next(value: object) -> str | None:
    """``value`` if it is a path on this site (never another host: no open redirect after login)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return None


@public.get("/login")
def login_page(request: Request, user: Viewer, next: str | None = None) -> Response:
    """The login form (``next``: where to go after logging in)."""
    return login_form(request, next=safe_next(next))


@public.post("/login")
async def login(request: Request) -> Response:
    """Check the form's token and the password, and set the session cookie."""
    form = await form_of(request)
    if not csrf.login_ok(request, (await request.form()).get(csrf.FIELD)):
        return login_form(
            request,
            status_code=403,
            username=form.get("username"),
            next=safe_next(form.get("next")),
            error=csrf.MESSAGE,
        )
    address = request.client.host if request.client else None
    user = await run_in_threadpool(
        attempt_login, request.app, form.get("username", ""), form.get("password", ""), address
    )
    if isinstance(user, Refusal):
        zh, en = WORDS["login_locked" if user.locked else "login_throttled"]
        words = (
            f"{zh.format(s=user.retry_after_s)} · {en.format(s=user.retry_after_s)}"  # both, Chinese first
        )
        response = login_form(request, status_code=429, username=form.get("username"), error=words)
        response.headers["Retry-After"] = str(user.retry_after_s)
        return response
    if user is None:
        return login_form(
            request,
            status_code=401,
            username=form.get("username"),
            next=safe_next(form.get("next")),
            error=translator(lang_of(request))("bad_login"),
        )
    response = RedirectResponse(safe_next(form.get("next")) or "/console/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issue_session(request.app, user),
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    return response


@router.post("/logout")
def logout(request: Request, user: Viewer, session: WriteSession) -> Response:
    """End the user's sessions on the server (a copied cookie is dead too) and forget the cookie."""
    # a console logout ends the sessions of the cookie's user (not a script's bearer token calling it)
    if user is not None and request.cookies.get(SESSION_COOKIE) is not None:
        row = session.get(User, user.id)
        if row is not None:
            end_sessions(row)
            session.add(row)
            session.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, secure=secure_cookies(request), httponly=True, samesite="lax")
    return response


def secure_cookies(request: Request) -> bool:
    """Whether cookies get ``Secure``: as the setting says, else when the browser came over HTTPS."""
    setting = request.app.state.settings.cookie_secure
    if setting is not None:
        return bool(setting)
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


@public.get("/lang")
def language(request: Request, to: str = "zh") -> Response:
    """Switch between Chinese and English."""
    back = request.headers.get("referer") or "/console/"
    response = RedirectResponse(
        back if back.startswith(str(request.base_url)) else "/console/", status_code=303
    )
    response.set_cookie(LANG_COOKIE, "en" if to == "en" else "zh", max_age=365 * 24 * 3600, samesite="lax")
    return response

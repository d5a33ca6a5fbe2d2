"""CSRF protection for cookie-authenticated writes: a synchronizer token tied to the console session.

The token is an HMAC-SHA256 of the ``cg_session`` cookie value under the console secret (the one
that signs cookies and bearer tokens), so it needs no storage, changes with every login and cannot
be computed by another site, which sees neither the cookie nor the secret. Pages carry it in a
hidden ``csrf`` form field (``render`` puts ``csrf_token`` in every console template) or, for
``fetch`` calls, in the ``X-CSRF-Token`` header. :func:`protect` (a dependency on the console
routers, the registry API and the fever-alert acknowledgement) refuses an unsafe request with 403
unless it carries the right token.

Exempt, because they carry no ambient credential a forged request could ride on: requests with
``Authorization: Bearer`` (API clients) and requests without a session cookie (the route's own
authentication then refuses them, e.g. with the login redirect). The login form, which has no
session yet, carries a token of its own: an HMAC of a random nonce the login page sets in a cookie
(``cg_login``), so another site cannot log a browser in to the attacker's account.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import FastAPI, HTTPException, Request, status

from central.api.auth import SESSION_COOKIE, load_secret
from central.office.catalogue import WORDS, both

FIELD = "csrf"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MESSAGE = both(WORDS["form_expired"], " / ")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _secret(app: FastAPI) -> bytes:
    # the same cached secret as central.api.auth's serializers (app.state.auth_secret)
    secret = getattr(app.state, "auth_secret", None)
    if secret is None:
        secret = app.state.auth_secret = load_secret(app.state.settings.data_dir)
    return str(secret).encode()


def token_for_cookie(app: FastAPI, cookie: str) -> str:
    """The token that goes with a session cookie value."""
    return hmac.new(_secret(app), b"csrf\x00" + cookie.encode(), hashlib.sha256).hexdigest()


def token_for(request: Request) -> str:
    """The token for the request's session ('' without a session cookie: nothing to protect)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return token_for_cookie(request.app, cookie) if cookie else ""


def _bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


async def protect(request: Request) -> None:
    """Refuse (403) an unsafe cookie-authenticated request without the session's token."""
    if request.method in SAFE_METHODS or _bearer(request):
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return
    supplied: object = request.headers.get(HEADER)
    if supplied is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        supplied = (await request.form()).get(FIELD)  # Starlette caches the form for the route
    if not _matches(supplied, token_for_cookie(request.app, cookie)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=MESSAGE)


LOGIN_COOKIE = "cg_login"


def login_token(app: FastAPI, nonce: str) -> str:
    """The login form's token for the pre-session nonce in its cookie."""
    return token_for_cookie(app, "login\x00" + nonce)


def login_ok(request: Request, supplied: object) -> bool:
    """Whether a posted login form carries the token of the nonce cookie its page set."""
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce:
        return False
    return _matches(supplied, login_token(request.app, nonce))


def _matches(supplied: object, expected: str) -> bool:
    # compare bytes: compare_digest refuses non-ASCII str, and a forged token must be a 403, not a 500
    return isinstance(supplied, str) and hmac.compare_digest(supplied.encode(), expected.encode())

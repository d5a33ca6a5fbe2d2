"""The admin's console page for users: list, create, change roles, enable/disable, set a password.

Every write is ``central.office.users``' own (``add_user``, ``update_user``, ``find_user``) with the API's
schemas (``UserCreate``, ``UserUpdate``), so the page refuses exactly what ``/api/v1/users`` refuses
(short passwords, bad names, an admin locking themselves out) in the same words, and journals the
same change. Hashing a password with argon2 takes ~0.1 s, so add and update run off the event loop.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session, col, func, select
from starlette.concurrency import run_in_threadpool

from central.api.deps import ReadSession, WriteSession, page_of
from central.console.i18n import message
from central.console.web import (
    PAGE,
    Viewer,
    admit,
    done,
    field_errors,
    form_of,
    page_offset,
    pager,
    refusal,
    render,
)
from central.models.users import Role, User
from central.office.errors import NotFound
from central.office.users import UserCreate, UserError, UserUpdate, add_user, find_user, update_user

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app
ROLES = [r.value for r in Role]
CHANGES = ("roles", "active", "password")  # one small form per change on each user's row


@router.get("/users")
def users_page(request: Request, session: ReadSession, user: Viewer, offset: str | None = None) -> Response:
    """The users by name, a page at a time, with their roles and state, the forms to change them and
    the create form."""
    return users(request, session, admit(user, Role.ADMIN), offset=page_offset(offset))


def users(request: Request, session: Session, viewer: User, offset: int = 0, **ctx: Any) -> Response:
    """The users page; ``target`` names the user whose row shows ``errors`` (on the page holding it)."""
    if target := ctx.get("target"):
        before = session.exec(select(func.count()).select_from(User).where(col(User.username) < target)).one()
        offset = before // PAGE * PAGE
    found = page_of(session, User, [], order=col(User.username), limit=PAGE, offset=offset)
    return render(
        request, "users.html", viewer, rows=found.data, roles=ROLES, **pager(offset, found.count), **ctx
    )


async def _posted(request: Request) -> dict[str, Any]:
    # checkboxes post one "roles" field each; the password is never sent back into the page
    form: dict[str, Any] = await form_of(request)
    form["roles"] = [r for r in (await request.form()).getlist("roles") if isinstance(r, str)]
    return form


@router.post("/users")
async def create_user_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Create a user, as ``POST /api/v1/users``, or show the form again with its errors."""
    viewer = admit(user, Role.ADMIN)
    form = await _posted(request)
    shown = {k: v for k, v in form.items() if k != "password"}
    try:
        body = UserCreate.model_validate(form)
        created = await run_in_threadpool(lambda: add_user(session, actor=viewer, body=body))
    except ValidationError as exc:
        return users(request, session, viewer, status_code=422, form=shown, errors=field_errors(exc))
    except UserError as exc:  # the name is taken
        return users(
            request, session, viewer, status_code=409, form=shown, errors={"username": message(str(exc))}
        )
    session.commit()
    return done("/console/users", "user_added", username=created.username)


@router.post("/users/{username}/{change}")
async def change_user_form(
    username: str, change: str, request: Request, session: WriteSession, user: Viewer
) -> Response:
    """Change one user's roles, active flag or password, as ``PATCH /api/v1/users/{id}``."""
    viewer = admit(user, Role.ADMIN)
    if change not in CHANGES:
        raise HTTPException(404, detail=f"no change {change!r}")
    try:
        target = find_user(session, username)
    except NotFound as exc:
        return users(request, session, viewer, status_code=404, **refusal(exc))
    form = await _posted(request)
    data: dict[str, Any] = {change: form.get(change, "")}  # a blank password is too short, not absent
    try:
        body = UserUpdate.model_validate(data)
        await run_in_threadpool(lambda: update_user(session, actor=viewer, user=target, body=body))
    except ValidationError as exc:
        errors = field_errors(exc)
        return users(request, session, viewer, status_code=422, target=username, errors=errors)
    except UserError as exc:  # an admin would lock themselves out
        session.rollback()
        errors = {change: message(str(exc))}
        return users(request, session, viewer, status_code=409, target=username, errors=errors)
    session.commit()
    return done("/console/users", f"user_{change}", username=username)

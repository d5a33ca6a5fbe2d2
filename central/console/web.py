"""The security office's web console (server-rendered): login, language, households, people, import.

Pages authenticate with the signed session cookie; anonymous visitors are sent to the login page.
Forms reuse the API's schemas and services, so a form error reads like the API's. Every form POST
carries the session's CSRF token (``central.api.csrf``): ``router`` checks it, ``public`` (login and
language, no session yet) does not.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, unquote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.api import csrf
from central.api.auth import optional_user
from central.api.deps import CHANGE_READERS, CONSOLE_ROLES, LOG_READERS, WATCHERS
from central.console.i18n import (
    lang_of,
    message,
    pair,
    pydantic_message,
    template_globals,
)
from central.models.base import MAX_DB_INT
from central.models.registry import Campus, Person
from central.models.users import Role, User
from central.office.catalogue.words import DONE
from central.office.errors import NotFound, OfficeError
from central.office.passcards import printed_from, printed_until
from gatecore.campus import DEFAULT_TZ
from gatecore.wire import clipped

LOCAL = ZoneInfo(DEFAULT_TZ)  # the office's clock: the change journal, and pages of no campus
T = TypeVar("T")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def console_viewer(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User | None:
    """The visitor (kept on the request, so that a refusal page still shows the visitor's menu)."""
    request.state.console_user = user
    return user


Viewer = Annotated[User | None, Depends(console_viewer)]
router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app
ENTRY_ROLES = LOG_READERS  # whoever may read GET /api/v1/entries (and its CSV) may search the log here
# (path, word, roles that may open it): the nav shows a link only to those roles
NAV: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("/dashboard", "dashboard", WATCHERS),
    ("/console/households", "households", CONSOLE_ROLES),
    ("/console/people", "people", CONSOLE_ROLES),
    ("/console/import", "import", (Role.SECURITY,)),
    ("/console/approvals", "approvals", CONSOLE_ROLES),
    ("/console/passes", "passes", CONSOLE_ROLES),
    ("/console/visitors", "visitors", CONSOLE_ROLES),
    ("/console/vehicles", "vehicles", (*CONSOLE_ROLES, Role.GUARD)),
    ("/console/batches", "batches", CONSOLE_ROLES),
    ("/console/nucleic", "nucleic", CONSOLE_ROLES),
    ("/console/gates", "gates", (*CONSOLE_ROLES, Role.GUARD)),
    ("/console/policy", "policy", CONSOLE_ROLES),
    ("/console/entries", "entries", ENTRY_ROLES),
    ("/console/changes", "changes", CHANGE_READERS),
    ("/console/fevers", "fever_alerts", WATCHERS),
    ("/console/reports", "reports", WATCHERS),
    ("/console/users", "users", (Role.ADMIN,)),
)


def admit(user: User | None, *roles: Role) -> User:
    """The visitor as a user holding one of ``roles``; login redirect or 403 otherwise."""
    if user is None:
        raise HTTPException(303, detail="login required", headers={"Location": "/console/login"})
    if roles and not user.may(*roles):
        raise HTTPException(403, detail=f"forbidden: this needs one of the roles {', '.join(roles)}")
    return user


PAGE = 50  # rows a page of every console list


def pager(offset: int, count: int, **query: object) -> dict[str, Any]:
    """The pager of a list page (``console/_pager.html``): where it stands, and the links to the pages
    before and after it, which keep the page's filters (``query``; blank ones left out)."""
    kept = urlencode({k: v for k, v in query.items() if v is not None and v != ""})
    base = f"?{kept}&" if kept else "?"
    return {
        "count": count,
        "offset": offset,
        "page": PAGE,
        "prev_url": f"{base}offset={max(0, offset - PAGE)}" if offset > 0 else None,
        "next_url": f"{base}offset={offset + PAGE}" if offset + PAGE < count else None,
    }


def page_offset(value: str | None) -> int:
    """The ``offset`` query parameter of a paged list (anything but a whole number: the first page;
    a number past the database's integer: the last offset it can take, an empty page)."""
    try:
        return min(MAX_DB_INT, max(0, int(value or 0)))
    except ValueError:
        return 0


def local_time(at: datetime | str | None, zone: ZoneInfo = LOCAL) -> str:
    """An instant as Beijing time (or ``zone``'s) to the second ('' for none; naive values are UTC)."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


logger = logging.getLogger(__name__)
PAGES = ("/console", "/dashboard")  # paths whose refusals are pages, not JSON
FLASH_COOKIE = "cg_flash"
FLASH_MAX = 200  # characters of a value
FLASH_COOKIE_MAX = 4096  # what a browser keeps of a cookie: a longer one is no confirmation of ours


def done(path: str, said: str, **values: object) -> Response:
    """After a successful write: redirect to ``path`` (303), carrying what to say (``said``, a key of
    the catalogue's DONE, and its ``values``) to the next page in a short-lived cookie, so that
    reloading the page shows it again instead of posting the form twice (a second visitor pass, a
    second batch of cards). The page says it in both languages."""
    # a cookie is dropped beyond ~4 KB, and a Chinese character quotes to 9 bytes: a long value is cut
    kept = {k: clipped(str(v), FLASH_MAX) for k, v in values.items()}
    try:  # the write is committed: a sentence the catalogue lacks must not make it look failed
        for words in DONE[said]:
            words.format(**kept)
    except (KeyError, IndexError, ValueError):
        logger.error("console: no confirmation %r with %s in the catalogue", said, sorted(kept))
        said, kept = "saved", {}
    response = RedirectResponse(path, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        quote(json.dumps([said, kept], ensure_ascii=False)),
        max_age=60,
        httponly=True,
        samesite="lax",
        path="/console",
    )  # carries no credential: Secure is not needed here
    return response


def confirmation(flash: str) -> Markup | None:
    """What a ``done`` cookie says, Chinese then English; None for one no write of ours made."""
    if len(flash) > FLASH_COOKIE_MAX:
        return None
    try:
        said, values = json.loads(unquote(flash))
        zh, en = DONE[said]
        return pair(zh.format(**values), en.format(**values))
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):  # a cookie edited by hand
        return None  # says nothing (one in our shape says its words, escaped as any value)


def render(request: Request, name: str, user: User | None, *, status_code: int = 200, **ctx: Any) -> Response:
    """A console page in the visitor's language, with the nav the user may use and the CSRF token."""
    # a confirmation waits for the page it was meant for, not a form shown again with its errors
    flash = None if ctx.get("errors") or ctx.get("error") else request.cookies.get(FLASH_COOKIE)
    if flash and "message" not in ctx:
        ctx["message"] = confirmation(flash)
    lang = lang_of(request)
    context = {
        **template_globals(lang),
        "user": user,
        "nav": [(path, word) for path, word, roles in NAV if user is not None and user.may(*roles)],
        "csrf_token": csrf.token_for(request),
        "tz": LOCAL.key,  # the zone a page's script shows times in (<body data-tz>, static/clock.js)
        "local": local_time,
        "first_day": printed_from,  # a pass's window as its card prints it, in its campus's zone
        "last_day": printed_until,
        "errors": {},
        "form": {},
        **ctx,
    }
    if "error" in context["errors"]:  # a rule across fields (e.g. dates out of order) names no field
        context["error"] = context["errors"]["error"]
    response = templates.TemplateResponse(request, f"console/{name}", context, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/console")  # shown once
    return response


def refusal(exc: ValidationError | OfficeError) -> dict[str, Any]:
    """How a page shows a refused form: field errors from validation, the service's reason otherwise."""
    if isinstance(exc, ValidationError):
        return {"errors": field_errors(exc)}
    return {"error": message(exc.message)}


def submit(
    session: Session,
    write: Callable[[], T],
    again: Callable[..., Response],
    done_at: Callable[[T], tuple[str, str, dict[str, object]]],
) -> Response:
    """A form's write through the office: committed and redirected (post/redirect/get, so a reload
    does not write twice), or the form again with why it was refused."""
    try:
        result = write()
    except (ValidationError, OfficeError) as exc:
        return again(**refusal(exc))
    session.commit()
    path, said, values = done_at(result)
    return done(path, said, **values)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Validation errors by form field ('error' for the whole form), in both languages."""
    return {str(e["loc"][0]) if e["loc"] else "error": pydantic_message(e) for e in exc.errors()}


async def form_of(request: Request) -> dict[str, Any]:
    """The posted form with blank fields (and the CSRF token) left out."""
    return {
        k: v
        for k, v in (await request.form()).items()
        if isinstance(v, str) and v.strip() != "" and k != csrf.FIELD
    }


def person_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Names of the people with these ids (a page shows them beside rows that hold only an id)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted)))
    return {pid: name for pid, name in rows if pid is not None}


def chosen_campus(session: Session, campus_id: int | None) -> tuple[dict[int, str], int | None]:
    """Every campus by name and the one a page shows: the asked one (NotFound if there is none such),
    else the first."""
    campuses = campus_names(session)
    if campus_id is None and campuses:
        campus_id = next(iter(campuses))
    if campus_id is not None and campus_id not in campuses:
        raise NotFound(f"campus {campus_id} not found")
    return campuses, campus_id


def campus_names(session: Session) -> dict[int, str]:
    """Campus id -> Chinese name, for selects and lists."""
    return {
        c.id: c.name_zh for c in session.exec(select(Campus).order_by(col(Campus.id))) if c.id is not None
    }


# each role's most useful first page: the guard's gates, the approver's pending approvals, the
# auditor's entry log, the director's dashboard; the office starts at the households
LANDING: tuple[tuple[Role, str], ...] = (
    (Role.SECURITY, "/console/households"),
    (Role.DIRECTOR, "/dashboard"),
    (Role.APPROVER, "/console/approvals?status=requested"),
    (Role.AUDITOR, "/console/entries"),
    (Role.GUARD, "/console/gates"),
    (Role.ADMIN, "/console/users"),
)


@router.get("/")
def home(user: Viewer) -> Response:
    """The most useful page of the user's roles (``LANDING``), else the first one they may open."""
    viewer = admit(user)
    for role, path in LANDING:
        if role in viewer.role_set:
            return RedirectResponse(path, status_code=303)
    for path, _, roles in NAV:
        if viewer.may(*roles):
            return RedirectResponse(path, status_code=303)
    raise HTTPException(403, detail="forbidden: no console page for your roles")


async def refused_page(request: Request, exc: StarletteHTTPException) -> Response:
    """A console refusal (403, 404…) as a page in both languages; a login redirect carries ``next``.
    Outside the console, FastAPI's own JSON answer."""
    if not request.url.path.startswith(PAGES):
        return await http_exception_handler(request, exc)
    if exc.status_code == 303 and (exc.headers or {}).get("Location") == "/console/login":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?next={quote(back)}", status_code=303)
    user = getattr(request.state, "console_user", None)
    return render(
        request,
        "refused.html",
        user,
        status_code=exc.status_code,
        status=exc.status_code,
        error=message(str(exc.detail)),
    )


def invalid_page(request: Request, exc: RequestValidationError) -> Response:
    """A console address the page cannot take (a NUL, a number past the database's…), as a page naming
    each fault in both languages (the API's JSON: ``central.app``)."""
    why = Markup("; ").join(Markup("{}: {}").format(e["loc"][-1], pydantic_message(e)) for e in exc.errors())
    user = getattr(request.state, "console_user", None)
    return render(request, "refused.html", user, status_code=422, status=422, error=why)


def office_refused_page(request: Request, exc: OfficeError) -> Response:
    """An office refusal that reached a console page unhandled, as a page (the API's is JSON)."""
    user = getattr(request.state, "console_user", None)
    return render(
        request, "refused.html", user, status_code=exc.status, status=exc.status, error=message(exc.message)
    )

"""What every route depends on, defined once: sessions, who may call (role sets and user aliases),
paging and bounded ids, text the database can hold, the key ring and the gate-config publisher.

Role sets are named by what they allow, not by who holds them; ``require_roles`` lets an admin
through every set except where the notices name the role (see ``central.api.auth``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Form, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlmodel import Session, func, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.api.auth import require_roles
from central.api.csrf import FORM_TYPES
from central.models.base import MAX_DB_INT, plain_text, utc
from central.models.db import read_only
from central.models.registry import Campus, Gate, Pass
from central.models.users import Role, User
from central.office.keys import KeyRing
from central.office.schemas import Page

logger = logging.getLogger(__name__)


def write_session(request: Request) -> Iterator[Session]:
    """A writing session per request; routes commit explicitly before they publish or answer."""
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def read_session(request: Request) -> Iterator[Session]:
    """A read-only session per request."""
    with Session(read_only(request.app.state.engine)) as session:
        yield session


WriteSession = Annotated[Session, Depends(write_session)]
ReadSession = Annotated[Session, Depends(read_session)]
# Paging and ids, bounded here at the schema: a number past the database's integer overflows inside the driver (a 500)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT)]
RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]  # a table's id in the path
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]  # a table's id as an optional filter
IdField = Annotated[int | None, Form(ge=1, le=MAX_DB_INT)]  # a table's id as an optional form field


async def plain_request(request: Request) -> None:
    """Refuse (422, naming where) a NUL or a lone surrogate anywhere in the request's text: path, query,
    form or JSON body (``plain_text``).

    PostgreSQL can neither store nor compare text holding one (a 500 from inside the driver), and no
    answer can echo a lone surrogate (a 500 from the encoder), so they are refused once here, for every
    route and console page, before any of them reads the request."""
    texts: list[tuple[tuple[str | int, ...], str]] = [
        (("path", k), v) for k, v in request.path_params.items() if isinstance(v, str)
    ]
    texts += [(("query", k), v) for k, v in request.query_params.multi_items()]
    kind = request.headers.get("content-type", "")
    if kind.startswith(FORM_TYPES):  # parsed once: Starlette keeps the form for the route
        for k, v in (await request.form()).multi_items():
            text = v if isinstance(v, str) else v.filename  # an upload's name is kept with its rows
            texts += [(("body", k), text)] if text else []
    elif kind.startswith("application/json"):
        try:
            texts += _json_texts(("body",), await request.json())
        except ValueError:
            pass  # not JSON: the route's own validation says so
    bad = []
    for loc, v in texts:
        try:
            plain_text(v)
        except ValueError as exc:  # echoed as its escapes: a lone surrogate cannot be encoded in the answer
            where = tuple(_escaped(p) if isinstance(p, str) else p for p in loc)
            bad.append(
                {"type": "value_error", "loc": where, "msg": f"Value error, {exc}", "input": _escaped(v)}
            )
    if bad:
        raise RequestValidationError(bad)


def _escaped(text: str) -> str:
    """``text`` as an answer can carry it: a lone surrogate as its escape (``\\ud800``)."""
    return text.encode("utf-8", "backslashreplace").decode()


def unreadable_json(request: Request, exc: StarletteHTTPException) -> RequestValidationError | None:
    """FastAPI's bare 400 "There was an error parsing the body" for a JSON body Python's parser gives up
    on (nested past its recursion limit, bytes that are no UTF-8, an integer of more than 4,300
    digits), as the 422 ``json_invalid`` any other unreadable JSON body gets, saying which; else None."""
    cause = exc.__cause__
    if exc.status_code != 400 or not request.headers.get("content-type", "").startswith("application/json"):
        return None
    if isinstance(cause, RecursionError):
        why = "the JSON body nests too deeply"
    elif isinstance(cause, UnicodeDecodeError):
        why = "the JSON body is not UTF-8 text"
    elif isinstance(cause, ValueError):
        why = f"the JSON body cannot be read: {str(cause)[:80]}"
    else:
        return None
    return RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": why, "input": {}}])


def ordered_window(since: datetime | None, until: datetime | None) -> None:
    """Refuse (422 on ``until``) a search window that does not end after it starts: an auditor who
    swapped the two would otherwise read an empty log as a quiet one."""
    if since is not None and until is not None and utc(until) <= utc(since):
        msg = "Value error, the start time must be before the end time"
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "until"), "msg": msg, "input": until.isoformat()}]
        )


def _json_texts(loc: tuple[str | int, ...], value: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string of a JSON value (keys too), with where it stands; a loop, as deep as JSON nests."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    todo: list[tuple[tuple[str | int, ...], Any]] = [(loc, value)]
    while todo:
        where, item = todo.pop()
        if isinstance(item, str):
            found.append((where, item))
        elif isinstance(item, dict):
            found += [((*where, k), k) for k in item]
            todo += [((*where, k), v) for k, v in item.items()]
        elif isinstance(item, list):
            todo += [((*where, i), v) for i, v in enumerate(item)]
    return found


def keyring_of(request: Request) -> KeyRing:
    """The key ring that signs passes (the worker's when central runs whole)."""
    app = request.app
    if getattr(app.state, "keyring", None) is None:
        opened = KeyRing.open(app.state.settings.keys_dir)
        with Session(app.state.engine) as session:
            opened.register(session)
            session.commit()
        app.state.keyring = opened
    ring: KeyRing = app.state.keyring
    return ring


def publish_campus(request: Request, session: Session, campus_id: int) -> int:
    """Re-publish the retained config of every gate of a campus, when a worker is wired in."""
    publish = getattr(request.app.state, "publish_config", None)
    if publish is None:
        return 0
    gate_ids = list(session.exec(select(Gate.gate_id).where(Gate.campus_id == campus_id)))
    count = sum(bool(publish(gate_id)) for gate_id in gate_ids)
    logger.info("re-published %d gate configs of campus %s", count, campus_id)
    return count


def publish_all(request: Request, session: Session) -> int:
    """Re-publish every campus's gate configs (a change that reaches every campus's facts)."""
    campus_ids = [c for c in session.exec(select(Campus.id)) if c is not None]
    return sum(publish_campus(request, session, campus_id) for campus_id in campus_ids)


def publish_person(request: Request, session: Session, person_id: int) -> int:
    """Re-publish the gate configs of every campus where a person holds a pass (their facts changed)."""
    campuses = session.exec(select(Pass.campus_id).where(Pass.person_id == person_id, Pass.kind != "VEHICLE"))
    return sum(publish_campus(request, session, campus_id) for campus_id in sorted(set(campuses)))


def publish_gate(request: Request, gate_id: str) -> bool:
    """Re-publish one gate's retained config, when a worker is wired in."""
    publish = getattr(request.app.state, "publish_config", None)
    return bool(publish(gate_id)) if publish is not None else False


# Who may call what: each set once, named by what it allows.
OFFICE = (Role.SECURITY,)  # registry writes, passes, imports
REGISTRY_READERS = (Role.SECURITY, Role.AUDITOR, Role.DIRECTOR, Role.APPROVER)
REGISTRY_GLANCERS = (*REGISTRY_READERS, Role.GUARD)  # campuses and vehicles (owners masked for guards)
GATE_READERS = (*REGISTRY_READERS, Role.GUARD)  # a guard may see which gate is down
APPROVERS = (Role.APPROVER,)  # 书记或院长: the notices name the role
ADMINS = (Role.ADMIN,)
WATCHERS = (
    Role.SECURITY,
    Role.DIRECTOR,
    Role.AUDITOR,
    Role.ADMIN,
)  # dashboard, fever alerts, incidents, reports
ACKERS = (Role.SECURITY, Role.DIRECTOR)  # acknowledge a fever alert
INCIDENT_WRITERS = (Role.SECURITY, Role.ADMIN)
REPORT_SIGNERS = (Role.DIRECTOR,)
REPORT_WRITERS = (Role.SECURITY, Role.DIRECTOR)  # make a report now, file a correction
AUDITORS = (Role.AUDITOR, Role.SECURITY, Role.ADMIN)  # verify the chain, dead letters
LOG_READERS = (*AUDITORS, Role.DIRECTOR)  # the director signs the daily report off the same log
CHANGE_READERS = (Role.AUDITOR, Role.SECURITY, Role.DIRECTOR)
CONFLICT_READERS = (Role.AUDITOR, Role.SECURITY, Role.DIRECTOR)
CONSOLE_ROLES = REGISTRY_READERS

OfficeUser = Annotated[User, Depends(require_roles(*OFFICE))]
RegistryReader = Annotated[User, Depends(require_roles(*REGISTRY_READERS))]
RegistryGlancer = Annotated[User, Depends(require_roles(*REGISTRY_GLANCERS))]
GateReader = Annotated[User, Depends(require_roles(*GATE_READERS))]
ApproverUser = Annotated[User, Depends(require_roles(*APPROVERS))]
AdminUser = Annotated[User, Depends(require_roles(*ADMINS))]
Watcher = Annotated[User, Depends(require_roles(*WATCHERS))]
Acker = Annotated[User, Depends(require_roles(*ACKERS))]
IncidentWriter = Annotated[User, Depends(require_roles(*INCIDENT_WRITERS))]
ReportSigner = Annotated[User, Depends(require_roles(*REPORT_SIGNERS))]
ReportWriter = Annotated[User, Depends(require_roles(*REPORT_WRITERS))]
Auditor = Annotated[User, Depends(require_roles(*AUDITORS))]
LogReader = Annotated[User, Depends(require_roles(*LOG_READERS))]
ChangeReader = Annotated[User, Depends(require_roles(*CHANGE_READERS))]
ConflictReader = Annotated[User, Depends(require_roles(*CONFLICT_READERS))]


def page_of(
    session: Session,
    model: type[Any],
    cond: list[Any],
    public: type[Any] | None = None,
    *,
    order: Any,
    limit: int,
    offset: int,
) -> Page[Any]:
    """One page of ``model`` rows matching ``cond`` in ``order``, shown as ``public`` (the rows
    themselves without one: a console page reads them), and how many matched."""
    total = session.exec(select(func.count()).select_from(model).where(*cond)).one()
    rows = session.exec(select(model).where(*cond).order_by(order).offset(offset).limit(limit))
    data = list(rows) if public is None else [public.model_validate(r, from_attributes=True) for r in rows]
    return Page(data=data, count=total)

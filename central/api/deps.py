"""The registry's change journal (who changed what, when) and the shared helpers of the console routes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request, status
from sqlmodel import Session, SQLModel, select

from central.api.auth import User
from central.models.base import MAX_DB_INT
from central.models.changes import RegistryChange
from central.models.db import read_only
from central.models.registry import Gate
from central.office.keys import KeyRing

logger = logging.getLogger(__name__)
T = TypeVar("T", bound=SQLModel)


def record_change(
    session: Session, user: User, action: str, entity: str, entity_id: object, **detail: Any
) -> None:
    """Journal a registry change in the caller's transaction."""
    session.add(
        RegistryChange(
            user_id=user.id,
            username=user.username,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


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
# bounded here, at the schema: a number past the database's integer overflows inside the driver (a 500)
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT)]
RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]  # a table's id in the path
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]  # a table's id as an optional filter


def get_or_404(session: Session, model: type[T], key: object, what: str) -> T:
    """The row with primary key ``key``, or 404 naming what was not found."""
    row = session.get(model, key)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{what} {key} not found")
    return row


def refuse(code: int, message: str) -> HTTPException:
    """An HTTP error with a plain message."""
    return HTTPException(code, detail=message)


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

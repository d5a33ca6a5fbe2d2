"""The registry's change journal (who changed what, when) and the shared helpers of the console routes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, select

from central.auth import User
from central.db import UTCDateTime, read_only
from central.keys import KeyRing
from central.models import Gate

logger = logging.getLogger(__name__)
T = TypeVar("T", bound=SQLModel)


class RegistryChange(SQLModel, table=True):
    """One change to the registry: who, when, what (no ID-card numbers in ``detail``)."""

    __tablename__ = "registry_change"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=UTCDateTime, index=True)
    user_id: int | None = None
    username: str
    action: str  # create | update | delete | approve | reject | revoke | issue | import
    entity: str  # table name
    entity_id: str
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


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

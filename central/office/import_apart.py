"""An import run apart from the process that answers the gates: a child process with its own
database connection.

A 100,000-row file takes seconds of CPU; in the process that decides it held the GIL long enough to
push gate decisions from 48 ms to over a second. One child, so imports run one at a time.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from central.models.db import make_engine, read_only
from central.office.imports import run_import


@dataclass(frozen=True, slots=True)
class Actor:
    """Who imports, as the change journal records them (picklable, for the child process)."""

    id: int | None
    username: str


@cache
def _child_engine(url: str) -> Engine:
    return make_engine(url)


def _import_in_child(url: str, actor: Actor, filename: str, data: bytes, dry_run: bool) -> dict[str, Any]:
    engine = _child_engine(url)
    # a dry run only reads: a deferred transaction, so that on SQLite the gates' decisions do not
    # queue behind it for the whole check (they timed out at 16 s behind a 40,000-row dry run)
    with Session(read_only(engine) if dry_run else engine, expire_on_commit=False) as session:
        report = run_import(session, actor=actor, filename=filename, data=data, dry_run=dry_run)  # type: ignore[arg-type]
        if report["applied"]:
            session.commit()
        return report


@cache
def _pool() -> ProcessPoolExecutor:
    # spawn, not fork: the parent runs paho's and uvicorn's threads, which a fork would copy mid-flight
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


async def run_import_apart(
    engine: Engine, *, actor: Any, filename: str, data: bytes, dry_run: bool
) -> dict[str, Any]:
    """:func:`central.office.imports.run_import` in the import process, committed there when applied."""
    url = engine.url.render_as_string(hide_password=False)
    who = Actor(actor.id, actor.username)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), _import_in_child, url, who, filename, data, dry_run)

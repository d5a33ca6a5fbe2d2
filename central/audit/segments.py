"""A long entry log verified by several processes: the rows up to the chain head are cut into seq
ranges, each walked by a process of its own, and the ranges must then link up.

Every row stores the hash it links to, so a range can be checked from its own first row: inside the
range each row's hash and link are checked as by the plain walk, and at the join the range's first
``prev_hash`` must be the hash of the last row before it. Together that is exactly the walk from the
first row. ``chain.verify`` walks on from the end of the longest run of ranges that link: the rest of
the log, or the damaged range, whose damage it then names as the plain walk does.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from central.audit.canonical import hashed_rows, walk
from central.models.db import make_engine, read_only
from central.models.journal import GENESIS

MIN_ROWS = 100_000  # below that, starting the processes costs more than it saves (jobs=None)
RANGES_PER_JOB = 4  # a process held up on a busy core does not hold up the end


@dataclass(frozen=True, slots=True)
class Range:
    """What one process found in ``after < seq <= upto``: ``first_prev`` None when it holds no row."""

    first_prev: str | None
    last_seq: int
    last_hash: str
    count: int
    intact: bool


def jobs_for(rows: int, jobs: int | None) -> int:
    """How many processes to verify ``rows`` rows with: ``jobs``, or for None one per core on a long log."""
    if jobs is not None:
        return max(1, jobs)
    return (os.cpu_count() or 1) if rows >= MIN_ROWS else 1


def verified_prefix(bind: Any, upto: int, jobs: int) -> tuple[str, int, int]:
    """``(hash, seq, rows)`` of the last row of the longest run of ranges from the first row that are
    intact and link up; ``(GENESIS, 0, 0)`` when there is none, or the database is in memory."""
    url = _url(bind)
    if url is None or upto <= 0:
        return GENESIS, 0, 0
    count = min(upto, jobs * RANGES_PER_JOB)
    bounds = [(upto * i // count if i else None, upto * (i + 1) // count) for i in range(count)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_context()) as pool:
        found = list(pool.map(check_range, [(url, after, last) for after, last in bounds]))
    prev, prev_seq, rows = GENESIS, 0, 0
    for part in found:
        if part.first_prev is None:
            continue
        if part.first_prev != prev or not part.intact:
            break
        prev, prev_seq, rows = part.last_hash, part.last_seq, rows + part.count
    return prev, prev_seq, rows


_ENGINES: dict[str, Engine] = {}  # one per worker process, for all the ranges it is handed


def check_range(job: tuple[str, int | None, int]) -> Range:
    """Walk the rows ``after < seq <= upto`` of the database at ``url`` (in a worker process; the
    first range has no ``after``: a row numbered 0 or below is walked too)."""
    url, after, upto = job
    engine = _ENGINES.get(url) or _ENGINES.setdefault(url, read_only(make_engine(url)))
    with engine.connect() as conn:
        rows = hashed_rows(conn, after, upto)
        first = next(rows, None)
        if first is None:
            return Range(None, upto, "", 0, True)
        w = walk(itertools.chain([first], rows), first[1], first[0])
        return Range(first[1], w.prev_seq, w.prev, w.count, w.bad is None)


def _context() -> Any:
    # never a plain fork of the caller (it may be a threaded server holding open connections): a fork
    # server, started once per process with this module loaded, forks the workers in milliseconds
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _url(bind: Any) -> str | None:
    engine = getattr(bind, "engine", bind)
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return str(url.render_as_string(hide_password=False))

"""Chain-head checkpoints (seq, head hash, time) appended to a JSON-lines file the office keeps.

The chain alone cannot tell a log rewritten and re-hashed from some row on from an honest one;
a checkpoint kept outside the database can. The worker's scheduler appends one when it starts and
every hour; ``campusgate audit checkpoint`` appends one now. ``campusgate audit verify --checkpoints
FILE`` and ``GET /api/v1/audit/verify`` check the log against every line of the file.

A line also names the signed reports no earlier line names (``reports``, see
:mod:`central.audit.signed`); a line of an earlier release has none and is read all the same.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from central.audit import signed
from central.audit.chain import Checkpoint, read_head, verify, verify_since
from central.models.base import utc
from central.models.db import read_only, session_scope
from central.models.journal import GENESIS

logger = logging.getLogger(__name__)

FILE_NAME = "audit-checkpoints.jsonl"


def default_path(data_dir: Path) -> Path:
    """Where central appends its checkpoints unless told otherwise."""
    return data_dir / FILE_NAME


def current(session: Session, now: datetime, reports: tuple[signed.Entry, ...] | None = None) -> Checkpoint:
    """The chain head as a checkpoint taken at ``now``, naming ``reports`` (the signed reports the
    file does not name yet: ``signed.check(...).unnamed``; None, a line that names none)."""
    seq, last_hash = read_head(session) or (0, GENESIS)
    return Checkpoint(seq, last_hash, utc(now), reports)


def append(path: Path, checkpoint: Checkpoint) -> None:
    """Append one line and fsync it: a checkpoint that may vanish in a crash is worth little."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fields: dict[str, object] = {
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "at": checkpoint.at.isoformat(),
    }
    if checkpoint.reports is not None:
        fields["reports"] = list(checkpoint.reports)
    line = json.dumps(fields, ensure_ascii=False)
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def read(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file (an absent file holds none); raises ValueError on a bad line."""
    if not path.exists():
        return []
    out: list[Checkpoint] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a checkpoint file: {exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(_checkpoint(json.loads(line)))
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"{path}:{number}: not a checkpoint: {exc}") from exc
    return out


_HASH = re.compile(r"[0-9a-f]{64}")


def _checkpoint(d: object) -> Checkpoint:
    # a damaged line is the file's fault, not the log's: read loosely ("seq": -1, "head_hash": null)
    # it was reported as a rewritten log, and a seq past 64 bits or a year-1 time was a traceback
    if not isinstance(d, dict):
        raise ValueError("expected an object with seq, head_hash and at")
    seq, head_hash, at = d["seq"], d["head_hash"], d["at"]
    if type(seq) is not int or not 0 <= seq < 2**63:
        raise ValueError(f"seq {seq!r} is not a row number")
    if not isinstance(head_hash, str) or not _HASH.fullmatch(head_hash):
        raise ValueError(f"head_hash {head_hash!r} is not a SHA-256 in hex")
    reports = signed.parse(d["reports"]) if "reports" in d else None  # None: an earlier release's line
    return Checkpoint(seq, head_hash, utc(datetime.fromisoformat(at)), reports)


def write_checkpoint(engine: Engine, path: Path, now: datetime) -> Checkpoint:
    """The chain head, appended to ``path`` as a checkpoint when the log verifies (the rows since the
    file's last checkpoint, or the whole log when it holds none) and the file does not hold it yet,
    naming the signed reports the file does not name yet. A checkpoint must never vouch for an edited
    log, nor for a changed signed report: either is logged and nothing is written. The head is
    returned either way (a backup names it)."""
    kept = read(path)  # ValueError on a damaged file: nothing is written beside what cannot be read
    with session_scope(read_only(engine)) as session:
        checkpoint = current(session, now)  # read before the walk: every row it vouches for is walked
        last = latest(kept)
        result = verify_since(session, last) if last is not None else verify(session)
        reports = signed.check(session, kept)
    if not result.ok:
        logger.error(
            "no audit checkpoint written: entry log chain broken at seq %s: %s (%s)",
            result.seq,
            result.kind,
            result.detail,
        )
        return checkpoint
    if not reports.ok:
        logger.error("no audit checkpoint written: signed report changed: %s", "; ".join(reports.problems))
        return checkpoint
    append_new(path, replace(checkpoint, reports=reports.unnamed))
    return checkpoint


def latest(kept: list[Checkpoint]) -> Checkpoint | None:
    """The file's last checkpoint: the one appended last among those of the highest seq."""
    if not kept:
        return None
    top = max(c.seq for c in kept)
    return [c for c in kept if c.seq == top][-1]


def append_new(path: Path, checkpoint: Checkpoint) -> bool:
    """Append ``checkpoint`` unless it names no signed report the file does not name yet and the log
    was empty or a line already holds it (same seq and hash); whether it was written."""
    kept = read(path)
    held = {int(e["id"]) for k in kept for e in k.reports or ()}
    fresh = tuple(e for e in checkpoint.reports or () if int(e["id"]) not in held)
    if checkpoint.reports is not None:  # a line that names reports: only those no line names yet
        checkpoint = replace(checkpoint, reports=fresh)
    if not fresh and (
        checkpoint.seq == 0
        or any(k.seq == checkpoint.seq and k.head_hash == checkpoint.head_hash for k in kept)
    ):
        return False
    append(path, checkpoint)
    logger.info(
        "audit checkpoint at seq %s written, naming %s newly signed reports", checkpoint.seq, len(fresh)
    )
    return True

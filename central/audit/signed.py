"""Signed daily reports under the checkpoints: what a checkpoint line records of them, and their verify.

Only the ORM refuses to change a signed report (``office.reports``); an insider with the database's
password, or a tampered backup restored, could still change its counts, its content hash or its
signer, unsign it or delete it. So each checkpoint line names the signed reports that no earlier line
of the file names: every column but the content itself, which its ``content_hash`` stands for (a
report is named once, when first checkpointed, and the file stays small). The file up to a line thus
names every report signed when that line was taken. The verify compares every report the file names
with its row now, recomputes each signed report's content hash from its stored content, and says how
many were signed since the last line that names reports (not yet under a checkpoint).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from central.audit.chain import Checkpoint
from central.models.base import utc
from central.models.registry import Campus
from central.models.reports import DailyReport, content_digest

Entry = dict[str, Any]  # one signed report as a checkpoint line names it (JSON values)

# every column of a report but its content (its content_hash stands for it), in the table's order
COLUMNS = tuple(c.name for c in DailyReport.__table__.columns if c.name != "content_json")  # type: ignore[attr-defined]
_NAMED_APART = {"id", "content_hash", "signed_by", "signed_at"}
# a report signed this long before a line that does not name it was put in behind central's back (or
# its signature backdated); within it, a signature still committing while the line was taken
GRACE = timedelta(hours=1)
_HASH = re.compile(r"[0-9a-f]{64}")


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def entry(report: DailyReport, campus: str | None) -> Entry:
    """What a checkpoint line records of a signed report (``campus``: its campus's code, to name it)."""
    values = {name: _json(getattr(report, name)) for name in COLUMNS}
    return {"id": values.pop("id"), "campus": campus, **values}


def label(e: Entry) -> str:
    """How the verify names a report: ``report 12 (campus wucheng, 2026-11-28 office, version 2) signed
    by director``."""
    campus = e.get("campus") or f"#{e.get('campus_id')}"
    return (
        f"report {e['id']} (campus {campus}, {e['day']} {e['kind']}, version {e['version']})"
        f" signed by {e['signed_by']}"
    )


def parse(value: object) -> tuple[Entry, ...]:
    """A line's ``reports``, checked; ValueError naming the entry and the field that is wrong."""
    if not isinstance(value, list):
        raise ValueError(f"reports {_short(value)} is not a list of signed reports")
    return tuple(_parse_one(i, d) for i, d in enumerate(value))


def _parse_one(i: int, d: object) -> Entry:
    where = f"reports[{i}]"
    if not isinstance(d, dict):
        raise ValueError(f"{where} {_short(d)} is not a signed report")
    for key in ("id", "campus_id", "version"):
        v = d.get(key)
        if type(v) is not int or not 0 < v < 2**63:
            raise ValueError(f"{where}: {key} {_short(v)} is not a positive number")
    for key, test, what in (
        ("day", date.fromisoformat, "date"),
        ("signed_at", datetime.fromisoformat, "time"),
    ):
        v = d.get(key)
        try:
            if not isinstance(v, str):
                raise ValueError
            test(v)
        except (ValueError, OverflowError):
            raise ValueError(f"{where}: {key} {_short(v)} is no ISO {what}") from None
    if not isinstance(d.get("content_hash"), str) or not _HASH.fullmatch(d["content_hash"]):
        raise ValueError(f"{where}: content_hash {_short(d.get('content_hash'))} is not a SHA-256 in hex")
    for key in ("kind", "signed_by"):
        if not isinstance(d.get(key), str):
            raise ValueError(f"{where}: {key} {_short(d.get(key))} is not a text")
    for key, v in d.items():
        if v is not None and not isinstance(v, str | int | float | bool):
            raise ValueError(f"{where}: {key} {_short(v)} is not a single value")
    return dict(d)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, slots=True)
class ReportsVerdict:
    """The signed reports against the checkpoint file: what changed (one line per report), how many
    stand as named, and the entries of those no line names yet (the next checkpoint names them)."""

    problems: tuple[str, ...]
    named: int
    unnamed: tuple[Entry, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """What the verify prints: each changed report, then the count."""
        return [f"signed report changed: {p}" for p in self.problems] + [self.summary()]

    def summary(self) -> str:
        """One line for the verify's output."""
        head = f"signed reports: {self.named} as the checkpoints name them"
        if self.problems:
            head = f"signed reports: {len(self.problems)} changed, {self.named} as the checkpoints name them"
        if not self.unnamed:
            return head
        n = len(self.unnamed)
        return f"{head}; {n} signed report{'' if n == 1 else 's'} not yet under a checkpoint"


def check(session: Session, kept: Sequence[Checkpoint]) -> ReportsVerdict:
    """Every signed report the file names, compared with its row now (the first line naming it that
    it no longer matches is named); every signed report's content against its content hash; a report
    signed well before a later line that does not name it is named as put in behind central's back."""
    named: dict[int, list[tuple[Checkpoint, Entry]]] = {}
    for cp in kept:
        for e in cp.reports or ():
            named.setdefault(int(e["id"]), []).append((cp, e))
    rows = _rows(session, col(DailyReport.signed_at).is_not(None))
    missing = sorted(set(named) - set(rows))
    for first in range(0, len(missing), 500):
        rows.update(_rows(session, col(DailyReport.id).in_(missing[first : first + 500])))
    covering = [cp.at for cp in kept if cp.reports is not None]
    last_line = max(covering) if covering else None
    problems: list[str] = []
    unnamed: list[Entry] = []
    standing = 0
    for rid in sorted(set(named) | set(rows)):
        row, campus = rows.get(rid, (None, None))
        if rid in named:
            problem = _first_change(row, named[rid])
            if problem:
                problems.append(problem)
            else:
                standing += 1
            continue
        if row is None or row.signed_at is None:  # only signed rows are read besides those named
            continue
        now = entry(row, campus)
        if content_digest(row.content_json) != row.content_hash:
            problems.append(f"{label(now)}: its counts no longer match its content hash")
        elif last_line is not None and row.signed_at + GRACE < last_line:
            problems.append(
                f"{label(now)} at {now['signed_at']}: no checkpoint names it, though the one of"
                f" {last_line.isoformat()} was taken after it (put in behind central's back, or its"
                " signature backdated)"
            )
        else:
            unnamed.append(now)
    return ReportsVerdict(tuple(problems), standing, tuple(unnamed))


def _rows(session: Session, where: Any) -> dict[int, tuple[DailyReport, str | None]]:
    stmt = (
        select(DailyReport, Campus.code)
        .join(Campus, col(Campus.id) == col(DailyReport.campus_id), isouter=True)
        .where(where)
    )
    return {int(r.id or 0): (r, code) for r, code in session.exec(stmt)}


def _first_change(row: DailyReport | None, lines: list[tuple[Checkpoint, Entry]]) -> str | None:
    for cp, e in lines:
        if changed := changes(row, e):
            return f"{label(e)}: {', '.join(changed)} since the checkpoint of {cp.at.isoformat()}"
    return None


def changes(row: DailyReport | None, e: Entry) -> list[str]:
    """What differs between a report's row now and what a checkpoint recorded of it (empty: nothing)."""
    if row is None:
        return ["deleted"]
    now = entry(row, None)
    out = ["unsigned"] if row.signed_at is None else []
    recorded, content = e["content_hash"], content_digest(row.content_json)
    if content != recorded:
        if row.content_hash == recorded:
            out.append("counts changed")
        elif row.content_hash == content:
            out.append("counts changed and its content hash recomputed")
        else:
            out.append("counts and content hash changed")
    elif row.content_hash != recorded:
        out.append("content hash changed")
    if row.signed_at is not None:
        if now["signed_by"] != e["signed_by"]:
            out.append(f"signer changed from {e['signed_by']} to {now['signed_by']}")
        if now["signed_at"] != e["signed_at"]:
            out.append(f"signed time changed from {e['signed_at']} to {now['signed_at']}")
    for name in COLUMNS:
        if name not in _NAMED_APART and name in e and now[name] != e[name]:
            out.append(f"{name} changed from {_short(e[name])} to {_short(now[name])}")
    return out

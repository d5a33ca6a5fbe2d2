"""Entry-log search: one filter set for the paged API, the console and the streaming CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator
from sqlalchemy import Engine, or_
from sqlmodel import Session, col, func, select

from central.audit.spreadsheet import safe_row
from central.models.base import DbId, SearchTime, utc  # a query time without an offset is UTC
from central.models.journal import EntryEvent
from gatecore.reasons import REASONS, Reason, Verdict

CSV_BATCH = 1000
CSV_COLUMNS = (
    "seq",
    "kind",
    "event_id",
    "gate_id",
    "campus_id",
    "pass_id",
    "person_id",
    "household_id",
    "direction",
    "gate_time",
    "received_at",
    "celsius",
    "sensor_status",
    "verdict",
    "reason",
    "reason_zh",
    "reasons",
    "policy_version",
    "offline_verdict",
    "offline_reason",
    "conflict",
    "override_guard",
    "override_verdict",
    "override_reason",
    "row_hash",
)


def _code(value: object) -> object:
    """A code as the log writes it (lower case): an auditor typing DENY means deny."""
    return value.strip().lower() if isinstance(value, str) else value


# a verdict or reason the log never holds is refused, naming the codes it does (an unknown code
# would match nothing, and an empty answer reads as "no refusals")
VerdictCode = Annotated[Verdict, BeforeValidator(_code)]
ReasonCode = Annotated[Reason, BeforeValidator(_code)]


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Every way the office narrows the log; ``since`` inclusive, ``until`` exclusive (receive time)."""

    since: SearchTime | None = None
    until: SearchTime | None = None
    campus_id: DbId | None = None
    gate_id: str | None = None
    person_id: DbId | None = None
    household_id: DbId | None = None
    pass_id: DbId | None = None
    verdict: VerdictCode | None = None
    reason: ReasonCode | None = None
    fever: bool | None = None
    override: bool | None = None
    offline: bool | None = None

    def conditions(self) -> list[Any]:
        """SQL conditions for ``select(EntryEvent).where(*conditions)``."""
        out: list[Any] = []
        for name in ("campus_id", "gate_id", "person_id", "household_id", "pass_id", "verdict", "reason"):
            value = getattr(self, name)
            if value is not None:
                out.append(col(getattr(EntryEvent, name)) == value)
        if self.since is not None:
            out.append(col(EntryEvent.received_at) >= utc(self.since))
        if self.until is not None:
            out.append(col(EntryEvent.received_at) < utc(self.until))
        if self.fever is not None:
            # a fever may hide behind a more useful code (e.g. a revoked pass with a fever)
            fever = or_(
                col(EntryEvent.reason) == Reason.FEVER.value,
                col(EntryEvent.reasons).contains(Reason.FEVER.value),
            )
            out.append(fever if self.fever else ~fever)
        if self.override is not None:
            guard = col(EntryEvent.override_guard)
            out.append(guard.is_not(None) if self.override else guard.is_(None))
        if self.offline is not None:
            offline = col(EntryEvent.offline_verdict)
            out.append(offline.is_not(None) if self.offline else offline.is_(None))
        return out


def search(
    session: Session, filters: EntryFilter, *, limit: int, offset: int
) -> tuple[list[EntryEvent], int]:
    """A page of matching rows, newest first, and the number of matching rows."""
    where = filters.conditions()
    total = session.exec(select(func.count()).select_from(EntryEvent).where(*where)).one()
    stmt = select(EntryEvent).where(*where).order_by(col(EntryEvent.seq).desc()).offset(offset).limit(limit)
    return list(session.exec(stmt)), int(total)


def iter_rows(engine: Engine, filters: EntryFilter, batch: int = CSV_BATCH) -> Iterator[EntryEvent]:
    """Matching rows oldest first, ``batch`` at a time by seq (keyset), each batch its own short session."""
    return _rows(engine, filters.conditions(), batch)


def _rows(engine: Engine, where: list[Any], batch: int) -> Iterator[EntryEvent]:
    # from the first row whatever its number: a row put in front of the log under 0 or below is one
    # the auditor, told of it by verify, looks for in the export
    after: int | None = None
    while True:
        with Session(engine) as session:
            keyset = [] if after is None else [col(EntryEvent.seq) > after]
            stmt = select(EntryEvent).where(*keyset, *where).order_by(col(EntryEvent.seq))
            rows = list(session.exec(stmt.limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq


def csv_stream(engine: Engine, filters: EntryFilter, batch: int = CSV_BATCH) -> Iterator[bytes]:
    """The CSV export as UTF-8 with a BOM (so Excel reads the Chinese), one chunk per batch of rows.

    The filters become SQL here, before the first byte: a filter that fails must fail the request, not
    a stream already answered 200 with its header, which an auditor would read as an empty log."""
    return _csv_chunks(iter_rows(engine, filters, batch), batch)


def _csv_chunks(rows: Iterator[EntryEvent], batch: int) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff".encode() + _drain(buffer)
    count = 0
    for row in rows:
        writer.writerow(safe_row(_csv_row(row)))
        count += 1
        if count % batch == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _csv_row(row: EntryEvent) -> list[Any]:
    info = REASONS.get(Reason(row.reason)) if row.reason in Reason._value2member_map_ else None
    values = {name: getattr(row, name, None) for name in CSV_COLUMNS if name != "reason_zh"}
    values["reason_zh"] = info.zh if info else ""
    for name in ("gate_time", "received_at"):
        at = values[name]
        values[name] = at.isoformat() if at is not None else ""
    return ["" if values[name] is None else values[name] for name in CSV_COLUMNS]

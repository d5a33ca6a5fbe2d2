"""Daily and zero reports per campus: counted from the entry log, signed by a director, then frozen.

A report for day D covers the 24 hours up to D's scheduled time (15:00 office, 14:30 units, per
campus in ``report_setting``). It is always made, even when nothing happened (then it is a zero
report). Once signed it never changes: the ORM refuses the update, and a correction is a new
version that names the one it supersedes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session, col, func, select

from central.models.base import BLANK_REFUSED, NOTE_LENGTH, filled, one_line, utc
from central.models.db import snapshot
from central.models.journal import EntryEvent
from central.models.registry import Campus
from central.models.reports import OFFICE, UNIT, DailyReport, ReportSetting, content_digest
from central.office.errors import Conflict, Invalid, NotFound
from central.office.report_counts import build_content
from central.office.zones import counting_zone

logger = logging.getLogger(__name__)

DEFAULT_TIMES = {OFFICE: time(15, 0), UNIT: time(14, 30)}
# a report made by hand is for a day just missed or still running: a year back covers any outage,
# and refuses the typing slips (year 1, 9999) that would overflow the period's arithmetic
BY_HAND_DAYS_BACK = 366
# a report made at or after its period's end counted the whole period; one made before it (by hand)
# counted only so far, and the scheduler still owes the day's report
WHOLE_PERIOD = col(DailyReport.made_at) >= col(DailyReport.period_end)


class ReportError(Conflict):
    """A report operation that is not allowed (signed already, unknown report)."""


# registered with the office's code, as it raises the office's error (every writer of reports imports it)
@event.listens_for(DailyReport, "before_update")
def _refuse_signed_edit(mapper: Any, connection: Any, target: DailyReport) -> None:
    # the first signature is the last change a report ever takes
    history = inspect(target).attrs.signed_at.history
    was_signed = history.deleted[0] if history.deleted else (None if history.added else target.signed_at)
    if was_signed is not None:
        raise ReportError(f"report {target.id} is signed; file a correction instead")


def due_time(session: Session, campus_id: int, kind: str) -> time:
    """The local time a campus's report of ``kind`` is due."""
    setting = session.get(ReportSetting, campus_id)
    if setting is None:
        return DEFAULT_TIMES[kind]
    return time.fromisoformat(setting.office_at if kind == OFFICE else setting.unit_at)


def period(day: date, at: time, tz: str) -> tuple[datetime, datetime]:
    """The UTC window a report for ``day`` covers: from the day before at ``at`` local time up to ``day``
    at ``at``. Local times, not 24 hours back: across a change of clocks the day has 23 or 25 hours,
    and the reports of two days must neither leave an hour out nor count one twice."""
    zone = counting_zone(tz)
    start = utc(datetime.combine(day - timedelta(days=1), at, tzinfo=zone))
    return start, utc(datetime.combine(day, at, tzinfo=zone))


def latest(session: Session, campus_id: int, day: date, kind: str) -> DailyReport | None:
    """The newest version of a campus's report for a day."""
    stmt = select(DailyReport).where(
        DailyReport.campus_id == campus_id, DailyReport.day == day, DailyReport.kind == kind
    )
    return session.exec(stmt.order_by(col(DailyReport.version).desc())).first()


def superseded(session: Session, rows: Iterable[DailyReport]) -> set[int]:
    """The ids among ``rows`` that a correction superseded (the newer version may be on another page)."""
    newer = select(col(DailyReport.supersedes_id)).where(
        col(DailyReport.supersedes_id).in_([r.id for r in rows])
    )
    return {int(i) for i in session.exec(newer) if i is not None}


def log_mark(session: Session) -> int:
    """The entry log's last seq as this transaction sees it. Rows are numbered under the chain head's
    lock, held until they commit, so numbers follow the order of commits: in one snapshot
    (:func:`snapshot`) the rows seen are exactly those numbered up to the mark, and a row committed
    later has a higher number (whenever it was received)."""
    return int(session.exec(select(func.max(EntryEvent.seq))).one() or 0)


def arrived_after(session: Session, rows: Iterable[DailyReport]) -> dict[int, int]:
    """By report id: the entry-log rows of its window (by gate time, as it counts them) that were logged
    after the report was made (numbered after its ``log_seq``): an offline gate's scans, a late copy of
    what a gate did, a batch received before the report's instant that committed after it. The report
    stands as made (and signed); a number here says a correction would count more. None for a version
    a correction superseded. A report made before ``log_seq`` was kept compares receive times."""
    out: dict[int, int] = {}
    rows = list(rows)
    # a version a correction superseded counted what it counted: the newer one is read for the rest
    done = superseded(session, rows)
    for r in rows:
        if r.id in done:
            continue
        e = EntryEvent
        late = select(func.count()).where(
            e.campus_id == r.campus_id,
            col(e.gate_time) >= r.period_start,
            col(e.gate_time) < r.period_end,
            col(e.seq) > r.log_seq if r.log_seq is not None else col(e.received_at) > r.made_at,
        )
        if n := int(session.exec(late).one()):
            out[int(r.id or 0)] = n
    return out


def make_report(
    session: Session,
    campus_id: int,
    day: date,
    kind: str,
    now: datetime,
    *,
    late: bool = False,
    supersedes: DailyReport | None = None,
    note: str | None = None,
    by: str | None = None,
) -> DailyReport:
    """Count and store a report (version 1, or the next version when it supersedes one); ``by``: the
    user who made it (by hand, or a correction), None for the scheduler. It counts what the database
    held committed at one instant (on SQLite, with what ``session`` wrote before)."""
    campus = session.get(Campus, campus_id)
    if campus is None:
        raise NotFound(f"no campus {campus_id}")
    start, end = period(day, due_time(session, campus_id, kind), campus.timezone)
    if supersedes is not None:  # locked as sign() locks it: a signature under way waits, then is refused
        session.get(DailyReport, supersedes.id, with_for_update=True)
    # the mark and every count read one state of the database: a row of the log is counted by every
    # figure (numbered up to the mark) or by none, and then arrived_after names it (numbered after it)
    with snapshot(session) as view:
        mark = log_mark(view)
        # the zone it was counted in: the printed times stay as signed if the campus's zone changes later
        content = build_content(view, campus_id, start, end, now) | {"timezone": campus.timezone}
    content_json = json.dumps(content, ensure_ascii=False, sort_keys=True)
    report = DailyReport(
        campus_id=campus_id,
        day=day,
        kind=kind,
        version=supersedes.version + 1 if supersedes else 1,
        supersedes_id=supersedes.id if supersedes else None,
        period_start=start,
        period_end=end,
        made_at=utc(now),
        log_seq=mark,
        late=late,
        zero=content["fevers"] == 0 and content["incidents"] == 0,
        content_json=content_json,
        content_hash=content_digest(content_json),
        note=note,
        made_by=by,
    )
    session.add(report)
    session.flush()
    logger.info(
        "report %s: campus %s day %s %s v%s%s",
        report.id,
        campus_id,
        day,
        kind,
        report.version,
        " (late)" if late else "",
    )
    return report


def campus_today(campus: Campus, now: datetime) -> date:
    """The campus's own date at ``now`` (its zone, not the office's)."""
    return now.astimezone(counting_zone(campus.timezone)).date()


def make_by_hand(
    session: Session, campus_id: int, day: date | None, now: datetime, *, by: str
) -> DailyReport:
    """The office report for ``day`` (the campus's today when None) made now by user ``by``, as the day's
    next version.

    The day may not lie ahead of the campus's today, nor more than ``BY_HAND_DAYS_BACK`` days back
    (:class:`Invalid`). Made before its period ends, it counts only so far: the scheduler still makes
    the whole report at the due time (``WHOLE_PERIOD``)."""
    campus = session.get(Campus, campus_id)
    if campus is None:
        raise NotFound(f"no campus {campus_id}")
    today = campus_today(campus, now)
    first = today - timedelta(days=BY_HAND_DAYS_BACK)
    day = today if day is None else day
    if not first <= day <= today:
        raise Invalid(f"a report is made for a day from {first} to {today} (today on the campus), not {day}")
    before = latest(session, campus_id, day, OFFICE)
    return make_report(session, campus_id, day, OFFICE, now, supersedes=before, by=by)


def sign(session: Session, report_id: int, *, by: str, at: datetime) -> DailyReport:
    """A director signs a report; signing twice (or a superseded version) is refused."""
    report = session.get(DailyReport, report_id, with_for_update=True)
    if report is None:
        raise NotFound(f"no report {report_id}")
    if report.signed_at is not None:
        raise ReportError(f"report {report_id} is already signed")
    # a director signs what stands: a version a correction (or the whole day's report) replaced does not
    newer = session.exec(select(DailyReport).where(DailyReport.supersedes_id == report_id)).first()
    if newer is not None:
        raise ReportError(
            f"report {report_id} (version {report.version}) is superseded by report {newer.id}"
            f" (version {newer.version}): sign the newest version"
        )
    report.signed_by, report.signed_at = by, utc(at)
    session.add(report)
    session.flush()
    logger.info("report %s signed", report_id)
    return report


def correct(session: Session, report_id: int, *, by: str, at: datetime, note: str) -> DailyReport:
    """A new version recounted now by user ``by``, naming the one it corrects (which stays as it was); the note saying
    why is required (:class:`Invalid` when blank, not one line or over ``NOTE_LENGTH`` characters)."""
    try:
        filled(note)  # the one rule for a text that must say something (no blank, no invisible marks)
        note = one_line(note)  # it prints beside its label: no line break, tab or direction override
    except ValueError as exc:
        raise Invalid("a correction needs a note" if str(exc) == BLANK_REFUSED else str(exc)) from None
    if len(note) > NOTE_LENGTH:
        raise Invalid(f"a correction note is longer than {NOTE_LENGTH} characters")
    # locked as sign() locks it: a signature and a correction of one version never pass each other
    old = session.get(DailyReport, report_id, with_for_update=True)
    if old is None:
        raise NotFound(f"no report {report_id}")
    newest = latest(session, old.campus_id, old.day, old.kind)
    if newest is not None and newest.id != old.id:
        raise ReportError(f"report {report_id} is already superseded by {newest.id}")
    return make_report(session, old.campus_id, old.day, old.kind, at, supersedes=old, note=note, by=by)

"""When reports fall due, and the worker-side thread that makes them (late, if central was down).

``report_due`` is pure: given the time, the days whose whole period a report already counts and the
due time, it names every day whose report is owed. Because it looks at what the database holds
rather than at a timer, a restart after an outage makes every missed report at once, marked late;
and because it asks day by day, a report made by hand before its period ended (it counts only so
far) does not stand in for the day's report, nor does a report made for a later day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, func, select

from central.audit import checkpoints as audit_checkpoints
from central.models.base import utc
from central.models.db import session_scope, unavailable
from central.models.registry import Campus
from central.models.reports import OFFICE, UNIT, DailyReport
from central.office.reports import WHOLE_PERIOD, due_time, latest, make_report
from gatecore.campus import valid_timezone

logger = logging.getLogger(__name__)

GRACE = timedelta(minutes=5)  # made this long after its time, a report still counts as on time
CATCH_UP_DAYS = 14  # a first start, or a long outage, owes no more than this many days


def report_due(
    now: datetime,
    made: Collection[date],
    first_made: date | None,
    at: time,
    tz: str,
    *,
    grace: timedelta = GRACE,
) -> list[tuple[date, bool]]:
    """Every (day, late) whose report is due by ``now`` and not among ``made`` (the days a report
    counts the whole period of), oldest first. ``first_made``: the local date such a report was first
    made (central was there from then on); none, a new campus owes nothing from before today; nor does
    a campus owe days from before it."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    today = local_now.date()
    newest = today if local_now.time() >= at else today - timedelta(days=1)
    oldest = newest - timedelta(days=CATCH_UP_DAYS - 1)
    if first_made is None:
        oldest = today  # a new campus owes nothing from before it existed
    elif first_made > oldest:
        oldest = first_made
    out = []
    day = oldest
    while day <= newest:
        if day not in made:
            deadline = datetime.combine(day, at, tzinfo=zone) + grace
            out.append((day, now > deadline))
        day += timedelta(days=1)
    return out


def _made_whole(
    session: Session, campus_id: int, kind: str, since: date, tz: str
) -> tuple[set[date], date | None]:
    """The days from ``since`` whose report counts the whole period, and the campus's local date when
    such a report was first made: from then on central was there to make them, and a missed one is
    owed (a report made by hand today for a day a year back owes nothing for the days between)."""
    whole: list[Any] = [DailyReport.campus_id == campus_id, col(DailyReport.kind) == kind, WHOLE_PERIOD]
    first = session.exec(select(func.min(DailyReport.made_at)).where(*whole)).one()
    days = session.exec(select(col(DailyReport.day)).where(*whole, col(DailyReport.day) >= since).distinct())
    return set(days), None if first is None else utc(first).astimezone(ZoneInfo(tz)).date()


def _make_due(session: Session, campus_id: int, tz: str, kind: str, now: datetime) -> list[int]:
    """Make one campus's reports of ``kind`` that are due; the ids made."""
    at = due_time(session, campus_id, kind)
    since = now.astimezone(ZoneInfo(tz)).date() - timedelta(days=CATCH_UP_DAYS)
    made, first = _made_whole(session, campus_id, kind, since, tz)
    ids = []
    for day, late in report_due(now, made, first, at, tz):
        # a report made by hand earlier in the period stays, superseded by the whole one
        report = make_report(
            session, campus_id, day, kind, now, late=late, supersedes=latest(session, campus_id, day, kind)
        )
        ids.append(report.id or 0)
        if late:
            logger.warning("report for campus %s day %s (%s) made late", campus_id, day, kind)
    return ids


def make_due_reports(engine: Engine, now: datetime) -> list[int]:
    """Make every report due for every campus and kind; the ids made. Each campus and kind in a
    transaction of its own: one that fails is logged and the others are made all the same."""
    with session_scope(engine) as session:
        campuses = [(c.id or 0, c.timezone) for c in session.exec(select(Campus))]
    made: list[int] = []
    for campus_id, tz in campuses:
        if not valid_timezone(tz):
            # one campus's bad setting must not stop the reports of the others (nor the thread)
            logger.error(
                "campus %s has time zone %r, not in the IANA database: its reports are skipped", campus_id, tz
            )
            continue
        for kind in (UNIT, OFFICE):
            try:
                with session_scope(engine) as session:
                    ids = _make_due(session, campus_id, tz, kind, now)
            except IntegrityError:
                logger.info("another worker made campus %s's %s reports first; they stand", campus_id, kind)
            except SQLAlchemyError as exc:
                logger.error(
                    "campus %s: %s reports not made, database unavailable: %s",
                    campus_id,
                    kind,
                    unavailable(exc),
                )
            except Exception:  # the next campus's reports, and the checkpoint, go on all the same
                logger.exception("campus %s: %s reports not made", campus_id, kind)
            else:
                made.extend(ids)
    return made


class Scheduler:
    """A thread in the worker process: due reports every ``interval`` seconds, an audit checkpoint
    hourly, and (when given ``refresh``) the gates' retained configs again every ``refresh_every``
    seconds, which bounds how stale a gate's registry facts are while it is connected."""

    def __init__(
        self,
        engine: Engine,
        data_dir: Path,
        *,
        interval: float = 30.0,
        checkpoint_every: float = 3600.0,
        refresh: Callable[[], object] | None = None,
        refresh_every: float = 300.0,
    ) -> None:
        self.engine = engine
        self.checkpoint_path = audit_checkpoints.default_path(data_dir)
        self.interval = interval
        self.checkpoint_every = checkpoint_every
        self.refresh = refresh
        self.refresh_every = refresh_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_checkpoint = 0.0
        self._last_refresh: float | None = None

    def start(self) -> None:
        """Run the first pass now (a restart catches up at once), then every interval."""
        self._thread = threading.Thread(target=self._run, name="central-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def tick(self, now: datetime, monotonic: float) -> None:
        """One pass: make due reports, write a checkpoint when one is owed; each apart, so that
        neither failing stops the other."""
        _guarded("reports", lambda: make_due_reports(self.engine, now))
        if monotonic - self._last_checkpoint >= self.checkpoint_every or self._last_checkpoint == 0.0:
            if _guarded(
                "audit checkpoint",
                lambda: audit_checkpoints.write_checkpoint(self.engine, self.checkpoint_path, now),
            ):
                self._last_checkpoint = monotonic
        self._refresh(monotonic)

    def _refresh(self, monotonic: float) -> None:
        if self.refresh is None:
            return
        if self._last_refresh is not None and monotonic - self._last_refresh < self.refresh_every:
            return
        self._last_refresh = monotonic
        try:
            self.refresh()
        except Exception:
            logger.exception("gate configs not refreshed")

    def _run(self) -> None:
        import time as _time

        while not self._stop.is_set():
            self.tick(datetime.now(UTC), _time.monotonic())
            self._stop.wait(self.interval)


def _guarded(what: str, step: Callable[[], object]) -> bool:
    """Run one step of a pass; whether it succeeded. The thread must outlive any one bad pass: the
    next one may succeed."""
    try:
        step()
    except SQLAlchemyError as exc:
        logger.error("scheduler: %s failed, database unavailable: %s", what, unavailable(exc))
    except Exception:
        logger.exception("scheduler: %s failed", what)
    else:
        return True
    return False

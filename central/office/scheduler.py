"""When reports fall due, and the worker-side thread that makes them (late, if central was down).

``report_due`` is pure: given the time, the last day already made and the due time, it names
every day whose report is owed. Because it looks at what the database holds rather than at a
timer, a restart after an outage makes every missed report at once, marked late.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col, func, select

from central.audit import checkpoints as audit_checkpoints
from central.models.db import session_scope
from central.models.registry import Campus
from central.models.reports import OFFICE, UNIT, DailyReport
from central.office.reports import due_time, make_report
from gatecore.campus import valid_timezone

logger = logging.getLogger(__name__)

GRACE = timedelta(minutes=5)  # made this long after its time, a report still counts as on time
CATCH_UP_DAYS = 14  # a first start, or a long outage, owes no more than this many days


def report_due(
    now: datetime, last_made: date | None, at: time, tz: str, *, grace: timedelta = GRACE
) -> list[tuple[date, bool]]:
    """Every (day, late) whose report is due by ``now`` and newer than ``last_made``, oldest first."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    today = local_now.date()
    newest = today if local_now.time() >= at else today - timedelta(days=1)
    oldest = newest - timedelta(days=CATCH_UP_DAYS - 1)
    if last_made is None:
        oldest = today  # a new campus owes nothing from before it existed
    elif last_made + timedelta(days=1) > oldest:
        oldest = last_made + timedelta(days=1)
    out = []
    day = oldest
    while day <= newest:
        deadline = datetime.combine(day, at, tzinfo=zone) + grace
        out.append((day, now > deadline))
        day += timedelta(days=1)
    return out


def make_due_reports(engine: Engine, now: datetime) -> list[int]:
    """Make every report due for every campus and kind; the ids made."""
    made: list[int] = []
    with session_scope(engine) as session:
        campuses = list(session.exec(select(Campus)))
        for campus in campuses:
            assert campus.id is not None
            if not valid_timezone(campus.timezone):
                # one campus's bad setting must not stop the reports of the others (nor the thread)
                logger.error(
                    "campus %s has time zone %r, not in the IANA database: its reports are skipped",
                    campus.id,
                    campus.timezone,
                )
                continue
            for kind in (UNIT, OFFICE):
                last = session.exec(
                    select(func.max(DailyReport.day)).where(
                        DailyReport.campus_id == campus.id, col(DailyReport.kind) == kind
                    )
                ).one()
                for day, late in report_due(now, last, due_time(session, campus.id, kind), campus.timezone):
                    report = make_report(session, campus.id, day, kind, now, late=late)
                    made.append(report.id or 0)
                    if late:
                        logger.warning("report for campus %s day %s (%s) made late", campus.id, day, kind)
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
        """One pass: make due reports, write a checkpoint when one is owed."""
        try:
            make_due_reports(self.engine, now)
            if monotonic - self._last_checkpoint >= self.checkpoint_every or self._last_checkpoint == 0.0:
                audit_checkpoints.write_checkpoint(self.engine, self.checkpoint_path, now)
                self._last_checkpoint = monotonic
        except IntegrityError:
            logger.info("another worker made the same reports first; they stand")
        except SQLAlchemyError as exc:
            logger.error("scheduler pass failed, database unavailable: %s", type(exc).__name__)
        except Exception:  # the thread must outlive any one bad pass: the next one may succeed
            logger.exception("scheduler pass failed")
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

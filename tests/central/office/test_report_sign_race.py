"""A director's signature and a new version of the same report never pass each other on PostgreSQL:
the scheduler's whole-day report, or one made by hand, locks the version it supersedes as a
correction does, so a signature under way waits for it and is then refused as superseded. Without the
lock the signature went through on a version the new one was replacing: signed and superseded."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import Engine
from sqlmodel import Session

from central.models.db import session_scope
from central.models.reports import DailyReport
from central.office import reports
from central.office.keys import KeyRing
from tests.central.conftest import build_world
from tests.central.office.test_reports import DAY

DUE = datetime(2026, 11, 23, 7, 1, tzinfo=UTC)  # 15:01 in Asia/Shanghai, the office report's time


def _waiting_on_a_lock(pg_url: str) -> bool:
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
    return bool(row and row[0])


def test_a_signature_waits_for_the_version_superseding_it_and_is_refused(
    pg_engine: Engine, pg_url: str, keyring: KeyRing
) -> None:
    world = build_world(pg_engine, keyring)
    with session_scope(pg_engine) as s:  # made by hand in the morning, before its period ended
        first = reports.make_report(s, world.campus_id, DAY, reports.OFFICE, DUE - timedelta(hours=5))
    maker = Session(pg_engine, expire_on_commit=False)  # the scheduler, at the due time: not yet committed
    whole = reports.make_report(
        maker,
        world.campus_id,
        DAY,
        reports.OFFICE,
        DUE,
        supersedes=reports.latest(maker, world.campus_id, DAY, reports.OFFICE),
    )
    outcome: list[str] = []

    def sign() -> None:
        try:
            with session_scope(pg_engine) as s:
                reports.sign(s, first.id or 0, by="director", at=DUE)
            outcome.append("signed")
        except reports.ReportError as exc:
            outcome.append(str(exc))

    signer = threading.Thread(target=sign, daemon=True)
    signer.start()
    deadline = time.monotonic() + 10
    while signer.is_alive() and not _waiting_on_a_lock(pg_url) and time.monotonic() < deadline:
        time.sleep(0.05)
    maker.commit()
    maker.close()
    signer.join(10)
    assert outcome == [
        f"report {first.id} (version 1) is superseded by report {whole.id} (version 2): sign the newest version"
    ]
    with session_scope(pg_engine) as s:
        signed = s.get(DailyReport, first.id)
        assert signed is not None and signed.signed_at is None

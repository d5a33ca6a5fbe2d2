"""A semester of log: fill the entry log with 10^6 chained rows, then time what the office does with it.

    .venv/bin/python bench/bench_log.py [--rows 1000000] [--days 100] [--db sqlite|postgres]

Fills a large campus's log (40 gates, 100 days) by bulk insert with a valid hash chain, then prints
the time of common entry-log searches (a page and the total), the daily report's counts, a full
``audit verify`` and the incremental verify from the last checkpoint (the last 1,000 rows).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from central.audit.chain import CONTENT_FIELDS, Checkpoint, row_hash, verify, verify_since  # noqa: E402
from central.audit.entries import EntryFilter, search  # noqa: E402
from central.models.db import create_all, make_engine  # noqa: E402
from central.models.journal import GENESIS, ChainHead, EntryEvent  # noqa: E402
from central.office.reports import build_content  # noqa: E402

GATES = [f"big-{n:02d}" for n in range(40)]
CHUNK = 20_000
# (verdict, reason, share): most scans pass; the rest as the field sees them
MIX = [("allow", "ok", 0.86), ("deny", "household_day_used", 0.08), ("remeasure", "temp_missing", 0.03),
       ("deny", "fever", 0.01), ("deny", "pass_revoked", 0.01), ("refer", "offline_unverified", 0.01)]  # fmt: skip


def rows(n: int, days: int, start: datetime) -> list[dict[str, object]]:
    """``n`` content dicts spread over ``days`` days, in time order, with a realistic verdict mix."""
    rnd = random.Random(7)
    weights = [m[2] for m in MIX]
    step = days * 86400 / n
    out = []
    for i in range(n):
        verdict, reason, _ = rnd.choices(MIX, weights)[0]
        at = start + timedelta(seconds=i * step)
        person = rnd.randrange(1, 20_000)
        answer = {
            "v": 1,
            "type": "decision",
            "verdict": verdict,
            "reason": reason,
            "open": verdict == "allow",
        }
        out.append(
            {
                "kind": "decision",
                "event_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "of_event": None,
                "gate_id": GATES[i % len(GATES)],
                "gate_seq": i // len(GATES) + 1,
                "campus_id": 1,
                "pass_id": person,
                "person_id": person,
                "household_id": person // 3,
                "direction": "in" if i % 2 else "out",
                "gate_time": at,
                "received_at": at + timedelta(milliseconds=40),
                "celsius": 36.5,
                "sensor_status": "ok",
                "verdict": verdict,
                "reason": reason,
                "reasons": reason,
                "policy_version": 3,
                "offline_verdict": None,
                "offline_reason": None,
                "offline_policy_version": None,
                "conflict": None,
                "override_of": None,
                "override_guard": None,
                "override_verdict": None,
                "override_reason": None,
                "decision_json": json.dumps(answer, separators=(",", ":")),
            }
        )
    return out


def fill(engine, n: int, days: int, start: datetime) -> tuple[int, str]:
    """Insert ``n`` chained rows in chunks; the last seq and hash (also written to the chain head)."""
    prev = GENESIS
    table = EntryEvent.__table__  # type: ignore[attr-defined]
    made = rows(n, days, start)
    assert set(made[0]) == set(CONTENT_FIELDS)
    seq = 0
    with engine.begin() as conn:
        for first in range(0, n, CHUNK):
            chunk = made[first : first + CHUNK]
            for values in chunk:
                seq += 1
                values["seq"] = seq
                values["prev_hash"] = prev
                values["row_hash"] = prev = row_hash(prev, SimpleNamespace(**values))  # type: ignore[arg-type]
            conn.execute(insert(table), chunk)
        conn.execute(
            ChainHead.__table__.update().values(last_seq=seq, last_hash=prev)  # type: ignore[attr-defined]
        )
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('entry_event', 'seq'), {seq})"))
    return seq, prev


def timed(label: str, fn, *, target: float | None = None) -> object:
    """Run ``fn`` once, print its time (and the target), return its result."""
    t0 = time.perf_counter()
    result = fn()
    took = time.perf_counter() - t0
    goal = f"  (target ≤ {target:g} s)" if target else ""
    print(f"  {label:<58} {took:8.3f} s{goal}")
    return result


def main() -> None:
    """Fill, then measure."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = ap.parse_args()
    if args.db == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='cg-log-')}/log.db"
    else:
        from bench_e2e import pg_database

        url = pg_database()
    engine = make_engine(url)
    create_all(engine)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    print(f"entry log: {args.rows} rows, {args.days} days, {len(GATES)} gates, db={args.db}")
    last_seq, _ = timed(
        "fill (bulk insert, hash chain computed)", lambda: fill(engine, args.rows, args.days, start)
    )
    if args.db == "postgres":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE entry_event"))
    day = start + timedelta(days=args.days // 2)
    with Session(engine) as s:
        searches = {
            "search: one day (receive time)": EntryFilter(since=day, until=day + timedelta(days=1)),
            "search: one gate, one day": EntryFilter(
                gate_id="big-07", since=day, until=day + timedelta(days=1)
            ),
            "search: one person, whole semester": EntryFilter(person_id=4242),
            "search: one household, whole semester": EntryFilter(household_id=1414),
            "search: fevers, one week": EntryFilter(fever=True, since=day, until=day + timedelta(days=7)),
            "search: refusals for a reason, one day": EntryFilter(
                reason="household_day_used", since=day, until=day + timedelta(days=1)
            ),
        }
        for label, f in searches.items():
            timed(label + " (page + total)", lambda f=f: search(s, f, limit=50, offset=0), target=1)
        timed(
            "daily report counts (one campus, one day)",
            lambda: build_content(s, 1, day, day + timedelta(days=1), day + timedelta(days=1)),
            target=1,
        )
        result = timed("audit verify, whole log", lambda: verify(s), target=30)
        assert getattr(result, "ok", False), result
        mark = last_seq - 1000
        cp_hash = s.exec(text(f"SELECT row_hash FROM entry_event WHERE seq = {mark}")).one()[0]  # type: ignore[call-overload]
        checkpoint = Checkpoint(mark, cp_hash, day)
        result = timed(
            "audit verify since the last checkpoint (1,000 rows)",
            lambda: verify_since(s, checkpoint),
            target=1,
        )
        assert getattr(result, "ok", False), result


if __name__ == "__main__":
    main()

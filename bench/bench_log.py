"""A semester of log: fill the entry log with 10^6 chained rows, then time what the office does with it.

    .venv/bin/python bench/bench_log.py [--rows 1000000] [--days 100] [--dsn postgresql://…/test] [--jobs N]

Fills a large campus's log (40 gates, 100 days; 1 % fevers, each with its alert and incident) by bulk
insert, the chain computed by the writer's own ``canonical.link``, into a database of its own
(SQLite: a temporary file; PostgreSQL: a schema of its own in the database ``--dsn`` names, dropped
afterwards). Then prints the fill rate, each common entry-log search (a page and the total; p50 and
p99 over several queries), the daily report's counts, a full ``audit verify`` in one process and
the command ``campusgate audit verify`` (as many processes as it uses, its start-up included), and
the incremental verify from a checkpoint 1,000 rows before the end (the function, and the command
with ``--since-last-checkpoint``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from central.audit.canonical import CONTENT_FIELDS, link  # noqa: E402
from central.audit.chain import Checkpoint, verify, verify_since  # noqa: E402
from central.audit.checkpoints import append as append_checkpoint  # noqa: E402
from central.audit.entries import EntryFilter, search  # noqa: E402
from central.audit.segments import jobs_for  # noqa: E402
from central.models.db import create_all, make_engine, read_only, session_scope  # noqa: E402
from central.models.journal import GENESIS, ChainHead, EntryEvent, FeverAlert  # noqa: E402
from central.office.incidents import FeverIncident, incident_for  # noqa: E402
from central.office.report_counts import build_content  # noqa: E402

GATES = [f"big-{n:02d}" for n in range(40)]
PEOPLE = 20_000
CHUNK = 10_000
QUERIES = 20  # of each search, for p50 and p99
# (verdict, reason, share): most scans pass; the rest as the field sees them
MIX = [("allow", "ok", 0.86), ("deny", "household_day_used", 0.08), ("remeasure", "temp_missing", 0.03),
       ("deny", "fever", 0.01), ("deny", "pass_revoked", 0.01), ("refer", "offline_unverified", 0.01)]  # fmt: skip


def chunks(n: int, days: int, start: datetime) -> Iterator[list[dict[str, Any]]]:
    """``n`` content dicts spread over ``days`` days in time order, a realistic verdict mix, CHUNK at a time."""
    rnd = random.Random(7)
    weights = [m[2] for m in MIX]
    step = days * 86400 / n
    out: list[dict[str, Any]] = []
    for i in range(n):
        verdict, reason, _ = rnd.choices(MIX, weights)[0]
        at = start + timedelta(seconds=i * step)
        person = rnd.randrange(1, PEOPLE)
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
                "celsius": 36.5 if reason != "fever" else 38.1,
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
        if len(out) == CHUNK:
            yield out
            out = []
    if out:
        yield out


def fever_rows(chunk: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The fever alert and the incident each fever of ``chunk`` opened (every tenth with a cough)."""
    alerts, incidents = [], []
    for row in chunk:
        if row["reason"] == "fever":
            alert = FeverAlert(
                event_id=row["event_id"],
                gate_id=row["gate_id"],
                campus_id=row["campus_id"],
                celsius=row["celsius"],
                symptoms="cough" if row["gate_seq"] % 10 == 0 else "",
                created_at=row["received_at"],
            )
            alerts.append(alert.model_dump(exclude={"id"}))
            incidents.append(incident_for(alert, row["person_id"]).model_dump(exclude={"id"}))
    return alerts, incidents


def fill(engine: Any, n: int, days: int, start: datetime) -> int:
    """Insert ``n`` chained rows in chunks (Core executemany), with their fever alerts and incidents,
    and move the chain head; the last seq."""
    prev, seq = GENESIS, 0
    table = EntryEvent.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for chunk in chunks(n, days, start):
            assert set(chunk[0]) == set(CONTENT_FIELDS)
            for values in chunk:
                seq += 1
                values["seq"], values["prev_hash"] = seq, prev
                values["row_hash"] = prev = link(prev, [values[name] for name in CONTENT_FIELDS])
            conn.execute(insert(table), chunk)
            alerts, incidents = fever_rows(chunk)
            conn.execute(insert(FeverAlert.__table__), alerts)  # type: ignore[attr-defined]
            conn.execute(insert(FeverIncident.__table__), incidents)  # type: ignore[attr-defined]
        conn.execute(
            ChainHead.__table__.update().values(last_seq=seq, last_hash=prev)  # type: ignore[attr-defined]
        )
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('entry_event', 'seq'), {seq})"))
    return seq


def timed(label: str, runs: Sequence[Callable[[], object]], target: float | None = None) -> list[object]:
    """Run each of ``runs`` once; print the time (p50 and p99 of several) beside the target."""
    took, results = [], []
    for run in runs:
        t0 = time.perf_counter()
        results.append(run())
        took.append(time.perf_counter() - t0)
    took.sort()
    goal = f"  (target ≤ {target:g} s)" if target else ""
    if len(took) == 1:
        print(f"  {label:<52} {took[0]:8.3f} s{goal}", flush=True)
    else:
        p99 = took[min(len(took) - 1, math.ceil(0.99 * len(took)) - 1)]
        print(f"  {label:<52} p50 {took[len(took) // 2]:7.3f} s  p99 {p99:7.3f} s{goal}", flush=True)
    return results


def searches(days: int, start: datetime) -> dict[str, list[EntryFilter]]:
    """The office's common filters, QUERIES of each with different days, gates, people and households."""
    rnd = random.Random(11)
    day = [start + timedelta(days=rnd.randrange(days)) for _ in range(QUERIES)]
    one_day: list[dict[str, Any]] = [dict(since=d, until=d + timedelta(days=1)) for d in day]
    verdicts = ["deny", "remeasure", "refer", "allow"]
    return {
        "one day (receive time)": [EntryFilter(**w) for w in one_day],
        "one gate, one day": [EntryFilter(gate_id=rnd.choice(GATES), **w) for w in one_day],
        "one gate, whole semester": [EntryFilter(gate_id=rnd.choice(GATES)) for _ in day],
        "one person, whole semester": [EntryFilter(person_id=rnd.randrange(1, PEOPLE)) for _ in day],
        "one household, whole semester": [
            EntryFilter(household_id=rnd.randrange(1, PEOPLE // 3)) for _ in day
        ],
        "one verdict, one day": [EntryFilter(verdict=verdicts[i % 4], **w) for i, w in enumerate(one_day)],
        "one verdict, whole semester": [EntryFilter(verdict=verdicts[i % 4]) for i in range(QUERIES)],
        "refusals for a reason, one day": [EntryFilter(reason="household_day_used", **w) for w in one_day],
        "fevers, one week": [EntryFilter(fever=True, since=d, until=d + timedelta(days=7)) for d in day],
    }


def measure(engine: Any, url: str, args: argparse.Namespace, start: datetime) -> None:
    """Fill, then time the searches, the daily report and both verifies."""
    t0 = time.perf_counter()
    last_seq = fill(engine, args.rows, args.days, start)
    took = time.perf_counter() - t0
    print(
        f"  {'fill (bulk insert, chain by canonical.link)':<52} {took:8.1f} s  ({args.rows / took:,.0f} rows/s)"
    )
    if engine.dialect.name == "postgresql":  # as autovacuum would have done over a semester
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE entry_event"))
    with Session(read_only(engine)) as s:
        for label, filters in searches(args.days, start).items():
            timed(f"search: {label}", [partial(search, s, f, limit=50, offset=0) for f in filters], target=1)
        days = [start + timedelta(days=d) for d in random.Random(3).sample(range(args.days), 10)]
        runs = [partial(build_content, s, 1, d, d + timedelta(days=1), d + timedelta(days=1)) for d in days]
        timed("daily report counts (one campus, one day)", runs, target=1)
    with session_scope(read_only(engine)) as s:
        [result] = timed("audit verify, whole log, 1 process", [partial(verify, s, jobs=1)], target=30)
    assert getattr(result, "ok", False), result
    command = [sys.executable, "-m", "campusgate.cli", "audit", "verify", "--database-url", url]
    command += ["--jobs", str(args.jobs)] if args.jobs else []
    label = f"campusgate audit verify, whole log, {jobs_for(last_seq, args.jobs)} processes"
    timed(label, [partial(cli, command)], target=30)
    mark = last_seq - 1000
    with session_scope(read_only(engine)) as s:
        cp_hash = s.exec(text(f"SELECT row_hash FROM entry_event WHERE seq = {mark}")).one()[0]  # type: ignore[call-overload]
        checkpoint = Checkpoint(mark, cp_hash, start)
        again = [partial(verify_since, s, checkpoint)] * 5
        results = timed("audit verify since a checkpoint (1,000 rows)", again, target=1)
        assert all(getattr(r, "ok", False) for r in results), results
    with tempfile.TemporaryDirectory() as kept:
        path = Path(kept) / "checkpoints.jsonl"
        append_checkpoint(path, checkpoint)
        command += ["--checkpoints", str(path), "--since-last-checkpoint"]
        timed("campusgate audit verify --since-last-checkpoint", [partial(cli, command)])


def cli(command: list[str]) -> None:
    """Run a campusgate command of this checkout; it must say the log is intact."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "intact" in done.stdout, (done.stdout, done.stderr)


def main() -> None:
    """Fill a database of its own, measure, drop it."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--dsn", help="a PostgreSQL database to work in (a schema of its own); default SQLite")
    ap.add_argument("--jobs", type=int, help="verify processes (default: as `campusgate audit verify`)")
    args = ap.parse_args()
    start = datetime(2026, 9, 1, tzinfo=UTC)
    where = tempfile.mkdtemp(prefix="cg-log-") if args.dsn is None else f"cg_bench_log_{uuid.uuid4().hex[:8]}"
    if args.dsn is None:
        url = f"sqlite:///{where}/log.db"
    else:
        url = (
            make_url(args.dsn)
            .update_query_dict({"options": f"-csearch_path={where}"})
            .render_as_string(False)
        )
        admin = make_engine(args.dsn)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{where}"'))
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"entry log: {args.rows} rows, {args.days} days, {len(GATES)} gates, {url.split('?')[0]} ({where})")
    print(f"  load average at start: {load}", flush=True)
    engine = make_engine(url)
    try:
        create_all(engine)
        measure(engine, url, args, start)
    finally:
        engine.dispose()
        if args.dsn is None:
            shutil.rmtree(where, ignore_errors=True)
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{where}" CASCADE'))
            admin.dispose()
    print(f"  load average at end: {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

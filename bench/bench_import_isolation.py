"""Benchmark what a large import does to gate decisions running in the same server process.

Run from a checkout: ``.venv/bin/python bench/bench_import_isolation.py [--rows 20000]``.
Real parts: the decision service deciding scans on a SQLite file in one thread (as the MQTT worker
does), while a dry-run import of ``--rows`` people is checked (a) in a thread of the same process, as
before, and (b) in the import child process (``run_import_apart``), as now. Prints the decision
latency (median, 95th percentile, worst) with no import, and during each kind of import.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from central.models.db import create_all, make_engine  # noqa: E402
from central.office.import_apart import Actor, run_import_apart  # noqa: E402
from central.office.imports import run_import  # noqa: E402
from central.office.keys import KeyRing  # noqa: E402
from tests.central.conftest import NOW, build_world  # noqa: E402

HEADER = "校区,楼号,单元,房号,姓名,身份证号,类别,电话,重点人员至"


def decide_while(world, busy: threading.Event, until: threading.Event) -> list[float]:  # type: ignore[no-untyped-def]
    """Decide scans one after another until ``until`` is set; latencies (ms) while ``busy`` was set."""
    service, out = world.service, []
    i = 0
    while not until.is_set():
        i += 1
        topic, payload = world.scan("zhang", at=NOW + timedelta(seconds=i))
        started = time.perf_counter()
        service.handle(topic, payload, NOW + timedelta(seconds=i))
        if busy.is_set():
            out.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)  # a gate's pace, not a flood
    return out


def measure(world, data: bytes, how: str) -> list[float]:  # type: ignore[no-untyped-def]
    """Decision latencies while one import runs ``how``: none | thread | process."""
    busy, until, result = threading.Event(), threading.Event(), []
    decider = threading.Thread(target=lambda: result.extend(decide_while(world, busy, until)))
    decider.start()
    time.sleep(0.3)
    busy.set()
    actor = Actor(None, "bench")
    if how == "none":
        time.sleep(3)
    elif how == "thread":
        with Session(world.engine) as session:  # as the route did: a writing session, in-process
            worker = threading.Thread(
                target=lambda: run_import(
                    session, actor=actor, filename="people.csv", data=data, dry_run=True
                )
            )
            worker.start()
            worker.join()
    else:
        asyncio.run(
            run_import_apart(world.engine, actor=actor, filename="people.csv", data=data, dry_run=True)
        )
    busy.clear()
    until.set()
    decider.join()
    return result


def main() -> None:
    """Print decision latency without and during an import."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{tmp}/bench.db")
    create_all(engine)
    world = build_world(engine, KeyRing.open(tmp / "keys"))
    rows = [f"坞城校区,{i // 40},1,{i % 40},人{i},,住户,," for i in range(args.rows)]
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    asyncio.run(
        run_import_apart(
            engine, actor=Actor(None, "bench"), filename="warm.csv", data=data[:200], dry_run=True
        )
    )  # start the child
    print(f"decision latency (ms) on SQLite, dry-run import of {args.rows} rows")
    for how in ("none", "thread", "process"):
        ms = sorted(measure(world, data, how))
        p95 = ms[int(len(ms) * 0.95) - 1] if ms else float("nan")
        print(
            f"  import {how:8} n={len(ms):4}  median {statistics.median(ms):6.1f}  p95 {p95:6.1f}  max {ms[-1]:6.1f}"
        )


if __name__ == "__main__":
    main()

"""The decision path alone: central's DecisionService on a real database, no broker.

    .venv/bin/python bench/bench_decide.py [--scans 5000] [--batch 64] [--db sqlite|postgres]
                                           [--mix simple|fleet] [--gates 200] [--profile]

Seeds the demo campuses, builds scan events and decides them in batches as the worker's group
commit would. ``simple``: the seeded passes of staff, commuters and residents in turn (the
household day claim is exercised, every pass seen many times). ``fleet``: what
``campusgate sim fleet`` sends, from ``--gates`` gates (residents, second members, staff, fevers,
one-time visitors, forged codes; most passes seen for the first time). Prints decisions per
second of one worker's decision thread (wall, and per CPU-second of this process; the broker's
and the gates' share is measured by bench_e2e.py and bench_scale.py) and, with --profile, the
functions that cost most.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_e2e import pg_database, scan  # noqa: E402
from sqlmodel import Session  # noqa: E402

from campusgate.fleet_plan import prepare_plan  # noqa: E402
from central.app import build_central  # noqa: E402
from central.decisions.service import DecisionService  # noqa: E402
from central.demo.passes import demo_passes  # noqa: E402
from central.demo.seed import local_today, seed_demo  # noqa: E402
from central.models.db import unpinged  # noqa: E402
from central.settings import CentralSettings  # noqa: E402
from firmware_sim.fleet_mix import DEFAULT_MIX, Picker  # noqa: E402
from gatecore import topics  # noqa: E402
from gatecore.messages import ScanEvent, Temperature  # noqa: E402
from gatecore.thermoline import SensorStatus  # noqa: E402


def main() -> None:
    """Seed, decide, print."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--scans", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=64, help="events per transaction (group commit)")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--mix", choices=["simple", "fleet"], default="simple")
    ap.add_argument("--gates", type=int, default=200, help="fleet mix: gates registered and scanning")
    ap.add_argument("--profile", action="store_true", help="print the 25 costliest functions")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cg-decide-"))
    url = f"sqlite:///{work}/bench.db" if args.db == "sqlite" else pg_database()
    settings = CentralSettings(database_url=url, mqtt_port=1, data_dir=work)
    central = build_central(settings, api=False, worker=False)
    with Session(central.engine) as s:
        seed_demo(s, central.keyring, local_today(datetime.now(UTC)))
        s.commit()
        roles = {"staff", "commuter", "resident"}
        passes = [p for p in demo_passes(s, central.keyring) if p.role in roles]
    service = DecisionService(unpinged(central.engine), central.keyring)  # as the worker has it
    plan = (
        prepare_plan(central.engine, central.keyring, gates=args.gates, visitors=args.scans)
        if args.mix == "fleet"
        else None
    )
    picker = Picker(plan, dict(DEFAULT_MIX), random.Random(7)) if plan else None

    def one(i: int) -> ScanEvent:
        if picker is None or plan is None:
            p = passes[i % len(passes)]
            return scan(p.gate_ids[i % len(p.gate_ids)], p.token)
        gate_id, campus = plan.gates[i % len(plan.gates)]
        chosen = picker.pick(campus)
        ev = scan(gate_id, chosen.qr)
        return dataclasses.replace(ev, temperature=Temperature(chosen.celsius, SensorStatus.OK))

    def batches(n: int) -> list[list[tuple[str, bytes, datetime]]]:
        items = []
        for i in range(n):
            ev = one(i)
            items.append((topics.gate_events(ev.gate_id), ev.to_json(), datetime.now(UTC)))
        return [items[i : i + args.batch] for i in range(0, n, args.batch)]

    for b in batches(min(500, args.scans)):  # warm the cache and the connection pool
        service.handle_batch(b)
    work_items = batches(args.scans)
    profiler = cProfile.Profile() if args.profile else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    answered = 0
    for b in work_items:
        answered += sum(1 for o in service.handle_batch(b) if o.topic.endswith("/decisions"))
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    central.engine.dispose()
    print(f"db={args.db} scans={args.scans} batch={args.batch} answered={answered}")
    print(f"  decision path: {args.scans / wall:.0f} decisions/s wall, {args.scans / cpu:.0f} per CPU-second")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

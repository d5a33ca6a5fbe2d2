"""Scan-to-decision latency and decision throughput through a real broker and central.

    .venv/bin/python bench/bench_e2e.py [--scans 500] [--broker mosquitto|amqtt] [--db sqlite|postgres]
                                        [--workers N]

Prints p50/p99 latency of sequential scans (publish → decision received, as a gate sees it),
decisions per second with many scans in flight (and per CPU-second the workers used meanwhile: what
a worker does with a core of its own, the load generator, broker and database elsewhere), and
decisions per second of the pure rules alone.
Central's workers run as N separate processes (forked, sharing the events through a shared
subscription when N > 1), as they would in production.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402

from central.app import build_central  # noqa: E402
from central.demo.passes import demo_passes  # noqa: E402
from central.demo.seed import local_today, seed_demo  # noqa: E402
from central.settings import CentralSettings  # noqa: E402
from gatecore import topics  # noqa: E402
from gatecore.messages import ScanEvent, Temperature  # noqa: E402
from gatecore.policy import AccessRequest, CampusPolicy, Facts, evaluate, read_pass  # noqa: E402
from gatecore.thermoline import SensorStatus  # noqa: E402
from transport import heap  # noqa: E402
from transport.broker import EmbeddedBroker, MosquittoBroker  # noqa: E402
from transport.mqtt import LinkOptions, MqttLink  # noqa: E402


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU seconds a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_SEQ: dict[str, int] = {}


def scan(gate_id: str, qr: str, seq: int = 0) -> ScanEvent:
    """A fresh scan event, numbered in its gate's own sequence as a real gate would."""
    _SEQ[gate_id] = _SEQ.get(gate_id, 0) + 1
    return ScanEvent(
        event_id=str(uuid.uuid4()),
        gate_id=gate_id,
        seq=_SEQ[gate_id],
        gate_time=datetime.now(UTC),
        qr=qr,
        temperature=Temperature(36.5, SensorStatus.OK),
        direction="in",
    )


def pg_database() -> str:
    """A fresh PostgreSQL database for the run."""
    import psycopg

    name = f"cg_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def run_worker(settings: CentralSettings) -> None:
    """One central worker process, until killed."""
    handle = build_central(settings, api=False)
    handle.start()
    heap.settle()  # as `campusgate central` does
    signal.sigwait({signal.SIGTERM})
    handle.stop()


def main() -> None:
    """Run the three measurements and print them."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--scans", type=int, default=500)
    ap.add_argument(
        "--broker",
        choices=["mosquitto", "amqtt"],
        default="mosquitto" if MosquittoBroker.available() else "amqtt",
    )
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--workers", type=int, default=1, help="central worker processes")
    ap.add_argument("--sequential", type=int, default=200, help="scans for the latency measurement")
    args = ap.parse_args()

    broker = (MosquittoBroker() if args.broker == "mosquitto" else EmbeddedBroker()).start()
    work = Path(tempfile.mkdtemp(prefix="cg-bench-"))
    url = f"sqlite:///{work}/bench.db" if args.db == "sqlite" else pg_database()
    settings = CentralSettings(
        database_url=url, mqtt_port=broker.port, data_dir=work, shared_subscription=args.workers > 1
    )
    central = build_central(settings, api=False, worker=False)
    with Session(central.engine) as s:
        seed_demo(s, central.keyring, local_today(datetime.now(UTC)))
        s.commit()
        passes = [p for p in demo_passes(s, central.keyring) if p.role in ("staff", "commuter", "resident")]
    central.engine.dispose()
    fork = multiprocessing.get_context("fork")
    workers = [
        fork.Process(
            target=run_worker, args=(settings.model_copy(update={"worker_id": str(n)}),), daemon=True
        )
        for n in range(args.workers)
    ]
    for w in workers:
        w.start()

    # staff with approvals and commuters are allowed every time; residents exercise the day claim
    gate_ids = [g for g in passes[0].gate_ids]
    received: dict[str, float] = {}
    cond = threading.Condition()

    def on_decision(topic: str, payload: bytes) -> None:
        event_id = payload.split(b'"event_id":"', 1)[1][:36].decode()
        with cond:
            received[event_id] = time.perf_counter()
            cond.notify_all()

    link = MqttLink("bench-gate", LinkOptions(port=broker.port))
    for g in gate_ids:
        link.subscribe(topics.gate_decisions(g), on_decision)
    link.start()
    # warm up: scans until the workers answer (they connect and subscribe at their own pace)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = scan(gate_ids[0], passes[0].token)
        link.publish(topics.gate_events(probe.gate_id), probe.to_json())
        with cond:
            if cond.wait_for(lambda: probe.event_id in received, timeout=1.0):  # noqa: B023 (called here)
                break
    time.sleep(2.0)  # the last worker to subscribe, too

    latencies = []
    for i in range(args.sequential):
        p = passes[i % len(passes)]
        ev = scan(gate_ids[i % len(gate_ids)], p.token, i)
        t0 = time.perf_counter()
        link.publish(topics.gate_events(ev.gate_id), ev.to_json())
        with cond:
            if not cond.wait_for(lambda: ev.event_id in received, timeout=10):  # noqa: B023 (called here)
                raise SystemExit(f"no decision for scan {i}")
        latencies.append((received[ev.event_id] - t0) * 1000)

    first = args.sequential
    events = [
        scan(gate_ids[i % len(gate_ids)], passes[i % len(passes)].token, first + i) for i in range(args.scans)
    ]
    cpu0 = sum(cpu_seconds(w.pid) for w in workers)
    t0 = time.perf_counter()
    for ev in events:
        link.publish(topics.gate_events(ev.gate_id), ev.to_json())
    with cond:
        ok = cond.wait_for(lambda: all(e.event_id in received for e in events), timeout=120)
    elapsed = time.perf_counter() - t0
    worker_cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu0
    link.stop()
    for w in workers:
        assert w.pid is not None
        os.kill(w.pid, signal.SIGTERM)
        w.join(20)
    broker.stop()

    # the pure rules alone
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token

    key = Ed25519PrivateKey.generate()
    now = datetime.now(UTC)
    until = now.replace(year=now.year + 1)
    n = 5000
    tokens = [
        issue_token(PassClaims(1, PassKind.RESIDENT, PassForm.CARD, 1, i, 1, i, now, until), key)
        for i in range(n)
    ]
    keys = {1: key.public_key()}
    policy, facts = CampusPolicy(1), Facts()

    def rules_rate() -> float:
        t1 = time.perf_counter()
        for token in tokens:
            req = AccessRequest("e", "g", token, Temperature(36.5, SensorStatus.OK), "in", now)
            evaluate(req, read_pass(token, keys, now), facts, policy)
        return n / (time.perf_counter() - t1)

    core_rate, remembered_rate = rules_rate(), rules_rate()  # first sight of each pass, then again

    print(f"broker={args.broker} db={args.db} scans={args.scans} workers={args.workers}")
    print(
        f"  scan→decision latency (sequential): p50 {statistics.median(latencies):.2f} ms   "
        f"p99 {pct(latencies, 99):.2f} ms   max {max(latencies):.2f} ms"
    )
    print(
        f"  throughput ({args.scans} in flight): {args.scans / elapsed:.0f} decisions/s"
        + ("" if ok else "  (INCOMPLETE: some decisions missing)")
    )
    if worker_cpu > 0:  # what the workers would do with a core each, the gates and database elsewhere
        print(
            f"  workers' CPU: {worker_cpu:.2f} s for {args.scans} decisions, "
            f"{args.scans / worker_cpu:.0f} decisions per worker CPU-second"
        )
    print(
        f"  pure rules on one core: {core_rate:.0f} decisions/s for passes seen the first time "
        f"(Ed25519 verify + evaluate), {remembered_rate:.0f}/s for passes verified before"
    )


if __name__ == "__main__":
    main()

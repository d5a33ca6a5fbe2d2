"""Central at scale: N worker processes on a shared subscription, loaded by the gate fleet.

    .venv/bin/python bench/bench_scale.py [--workers 1] [--gates 200] [--rate 0.5] [--duration 20]
                                          [--db sqlite|postgres]

Starts a private Mosquitto, seeds a database (the demo campuses, the fleet's gates and visitor
passes), starts N ``campusgate central --no-api`` processes sharing ``$share/central/gates/+/events``,
and runs ``campusgate sim fleet`` in this process as the load. Prints decisions per second (first
scan sent to last answer) and scan→decision latency percentiles as the gates saw them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parents[1]
READY_S = 180  # a worker publishes every gate's config before it is ready: 1,000 gates take a while
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_e2e import cpu_seconds, pct, pg_database  # noqa: E402

from campusgate.fleet_plan import logged_decisions, plan_from_settings  # noqa: E402
from firmware_sim.fleet import FleetOptions, raise_fd_limit, run_fleet, visitors_needed  # noqa: E402
from firmware_sim.fleet_mix import parse_mix  # noqa: E402
from gatecore import topics  # noqa: E402
from transport.broker import MosquittoBroker  # noqa: E402
from transport.mqtt import LinkOptions, MqttLink  # noqa: E402


def watch_answers(port: int, conn: Any) -> None:
    """A process of its own subscribed to every gate's answers: how long after central received an
    event its answer reached a subscriber, so the fleet's own delays are told from central's."""
    samples: list[float] = []
    lock = threading.Lock()

    def on_answer(topic: str, payload: bytes) -> None:
        now = datetime.now(UTC)
        try:  # only the time, cheaply: this process shares the cores it measures
            decided = datetime.fromisoformat(json.loads(payload)["decided_at"])
        except (ValueError, KeyError, TypeError):
            return
        with lock:
            samples.append((now - decided).total_seconds() * 1000)

    link = MqttLink(f"bench-scale-answers-{os.getpid()}", LinkOptions(port=port))
    link.subscribe(topics.ALL_DECISIONS, on_answer, qos=0)
    link.start()
    conn.recv()
    link.stop()
    with lock:
        conn.send(samples)


def start_workers(n: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    """N central worker processes (no API), each logging to its own file."""
    procs = []
    for i in range(n):
        worker_env = {**env, "CAMPUSGATE_WORKER_ID": f"bench{i + 1}"}
        log = open(logs / f"worker{i + 1}.log", "wb")  # kept open for the process's life
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "campusgate.cli", "central", "--no-api"],
                env=worker_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=logs,
            )
        )
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (central stops cleanly), SIGKILL after 10 s; safe to call twice."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def wait_for_workers(port: int, gate_id: str, procs: list[subprocess.Popen[bytes]], logs: Path) -> None:
    """Each worker publishes every gate's config once it is connected and subscribed: count them; then
    each says it is running, which it does once its start-up heap is collected and frozen (a pause of
    0.1-0.4 s that would otherwise fall on the fleet's first scans)."""
    seen = threading.Semaphore(0)
    link = MqttLink(f"bench-scale-watch-{os.getpid()}", LinkOptions(port=port))
    link.subscribe_with_retain(topics.gate_config(gate_id), lambda t, p, retained: seen.release())
    link.start()
    deadline = time.monotonic() + READY_S
    try:
        for _ in procs:
            if not seen.acquire(timeout=max(0.0, deadline - time.monotonic())):
                _not_ready(procs)
    finally:
        link.stop()
    for i in range(len(procs)):
        while b"central running" not in (logs / f"worker{i + 1}.log").read_bytes():
            if time.monotonic() > deadline:
                _not_ready(procs)
            time.sleep(0.05)


def _not_ready(procs: list[subprocess.Popen[bytes]]) -> NoReturn:
    dead = [p.args for p in procs if p.poll() is not None]
    raise SystemExit(f"central workers not ready within {READY_S} s (exited: {dead})")


def drop_pg_database(url: str) -> None:
    """Drop the run's PostgreSQL database (made by bench_e2e.pg_database)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Start broker, database and workers; run the fleet; print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--gates", type=int, default=200)
    ap.add_argument("--rate", type=float, default=0.5, help="scans per second per gate")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of scans")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--status-every", type=float, default=5.0, help="each gate's status heartbeat (0: none)")
    ap.add_argument("--mix", help="as for campusgate sim fleet")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--report", action="store_true", help="also print the fleet's full report")
    args = ap.parse_args()

    raise_fd_limit(args.gates)  # before the broker starts: it inherits the limit
    work = Path(tempfile.mkdtemp(prefix="cg-scale-"))
    url = f"sqlite:///{work}/bench.db" if args.db == "sqlite" else pg_database()
    broker = MosquittoBroker().start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        options = FleetOptions(
            gates=args.gates,
            rate=args.rate,
            duration=args.duration,
            port=broker.port,
            mix=parse_mix(args.mix),
            seed=args.seed,
            timeout=args.timeout,
            status_every=args.status_every,
        )
        t0 = time.perf_counter()
        plan = plan_from_settings(
            gates=args.gates, visitors=visitors_needed(options), database_url=url, data_dir=work
        )
        seeded_s = time.perf_counter() - t0
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CAMPUSGATE_DATABASE_URL": url,
            "CAMPUSGATE_DATA_DIR": str(work),
            "CAMPUSGATE_MQTT_PORT": str(broker.port),
            "CAMPUSGATE_SHARED_SUBSCRIPTION": "true" if args.workers > 1 else "false",
        }
        procs = start_workers(args.workers, env, work)
        wait_for_workers(broker.port, plan.gates[0][0], procs, work)
        watch_out, watch_in = multiprocessing.get_context("fork").Pipe()
        watcher = multiprocessing.get_context("fork").Process(
            target=watch_answers, args=(broker.port, watch_in), daemon=True
        )
        watcher.start()
        started = datetime.now(UTC)
        cpu0, wall0 = [cpu_seconds(p.pid) for p in procs], time.perf_counter()
        report = run_fleet(plan, options, settle_heap=True)
        worker_cpu = [cpu_seconds(p.pid) - c for p, c in zip(procs, cpu0, strict=True)]
        run_s = time.perf_counter() - wall0
        stop_workers(procs)
        watch_out.send("stop")
        broker_ms = watch_out.recv() if watch_out.poll(10) else []
        watcher.join(5)
        logged, logged_s = logged_decisions(url, started)
    finally:
        stop_workers(procs)
        broker.stop()
        if args.db == "postgres":
            drop_pg_database(url)

    lat = report.latency()
    print(
        f"workers={args.workers} db={args.db} gates={args.gates} rate={args.rate:g}/s per gate "
        f"duration={args.duration:g}s (offered {args.gates * args.rate:.0f} scans/s; seeding {seeded_s:.1f} s)"
    )
    print(f"  workers' logs in {work}")
    print(
        f"  decisions/s: {report.decisions_per_s():.0f}   answered {report.answered} of {report.sent}, "
        f"timeouts {report.timeouts}, late {report.late}"
    )
    print(
        f"  central logged {logged} decisions in {logged_s:.1f} s"
        + (f" ({logged / logged_s:.0f}/s)" if logged_s > 0 else "")
        + " (entry-log rows, whether or not the answer reached its gate in time)"
    )
    print(
        f"  scan→decision latency: p50 {lat['p50']:.1f} ms   p90 {lat['p90']:.1f} ms   "
        f"p99 {lat['p99']:.1f} ms   max {lat['max']:.1f} ms"
    )
    if broker_ms:
        print(
            "  central's receipt → answer at a separate subscriber (no fleet in between): "
            f"p50 {pct(broker_ms, 50):.1f} ms   p99 {pct(broker_ms, 99):.1f} ms   ({len(broker_ms)} answers)"
        )
    print(
        f"  fleet: {report.connected} gates connected, {report.max_threads} threads, "
        f"{report.cpu_seconds:.1f} s CPU, send lag at most "
        f"{report.max_send_lag_ms:.0f} ms; answers as the mix expects: "
        + ("all" if not report.unexpected() else f"NO ({sum(report.unexpected().values())} differ)")
    )
    if any(worker_cpu):  # Linux: what each worker took of a core while the fleet ran
        shares = ", ".join(f"{100 * c / run_s:.0f} %" for c in worker_cpu)
        print(f"  workers' CPU while the fleet ran: {shares} of a core")
    if args.report:
        print("\n".join("    " + line for line in report.lines()))


if __name__ == "__main__":
    main()

"""The fleet's own cost: ``campusgate sim fleet`` against a canned responder, no central.

    .venv/bin/python bench/bench_fleet.py [--gates 1000] [--rate 0.5] [--duration 20] [--status-every 5]

Starts a private Mosquitto and, in a process of its own, a responder that answers every scan at once
with the same ``refer`` decision (only the event id and gate change), then runs the fleet against
it. Prints what one scan and its answer cost the fleet in CPU (heartbeats included), its share of a
core, the responder's, and the latency the gates saw: what the load generator takes from the cores
it shares with central in bench_scale.py.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_e2e import cpu_seconds  # noqa: E402

from campusgate.fleet_plan import plan_from_settings  # noqa: E402
from central.decisions.answer import refusal_message  # noqa: E402
from firmware_sim.fleet import FleetOptions, raise_fd_limit, run_fleet, visitors_needed  # noqa: E402
from gatecore import topics  # noqa: E402
from transport.broker import MosquittoBroker  # noqa: E402
from transport.mqtt import LinkOptions, MqttLink  # noqa: E402

_EVENT = "00000000-0000-7000-8000-000000000000"
_GATE = "canned-gate"


def respond(port: int, conn: Any) -> None:
    """Answer every scan event with the same decision, its event id and gate put in."""
    template = refusal_message(_GATE, _EVENT, "canned", datetime.now(UTC)).to_json()
    link = MqttLink(f"bench-fleet-responder-{os.getpid()}", LinkOptions(port=port))

    def on_event(topic: str, payload: bytes) -> None:
        gate_id = topics.events_of(topic)
        if gate_id is None:
            return
        event_id = json.loads(payload)["event_id"]
        answer = template.replace(_EVENT.encode(), event_id.encode()).replace(
            _GATE.encode(), gate_id.encode()
        )
        link.publish(topics.gate_decisions(gate_id), answer, qos=1)

    link.subscribe(topics.ALL_EVENTS, on_event, qos=1)
    link.start()
    conn.send("ready")
    conn.recv()
    link.stop()


def main() -> None:
    """Broker, responder, fleet; print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--gates", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=0.5, help="scans per second per gate")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of scans")
    ap.add_argument("--status-every", type=float, default=5.0, help="each gate's status heartbeat (0: none)")
    args = ap.parse_args()

    raise_fd_limit(args.gates)  # before the broker starts: it inherits the limit
    work = Path(tempfile.mkdtemp(prefix="cg-fleet-"))
    broker = MosquittoBroker().start()
    try:
        options = FleetOptions(
            gates=args.gates,
            rate=args.rate,
            duration=args.duration,
            port=broker.port,
            status_every=args.status_every,
        )
        plan = plan_from_settings(
            gates=args.gates,
            visitors=visitors_needed(options),
            database_url=f"sqlite:///{work}/bench.db",
            data_dir=work,
        )
        ctx = multiprocessing.get_context("fork")
        here, there = ctx.Pipe()
        responder = ctx.Process(target=respond, args=(broker.port, there), daemon=True)
        responder.start()
        if not here.poll(30):
            raise SystemExit("the responder did not connect within 30 s")
        here.recv()
        responder_cpu, wall = cpu_seconds(responder.pid), time.perf_counter()
        report = run_fleet(plan, options, settle_heap=True)
        responder_cpu, wall = cpu_seconds(responder.pid) - responder_cpu, time.perf_counter() - wall
        here.send("stop")
        responder.join(10)
    finally:
        broker.stop()

    lat = report.latency()
    per_scan = report.cpu_seconds / max(1, report.sent) * 1000
    print(
        f"fleet against a canned responder: gates={args.gates} rate={args.rate:g}/s per gate "
        f"duration={args.duration:g}s status every {args.status_every:g}s"
    )
    print(
        f"  answered {report.answered} of {report.sent}, timeouts {report.timeouts}; "
        f"{report.statuses} status heartbeats"
    )
    print(
        f"  fleet CPU: {report.cpu_seconds:.2f} s = {per_scan:.3f} ms per scan and its answer (heartbeats "
        f"included), {100 * report.cpu_seconds / wall:.0f} % of a core; responder "
        f"{100 * responder_cpu / wall:.0f} % of a core"
    )
    print(
        f"  scan→answer latency: p50 {lat['p50']:.1f} ms   p99 {lat['p99']:.1f} ms   max {lat['max']:.1f} ms"
    )


if __name__ == "__main__":
    main()

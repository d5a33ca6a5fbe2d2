"""Benchmark the gate agent: scan-to-display latency online and offline, and outbox drain rate.

Run from a checkout: ``.venv/bin/python bench/bench_gate.py [--scans 300] [--backlog 1000]``.
Real parts: a private Mosquitto, central on SQLite (worker only), one gate agent built by
``build_agent`` with a RecordingDisplay. A scan is injected with ``submit_scan`` (temperature
given, so no pairing wait) and timed until the display shows its decision. Online that is the
outbox write + MQTT round trip + central's decision and log write; offline it is the outbox write
+ the local rules + the local ledger. The drain rate is events per second from the broker coming
back until the outbox is empty, for a backlog built while it was down.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, select  # noqa: E402

from central.app import build_central  # noqa: E402
from central.demopasses import demo_passes  # noqa: E402
from central.models import Gate  # noqa: E402
from central.seed import local_today, seed_demo  # noqa: E402
from central.settings import CentralSettings  # noqa: E402
from firmware_sim.display import RecordingDisplay  # noqa: E402
from firmware_sim.relay import RecordingRelay  # noqa: E402
from gate_agent.agent import GateAgent  # noqa: E402
from gate_agent.bootstrap import build_agent  # noqa: E402
from gate_agent.settings import GateSettings  # noqa: E402
from gatecore.messages import Temperature  # noqa: E402
from gatecore.thermoline import SensorStatus  # noqa: E402
from transport.broker import MosquittoBroker, free_port  # noqa: E402

GATE = "bench-gate"


def _latencies(agent: GateAgent, display: RecordingDisplay, tokens: list[str], n: int) -> list[float]:
    out = []
    reading = Temperature(36.5, SensorStatus.OK)
    for i in range(n):
        t0 = time.perf_counter()
        event_id = agent.submit_scan(tokens[i % len(tokens)], reading)
        display.wait_for(lambda v, e=event_id: v.event_id == e, timeout=10)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _summary(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"{name:<28} n={len(ms):<5} p50 {statistics.median(ms):7.2f} ms   p99 {q[98]:7.2f} ms   max {max(ms):7.2f} ms"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scans", type=int, default=300)
    p.add_argument("--backlog", type=int, default=1000)
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    (work / "mosq").mkdir()
    broker = MosquittoBroker(port=free_port(), workdir=work / "mosq").start()
    settings = CentralSettings(
        database_url=f"sqlite:///{work}/central.db", mqtt_port=broker.port, data_dir=work
    )
    central = build_central(settings, api=False)
    with Session(central.engine) as s:
        seed_demo(s, central.keyring, local_today(datetime.now(UTC)))
        s.commit()
        passes = demo_passes(s, central.keyring, campus_code="wucheng")
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
        s.add(Gate(gate_id=GATE, campus_id=campus_id, name_zh=GATE, name_en=GATE, open=True))
        s.commit()
    central.start()
    tokens = [p.token for p in passes]
    gate = GateSettings(
        gate_id=GATE,
        mqtt_port=broker.port,
        camera=str(work / "none.avi"),
        serial_port=work / "none",
        data_dir=work / "gate",
        resend_after_s=1.0,
    )  # type: ignore[call-arg]
    display = RecordingDisplay()
    agent = build_agent(gate, display=display, relay=RecordingRelay())
    agent.start()
    try:
        deadline = time.monotonic() + 10
        while not (agent.link.up and agent.offline.policy_version) and time.monotonic() < deadline:
            time.sleep(0.05)
        _latencies(agent, display, tokens, 20)  # warm up
        online = _latencies(agent, display, tokens, args.scans)
        offline_views = sum(v.offline for v in display.views)
        broker.kill()
        while agent.link.up:
            time.sleep(0.05)
        offline = _latencies(agent, display, tokens, args.scans)
        _latencies(agent, display, tokens, max(args.backlog - args.scans, 0))
        backlog = agent.outbox.depth()
        t0 = time.perf_counter()
        broker.start()
        while not agent.link.up:
            time.sleep(0.005)
        t_up = time.perf_counter()
        while agent.outbox.depth() > 0 and time.perf_counter() - t0 < 300:
            time.sleep(0.01)
        drain_s = time.perf_counter() - t0
        reconnect_s, from_up_s = t_up - t0, time.perf_counter() - t_up
        left = agent.outbox.depth()
    finally:
        agent.stop()
        central.stop()
        broker.stop()
    print(_summary("scan->display online", online))
    print(_summary("scan->display offline", offline))
    print(f"{'':<28} ({offline_views} of the online scans fell back to an offline decision)")
    print(
        f"{'outbox drain after reconnect':<28} {backlog} events in {drain_s:.2f} s = {backlog / drain_s:.0f} events/s"
        f" ({left} left)"
    )
    print(
        f"{'':<28} of which {reconnect_s:.2f} s waiting for paho to reconnect; from link up: "
        f"{from_up_s:.2f} s = {backlog / from_up_s:.0f} events/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

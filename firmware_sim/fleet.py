"""``campusgate sim fleet``: a thousand gates or more in one process, one asyncio loop, no thread each.

Every gate is its own MQTT client (its own client id, socket and ``gates/{id}/…`` topics), sends
real :class:`~gatecore.messages.ScanEvent` messages (UUIDv7 ids, per-gate seq, gate time,
temperature) at a Poisson rate, and times the decision central sends back. The load is open-loop:
a slow central does not slow the arrivals, as people keep arriving at a real gate.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import os
import random
import resource
import signal
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from firmware_sim.fleet_mix import DEFAULT_MIX, FleetPlan, Picker, Scan
from firmware_sim.fleet_report import FleetReport
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.messages import DecisionMessage, GateStatus, MessageError, ScanEvent, Temperature
from gatecore.thermoline import SensorStatus
from transport import heap
from transport.mqtt import LinkOptions
from transport.mqtt_aio import AioClient, AioHub

logger = logging.getLogger(__name__)
MAX_RATE = 1000.0  # scans per second per gate: a camera at 30 frames/s reads far fewer
MAX_VISITORS = 20_000  # one-time passes made per run at most; beyond, reused passes are refused


@dataclass(frozen=True, slots=True)
class FleetOptions:
    """How many gates, how fast, for how long, against which broker."""

    gates: int = 100
    rate: float = 0.5  # scans per second per gate
    duration: float = 30.0  # seconds of scans; then at most ``timeout`` more for the last answers
    host: str = "127.0.0.1"
    port: int = 1883
    mix: dict[str, float] | None = None
    seed: int = 1
    timeout: float = 5.0  # a scan with no answer within this many seconds counts as a timeout
    status_every: float = 5.0  # each gate's retained status heartbeat, as a real gate sends it; 0: none
    connect_timeout: float = 30.0
    username: str | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        if self.gates < 1:
            raise ValueError(f"a fleet needs at least one gate, not {self.gates}")
        for name, value in (
            ("--rate", self.rate),
            ("--duration", self.duration),
            ("--timeout", self.timeout),
        ):
            if not 0 < value < math.inf:  # NaN too
                raise ValueError(f"{name} must be positive and finite, not {value}")
        if self.rate > MAX_RATE:  # beyond it the arrival times stop advancing in a float's precision
            raise ValueError(
                f"--rate must be at most {MAX_RATE:g} scans per second per gate, not {self.rate:g}"
            )
        if not 0 <= self.status_every < math.inf:
            raise ValueError(
                f"--status-every must be 0 (none) or a number of seconds, not {self.status_every}"
            )


@dataclass(slots=True)
class _Pending:
    sent: float
    scan: Scan


class Fleet:
    """The gates of one run and what they are waiting for."""

    def __init__(self, plan: FleetPlan, options: FleetOptions) -> None:
        if options.gates > len(plan.gates):
            raise ValueError(f"the plan has {len(plan.gates)} gates, {options.gates} asked for")
        self.plan = plan
        self.options = options
        self.gates = plan.gates[: options.gates]
        self.report = FleetReport(gates=len(self.gates), timeout_s=options.timeout)
        self.picker = Picker(plan, options.mix or dict(DEFAULT_MIX), random.Random(options.seed))
        self.pending: dict[str, _Pending] = {}
        self.expired: set[str] = set()  # timed-out event ids, so a late answer is told apart
        self._seq = [0] * len(self.gates)

    async def run(self, stop: asyncio.Event, *, settle_heap: bool = False) -> FleetReport:
        """Connect, send scans for the duration (or until ``stop``), wait for the last answers."""
        hub, cpu = AioHub(), time.process_time()
        links = [self._link(hub, gate_id) for gate_id, _ in self.gates]
        try:
            await self._connect(hub, stop)
            self._threads()
            if settle_heap:  # the plan and the connections stay: a full collection must not stall the gates
                heap.settle()
            if not stop.is_set():
                heartbeats = asyncio.ensure_future(self._heartbeats(links, stop))
                try:
                    await self._send(links, stop)
                finally:
                    heartbeats.cancel()
            await self._drain(stop)
        finally:
            self.report.interrupted = stop.is_set()
            self._expire(everything=True)
            self.report.disconnects = sum(c.disconnects for c in links)
            self._sign_off(links)
            await hub.close()
            self.report.cpu_seconds = time.process_time() - cpu
        return self.report

    async def _connect(self, hub: AioHub, stop: asyncio.Event) -> None:
        connecting = asyncio.ensure_future(hub.connect_all(timeout=self.options.connect_timeout))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([connecting, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if connecting.done():
            connecting.result()  # raises MqttError when there is no broker at all
        else:  # stopped (Ctrl-C) while connecting
            connecting.cancel()
        self.report.connected = sum(c.ready.is_set() for c in hub.clients)

    def _link(self, hub: AioHub, gate_id: str) -> AioClient:
        o = self.options
        options = LinkOptions(host=o.host, port=o.port, username=o.username, password=o.password)
        client = hub.client(f"sim-{gate_id}", options, self._on_decision)
        client.subscribe(topics.gate_decisions(gate_id), qos=1)
        return client

    async def _send(self, links: list[AioClient], stop: asyncio.Event) -> None:
        rng = random.Random(self.options.seed + 1)  # arrivals apart from the mix, so --mix keeps the times
        rate, start = self.options.rate, time.monotonic()
        end = start + self.options.duration
        due = [(start + rng.expovariate(rate), i) for i, link in enumerate(links) if link.ready.is_set()]
        heapq.heapify(due)
        next_check = start
        while due and not stop.is_set():
            at, i = due[0]
            if at >= end:
                break
            wait = at - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                except TimeoutError:
                    pass
                continue
            heapq.heapreplace(due, (at + rng.expovariate(rate), i))
            self.report.max_send_lag_ms = max(self.report.max_send_lag_ms, -wait * 1000)
            self._scan(links[i], i)
            now = time.monotonic()
            if now >= next_check:  # bounded bookkeeping, not per scan
                self._expire()
                self._threads()
                next_check = now + 0.25
            if self.report.sent % 50 == 0:
                await asyncio.sleep(0)  # when behind schedule, still let the answers in
        self.report.scan_seconds = min(time.monotonic(), end) - start

    async def _heartbeats(self, links: list[AioClient], stop: asyncio.Event) -> None:
        # every gate's status once per status_every, spread evenly over the period (as gates started
        # at different times would send them), so central carries a city's status load beside the scans
        every = self.options.status_every
        if every <= 0:
            return
        step, i = every / len(links), 0
        while not stop.is_set():
            gate_id, link = self.gates[i][0], links[i]
            if link.ready.is_set():
                status = GateStatus(gate_id=gate_id, state="online", at=datetime.now(UTC), policy_version=1)
                link.publish(topics.gate_status(gate_id), status.to_json(), qos=1, retain=True)
                self.report.statuses += 1
            i = (i + 1) % len(links)
            await asyncio.sleep(step)

    def _sign_off(self, links: list[AioClient]) -> None:
        # a gate that sent heartbeats stops as a gate does: its retained status says stopped, so the
        # broker does not keep a thousand gates "online" for the next central that subscribes
        if self.options.status_every <= 0:
            return
        for (gate_id, _), link in zip(self.gates, links, strict=True):
            if link.ready.is_set():
                status = GateStatus(gate_id=gate_id, state="offline", stopped=True)
                link.publish(topics.gate_status(gate_id), status.to_json(), qos=1, retain=True)

    def _scan(self, link: AioClient, i: int) -> None:
        gate_id, campus = self.gates[i]
        scan = self.picker.pick(campus)
        self._seq[i] += 1
        now = time.time()
        event = ScanEvent(
            event_id=uuid7(int(now * 1000), os.urandom(10)),
            gate_id=gate_id,
            seq=self._seq[i],
            gate_time=datetime.fromtimestamp(now, UTC),
            qr=scan.qr,
            temperature=Temperature(scan.celsius, SensorStatus.OK),
        )
        sent = time.perf_counter()
        self.pending[event.event_id] = _Pending(sent, scan)
        if self.report.first_sent is None:
            self.report.first_sent = sent
        self.report.sent += 1
        if not link.publish(topics.gate_events(gate_id), event.to_json(), qos=1):
            self.report.refused_publish += 1

    def _on_decision(self, topic: str, payload: bytes) -> None:
        received = time.perf_counter()
        try:
            decision = DecisionMessage.from_json(payload)
        except MessageError as exc:
            logger.warning("unreadable decision on %s: %s", topic, exc)
            self.report.unmatched += 1
            return
        pending = self.pending.pop(decision.event_id, None)
        if pending is None:
            if decision.event_id in self.expired:
                self.expired.discard(decision.event_id)
                self.report.late += 1
                self.report.last_answer = received
            else:
                self.report.unmatched += 1
            return
        latency = (received - pending.sent) * 1000
        self.report.record(
            pending.scan.kind, decision.verdict.value, decision.reason.value, latency, received
        )
        self.picker.answered(pending.scan, decision.verdict)

    def _expire(self, *, everything: bool = False) -> None:
        limit = float("inf") if everything else time.perf_counter() - self.options.timeout
        expired = []
        for event_id, p in self.pending.items():  # in sending order: stop at the first still in time
            if p.sent > limit:
                break
            expired.append(event_id)
        for event_id in expired:
            del self.pending[event_id]
            self.expired.add(event_id)
        self.report.timeouts += len(expired)

    async def _drain(self, stop: asyncio.Event) -> None:
        # wait for every answer, late ones too (they measure a central that fell behind), but no
        # longer than ``timeout`` after the last scan
        deadline = time.perf_counter() + self.options.timeout
        while self._unanswered() and time.perf_counter() < deadline and not stop.is_set():
            await asyncio.sleep(0.02)
            self._expire()

    def _unanswered(self) -> int:
        r = self.report
        return r.sent - r.answered - r.late

    def _threads(self) -> None:
        self.report.max_threads = max(self.report.max_threads, threading.active_count())


def visitors_needed(options: FleetOptions) -> int:
    """Fresh visitor passes enough for a run's visitor scans (with margin; capped)."""
    mix = options.mix or DEFAULT_MIX
    share = mix.get("visitor", 0) / sum(mix.values())
    expected = options.gates * options.rate * options.duration * share  # inf when their product overflows
    return int(min(MAX_VISITORS, expected * 1.3 + 10)) if share > 0 else 0


def raise_fd_limit(gates: int) -> None:
    """One socket per gate: lift the soft descriptor limit (often 1,024) to fit; ValueError, saying
    so, when the hard limit cannot fit them (the gates beyond it would never connect)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = gates + 256
    if hard != resource.RLIM_INFINITY and hard < want:
        raise ValueError(
            f"--gates {gates} needs {want} open files; this process may open {hard} (ulimit -Hn): "
            "raise the limit, or run fewer gates in each of several fleet processes"
        )
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # the hard limit holds them (above)


def run_fleet(
    plan: FleetPlan, options: FleetOptions, *, handle_signals: bool = False, settle_heap: bool = False
) -> FleetReport:
    """Run a fleet to the end (or until SIGINT/SIGTERM with ``handle_signals``) and return its report.
    ``settle_heap``: freeze the process's heap once connected (transport.heap), for a process that
    runs nothing else; not in a test process, whose later garbage it would keep."""

    async def main() -> FleetReport:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        try:
            return await Fleet(plan, options).run(stop, settle_heap=settle_heap)
        finally:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

    raise_fd_limit(options.gates)
    return asyncio.run(main())

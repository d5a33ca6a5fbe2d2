"""The gate's Prometheus metrics on 127.0.0.1:CAMPUSGATE_GATE_METRICS_PORT (unset or 0: not served):
outbox depth, decode time, camera frames (rate: frames/s), device faults, link state.

:func:`instrument` wraps the agent's camera, decoder and the health watch's display in thin
counting proxies, so the agent's own code carries no metrics calls.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gate_agent.errors import GateError

logger = logging.getLogger(__name__)

PORT_ENV = "CAMPUSGATE_GATE_METRICS_PORT"
FRAMES = Counter("campusgate_gate_frames", "Camera frames read (rate: frames/s)", ["gate"])
DECODE_SECONDS = Histogram(
    "campusgate_gate_decode_seconds",
    "Time to look for QR codes in one frame",
    ["gate"],
    buckets=(0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6, 1.2),
)
FAULTS = Counter(
    "campusgate_gate_faults", "Device faults raised (thermometer_*, camera_*, link_down)", ["gate", "fault"]
)

_AGENTS: weakref.WeakSet[Any] = weakref.WeakSet()


class _Proxy:
    def __init__(self, inner: Any, gate: str) -> None:
        self._inner, self._gate = inner, gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CountedCamera(_Proxy):
    def read(self) -> Any:
        frame = self._inner.read()
        if frame is not None:
            FRAMES.labels(self._gate).inc()
        return frame


class _TimedDecoder(_Proxy):
    def decode(self, frame: Any) -> Any:
        with DECODE_SECONDS.labels(self._gate).time():
            return self._inner.decode(frame)


class _FaultDisplay(_Proxy):
    def show_fault(self, fault: Any) -> None:
        FAULTS.labels(self._gate, str(fault)).inc()
        self._inner.show_fault(fault)


class _AgentCollector(Collector):
    """Outbox depth, active faults and link state of every agent in this process, at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "campusgate_gate_outbox_depth", "Events waiting in the outbox", labels=["gate"]
        )
        active = GaugeMetricFamily(
            "campusgate_gate_fault_active", "1 while a fault is shown", labels=["gate", "fault"]
        )
        link = GaugeMetricFamily(
            "campusgate_gate_link_up", "1 while the MQTT link is connected", labels=["gate"]
        )
        for agent in list(_AGENTS):
            gate = agent.settings.gate_id
            try:
                depth.add_metric([gate], agent.outbox.depth())
            except GateError:
                pass  # the store is unreadable: the health watch shows that fault itself
            for fault in sorted(agent.health.active):
                active.add_metric([gate, str(fault)], 1)
            link.add_metric([gate], 1 if agent.link.up else 0)
        yield from (depth, active, link)


REGISTRY.register(_AgentCollector())


def instrument(agent: Any) -> None:
    """Count the agent's frames, decode times and faults; serve /metrics if the port is set."""
    gate = agent.settings.gate_id
    agent.camera = _CountedCamera(agent.camera, gate)
    agent.decoder = _TimedDecoder(agent.decoder, gate)
    # the frame intake reads through its own references: count there (before the agent starts)
    agent.intake.camera, agent.intake.decoder = agent.camera, agent.decoder
    agent.health.display = _FaultDisplay(agent.health.display, gate)
    _AGENTS.add(agent)
    port = int(os.environ.get(PORT_ENV) or 0)
    if port:
        try:
            start_http_server(port, addr="127.0.0.1")
            logger.info("gate metrics on http://127.0.0.1:%d/metrics", port)
        except OSError as exc:  # the gate runs without its metrics rather than not at all
            logger.error("gate metrics not served on port %d: %s", port, exc)

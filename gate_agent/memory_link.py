"""MemoryLink: the Link port in memory, a real implementation that records what the gate sent
and lets a test (or a tool) play central: deliver decisions and configs, drop and restore the link.

Messages cross it as JSON bytes through the same parsing and gate check as on MQTT, so a unit test
of the agent sees what the broker would carry; integration tests keep the real broker."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

from gate_agent.link import accept
from gate_agent.ports import ConfigHandler, DecisionHandler
from gatecore.messages import DecisionMessage, GateConfig, GateStatus, ScanEvent

Answer = Callable[[ScanEvent], DecisionMessage | None]


class MemoryLink:
    """An in-memory link to a central played by the caller; thread-safe."""

    def __init__(self, gate_id: str, *, up: bool = True, answer: Answer | None = None) -> None:
        self.gate_id = gate_id
        self.answer = answer  # when set, called for every published event: central answering at once
        self.events: list[ScanEvent] = []  # every publish, resends included, in order
        self.statuses: list[GateStatus] = []  # every retained status publish, in order
        self.started = self.stopped = False
        self._up = up
        self._retained: GateStatus | None = None
        self._on_decision: DecisionHandler | None = None
        self._on_config: ConfigHandler | None = None
        self._listeners: list[Callable[[bool], None]] = []
        self._cond = threading.Condition()

    # the Link port

    @property
    def up(self) -> bool:
        """Whether the link is up (set by the test with set_up)."""
        return self._up and self.started and not self.stopped

    def on_decision(self, handler: DecisionHandler) -> None:
        """Deliver decisions to ``handler``."""
        self._on_decision = handler

    def on_config(self, handler: ConfigHandler) -> None:
        """Deliver configs to ``handler``."""
        self._on_config = handler

    def on_connection_change(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(up)`` on every set_up change."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Connect at once (when the test has the link up)."""
        self.started = True
        if self._up:
            self._connected()

    def stop(self, *, graceful: bool = True) -> None:
        """Disconnect; graceful: record the offline status first."""
        if graceful and self.up:
            self._record_status(GateStatus(gate_id=self.gate_id, state="offline"))
        self.stopped = True

    def publish_event(self, event: ScanEvent) -> bool:
        """Record the event (as it would cross the wire); False when down."""
        if not self.up:
            return False
        sent = ScanEvent.from_json(event.to_json())
        with self._cond:
            self.events.append(sent)
            self._cond.notify_all()
        if self.answer is not None:
            msg = self.answer(sent)
            if msg is not None:
                self.deliver_decision(msg)
        return True

    def set_status(self, status: GateStatus) -> bool:
        """Keep the status for reconnects and record it now when up."""
        self._retained = dataclasses.replace(status, at=None)
        if not self.up:
            return False
        self._record_status(status)
        return True

    # the test's side: play central and the network

    def deliver_decision(self, msg: DecisionMessage | bytes) -> bool:
        """Central answers; False when the message is malformed or for another gate (ignored)."""
        payload = msg if isinstance(msg, bytes) else msg.to_json()
        parsed = accept(self.gate_id, "memory", payload, DecisionMessage.from_json, "decision")
        if parsed is None:
            return False
        if self._on_decision is not None:
            self._on_decision(parsed)
        return True

    def deliver_config(self, config: GateConfig | bytes) -> bool:
        """Central publishes a config; False when malformed or for another gate (ignored)."""
        payload = config if isinstance(config, bytes) else config.to_json()
        parsed = accept(self.gate_id, "memory", payload, GateConfig.from_json, "config")
        if parsed is None:
            return False
        if self._on_config is not None:
            self._on_config(parsed, payload)
        return True

    def set_up(self, up: bool) -> None:
        """The network comes back or goes away; listeners hear of it as from paho."""
        was, self._up = self.up, up
        if self.up and not was:
            self._connected()
        elif was and not self.up:
            for listener in list(self._listeners):
                listener(False)

    def wait_for_events(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` events were published; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.events) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _connected(self) -> None:
        self._record_status(self._retained or GateStatus(gate_id=self.gate_id, state="online"))
        for listener in list(self._listeners):
            listener(True)

    def _record_status(self, status: GateStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

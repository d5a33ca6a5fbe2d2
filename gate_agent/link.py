"""GateLink: the gate's MQTT side over MqttLink - events out, decisions and config in, a retained
status with a Last Will of offline."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TypeVar

from gate_agent.ports import ConfigHandler, DecisionHandler
from gatecore import topics
from gatecore.messages import DecisionMessage, GateConfig, GateStatus, MessageError, ScanEvent
from transport.mqtt import LinkOptions, MqttLink, Retained

logger = logging.getLogger(__name__)

_M = TypeVar("_M", DecisionMessage, GateConfig)


def accept(gate_id: str, where: str, payload: bytes, parse: Callable[[bytes], _M], what: str) -> _M | None:
    """The parsed message if it is well formed and for this gate; a warning and None otherwise."""
    try:
        msg = parse(payload)
    except MessageError as exc:
        logger.warning("malformed %s on %s ignored: %s", what, where, exc)
        return None
    if msg.gate_id != gate_id:
        logger.warning("%s for gate %s arrived on %s, ignored", what, msg.gate_id, where)
        return None
    return msg


class GateLink:
    """The Link port on MQTT: one gate's topics on one connection."""

    def __init__(self, gate_id: str, options: LinkOptions) -> None:
        self.gate_id = gate_id
        self._status_topic = topics.gate_status(gate_id)
        # a copy: the caller's options stay as given; on_connect_publish is kept current by set_status()
        options = dataclasses.replace(
            options,
            will=Retained(self._status_topic, GateStatus(gate_id=gate_id, state="offline").to_json()),
            on_connect_publish=[
                Retained(self._status_topic, GateStatus(gate_id=gate_id, state="online").to_json())
            ],
        )
        self._mqtt = MqttLink(f"gate-{gate_id}", options)
        self._on_decision: DecisionHandler | None = None
        self._on_config: ConfigHandler | None = None
        self._mqtt.subscribe(topics.gate_decisions(gate_id), self._decision)
        self._mqtt.subscribe(topics.gate_config(gate_id), self._config)

    @property
    def up(self) -> bool:
        """Whether the broker connection is up now."""
        return self._mqtt.connected.is_set()

    def on_decision(self, handler: DecisionHandler) -> None:
        """Deliver valid decisions for this gate to ``handler``."""
        self._on_decision = handler

    def on_config(self, handler: ConfigHandler) -> None:
        """Deliver valid configs for this gate (with the raw payload) to ``handler``."""
        self._on_config = handler

    def on_connection_change(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(up)`` whenever the connection comes up or goes down."""
        self._mqtt.on_connection_change(listener)

    def start(self) -> None:
        """Connect in the background; the gate works offline until the broker answers."""
        self._mqtt.start(wait=None)

    def stop(self, *, graceful: bool = True) -> None:
        """Disconnect (graceful: publish a stopped offline status first, since a clean disconnect skips
        the Will and central tells an orderly stop from an outage by it)."""
        if graceful and self.up:
            self._mqtt.publish(
                self._status_topic,
                GateStatus(gate_id=self.gate_id, state="offline", stopped=True).to_json(),
                qos=1,
                retain=True,
            )
        self._mqtt.stop(graceful=graceful)

    def publish_event(self, event: ScanEvent) -> bool:
        """Publish a scan event at QoS 1; False when the link is down (the outbox keeps it)."""
        if not self.up:
            return False
        return self._mqtt.publish(topics.gate_events(self.gate_id), event.to_json(), qos=1)

    def set_status(self, status: GateStatus) -> bool:
        """Publish the retained status now (when up) and on every later reconnect."""
        payload = status.to_json()
        # the copy sent on a later reconnect carries no time: by then it would read as clock skew
        again = dataclasses.replace(status, at=None).to_json()
        self._mqtt.options.on_connect_publish[:] = [Retained(self._status_topic, again)]
        if not self.up:
            return False
        return self._mqtt.publish(self._status_topic, payload, qos=1, retain=True)

    def _decision(self, topic: str, payload: bytes) -> None:
        msg = accept(self.gate_id, topic, payload, DecisionMessage.from_json, "decision")
        if msg is not None and self._on_decision:
            self._on_decision(msg)

    def _config(self, topic: str, payload: bytes) -> None:
        if not payload:  # a cleared retained message
            logger.info("retained config on %s was cleared; keeping the last one", topic)
            return
        config = accept(self.gate_id, topic, payload, GateConfig.from_json, "config")
        if config is not None and self._on_config:
            self._on_config(config, payload)

"""A bare MQTT client for tests that must see what the product's link hides: refused connections,
refused subscriptions (SUBACK 0x80), being disconnected, and each message with its retain flag."""

from __future__ import annotations

import queue
import ssl
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt

REFUSED = 0x80  # SUBACK return code of a subscription the broker refused


@dataclass(frozen=True, slots=True)
class Received:
    """One message as the probe saw it."""

    topic: str
    payload: bytes
    retain: bool


class ProbeError(Exception):
    """The probe could not connect or was not answered in time."""


class Probe:
    """One MQTT 3.1.1 connection, driven synchronously."""

    def __init__(
        self,
        port: int,
        client_id: str,
        *,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        clean_session: bool = True,
    ) -> None:
        self.port = port
        self.messages: queue.Queue[Received] = queue.Queue()
        self.disconnected = threading.Event()
        self._connack: queue.Queue[int] = queue.Queue()
        self._subacks: dict[int, queue.Queue[list[int]]] = {}
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=clean_session,
        )
        if username is not None:
            c.username_pw_set(username, password)
        if ca_file:
            c.tls_set(ca_certs=ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        c.on_connect = lambda _c, _u, _f, rc, _p: self._connack.put(rc.value)
        c.on_disconnect = lambda *_a: self.disconnected.set()
        c.on_message = lambda _c, _u, m: self.messages.put(
            Received(m.topic, bytes(m.payload), bool(m.retain))
        )
        c.on_subscribe = self._on_subscribe
        self._client = c

    def _on_subscribe(self, client: object, userdata: object, mid: int, codes: list, props: object) -> None:
        self._subacks.setdefault(mid, queue.Queue()).put([int(getattr(rc, "value", rc)) for rc in codes])

    def connect(self, timeout: float = 5.0) -> int:
        """Connect; the CONNACK return code (0 accepted, 4 bad user name or password, 5 not authorised)."""
        self._client.connect("127.0.0.1", self.port, keepalive=10)
        self._client.loop_start()
        try:
            return self._connack.get(timeout=timeout)
        except queue.Empty:
            raise ProbeError(f"no CONNACK from 127.0.0.1:{self.port} in {timeout} s") from None

    def subscribe(self, topic: str, qos: int = 1, timeout: float = 5.0) -> int:
        """Subscribe; the granted QoS, or REFUSED."""
        _, mid = self._client.subscribe(topic, qos)
        try:
            return self._subacks.setdefault(mid, queue.Queue()).get(timeout=timeout)[0]
        except queue.Empty:
            raise ProbeError(f"no SUBACK for {topic} in {timeout} s") from None

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publish and wait for the PUBACK (an MQTT 3.1.1 broker acknowledges a denied publish too)."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(5)
        if not info.is_published():
            raise ProbeError(f"publish on {topic} not acknowledged")

    def next_message(self, timeout: float = 5.0) -> Received | None:
        """The next message received, or None after ``timeout``."""
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def until(self, topic: str, payload: bytes, timeout: float = 5.0) -> list[Received]:
        """Every message received up to and including (topic, payload); raise if it never comes."""
        seen: list[Received] = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            m = self.next_message(left)
            if m is None:
                break
            seen.append(m)
            if (m.topic, m.payload) == (topic, payload):
                return seen
        raise ProbeError(f"{topic} {payload!r} never arrived; got {seen}")

    def close(self) -> None:
        """Disconnect cleanly and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

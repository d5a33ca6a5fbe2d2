"""The threaded MQTT link (paho-mqtt), used by central, the gate agent and the simulator; with
``mqtt_aio`` (many clients on one asyncio loop, for the fleet) the only modules that touch paho.

Why the details matter:
- ``TCP_NODELAY`` on every socket: without it a QoS 1 request/response on loopback takes
  44-88 ms (Nagle meets delayed ACKs); with it, under a millisecond.
- Subscriptions are made again on every (re)connect, and a retained ``online`` status is published
  on connect with a Last Will of ``offline``, so availability is always current.
- A handler that raises is logged and dropped; it never kills paho's network thread.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

logger = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
# with the retain flag: True for a retained message the broker replays because we (re)subscribed
RetainHandler = Callable[[str, bytes, bool], None]


class MqttError(Exception):
    """The link could not do what was asked (connect in time, publish)."""


@dataclass(frozen=True, slots=True)
class Retained:
    """A retained message published on every connect (e.g. status=online)."""

    topic: str
    payload: bytes


@dataclass(slots=True)
class LinkOptions:
    """How to reach the broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    keepalive: int = 10
    clean_session: bool = True
    will: Retained | None = None
    on_connect_publish: list[Retained] = field(default_factory=list)
    # QoS 1 messages sent and not yet acknowledged. paho's default of 20 holds the rest back until
    # acknowledgements come in on its network thread: for central, answering hundreds of gates a
    # second from a busy process, that window (not the rules) set the pace
    max_inflight: int = 20


def _nodelay(client: mqtt.Client, userdata: Any, sock: Any) -> None:  # paho types it as a SocketLike
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # not a TCP socket (e.g. a unix socket in tests)
        pass


class MqttLink:
    """A paho client with reconnects, re-subscription and exception-safe handlers."""

    def __init__(self, client_id: str, options: LinkOptions) -> None:
        self.client_id = client_id
        self.options = options
        self.connected = threading.Event()
        self._subs: dict[str, tuple[int, RetainHandler, tuple[str, ...]]] = {}
        self._lock = threading.Lock()
        self._listeners: list[Callable[[bool], None]] = []
        self._stopping = False
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=options.clean_session,
        )
        c.on_socket_open = _nodelay
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.reconnect_delay_set(min_delay=1, max_delay=5)
        c.max_queued_messages_set(0)
        c.max_inflight_messages_set(options.max_inflight)
        if options.username:
            c.username_pw_set(options.username, options.password)
        if options.tls:
            c.tls_set(ca_certs=options.ca_file)
        if options.will:
            c.will_set(options.will.topic, options.will.payload, qos=1, retain=True)
        self._client = c

    def on_connection_change(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(True/False)`` whenever the link comes up or goes down."""
        self._listeners.append(listener)

    def subscribe(self, topic: str, handler: Handler, qos: int = 1) -> None:
        """Route messages on ``topic`` (a filter) to ``handler``; kept across reconnects."""
        self.subscribe_with_retain(topic, lambda t, p, _retained: handler(t, p), qos)

    def subscribe_with_retain(self, topic: str, handler: RetainHandler, qos: int = 1) -> None:
        """Like :meth:`subscribe`, also telling ``handler`` whether a message is a retained replay
        (MQTT 3.1.1 sets the flag only on retained messages sent on subscribing, not on live ones)."""
        with self._lock:
            self._subs[topic] = (qos, handler, _filter_levels(topic))
        if self.connected.is_set():
            self._client.subscribe(topic, qos)

    def unsubscribe(self, topic: str) -> None:
        """Stop routing ``topic`` (a filter given to subscribe) and tell the broker; not renewed on reconnect."""
        with self._lock:
            self._subs.pop(topic, None)
        if self.connected.is_set():
            self._client.unsubscribe(topic)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Queue a message; False when paho refused it (not connected and QoS 0, or full)."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS or (qos > 0 and info.rc == mqtt.MQTT_ERR_NO_CONN)

    def start(self, *, wait: float | None = 10.0) -> None:
        """Connect in the background; with ``wait``, block until connected or raise MqttError."""
        self._client.connect_async(self.options.host, self.options.port, keepalive=self.options.keepalive)
        self._client.loop_start()
        if wait is not None and not self.connected.wait(wait):
            raise MqttError(
                f"no MQTT connection to {self.options.host}:{self.options.port} within {wait:.0f} s"
            )

    def stop(self, *, graceful: bool = True) -> None:
        """Disconnect; ``graceful=False`` drops the socket so the broker fires the Last Will."""
        self._stopping = True
        if graceful:
            self._client.disconnect()
        else:
            sock = self._client.socket()
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        try:
            self._client.loop_stop()
        except AttributeError:
            # paho 2.x: its network thread, ending on the disconnect, cleared its own handle between
            # loop_stop's check and its join (seen once in the suite); the thread is gone, as wanted
            pass
        self.connected.clear()

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            logger.warning("MQTT connect to %s:%s refused: %s", self.options.host, self.options.port, rc)
            return
        with self._lock:
            subs = list(self._subs.items())
        for topic, (qos, *_) in subs:
            client.subscribe(topic, qos)
        for msg in self.options.on_connect_publish:
            client.publish(msg.topic, msg.payload, qos=1, retain=True)
        logger.info("MQTT connected to %s:%s as %s", self.options.host, self.options.port, self.client_id)
        self.connected.set()
        self._notify(True)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        if self.connected.is_set() and not self._stopping:
            logger.warning("MQTT link %s lost: %s", self.client_id, rc)
        self.connected.clear()
        self._notify(False)

    def _notify(self, up: bool) -> None:
        for listener in self._listeners:
            try:
                listener(up)
            except Exception:
                logger.exception("connection listener failed")

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        levels = topic.split("/")
        with self._lock:
            subs = list(self._subs.values())
        for _, handler, pattern in subs:
            if _matches(pattern, levels):
                try:
                    handler(topic, bytes(msg.payload), bool(msg.retain))
                except Exception:
                    logger.exception(
                        "handler for %s failed on a message of %d bytes", topic, len(msg.payload)
                    )
                return
        logger.debug("no handler for %s", topic)


def _filter_levels(pattern: str) -> tuple[str, ...]:
    # a shared subscription's messages carry the plain topic: match them against the filter proper
    if pattern.startswith("$share/"):
        pattern = pattern.split("/", 2)[2]
    return tuple(pattern.split("/"))


def _matches(pattern: tuple[str, ...], levels: list[str]) -> bool:
    """MQTT topic matching against a filter split once on subscribing: paho's ``topic_matches_sub``
    builds a matcher tree per call, which was the network thread's costliest line at 700 messages/s."""
    if levels[0].startswith("$") and pattern[0] in ("+", "#"):
        return False  # wildcards never match $SYS-style topics at the first level
    for i, want in enumerate(pattern):
        if want == "#":
            return True
        if i >= len(levels) or (want != "+" and want != levels[i]):
            return False
    return len(levels) == len(pattern)

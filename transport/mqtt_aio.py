"""Many MQTT clients on one asyncio loop: the asyncio sibling of :mod:`transport.mqtt`.

Each client is a paho client driven from the event loop's selector (``loop_read`` when its socket
is readable, ``loop_write`` soon after paho has bytes to send, and again when the socket has room if
it was full, ``loop_misc`` once a second for keep-alives), so a thousand simulated gates cost a
thousand sockets, not a thousand threads.
Everything here runs on the loop's thread: handlers must be quick and must not block.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from transport.mqtt import LinkOptions, MqttError

logger = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
RECONNECT_S = 2.0


class AioClient:
    """One paho client whose socket the loop watches; subscriptions are made again on reconnect."""

    def __init__(self, hub: AioHub, client_id: str, options: LinkOptions, handler: Handler) -> None:
        self.client_id = client_id
        self.options = options
        self.up = False
        self.ready = asyncio.Event()  # connected and every subscription acknowledged
        self.disconnects = 0
        self._hub = hub
        self._handler = handler
        self._subs: dict[str, int] = {}
        self._waiting: set[int] = set()
        self._last_try: float | None = None  # None: connect() not yet called
        self._closing = False
        self._flush_due = False  # a write of paho's pending bytes is scheduled on the loop
        self._watching_write = False  # the loop watches the socket for room to write
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=options.clean_session,
        )
        c.on_socket_open = self._on_socket_open
        c.on_socket_close = self._on_socket_close
        c.on_socket_register_write = self._on_register_write
        c.on_socket_unregister_write = self._on_unregister_write
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        if options.username:
            c.username_pw_set(options.username, options.password)
        if options.tls:
            c.tls_set(ca_certs=options.ca_file)
        self._client = c

    def subscribe(self, topic: str, qos: int = 1) -> None:
        """Subscribe now if connected, and again after every reconnect."""
        self._subs[topic] = qos
        if self.up:
            self._send_subscribe(topic, qos)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Queue a message; False when paho refused it outright."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS or (qos > 0 and info.rc == mqtt.MQTT_ERR_NO_CONN)

    def connect(self) -> OSError | None:
        """Open the TCP connection and send CONNECT (the TCP connect itself is a short blocking call);
        the error when the broker could not be reached (tried again later by the hub)."""
        self._last_try = time.monotonic()
        self._client.connect_async(self.options.host, self.options.port, keepalive=self.options.keepalive)
        try:
            self._client.reconnect()
        except OSError as exc:
            logger.debug("MQTT client %s could not connect: %s", self.client_id, exc)
            return exc
        return None

    def disconnect(self) -> None:
        """Send DISCONNECT; the socket closes once paho has written it."""
        self._closing = True
        if self._client.socket() is not None:
            self._client.disconnect()

    def misc(self, now: float) -> None:
        """Keep-alive, and a reconnect attempt at most every RECONNECT_S while down."""
        if self._client.socket() is not None:
            self._client.loop_misc()
        elif self._last_try is not None and not self._closing and now - self._last_try >= RECONNECT_S:
            self.connect()

    # --- paho callbacks, all on the loop's thread
    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # see transport.mqtt
        except OSError:
            pass
        self._hub.loop.add_reader(sock, self._read)

    def _read(self) -> None:
        self._client.loop_read()
        # a TLS socket may hold decrypted bytes the selector cannot see: read them now
        sock = self._client.socket()
        while sock is not None and getattr(sock, "pending", lambda: 0)():
            self._client.loop_read()
            sock = self._client.socket()

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._hub.loop.remove_reader(sock)
        self._hub.loop.remove_writer(sock)
        self._watching_write = False

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        # paho has bytes to send: write them once the current callback is done, and wait for the socket
        # only if it is full. Watching it for every packet cost two epoll changes a publish and a PUBACK
        # (a fifth of the fleet's CPU); what a handler publishes in a row goes out in one flush
        if not self._flush_due:
            self._flush_due = True
            self._hub.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        sock = self._client.socket()  # the current one: a reconnect may have replaced it meanwhile
        if sock is None:
            return
        self._client.loop_write()
        # the socket's buffer is full: on when it drains. A write that lost the connection closed the
        # socket and kept the message for the next one: nothing to watch then
        if self._client.want_write() and self._client.socket() is sock:
            self._watching_write = True
            self._hub.loop.add_writer(sock, self._client.loop_write)

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._watching_write:
            self._watching_write = False
            self._hub.loop.remove_writer(sock)

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, rc: Any, props: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            logger.warning("MQTT connect of %s refused: %s", self.client_id, rc)
            return
        self.up = True
        self._waiting.clear()  # a reconnect() closes the old socket without an on_disconnect
        for topic, qos in self._subs.items():
            self._send_subscribe(topic, qos)
        if not self._waiting:
            self.ready.set()

    def _send_subscribe(self, topic: str, qos: int) -> None:
        rc, mid = self._client.subscribe(topic, qos)
        if rc == mqtt.MQTT_ERR_SUCCESS and mid is not None:
            self._waiting.add(mid)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: object, mid: int, codes: Any, props: object
    ) -> None:
        self._waiting.discard(mid)
        if self.up and not self._waiting:
            self.ready.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: object, rc: Any, props: object
    ) -> None:
        if self.up and not self._closing:
            self.disconnects += 1
            logger.warning("MQTT client %s lost its connection: %s", self.client_id, rc)
        self.up = False
        self._waiting.clear()
        self.ready.clear()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            self._handler(msg.topic, bytes(msg.payload))
        except Exception:  # a bad handler must not stop the loop that drives every other client
            logger.exception("handler for %s failed on %d bytes", msg.topic, len(msg.payload))


class AioHub:
    """The clients of one event loop, and the once-a-second task that keeps them alive."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop or asyncio.get_running_loop()
        self.clients: list[AioClient] = []
        self._task: asyncio.Task[None] | None = None

    def client(self, client_id: str, options: LinkOptions, handler: Handler) -> AioClient:
        """A new client of this hub (not yet connected)."""
        c = AioClient(self, client_id, options, handler)
        self.clients.append(c)
        return c

    async def connect_all(self, *, timeout: float, batch: int = 50) -> int:
        """Connect every client, a batch at a time so CONNACKs are read meanwhile; the number ready.
        Raises MqttError when the first cannot reach the broker at all."""
        if self.clients:
            first = self.clients[0]
            error = first.connect()
            if error is not None:  # say so once, rather than once a client every two seconds
                o = first.options
                raise MqttError(f"no MQTT connection to {o.host}:{o.port}: {error}")
        if self._task is None:
            self._task = self.loop.create_task(self._misc())
        for i, c in enumerate(self.clients[1:], start=1):
            c.connect()
            if i % batch == batch - 1:
                await asyncio.sleep(0)
        waits = [asyncio.ensure_future(c.ready.wait()) for c in self.clients]
        await asyncio.wait(waits, timeout=timeout)
        for w in waits:
            w.cancel()
        return sum(c.ready.is_set() for c in self.clients)

    async def close(self, *, timeout: float = 2.0) -> None:
        """Disconnect every client and wait (bounded) until their sockets are closed."""
        for c in self.clients:
            c.disconnect()
        deadline = time.monotonic() + timeout
        while any(c._client.socket() is not None for c in self.clients) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _misc(self) -> None:
        while True:
            now = time.monotonic()
            for c in self.clients:
                c.misc(now)
            await asyncio.sleep(1.0)

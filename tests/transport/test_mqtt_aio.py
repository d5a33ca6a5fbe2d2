"""Many clients on one asyncio loop (transport.mqtt_aio), through a real broker."""

from __future__ import annotations

import asyncio
import os
import socket

from transport.mqtt import LinkOptions
from transport.mqtt_aio import AioHub


def test_what_a_client_publishes_goes_out_whole_and_in_order_even_past_a_full_socket(broker) -> None:
    # the loop writes paho's bytes once a callback is done and watches the socket only when it is
    # full: a message larger than the socket's buffer (several writes, the socket full between them)
    # and the small ones queued behind it all arrive, whole and in order
    big = os.urandom(2 * 1024 * 1024)
    received: list[bytes] = []

    async def main() -> None:
        hub = AioHub()
        options = LinkOptions(port=broker.port)
        sink = hub.client("aio-sink", options, lambda t, p: received.append(p))
        sink.subscribe("gates/aio-flush/decisions")
        source = hub.client("aio-source", options, lambda t, p: None)
        assert await hub.connect_all(timeout=10) == 2
        # a small send buffer, so that the big message fills it many times over
        source._client.socket().setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        assert source.publish("gates/aio-flush/decisions", big)
        for n in range(50):
            assert source.publish("gates/aio-flush/decisions", b"small-%d" % n)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 8
        while len(received) < 51 and loop.time() < deadline:
            await asyncio.sleep(0.02)
        await hub.close()

    asyncio.run(main())
    assert len(received) == 51
    assert received[0] == big
    assert received[1:] == [b"small-%d" % n for n in range(50)]


def test_a_write_that_loses_the_connection_leaves_no_watch_on_the_closed_socket(broker) -> None:
    # paho closes the socket when a write fails and keeps the message for the next connection: the
    # flush must not then ask the loop to watch the closed socket (asyncio refused it, fd -1, and
    # logged the traceback of a failed callback) and the message goes out after the reconnect
    errors: list[dict[str, object]] = []
    received: list[bytes] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: errors.append(context))
        hub = AioHub()
        options = LinkOptions(port=broker.port)
        sink = hub.client("aio-lost-sink", options, lambda t, p: received.append(p))
        sink.subscribe("gates/aio-lost/decisions")
        source = hub.client("aio-lost-source", options, lambda t, p: None)
        assert await hub.connect_all(timeout=10) == 2
        source._client.socket().shutdown(socket.SHUT_WR)  # the next send fails: EPIPE
        assert source.publish("gates/aio-lost/decisions", b"kept")
        deadline = loop.time() + 8
        while not received and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await hub.close()

    asyncio.run(main())
    assert errors == []
    assert received == [b"kept"]

"""PostgreSQL lost while central runs, then back: real PostgreSQL behind a TCP relay the test cuts,
a real broker, central (worker + API) and a simulated gate. During the outage the gate gets no
answer and decides offline, /ready says the database is down; once it is back, the event the gate
kept in its outbox is decided exactly once and /ready is green again, with no restart."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from central.app import build_central
from central.demo.passes import demo_passes
from central.demo.seed import local_today, seed_demo
from central.models.db import make_engine
from central.models.journal import EntryEvent
from central.settings import CentralSettings
from firmware_sim.scenario import Arrival
from gatecore.reasons import Verdict


class Relay:
    """127.0.0.1:port → the database; ``cut()`` drops every connection and refuses new ones until
    ``restore()``, as a stopped server or a lost network would."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port, self._listener = listener.getsockname()[1], listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                return
            server.settimeout(None)
            with self._lock:
                self._socks += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        assert self._listener is not None
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept: close alone would not
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            socks, self._socks = self._socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def _wait(what: str, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_an_event_made_while_postgresql_is_down_is_decided_once_it_is_back(
    broker, pg_url: str, rig, tmp_path: Path
) -> None:
    url = make_url(pg_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    settings = CentralSettings(
        database_url=relayed,
        mqtt_port=broker.port,
        data_dir=tmp_path,
        api_port=0,
        worker_id=uuid.uuid4().hex[:8],
    )
    handle = build_central(settings)
    direct = make_engine(pg_url)  # the test's own view of the database, around the relay
    with Session(direct) as session:
        seed_demo(session, handle.keyring, local_today(datetime.now(UTC)))
        session.commit()
        residents = [
            p for p in demo_passes(session, handle.keyring, campus_code="wucheng") if p.role == "resident"
        ]
    firsts = list({p.household_id: p for p in residents}.values())[:2]  # two households: both may enter
    handle.start()
    gate = rig("wucheng-north")
    try:
        online = gate.visit(Arrival("wucheng-north", firsts[0].token, 36.6))
        assert online.verdict is Verdict.ALLOW and not online.offline

        relay.cut()
        offline = gate.visit(Arrival("wucheng-north", firsts[1].token, 36.5))
        assert offline.offline  # no answer from central: the gate decided by itself
        ready = httpx.get(f"{handle.api_url}/ready", timeout=10)
        assert ready.status_code == 503 and ready.json()["checks"]["database"] is False

        relay.restore()

        def decided() -> list[EntryEvent]:
            with Session(direct) as s:
                return list(s.exec(select(EntryEvent).where(EntryEvent.event_id == offline.event_id)))

        _wait("the outage's event decided from the gate's outbox", lambda: len(decided()) > 0, 90)
        assert len(decided()) == 1
        assert decided()[0].gate_id == "wucheng-north"
        _wait(
            "/ready green again",
            lambda: httpx.get(f"{handle.api_url}/ready", timeout=10).status_code == 200,
            30,
        )
    finally:
        handle.stop()
        relay.cut()
        direct.dispose()

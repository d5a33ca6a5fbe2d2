"""Brokers for the demo and the tests: the embedded amqtt broker (pure Python, in a thread) and
a private Mosquitto process on a free loopback port (used by the tests when the binary exists),
persisting and keeping its log in its work folder."""

from __future__ import annotations

import asyncio
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)


class BrokerError(Exception):
    """A broker did not start."""


def free_port() -> int:
    """A free TCP port on loopback (never assume 1883 is ours)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0) -> None:
    """Block until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


class EmbeddedBroker:
    """amqtt in its own thread and event loop. It has no shared subscriptions: one worker only."""

    kind = "amqtt"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self) -> EmbeddedBroker:
        """Start listening on 127.0.0.1:port; return when it accepts connections."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="amqtt", daemon=True)
        self._thread.start()
        ready.wait(15)
        if self._error:
            raise BrokerError(f"embedded broker failed: {self._error}") from self._error
        if not ready.is_set():
            raise BrokerError("embedded broker did not start within 15 s")
        # no probe connection here: amqtt logs an ERROR for a client that connects and says nothing
        return self

    def _run(self, ready: threading.Event) -> None:
        from amqtt.broker import Broker

        async def main() -> None:
            config = {
                "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
                "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
            }
            broker = Broker(config)
            self._stop = asyncio.Event()
            try:
                await broker.start()
            except BaseException as exc:  # reported to start()
                self._error = exc
                ready.set()
                return
            ready.set()
            await self._stop.wait()
            await broker.shutdown()

        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(main())
        self._loop.close()

    def stop(self) -> None:
        """Shut down and join the thread."""
        if self._loop and self._stop and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)


class MosquittoBroker:
    """A private mosquitto on a free loopback port, TCP_NODELAY on, persistent, its log kept.

    Run as root, Mosquitto drops to the ``mosquitto`` user unless told otherwise, and that user
    cannot write a private temporary folder: it would run without ever saving its persistence file
    and say so only in its log. So the broker runs as whoever starts it (``user`` setting), logs
    to ``mosquitto.log`` in the work folder, and :meth:`wait_persisted` proves a save happened.
    """

    kind = "mosquitto"
    LOG_NAME = "mosquitto.log"

    def __init__(self, port: int | None = None, workdir: Path | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="campusgate-mosq-"))
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        """Whether the mosquitto binary is installed."""
        return _mosquitto_binary() is not None

    @property
    def persistence_file(self) -> Path:
        """Where the broker saves retained messages and persistent sessions."""
        return self.workdir / "mosquitto.db"

    @property
    def log_file(self) -> Path:
        """The broker's own log (connections, refusals, persistence errors)."""
        return self.workdir / self.LOG_NAME

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the broker's log, for failure messages."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no broker log)"
        return "\n".join(text.splitlines()[-lines:])

    def config(self) -> str:
        """The configuration file's text (a subclass may serve another, e.g. the deploy config)."""
        return (
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "set_tcp_nodelay true\n"
            "max_queued_messages 100000\n"
            "max_inflight_messages 100\n" + self.common_config()  # as deploy/mosquitto/mosquitto.conf
        )

    def common_config(self) -> str:
        """Persistence, log and process user: what every broker the tests start needs."""
        return (
            f"user {_process_user()}\n"
            "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "autosave_interval 1\n"
            f"log_dest file {self.log_file}\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            "connection_messages true\n"
            "log_timestamp_format %H:%M:%S\n"
        )

    def start(self) -> MosquittoBroker:
        """Start (or restart on the same port and persistence file)."""
        binary = _mosquitto_binary()
        if binary is None:
            raise BrokerError("mosquitto is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config())
        with open(self.log_file, "ab") as log:  # startup errors come on stderr, before the log opens
            self._proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=log)
        try:
            wait_listening(self.port)
        except BrokerError as exc:
            self.stop()
            raise BrokerError(f"{exc}; mosquitto log:\n{self.log_tail()}") from exc
        return self

    def wait_persisted(self, timeout: float = 5.0) -> Path:
        """Block until the persistence file exists (autosave every second); raise with the log if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.persistence_file.exists():
                return self.persistence_file
            time.sleep(0.05)
        raise BrokerError(f"mosquitto saved no persistence file in {timeout} s; its log:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the process (SIGTERM, so it saves its persistence file)."""
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5)
        self._proc = None


def _process_user() -> str:
    # naming the current user keeps a root-run broker from dropping to "mosquitto"
    return pwd.getpwuid(os.geteuid()).pw_name


def _mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )

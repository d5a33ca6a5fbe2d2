"""Central's bootstrap: the one place that wires settings, engine, keys, worker and the API server."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from types import FrameType

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from central import migrations
from central.api.application import create_app
from central.decisions.worker import Worker
from central.models.db import create_all, make_engine
from central.office.keys import KeyRing, open_keyring
from central.ops.ready import OpsServer
from central.settings import CentralSettings
from transport.broker import free_port

logger = logging.getLogger(__name__)


@dataclass
class CentralHandle:
    """A built central service; start() runs the worker and the API in threads, stop() ends both."""

    settings: CentralSettings
    engine: Engine
    keyring: KeyRing
    worker: Worker | None = None
    app: FastAPI | None = None
    ops: OpsServer | None = None
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def api_url(self) -> str | None:
        """Base URL of the REST API, when it runs."""
        if self.app is None:
            return None
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    def start(self, *, wait: float = 10.0) -> None:
        """Connect the worker (raises transport.mqtt.MqttError without a broker) and serve the API."""
        if self.worker is not None:
            self.worker.start(wait=wait)
        if self.ops is not None:
            self.ops.start()
        if self.app is not None:
            config = uvicorn.Config(
                self.app,
                host=self.settings.api_host,
                port=self.settings.api_port,
                log_level="warning",
                access_log=False,
            )
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(target=self._server.run, name="central-api", daemon=True)
            self._thread.start()
            deadline = time.monotonic() + wait
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"the API did not start on {self.api_url}")
                time.sleep(0.02)
            logger.info("central API on %s", self.api_url)

    def stop(self) -> None:
        """Stop the API server and disconnect the worker; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self.worker is not None:
            self.worker.stop()
        if self.ops is not None:
            self.ops.stop()
            self.ops = None
        self.engine.dispose()

    def __enter__(self) -> CentralHandle:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_central(settings: CentralSettings, *, api: bool = True, worker: bool = True) -> CentralHandle:
    """Engine, tables, key ring, worker and app, not yet started (seed between build and start)."""
    if api and settings.api_port == 0:
        settings = settings.model_copy(update={"api_port": free_port()})
    engine = make_engine(settings.database_url)
    create_all(engine)  # a fresh database: every table, stamped at the newest revision
    migrations.check_current(engine)  # an older one: refuse, naming `campusgate db upgrade`
    keyring = open_keyring(settings, engine)
    handle = CentralHandle(
        settings=settings,
        engine=engine,
        keyring=keyring,
        worker=Worker(settings, engine, keyring) if worker else None,
        app=create_app(settings, engine) if api else None,
    )
    if handle.app is not None:
        handle.app.state.keyring = keyring  # the console signs passes with the worker's keys
        if handle.worker is not None:
            handle.app.state.publish_config = handle.worker.publish_config  # registry changes reach gates
            handle.app.state.broker_connected = handle.worker.link.connected  # /ready checks it
    elif handle.worker is not None and settings.metrics_port:
        broker = handle.worker.link.connected
        handle.ops = OpsServer(settings.api_host, settings.metrics_port, engine, broker)
    return handle


def run_central(settings: CentralSettings, *, api: bool = True, worker: bool = True) -> None:
    """Run central in the foreground until SIGINT or SIGTERM."""
    handle = build_central(settings, api=api, worker=worker)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %s: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    handle.start()
    logger.info("central running (worker %s, API %s)", "on" if worker else "off", handle.api_url or "off")
    try:
        stop.wait()
    finally:
        handle.stop()

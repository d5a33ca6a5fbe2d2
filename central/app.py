"""Central's bootstrap: the one place that wires settings, engine, keys, worker and the API server."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from central import CentralError, migrations
from central.api import auth, csrf
from central.api.bodylimit import BodyLimit
from central.api.deps import plain_request, unreadable_json
from central.api.openapi import documented
from central.api.routes import (
    approvals,
    audit,
    changes,
    conflicts,
    dashboard,
    fever_alerts,
    gates,
    health,
    imports,
    incidents,
    nucleic,
    ops,
    passes,
    phonepass,
    registry,
    reports,
    users,
)
from central.console import changes as changes_pages
from central.console import entries as entry_pages
from central.console import flow as flow_pages
from central.console import live as live_page
from central.console import login as login_pages
from central.console import nucleic as nucleic_pages
from central.console import people as people_pages
from central.console import phone as phone_page
from central.console import registry_pages
from central.console import reports_page as report_pages
from central.console import users as user_pages
from central.console import visits as visit_pages
from central.console import web as console_pages
from central.console.i18n import message_words, pydantic_detail
from central.decisions.worker import Worker
from central.models.db import create_all, make_engine, read_only
from central.office.errors import OfficeError
from central.office.keys import KeyRing, open_keyring
from central.office.zones import warn_bad_zones
from central.ops.ready import OpsServer
from central.settings import CentralSettings
from transport import heap
from transport.broker import free_port

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "console" / "static"

# Every router, once. Unsafe cookie-authenticated requests need the console's CSRF token; only the
# login form (its own pre-session token) and the token endpoint (no session yet) stand outside it.
# Text with a NUL is refused on every router, open or not (``deps.plain_request``).
OPEN_ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    login_pages.public,
    health.router,
    ops.router,
    phone_page.router,
)
ROUTERS: tuple[APIRouter, ...] = (
    registry.router,
    gates.router,
    approvals.router,
    passes.router,
    imports.router,
    nucleic.router,
    phonepass.router,
    users.router,
    audit.router,
    changes.router,
    conflicts.router,
    fever_alerts.router,
    incidents.router,
    reports.router,
    dashboard.router,
    live_page.router,
    console_pages.router,
    people_pages.router,
    flow_pages.router,
    registry_pages.router,
    visit_pages.router,
    entry_pages.router,
    user_pages.router,
    changes_pages.router,
    nucleic_pages.router,
    report_pages.router,
)


def create_app(settings: CentralSettings, engine: Engine) -> FastAPI:
    """The FastAPI application on ``engine``: every router of ``ROUTERS``, office refusals as statuses."""
    app = FastAPI(title="campusgate central", version="1")
    app.openapi = lambda: documented(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, refused=console_pages.refused_page)  # a console upload: a page
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_only(engine)

    @app.exception_handler(OfficeError)
    def office_refused(request: Request, exc: OfficeError) -> Response:
        """An office service's refusal, as the status its kind names and its detail (on a console page:
        a page in both languages)."""
        if request.url.path.startswith("/console"):
            return console_pages.office_refused_page(request, exc)
        body: dict[str, object] = {"detail": exc.detail}
        words = message_words(exc.message) if isinstance(exc.detail, str) else None
        if words is not None:  # the catalogue's words, Chinese first, as a refused request's msg_zh/msg_en
            body["msg_zh"], body["msg_en"] = words[0], words[1] or exc.message
        return JSONResponse(body, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        """An HTTP refusal (on a console page: a page in both languages); a JSON body that could not
        be parsed at all is refused as an unreadable body, saying why."""
        unreadable = unreadable_json(request, exc)
        if unreadable is not None:
            return invalid(request, unreadable)
        return await console_pages.refused_page(request, exc)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A request a route cannot take, each fault in the catalogue's words: on a console page in both
        languages; from the API, FastAPI's JSON with each ``msg`` Chinese first, English beside it."""
        if request.url.path.startswith(console_pages.PAGES):
            return console_pages.invalid_page(request, exc)
        return JSONResponse({"detail": jsonable_encoder(pydantic_detail(exc.errors()))}, status_code=422)

    for router in OPEN_ROUTERS:
        app.include_router(router, dependencies=[Depends(plain_request)])
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(csrf.protect), Depends(plain_request)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


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
                    raise CentralError(f"the API did not start on {self.api_url} (is the port taken?)")
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
    warn_bad_zones(engine)  # a campus stored with an unusable zone: said once, with how to set one
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
    heap.settle()  # start-up's objects out of the collector's walks: no 100 ms pause mid-batch
    logger.info("central running (worker %s, API %s)", "on" if worker else "off", handle.api_url or "off")
    try:
        stop.wait()
    finally:
        handle.stop()

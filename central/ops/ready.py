"""Liveness and readiness: what ``/health`` and ``/ready`` answer, on the API and on a worker's
metrics port alike."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from central import migrations
from central.models.db import read_only
from central.ops.metrics import exposition

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Readiness:
    """Each check by name (True: passed) and why the failed ones failed."""

    checks: dict[str, bool]
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """All checks passed."""
        return all(self.checks.values())

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of /ready."""
        return {
            "status": "ready" if self.ready else "not ready",
            "checks": self.checks,
            "problems": self.problems,
        }


def readiness(engine: Engine, broker: threading.Event | None) -> Readiness:
    """Database reachable, schema at head, and (where this process runs a worker) broker connected."""
    checks: dict[str, bool] = {}
    problems: list[str] = []
    try:
        with read_only(engine).connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = True
    except SQLAlchemyError as exc:
        checks["database"] = False
        problems.append(f"database unreachable: {type(exc).__name__}")
    if checks["database"]:
        try:
            migrations.check_current(engine)
            checks["migrations"] = True
        except (migrations.SchemaBehind, SQLAlchemyError) as exc:
            checks["migrations"] = False
            problems.append(str(exc))
    else:
        checks["migrations"] = False
    if broker is not None:
        checks["broker"] = broker.is_set()
        if not broker.is_set():
            problems.append("MQTT broker not connected")
    return Readiness(checks, problems)


class OpsServer:
    """``/metrics``, ``/health`` and ``/ready`` on their own port, for a worker that serves no API."""

    def __init__(self, host: str, port: int, engine: Engine, broker: threading.Event | None) -> None:
        ops = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (the standard library's name)
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    ops._send(self, 200, exposition(None), "text/plain; version=0.0.4; charset=utf-8")
                elif path == "/health":
                    ops._send(self, 200, b'{"status": "alive"}', "application/json")
                elif path == "/ready":
                    import json

                    state = readiness(engine, broker)
                    ops._send(
                        self,
                        200 if state.ready else 503,
                        json.dumps(state.to_dict()).encode(),
                        "application/json",
                    )
                else:
                    ops._send(self, 404, b"not found\n", "text/plain")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # a scrape every 15 s is not worth a log line

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="central-ops", daemon=True)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def start(self) -> OpsServer:
        """Serve in a background thread."""
        self._thread.start()
        logger.info("metrics, health and readiness on port %s", self.port)
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

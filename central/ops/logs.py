"""Logging: plain text or one JSON object per line (CAMPUSGATE_LOG_FORMAT=json), each line of a
decision carrying its event id.

The event id travels in a context variable set by the decision service for the span of one event,
so every line logged while deciding it (service, ledger, audit chain, publishing) carries it
without passing it around.
"""

from __future__ import annotations

import json
import logging
import os
from contextvars import ContextVar
from datetime import UTC, datetime

EVENT_ID: ContextVar[str | None] = ContextVar("campusgate_event_id", default=None)
FORMATS = ("text", "json")
HANDLER_NAME = "campusgate"
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s%(event_suffix)s"


class EventIdFilter(logging.Filter):
    """Puts the event id being decided (or None) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; only annotate it."""
        event_id = EVENT_ID.get()
        record.event_id = event_id
        record.event_suffix = f" [event {event_id}]" if event_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, event_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "event_id": getattr(record, "event_id", None),
            "thread": record.threadName,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_format() -> str:
    """CAMPUSGATE_LOG_FORMAT (text by default); raises ValueError naming the choices."""
    value = os.environ.get("CAMPUSGATE_LOG_FORMAT", "text").strip().lower() or "text"
    if value not in FORMATS:
        raise ValueError(f"CAMPUSGATE_LOG_FORMAT={value!r}: use one of {', '.join(FORMATS)}")
    return value


def configure(*, verbose: bool = False, fmt: str | None = None) -> None:
    """Set up the root logger once for a process (the command line calls this); like
    ``logging.basicConfig``, it leaves alone a root logger someone else already set up."""
    root = logging.getLogger()
    if any(h.get_name() != HANDLER_NAME for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.addFilter(EventIdFilter())
    chosen = fmt or log_format()
    handler.setFormatter(JsonFormatter() if chosen == "json" else logging.Formatter(TEXT_FORMAT))
    handler.set_name(HANDLER_NAME)
    for old in list(root.handlers):  # only ours are left: a second call replaces it
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Alembic narrates every step at INFO; the commands print what they did themselves
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)

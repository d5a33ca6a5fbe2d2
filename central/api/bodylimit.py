"""A cap on every request body, applied before anything parses it: a multipart form is spooled to disk
whole before a route can look at its size, so an upload of any size would otherwise be taken in."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from central.office.import_limits import MAX_UPLOAD_BYTES, UPLOAD_TOO_LARGE

MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024  # the largest upload plus the form around it


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware answering 413 to a body over ``max_bytes`` (by Content-Length, or as it streams):
    as ``refused`` answers the HTTPException (a console page in both languages), else as JSON."""

    def __init__(
        self,
        app: Any,
        max_bytes: int = MAX_BODY_BYTES,
        refused: Callable[[Request, HTTPException], Awaitable[Response]] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refused = refused

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # chunked, or a Content-Length that lied
                    raise _TooLarge
            return message

        async def watched_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Any, send: Any) -> None:
        detail = f"request body larger than {self.max_bytes // (1024 * 1024)} MB"
        if dict(scope.get("headers", [])).get(b"content-type", b"").startswith(b"multipart/form-data"):
            detail = UPLOAD_TOO_LARGE  # an upload: the file's limit, as the import names it, not the form's
        if self.refused is not None:

            async def no_body() -> Any:
                return {"type": "http.request", "body": b"", "more_body": False}

            response = await self.refused(Request(scope), HTTPException(413, detail=detail))
            await response(scope, no_body, send)
            return
        body = json.dumps({"detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

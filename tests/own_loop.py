"""asyncio.run from a test: a browser test's sync Playwright leaves its event loop marked as running
on the test worker's main thread for the session, and asyncio.run then refuses to start ("cannot be
called from a running event loop"). The fleet must run on the main thread (it installs signal
handlers), so the mark is set aside while it runs, and put back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loop_free() -> Iterator[None]:
    """The current thread with no running event loop for the duration; the one there before after."""
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(running)

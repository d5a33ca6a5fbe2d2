"""Where the tests' screenshots go: a temporary directory, so that a test run leaves the checkout as it
found it; the docs' copies (``docs/`` and ``docs/screens/``) with ``CAMPUSGATE_REFRESH_SCREENS=1``
(``make screens``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
_RUN = Path(tempfile.gettempdir()) / f"campusgate-screens-{os.getpid()}"


def screens_dir(sub: str = "screens") -> Path:
    """``docs/<sub>`` when the docs' screenshots are being refreshed, else this run's own directory."""
    path = DOCS / sub if os.environ.get("CAMPUSGATE_REFRESH_SCREENS") else _RUN / sub
    path.mkdir(parents=True, exist_ok=True)
    return path

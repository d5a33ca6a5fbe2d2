"""CSV cells safe to open in a spreadsheet: text that a spreadsheet would run as a formula is quoted.

A guard's override reason, a conflict note or a name typed at the office can begin with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return; Excel and WPS then evaluate it (``=HYPERLINK(...)``,
``+cmd|...``). As OWASP advises, such a cell is prefixed with a single quote, which the spreadsheet
shows as text. Numbers are written as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write in a CSV cell: text starting like a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every cell made safe (see :func:`safe_cell`)."""
    return [safe_cell(v) for v in values]

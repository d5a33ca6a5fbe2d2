"""Reading an office's table files: CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX, sized and zip-bomb-checked
before they are expanded, into rows of cells by field name. Shared by the people import and the
nucleic-acid results import."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from central.models.base import one_line
from central.office.import_limits import ImportFileError, check_upload_size, check_xlsx


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad row: its line number in the file and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its line number, its cells by field name, and why a cell cannot be stored."""

    line: int
    cells: dict[str, str]
    problems: tuple[str, ...] = ()


def first_headers(columns: Mapping[str, str]) -> dict[str, str]:
    """Each field's first header in ``columns``, in their order: the one a page and a message name
    the column by (the others are spellings the import reads as well)."""
    first: dict[str, str] = {}
    for header, field in columns.items():
        first.setdefault(field, header)
    return first


def read_table(
    filename: str,
    data: bytes,
    warnings: list[str],
    *,
    columns: dict[str, str],
    required: dict[str, str],
    lengths: Mapping[str, int] = {},  # noqa: B006 (read only)
) -> list[Row]:
    """Rows of a CSV or XLSX file, by field name (raises ImportFileError).

    ``columns`` maps headers to fields (a field given two columns refuses the file); ``required``
    maps each field that must have a column to the header to suggest when it is missing; ``lengths``
    caps a field's cells at its column's length. A cell the database cannot hold (a NUL, too long) or
    that the API would refuse to store (a control character inside it: a line break, a tab, a
    direction override) is a problem of its row, named by line and header, not an error of the
    whole import.
    """
    check_upload_size(len(data))
    untrusted: dict[int, dict[int, str]] = {}  # line -> column index -> why its value is not the one shown
    if filename.lower().endswith((".xlsx", ".xlsm")):
        lines = _xlsx_lines(data, warnings, untrusted)
    elif filename.lower().endswith((".csv", ".txt")):
        lines = _csv_lines(data)
    else:
        raise ImportFileError(f"{filename}: expected a .csv or .xlsx file")
    lines = [(n, cells) for n, cells in lines if any(c.strip() for c in cells)]
    if not lines:
        raise ImportFileError("the file is empty")
    header_line, header = lines[0]
    named = [(_field_of(h, columns), h.strip().lstrip("\ufeff").strip()) for h in header]
    fields = [f for f, _ in named]
    _one_column_each(header_line, named)
    unread = [h for f, h in named if h and not f]
    if unread:  # a column named otherwise than the import reads it would be dropped unseen
        warnings.append(f"column(s) not read: {', '.join(unread)}")
    missing = sorted(set(required) - set(fields))
    if missing:
        raise ImportFileError(
            f"line {header_line}: missing column(s) {', '.join(missing)} "
            f"(e.g. {', '.join(required[m] for m in missing)}); found {', '.join(header)}"
        )
    return [_row(n, cells, named, lengths, untrusted.get(n, {})) for n, cells in lines[1:]]


_HEADER_GAPS = re.compile(r"[\s_\-]+")


def _field_of(header: str, columns: Mapping[str, str]) -> str:
    """The field a header names: as written, in lower case, or with its words joined by "_" ("ID
    Number" is id_number, "Key-Person Until" key_person_until); "" for a column not read."""
    text = header.strip().lstrip("\ufeff").strip()
    for name in (text, text.lower(), _HEADER_GAPS.sub("_", text.lower())):
        if name in columns:
            return columns[name]
    return ""


def _one_column_each(line: int, named: list[tuple[str, str]]) -> None:
    # a row is read into {field: cell}: of two columns for one field (手机 and 电话, 姓名 and name)
    # one would be dropped unseen, the filled one as likely as the empty one
    first: dict[str, str] = {}
    for field, header in named:
        if field and field in first:
            raise ImportFileError(
                f"line {line}: columns {first[field]} and {header} are both {field}: keep one of them"
            )
        first.setdefault(field, header)


def _row(
    line: int,
    cells: list[str],
    named: list[tuple[str, str]],
    lengths: Mapping[str, int],
    untrusted: Mapping[int, str],
) -> Row:
    values = {f: c.strip() for (f, _), c in zip(named, cells, strict=False) if f}
    problems = []
    for i, ((field, header), cell) in enumerate(zip(named, cells, strict=False)):
        limit = lengths.get(field)
        if not field:
            continue  # a column the import does not read
        if i in untrusted:
            problems.append(f"column {header}: {untrusted[i]}")
            continue
        try:
            one_line(cell)  # a NUL, or a line break, tab or direction override inside the text
        except ValueError as exc:
            problems.append(f"column {header}: {exc}")
            continue
        if limit is not None and len(cell.strip()) > limit:
            problems.append(f"column {header}: longer than {limit} characters")
    return Row(line, values, tuple(problems))


def _csv_lines(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("the CSV is neither UTF-8 nor GBK: save it as CSV UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    # numbered by record, as a spreadsheet numbers its rows: a quoted cell holding a line break is one
    # row there, where the reader's line_num counts the file's lines (the error named the row after)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((len(rows) + 1, row))
    except csv.Error as exc:  # e.g. a cell over the csv module's 131,072-character limit
        raise ImportFileError(f"line {len(rows) + 1}: unreadable CSV: {exc}") from None
    return rows


def _xlsx_lines(
    data: bytes, warnings: list[str], untrusted: dict[int, dict[int, str]]
) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    check_xlsx(data)  # before openpyxl expands the whole workbook in memory
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(f"not a readable XLSX file: {type(exc).__name__}") from None
    sheet = wb.worksheets[0]
    others = [ws.title for ws in wb.worksheets[1:] if ws.max_row > 1 or ws.cell(1, 1).value is not None]
    if others:
        warnings.append(f"only the first sheet {sheet.title!r} was read; ignored: {', '.join(others)}")
    if sheet.merged_cells.ranges:
        merged = ", ".join(str(r) for r in list(sheet.merged_cells.ranges)[:5])
        raise ImportFileError(
            f"sheet {sheet.title!r} has merged cells ({merged}): unmerge them and fill in every row"
        )
    lines = []
    for n, row in enumerate(sheet.iter_rows(), start=1):
        lines.append((n, ["" if c.value is None else _cell_text(c.value) for c in row]))
        for i, cell in enumerate(row):
            if why := _untrusted(cell.value, cell.data_type):
                untrusted.setdefault(n, {})[i] = why
    return lines


# Excel keeps 15 significant digits: an ID number typed into a number cell (140102198001011234) is
# stored as 1.40102198001011E+17 and reads back as another number
EXACT_DIGITS = 15


def _untrusted(value: object, data_type: str) -> str | None:
    """Why a cell's value is not what the person typed, or None."""
    if data_type == "e":  # a formula's error: #REF!, #N/A, #VALUE!
        return f"the spreadsheet shows the error {value} here: correct it or type the value"
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 10**EXACT_DIGITS:
        return (
            f"a number of more than {EXACT_DIGITS} digits, which a spreadsheet does not keep exactly: "
            "format the column as text and type the numbers again"
        )
    return None


def _cell_text(value: object) -> str:
    if isinstance(value, datetime):  # a time of day is kept (a test's sampling time); midnight is a date
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

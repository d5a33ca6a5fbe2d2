"""What an import file may be: the upload size, and an XLSX's expanded size and cell count, checked
before openpyxl expands it (a 300 KB zip bomb expands to half a million cells and hundreds of MB)."""

from __future__ import annotations

import io
import zipfile
from typing import Protocol


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, format, headers, merged cells, size)."""


MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the console's and the API's upload limit
# the words of every refusal of a file over it: the import's, the upload routes' and the body limit's
UPLOAD_TOO_LARGE = f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
MAX_XLSX_EXPANDED = 64 * 1024 * 1024  # every part of the workbook, uncompressed
MAX_CELLS = 200_000  # a campus of 20,000 people in ten columns
_CHUNK = 1 << 16


class Upload(Protocol):
    """An uploaded file as Starlette hands it over (``UploadFile``)."""

    async def read(self, size: int = -1) -> bytes: ...


async def read_upload(upload: Upload) -> bytes | None:
    """An upload's bytes, read no further than one byte past :data:`MAX_UPLOAD_BYTES`; None when it is
    over (the caller refuses it with :data:`UPLOAD_TOO_LARGE`, 413): the API's and the console's one rule."""
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    return None if len(data) > MAX_UPLOAD_BYTES else data


def check_upload_size(size: int) -> None:
    """Refuse an upload over :data:`MAX_UPLOAD_BYTES`."""
    if size > MAX_UPLOAD_BYTES:
        raise ImportFileError(UPLOAD_TOO_LARGE)


def check_xlsx(data: bytes) -> None:
    """Refuse an XLSX whose parts expand past :data:`MAX_XLSX_EXPANDED` or whose sheets hold more than
    :data:`MAX_CELLS` cells, reading the sheets as a stream (never whole) to count them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError("not a readable XLSX file: not a zip archive") from None
    with archive:
        declared = sum(info.file_size for info in archive.infolist())
        if declared > MAX_XLSX_EXPANDED:
            raise ImportFileError(
                f"the XLSX expands to {declared // (1024 * 1024)} MB, more than "
                f"{MAX_XLSX_EXPANDED // (1024 * 1024)} MB: save it as CSV or split it"
            )
        cells = 0
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                cells += _count_cells(archive, info, MAX_CELLS - cells)
    # the declared sizes may lie; _count_cells read the real bytes and stopped at the limit


def _count_cells(archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> int:
    cells, tail, expanded = 0, b"", 0
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            expanded += len(chunk)
            if expanded > MAX_XLSX_EXPANDED:
                raise ImportFileError(f"the XLSX sheet {info.filename} expands past the size limit")
            text = tail + chunk
            # a cell element is "<c " or "<c>"; the tail carries a split tag over to the next chunk
            cells += text.count(b"<c ") + text.count(b"<c>") - tail.count(b"<c ") - tail.count(b"<c>")
            tail = text[-2:]
            if cells > room:
                raise ImportFileError(
                    f"the XLSX holds more than {MAX_CELLS} cells: save it as CSV or split it"
                )
    return cells

"""Hostile import files over HTTP: zip bombs refused before openpyxl expands them, uploads capped on the
console and the API, and an import running apart from the process that answers (uvicorn, real server)."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import uvicorn
from openpyxl import Workbook

from central.office.import_limits import MAX_CELLS, MAX_UPLOAD_BYTES
from tests.central.conftest import World
from tests.central.console_helpers import Client, page_csrf
from tests.central.office.test_imports import HEADER, upload
from transport.broker import free_port


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def _xlsx_with_sheet(sheet_xml: bytes) -> bytes:
    """A real workbook from openpyxl whose first sheet is replaced by ``sheet_xml`` (compressed)."""
    wb = Workbook()
    wb.active.append(["校区", "姓名"])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _sheet(rows: int, columns: int = 10) -> bytes:
    row = "".join('<c t="inlineStr"><is><t>x</t></is></c>' for _ in range(columns))
    body = "".join(f"<row>{row}</row>" for _ in range(rows))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>'
    ).encode()


def test_xlsx_with_too_many_cells_is_refused_before_it_is_opened(c: Client) -> None:
    bomb = _xlsx_with_sheet(_sheet(rows=MAX_CELLS // 10 + 100))
    assert len(bomb) < 400_000  # a few hundred KB that openpyxl would expand to 200k+ cells
    started = time.monotonic()
    r = upload(c, "bomb.xlsx", bomb, dry_run=True)
    assert r.status_code == 422 and f"more than {MAX_CELLS} cells" in r.json()["detail"]
    assert time.monotonic() - started < 10  # refused by counting, not by expanding


def test_xlsx_whose_parts_expand_past_the_limit_is_refused(c: Client) -> None:
    wb = Workbook()
    wb.active.append(["校区", "姓名"])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/media/padding.bin", b"\0" * (80 * 1024 * 1024))
    r = upload(c, "padded.xlsx", out.getvalue(), dry_run=True)
    assert r.status_code == 422 and "expands to" in r.json()["detail"]


def test_api_upload_over_the_limit_is_413(c: Client) -> None:
    big = b"x" * (MAX_UPLOAD_BYTES + 2 * 1024 * 1024)
    assert upload(c, "big.csv", big, dry_run=True).status_code == 413


@pytest.mark.parametrize("path", ["/api/v1/imports/people", "/api/v1/imports/nucleic-tests"])
def test_an_api_upload_just_over_the_limit_is_refused_by_the_route(c: Client, path: str) -> None:
    # inside the body limit (the form's room), so the route reads it and refuses it, naming the limit
    just_over = b"x" * (MAX_UPLOAD_BYTES + 1)
    r = c.call(
        "POST", path, role="security", files={"file": ("big.csv", just_over)}, data={"dry_run": "true"}
    )
    assert r.status_code == 413 and r.json()["detail"] == "the file is larger than 20 MB"
    at_the_limit = b"x" * MAX_UPLOAD_BYTES
    r = c.call(
        "POST", path, role="security", files={"file": ("ok.csv", at_the_limit)}, data={"dry_run": "true"}
    )
    assert r.status_code != 413


def test_console_upload_over_the_limit_is_refused(c: Client) -> None:
    c.log_in("security", page="/console/import")
    big = (HEADER + "\n").encode() + b"x" * (MAX_UPLOAD_BYTES + 10)
    r = c.http.post(
        "/console/import", data={"dry_run": "true", "csrf": c.csrf}, files={"file": ("big.csv", big)}
    )
    assert r.status_code == 413, r.status_code
    assert page_csrf(r.text)  # the import page again, with the message, not a bare error
    # its Chinese half said "输入有误" (input error) beside "file larger than 20 MB"
    assert "文件超过 20 MB" in r.text and "the file is larger than 20 MB" in r.text


def test_a_console_upload_over_the_body_limit_is_a_page_in_both_languages(c: Client) -> None:
    # the body limit answered the browser with bare JSON: {"detail": "request body larger than 21 MB"}
    c.log_in("security", page="/console/import")
    big = (HEADER + "\n").encode() + b"x" * (MAX_UPLOAD_BYTES + 2 * 1024 * 1024)
    r = c.http.post(
        "/console/import", data={"dry_run": "true", "csrf": c.csrf}, files={"file": ("big.csv", big)}
    )
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html"), r.text[:200]
    # the limit the office reads is the file's, the one the import names: it read 21 MB (the form's
    # room included) where a file 10 bytes over the limit read 20 MB
    assert "文件超过 20 MB" in r.text and "the file is larger than 20 MB" in r.text
    assert "21 MB" not in r.text
    api = upload(c, "big.csv", big, dry_run=True)  # the API keeps its JSON
    assert api.status_code == 413 and api.json() == {"detail": "the file is larger than 20 MB"}
    for path in ("/api/v1/imports/people", "/api/v1/imports/nucleic-tests"):  # a file just over it: the same
        over = c.call("POST", path, files={"file": ("big.csv", big[: MAX_UPLOAD_BYTES + 10])})
        assert over.status_code == 413 and over.json()["detail"] == "the file is larger than 20 MB", path


def test_a_long_import_does_not_hold_up_the_server(world: World, tmp_path: Path) -> None:
    """While a large dry run is checked, the same server still answers at once: the import is in a
    child process, not on the event loop (before: health waited for the import to finish)."""
    c = Client(world, tmp_path)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(c.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        rows = [f"坞城校区,{i // 40},1,{i % 40},人{i},,住户,," for i in range(20_000)]
        data = ("\n".join([HEADER, *rows]) + "\n").encode()
        done: dict[str, float] = {}

        def run_import() -> None:
            r = httpx.post(
                f"{base}/api/v1/imports/people",
                headers=c.headers("security"),
                files={"file": ("big.csv", data)},
                data={"dry_run": "true"},
                timeout=120,
            )
            done["status"], done["at"] = r.status_code, time.monotonic()

        importer = threading.Thread(target=run_import)
        started = time.monotonic()
        importer.start()
        time.sleep(0.5)  # the upload is in and being checked
        waits = []
        while importer.is_alive() and len(waits) < 5:
            asked = time.monotonic()
            assert httpx.get(f"{base}/api/v1/health", timeout=60).status_code == 200
            waits.append(time.monotonic() - asked)
        importer.join(120)
        took = done["at"] - started
        assert done.get("status") == 200, done
        # the server answered while the import ran, each time in a fraction of the import's time, not
        # after it (the import held the loop before)
        assert waits and max(waits) < took / 3, (waits, took)
    finally:
        server.should_exit = True
        thread.join(10)

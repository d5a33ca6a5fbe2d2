"""Import cells the database cannot hold, on SQLite and PostgreSQL: a NUL (CSV can carry one; PostgreSQL
refuses it) or a student number longer than its column. Each is a row error naming the line and the
column as the file writes it; the other rows are still checked and counted, and a huge number is
plain text. Nothing is written while any row is bad (the import is all-or-nothing); without the bad
rows the same file imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from central.models.health import NucleicTest
from central.models.registry import Person
from central.office.keys import KeyRing
from tests.central.conftest import World, build_world
from tests.central.console_helpers import Client
from tests.central.office import test_imports as people_import
from tests.central.office import test_nucleic as nucleic_import

HUGE = str(2**70)


@pytest.fixture(params=["sqlite", "postgresql"])
def world_on(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    """The small world on each database."""
    if request.param == "sqlite":
        world: World = request.getfixturevalue("world")
        return world
    return build_world(request.getfixturevalue("pg_engine"), KeyRing.open(tmp_path / "keys"))


def count(world: World, model: type) -> int:
    with Session(world.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_people_rows_with_a_nul_or_an_over_long_student_number_are_named(
    world_on: World, tmp_path: Path
) -> None:
    c = Client(world_on, tmp_path)
    header = "校区,楼号,单元,房号,姓名,类别,电话,学号"
    rows = [
        "坞城校区,7,1,101,刘\x00一,住户,,",  # line 2
        f"坞城校区,7,1,102,陈二,学生,,{'9' * 33}",  # line 3: the column holds 32
        f"坞城校区,7,1,103,吴三,住户,{HUGE},{HUGE}",  # line 4: a huge number is text
        "坞城校区,7,1,104,赵四,住户,138\x00,",  # line 5
    ]
    before = count(world_on, Person)
    data = "\n".join([header, *rows]).encode()
    r = people_import.upload(c, "people.csv", data, dry_run=False)
    assert r.status_code == 422 and not r.json()["applied"], r.text
    assert [(e["line"], e["reason"]) for e in r.json()["errors"]] == [
        (2, "column 姓名: text must not contain a NUL character"),
        (3, "column 学号: longer than 32 characters"),
        (5, "column 电话: text must not contain a NUL character"),
    ]
    assert r.json()["people_new"] == 1 and count(world_on, Person) == before  # checked, not written
    good = people_import.upload(c, "people.csv", "\n".join([header, rows[2]]).encode(), dry_run=False)
    assert good.status_code == 200 and good.json()["applied"], good.text
    with Session(world_on.engine) as s:
        wu = s.exec(select(Person).where(Person.name == "吴三")).one()
    assert (wu.phone, wu.student_no) == (HUGE, HUGE)


def test_the_console_shows_a_bad_cell_in_both_languages(world_on: World, tmp_path: Path) -> None:
    c = Client(world_on, tmp_path)
    c.log_in("security", "/console/import")
    data = "校区,楼号,单元,房号,姓名\n坞城校区,7,1,101,刘\x00一\n".encode()
    r = c.form("/console/import", {"dry_run": "false"}, files={"file": ("people.csv", data, "text/csv")})
    assert r.status_code == 422
    assert "“姓名”列：文本不能含有 NUL 字符" in r.text and "column 姓名: text must not contain" in r.text


def test_nucleic_rows_with_a_nul_are_named_and_a_huge_number_is_no_one(
    world_on: World, tmp_path: Path
) -> None:
    c = Client(world_on, tmp_path)
    nucleic_import.add_student(world_on, "s1", "孙小红", last4="1234", number="A1")
    rows = [
        nucleic_import.HEADER,
        ",,A1,2026-11-22,阴性",  # line 2: good
        ",,A\x001,2026-11-22,阴性",  # line 3
        f",,{HUGE},2026-11-22,阴性",  # line 4
        "孙小红,1234,,2026-11-21,阴\x00性",  # line 5
    ]
    r = nucleic_import.upload(c, "核酸.csv", "\n".join(rows).encode(), dry_run=False)
    assert r.status_code == 422 and not r.json()["applied"], r.text
    assert [(e["line"], e["reason"]) for e in r.json()["errors"]] == [
        (3, "column 学号: text must not contain a NUL character"),
        (4, f"no registered person: student number '{HUGE}'"),
        (5, "column 检测结果: text must not contain a NUL character"),
    ]
    assert r.json()["results_new"] == 1 and count(world_on, NucleicTest) == 0
    good = nucleic_import.upload(c, "核酸.csv", "\n".join(rows[:2]).encode(), dry_run=False)
    assert good.status_code == 200 and good.json()["results_new"] == 1 and count(world_on, NucleicTest) == 1


def test_an_upload_named_with_a_nul_is_refused_before_its_rows(world_on: World, tmp_path: Path) -> None:
    c = Client(world_on, tmp_path)
    nucleic_import.add_student(world_on, "s1", "孙小红", last4="1234", number="A1")
    rows = f"{nucleic_import.HEADER}\n,,A1,2026-11-22,阴性\n".encode()
    # written out by hand: an HTTP client escapes the NUL, a hostile one need not
    body = (
        b'--B\r\nContent-Disposition: form-data; name="dry_run"\r\n\r\nfalse\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="t\x00.csv"\r\n\r\n'
        + rows
        + b"\r\n--B--\r\n"
    )
    r = c.http.post(  # the file's name is stored with each result
        "/api/v1/imports/nucleic-tests",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=B", **c.headers("security")},
    )
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "file"]]
    assert count(world_on, NucleicTest) == 0


def test_people_cells_the_api_would_refuse_are_row_errors_and_the_lists_still_read(
    world_on: World, tmp_path: Path
) -> None:
    # each of these was stored, and then GET /people and GET /households answered 500 (the
    # response model refuses what the create schema refuses) for every page that held the row
    c = Client(world_on, tmp_path)
    header = "校区,楼号,单元,房号,姓名,类别,电话"
    rows = [
        f"坞城校区,8,1,101,{'测' * 201},住户,",  # row 2
        '坞城校区,8,1,102,"张\n三",住户,',  # row 3, two lines of the file: a quoted line break
        f"坞城校区,{'9' * 201},1,103,李四,住户,",  # row 4
        f"坞城校区,8,1,104,王五,住户,{'1' * 201}",  # row 5
        "坞城校区,8,1,105,\u200b\u200b,住户,",  # row 6: nothing that shows
        "坞城校区,\u200b,1,106,赵六,住户,",  # row 7: no building that shows
        "坞城校区,8,1,107,孙\u202e七,住户,",  # row 8: a direction override
        "坞城校区,8,1,108,周八,住户,",  # row 9: good
    ]
    before = count(world_on, Person)
    r = people_import.upload(c, "people.csv", "\n".join([header, *rows]).encode(), dry_run=False)
    assert r.status_code == 422 and not r.json()["applied"], r.text
    control = "text must not contain control characters (line breaks, tabs or direction overrides)"
    assert [(e["line"], e["reason"]) for e in r.json()["errors"]] == [
        (2, "column 姓名: longer than 200 characters"),
        (3, f"column 姓名: {control}"),  # the row a spreadsheet shows, not the file's last line of it
        (4, "column 楼号: longer than 200 characters"),
        (5, "column 电话: longer than 200 characters"),
        (6, "missing name"),
        (7, "missing building"),
        (8, f"column 姓名: {control}"),
    ]
    assert count(world_on, Person) == before
    good = people_import.upload(
        c,
        "people.csv",
        "\n".join([header, f"坞城校区,8,1,104,王五,住户,{'1' * 200}"]).encode(),
        dry_run=False,
    )
    assert good.status_code == 200 and good.json()["applied"], good.text
    for path in ("/api/v1/people?limit=500", "/api/v1/households?limit=500"):
        assert c.call("GET", path, role="security").status_code == 200


def test_the_console_shows_a_line_break_in_a_cell_in_both_languages(world_on: World, tmp_path: Path) -> None:
    c = Client(world_on, tmp_path)
    c.log_in("security", "/console/import")
    data = '校区,楼号,单元,房号,姓名\n坞城校区,7,1,101,"刘\n一"\n'.encode()
    r = c.form("/console/import", {"dry_run": "false"}, files={"file": ("people.csv", data, "text/csv")})
    assert r.status_code == 422
    assert (
        "“姓名”列：文本不能含有控制字符" in r.text and "column 姓名: text must not contain control" in r.text
    )


def test_the_console_names_a_number_a_spreadsheet_cut_in_both_languages(world: World, tmp_path: Path) -> None:
    from tests.central.office.test_imports import xlsx

    c = Client(world, tmp_path)
    c.log_in("security", "/console/import")
    rows: list[list[object]] = [
        ["校区", "楼号", "单元", "房号", "姓名", "身份证号"],
        ["坞城校区", 7, 1, 101, "刘一", 140102198001011000.0],
        ["坞城校区", 7, 1, 102, "#N/A", "140102198001012222"],
    ]
    files = {"file": ("people.xlsx", xlsx(rows), "application/octet-stream")}
    r = c.form("/console/import", {"dry_run": "true"}, files=files)
    assert "“身份证号”列：数字超过 15 位，电子表格不能准确保存" in r.text, r.text
    assert "“姓名”列：表格此处显示错误 #N/A" in r.text

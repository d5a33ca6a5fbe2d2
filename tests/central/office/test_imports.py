"""Bulk import: CSV in UTF-8, BOM and GBK, XLSX (merged cells, extra sheets), every kind of bad row,
all-or-nothing, and the demo's 390 households in one file (timed in bench/bench_import.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select

from central.models.registry import Household, Person
from tests.central.conftest import World
from tests.central.console_helpers import Client

HEADER = "校区,楼号,单元,房号,姓名,身份证号,类别,电话,重点人员至"
GOOD = [
    "坞城校区,5,1,101,刘一,140102198001011234,住户,13800000001,",
    "坞城校区,5,1,101,刘二,140102198201011235,住户,,2026-12-01",
    "坞城校区,5,2,202,陈三,140102199001011236,租户,,",
    "坞城校区,,,,吴老师,140102197001011237,教职工,,",
]


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def upload(c: Client, name: str, data: bytes, *, dry_run: bool, role: str = "security"):  # type: ignore[no-untyped-def]
    return c.call(
        "POST",
        "/api/v1/imports/people",
        role=role,
        files={"file": (name, data)},
        data={"dry_run": str(dry_run).lower()},
    )


def counts(world: World) -> tuple[int, int]:
    with Session(world.engine) as s:
        return s.exec(select(func.count()).select_from(Household)).one(), s.exec(
            select(func.count()).select_from(Person)
        ).one()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_good_csv_in_each_encoding_imports(c: Client, world: World, encoding: str) -> None:
    data = "\n".join([HEADER, *GOOD]).encode(encoding)
    dry = upload(c, "people.csv", data, dry_run=True)
    assert dry.status_code == 200 and dry.json()["errors"] == [] and not dry.json()["applied"]
    assert counts(world) == (1, 4)
    r = upload(c, "people.csv", data, dry_run=False)
    assert r.status_code == 200 and r.json()["applied"], r.text
    assert (r.json()["households_new"], r.json()["people_new"]) == (2, 4)
    assert counts(world) == (3, 8)
    with Session(world.engine) as s:
        liu = s.exec(select(Person).where(Person.name == "刘二")).one()
        assert liu.id_last4 == "1235" and liu.key_person_until is not None and liu.household_id
        assert "140102" not in (liu.id_hash or "")
        assert s.exec(select(Person).where(Person.name == "吴老师")).one().household_id is None


def test_every_bad_row_listed_with_line_and_nothing_written(c: Client, world: World) -> None:
    rows = [
        *GOOD,
        "坞城校区,6,1,,缺房号,140102198001019991,住户,,",  # line 6
        "坞城校区,6,1,601,重复,140102198001011234,住户,,",  # line 7: same as line 2
        "火星校区,6,1,602,未知,140102198001019992,住户,,",  # line 8
        "坞城校区,6,1,603,坏日期,140102198001019993,住户,,明天",  # line 9
        "坞城校区,6,1,604,年份笔误,140102198001019994,住户,,0202-12-01",  # line 10: year 202, a slip
    ]
    data = "\n".join([HEADER, *rows]).encode()
    dry = upload(c, "bad.csv", data, dry_run=True).json()
    assert [(e["line"], e["reason"].split(":")[0].split(" '")[0]) for e in dry["errors"]] == [
        (6, "missing room"),
        (7, "duplicate ID number"),
        (8, "unknown campus"),
        (9, "bad date"),
        (10, "key_person_until 0202-12-01 must lie between 1970-01-01 and 2106-02-07"),
    ]
    assert "line 2" in dry["errors"][1]["reason"]
    real = upload(c, "bad.csv", data, dry_run=False)
    assert real.status_code == 422 and not real.json()["applied"]
    assert counts(world) == (1, 4)  # all or nothing: the good rows were not written either


def test_id_number_already_registered_is_a_duplicate(c: Client, world: World) -> None:
    upload(c, "a.csv", "\n".join([HEADER, GOOD[0]]).encode(), dry_run=False)
    again = upload(
        c, "b.csv", "\n".join([HEADER, GOOD[0].replace("刘一", "别人")]).encode(), dry_run=True
    ).json()
    assert again["errors"] == [{"line": 2, "reason": "duplicate ID number: already registered"}]


def test_unreadable_files_get_one_clear_message(c: Client) -> None:
    r = upload(c, "x.csv", "名字,地址\n张,1".encode(), dry_run=True)
    assert r.status_code == 422 and "missing column(s) campus, name" in r.json()["detail"]
    assert "expected a .csv or .xlsx" in upload(c, "x.pdf", b"%PDF", dry_run=True).json()["detail"]
    assert "not a readable XLSX" in upload(c, "x.xlsx", b"not zip", dry_run=True).json()["detail"]
    assert (
        "neither UTF-8 nor GBK" in upload(c, "x.csv", b"\xff\xfe\x00\x81\xff", dry_run=True).json()["detail"]
    )


def xlsx(rows: list[list[object]], *, merge: str | None = None, extra_sheet: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    if extra_sheet:
        wb.create_sheet("说明").append(["请勿修改表头"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_good_with_extra_sheet_warns(c: Client, world: World) -> None:
    from datetime import date

    rows = [
        HEADER.split(","),
        ["坞城校区", 8, 1, 801, "马六", "140102198001015555", "住户", 13900000000, date(2026, 12, 5)],
    ]
    r = upload(c, "list.xlsx", xlsx(rows, extra_sheet=True), dry_run=False)
    assert r.status_code == 200 and r.json()["applied"], r.text
    assert "ignored: 说明" in r.json()["warnings"][0]
    with Session(world.engine) as s:
        person = s.exec(select(Person).where(Person.name == "马六")).one()
        assert person.phone == "13900000000" and str(person.key_person_until) == "2026-12-05"
        assert s.get(Household, person.household_id).room == "801"  # type: ignore[union-attr]


def test_xlsx_merged_cells_refused_with_range(c: Client, world: World) -> None:
    rows = [HEADER.split(","), ["坞城校区", 8, 1, 801, "甲", "", "住户"], ["", 8, 1, 802, "乙", "", "住户"]]
    r = upload(c, "merged.xlsx", xlsx(rows, merge="A2:A3"), dry_run=False)
    assert r.status_code == 422 and "merged cells (A2:A3)" in r.json()["detail"]
    assert counts(world) == (1, 4)


def test_import_needs_the_security_role(c: Client) -> None:
    data = "\n".join([HEADER, *GOOD]).encode()
    assert upload(c, "people.csv", data, dry_run=True, role="auditor").status_code == 403
    assert upload(c, "people.csv", data, dry_run=True, role="approver").status_code == 403


def test_390_households_import_at_once(c: Client, world: World) -> None:
    lines = [HEADER]
    for i in range(390):
        for j in range(3):
            lines.append(
                f"坞城校区,{10 + i // 40},{1 + i % 4},{100 + i},住户{i}-{j},1401021980{i:04d}{j:03d}X,住户,,"
            )
    r = upload(c, "all.csv", "\n".join(lines).encode("gbk"), dry_run=False)
    assert r.status_code == 200 and r.json()["households_new"] == 390 and r.json()["people_new"] == 1170, (
        r.text[:300]
    )
    assert counts(world) == (391, 1174)


def test_a_flat_typed_in_full_width_is_the_same_household_everywhere(c: Client, world: World) -> None:
    """One flat, one household: "５-１-１０１" typed on a Chinese keyboard, " 5 - 1 - 101 " with stray
    spaces and "5-1-101" are the same address in the console/API, the import and the search; a second
    household for it would give the flat two people a day."""
    campus_id = world_campus_id(world)
    body = {"campus_id": campus_id, "building": "５", "unit": "１", "room": "１０１ "}
    made = c.call("POST", "/api/v1/households", json=body)
    assert made.status_code == 201, made.text
    assert (made.json()["building"], made.json()["unit"], made.json()["room"]) == ("5", "1", "101")
    again = c.call("POST", "/api/v1/households", json={**body, "building": "5", "room": "101"})
    assert again.status_code == 409, again.text
    before = counts(world)
    row = "坞城校区,５,１,１０１,周五,140102198001019999,住户,,"
    r = upload(c, "people.csv", "\n".join([HEADER, row]).encode("utf-8"), dry_run=False)
    assert r.status_code == 200 and r.json()["households_new"] == 0, r.text
    assert counts(world) == (before[0], before[1] + 1)
    found = c.call("GET", "/api/v1/households?q=５－１－１０１", role="director").json()
    assert [h["id"] for h in found["data"]] == [made.json()["id"]]


def world_campus_id(world: World) -> int:
    return world.campus_id


def test_an_id_number_in_full_width_keeps_its_last_four_as_the_api_does(c: Client, world: World) -> None:
    """An ID number typed on a Chinese keyboard ("…１２３ｘ") is stored by its last four in the form the
    API stores and the searches and the results import compare: "123X", found by "123x"."""
    row = "坞城校区,5,3,301,钱七,１４０１０２１９８００１０１１２３ｘ,住户,,"
    r = upload(c, "people.csv", "\n".join([HEADER, row]).encode("utf-8"), dry_run=False)
    assert r.status_code == 200 and r.json()["applied"], r.text
    with Session(world.engine) as s:
        assert s.exec(select(Person.id_last4).where(Person.name == "钱七")).one() == "123X"
    found = c.call("GET", "/api/v1/people?q=123x", role="director").json()
    assert [p["name"] for p in found["data"]] == ["钱七"]
    again = upload(c, "people.csv", "\n".join([HEADER, row.replace("钱七", "别人")]).encode(), dry_run=True)
    assert again.json()["errors"] == [{"line": 2, "reason": "duplicate ID number: already registered"}]


INEXACT = (
    "column 身份证号: a number of more than 15 digits, which a spreadsheet does not keep exactly:"
    " format the column as text and type the numbers again"
)


def test_an_xlsx_number_a_spreadsheet_cannot_hold_exactly_is_a_bad_row(c: Client, world: World) -> None:
    """An ID number typed into a number cell keeps only 15 digits in Excel (140102198001011234 is stored
    as 1.40102198001011E+17): read back, it is another number, which was registered as the person's, or
    named a stranger's row as its duplicate. Such a cell, and a formula's error (#REF!), is a bad row
    naming its column; a 15-digit number (an old ID card, a phone number) is exact and imports."""
    rows: list[list[object]] = [
        HEADER.split(","),
        ["坞城校区", 9, 1, 901, "数字甲", 140102198001011234, "住户", 13900000001, None],  # line 2
        [
            "坞城校区",
            9,
            1,
            902,
            "数字乙",
            140102198001011000.0,
            "住户",
            None,
            None,
        ],  # line 3: as Excel keeps it
        [
            "坞城校区",
            9,
            1,
            903,
            "#REF!",
            "140102198001013333",
            "住户",
            None,
            None,
        ],  # line 4: a broken formula
        ["坞城校区", 9, 1, 904, "老证", 140102800101123, "住户", 13900000004, None],  # line 5: 15 digits
    ]
    r = upload(c, "list.xlsx", xlsx(rows), dry_run=True)
    assert [(e["line"], e["reason"]) for e in r.json()["errors"]] == [
        (2, INEXACT),
        (3, INEXACT),
        (4, "column 姓名: the spreadsheet shows the error #REF! here: correct it or type the value"),
    ], r.text
    assert r.json()["people_new"] == 1


def test_english_headers_as_an_office_writes_them_are_read_and_others_named(c: Client, world: World) -> None:
    """ "ID Number", "Student No" and "Key Person Until" are the columns id_number, student_no and
    key_person_until: they were dropped unseen, so people were registered without their ID numbers.
    A column the import does not read (备注) is named in a warning, not dropped unseen."""
    header = "Campus,Building,Unit,Room,Name,ID Number,Category,Phone,Student No,Key-Person Until,备注"
    row = "坞城校区,12,1,101,英文表头,140102198001016666,student,,S900,2026-12-20,新生"
    r = upload(c, "en.csv", f"{header}\n{row}\n".encode(), dry_run=False)
    assert r.status_code == 200 and r.json()["applied"], r.text
    assert r.json()["warnings"] == ["column(s) not read: 备注"]
    with Session(world.engine) as s:
        person = s.exec(select(Person).where(Person.name == "英文表头")).one()
    assert (person.id_last4, person.student_no, str(person.key_person_until)) == (
        "6666",
        "S900",
        "2026-12-20",
    )


def test_the_full_chinese_names_of_the_id_and_phone_columns_are_read(c: Client, world: World) -> None:
    # 身份证号码 / 证件号码 and 手机号码 / 联系电话 are how many offices head these columns
    for n, (id_header, phone_header) in enumerate([("身份证号码", "手机号码"), ("证件号码", "联系电话")]):
        header = f"校区,楼号,单元,房号,姓名,类别,{id_header},{phone_header}"
        row = f"坞城校区,13,1,10{n},全称表头{n},住户,14010219800101{n}777,1380013800{n}"
        r = upload(c, f"zh{n}.csv", f"{header}\n{row}\n".encode(), dry_run=False)
        assert r.status_code == 200 and r.json()["applied"] and r.json()["warnings"] == [], r.text
        with Session(world.engine) as s:
            person = s.exec(select(Person).where(Person.name == f"全称表头{n}")).one()
        assert (person.id_last4, person.phone) == (f"{n}777", f"1380013800{n}")

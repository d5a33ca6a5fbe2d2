"""What names one person or one field in an import: a student number (学号) belongs to one person,
in a file, in the registry and through the API, since the nucleic-acid results import finds students
by it; and a header may give each field one column only (of two, a row would keep one unseen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.console.i18n import message_words
from central.models.health import NucleicTest
from central.models.registry import Person
from tests.central.conftest import World
from tests.central.console_helpers import Client
from tests.central.office import test_imports as people_import
from tests.central.office import test_nucleic as nucleic_import

HEADER = "\ufeff校区,楼号,单元,房号,姓名,类别,学号"


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def csv(*lines: str) -> bytes:
    return "\r\n".join(lines).encode() + b"\r\n"  # Excel's CSV UTF-8: a BOM, CRLF


def reasons(r) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(e["line"], e["reason"]) for e in r.json()["errors"]]


def people_named(world: World, *names: str) -> list[Person]:
    with Session(world.engine) as s:
        return list(s.exec(select(Person).where(Person.name.in_(names))))  # type: ignore[attr-defined]


def chinese(text: str) -> str:
    words = message_words(text)
    assert words is not None and words[1] == text, text
    return words[0]


def test_a_student_number_twice_in_one_file_is_refused_naming_the_first_line(c: Client, world: World) -> None:
    data = csv(
        HEADER,
        "坞城校区,30,2,201,学生丙,学生,S777",
        "坞城校区,30,2,202,学生丁,学生,S777",
        "坞城校区,30,2,203,学生戊,学生,ｓ７７７ ",  # the same number typed in full width
        "坞城校区,30,2,204,学生己,学生,S778",
    )
    for dry_run in (True, False):
        r = people_import.upload(c, "good.csv", data, dry_run=dry_run)
        assert r.status_code == (200 if dry_run else 422) and not r.json()["applied"], r.text
        assert reasons(r) == [
            (3, "duplicate student number 'S777': same as line 2"),
            (4, "duplicate student number 'S777': same as line 2"),
        ]
    assert people_named(world, "学生丙", "学生丁", "学生戊", "学生己") == []  # all or nothing
    assert chinese("duplicate student number 'S777': same as line 2") == "学号 S777 重复：与第2行相同"


def test_a_student_number_already_registered_is_refused_naming_its_holder(c: Client, world: World) -> None:
    made = c.call(
        "POST", "/api/v1/people", json={"name": "学生丙", "category": "student", "student_no": "S777"}
    )
    assert made.status_code == 201, made.text
    data = csv(HEADER, "坞城校区,30,2,202,学生丁,学生, s777", "坞城校区,30,2,203,学生戊,学生,S779")
    r = people_import.upload(c, "more.csv", data, dry_run=False)
    assert r.status_code == 422, r.text
    clash = f"duplicate student number 'S777': already registered to 学生丙 (#{made.json()['id']})"
    assert reasons(r) == [(2, clash)]
    assert people_named(world, "学生丁", "学生戊") == []
    assert chinese(clash) == f"学号 S777 重复：已登记给 学生丙 (#{made.json()['id']})"


def test_the_api_gives_a_student_number_to_one_person(c: Client, world: World) -> None:
    first = c.call(
        "POST", "/api/v1/people", json={"name": "学生丙", "category": "student", "student_no": "S777"}
    )
    assert first.status_code == 201, first.text
    holder = first.json()["id"]
    again = c.call(
        "POST", "/api/v1/people", json={"name": "学生丁", "category": "student", "student_no": "ｓ777"}
    )
    assert again.status_code == 409, again.text
    refusal = f"student number 'S777' is already registered to 学生丙 (#{holder})"
    assert again.json() == {
        "detail": refusal,
        "msg_zh": f"学号 S777 已登记给 学生丙 (#{holder})",
        "msg_en": refusal,
    }
    other = c.call(
        "POST", "/api/v1/people", json={"name": "学生丁", "category": "student", "student_no": "S778"}
    )
    assert other.status_code == 201, other.text
    taken = c.call("PATCH", f"/api/v1/people/{other.json()['id']}", json={"student_no": "s777"})
    assert taken.status_code == 409 and taken.json()["detail"] == refusal, taken.text
    # one's own number again is no clash, and a free number may be taken
    assert (
        c.call("PATCH", f"/api/v1/people/{holder}", json={"student_no": "S777", "name": "学生丙"}).status_code
        == 200
    )
    assert c.call("PATCH", f"/api/v1/people/{holder}", json={"student_no": "S779"}).status_code == 200
    assert (
        c.call("PATCH", f"/api/v1/people/{other.json()['id']}", json={"student_no": "S777"}).status_code
        == 200
    )
    assert {p.student_no for p in people_named(world, "学生丙", "学生丁")} == {"S777", "S779"}


def test_duplicates_registered_before_are_named_by_the_results_import(c: Client, world: World) -> None:
    """A database from before the rule may hold one number twice (even typed differently): the results
    import names the people to correct, other changes to them still go through, and once the
    registry is corrected the same file imports."""
    a = nucleic_import.add_student(world, "s1", "学生丙", last4="0001", number="S777")
    b = nucleic_import.add_student(world, "s2", "学生丁", last4="0002", number="s777 ")
    rows = [nucleic_import.HEADER, ",,S777,2026-11-22,阴性"]
    data = "\n".join(rows).encode()
    r = nucleic_import.upload(c, "核酸.csv", data, dry_run=False)
    assert r.status_code == 422, r.text
    ambiguous = (
        f"2 registered people have student number 'S777': 学生丙 (#{a}), 学生丁 (#{b}); "
        "give each their own student number in the registry"
    )
    assert reasons(r) == [(2, ambiguous)]
    assert (
        chinese(ambiguous)
        == f"有 2 人的学号都是 S777：学生丙 (#{a})、学生丁 (#{b})；请在人员登记中给每人各自的学号"
    )
    assert c.call("PATCH", f"/api/v1/people/{b}", json={"group": "dorm_7"}).status_code == 200
    assert c.call("PATCH", f"/api/v1/people/{b}", json={"student_no": "S778"}).status_code == 200
    done = nucleic_import.upload(c, "核酸.csv", data, dry_run=False)
    assert done.status_code == 200 and done.json()["results_new"] == 1, done.text
    with Session(world.engine) as s:
        assert [t.person_id for t in s.exec(select(NucleicTest))] == [a]


@pytest.mark.parametrize(
    ("header", "row", "refusal"),
    [
        (
            "校区,楼号,单元,房号,姓名,手机,电话",
            "坞城校区,31,1,101,刘一,13800000001,",
            "line 1: columns 手机 and 电话 are both phone: keep one of them",
        ),
        (
            "\ufeff姓名,校区,楼号,单元,房号,name",
            "刘一,坞城校区,31,1,101,",
            "line 1: columns 姓名 and name are both name: keep one of them",
        ),
    ],
)
def test_two_columns_for_one_field_refuse_the_file(
    c: Client, world: World, header: str, row: str, refusal: str
) -> None:
    before = people_import.counts(world)
    for dry_run in (True, False):
        r = people_import.upload(c, "people.csv", csv(header, row), dry_run=dry_run)
        assert r.status_code == 422 and r.json()["detail"] == refusal and r.json()["errors"] == [], r.text
    assert people_import.counts(world) == before
    assert chinese(refusal).startswith("第1行：“")


def test_two_columns_for_one_field_are_named_in_both_languages(c: Client, world: World) -> None:
    assert (
        chinese("line 1: columns 手机 and 电话 are both phone: keep one of them")
        == "第1行：“手机”列和“电话”列是同一项（phone）：请只保留一列"
    )
    c.log_in("security", "/console/import")
    data = csv("校区,楼号,单元,房号,姓名,手机,电话", "坞城校区,31,1,101,刘一,13800000001,")
    r = c.form("/console/import", {"dry_run": "false"}, files={"file": ("people.csv", data, "text/csv")})
    assert r.status_code == 422
    assert "“手机”列和“电话”列是同一项" in r.text and "columns 手机 and 电话 are both phone" in r.text
    # the results import reads its files the same way: a sampling time and a test date are two dates
    nucleic_import.add_student(world, "s1", "学生丙", last4="0001", number="S777")
    both = "学号,采样时间,检测日期,检测结果\nS777,2026-11-22 08:00,2026-11-23,阴性".encode()
    refused = nucleic_import.upload(c, "核酸.csv", both, dry_run=False)
    assert refused.status_code == 422, refused.text
    assert (
        refused.json()["detail"] == "line 1: columns 采样时间 and 检测日期 are both sampled: keep one of them"
    )

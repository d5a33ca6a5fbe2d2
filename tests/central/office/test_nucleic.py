"""Nucleic-acid testing (issue 11, item 11): the testing site's results imported through the REST API
and the console, who is due or overdue, and the gate rule judged by the decision service on SQLite."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select

from central.models.db import session_scope
from central.models.health import NucleicTest
from central.models.registry import Pass, Person, ReturnBatch
from central.office import registry
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client
from tests.central.decisions.test_service import decide

BEIJING = ZoneInfo("Asia/Shanghai")
HEADER = "姓名,身份证后四位,学号,采样时间,检测结果"


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def add_student(world: World, role: str, name: str, *, last4: str, number: str | None = None) -> int:
    """A student of the world's campus with a pass (token under ``role``) and a return batch today."""
    with session_scope(world.engine) as s:
        person = Person(name=name, category="STUDENT", id_last4=last4, student_no=number)
        s.add(person)
        s.flush()
        assert person.id is not None
        s.add(ReturnBatch(person_id=person.id, start=date(2026, 11, 1), end=date(2026, 12, 31)))
        p = Pass(
            person_id=person.id,
            kind="STUDENT",
            campus_id=world.campus_id,
            valid_from=NOW - timedelta(days=1),
            valid_until=datetime.now(UTC) + timedelta(days=60),
        )
        s.add(p)
        s.flush()
        world.tokens[role] = world.keyring.issue(p)
        world.people[role] = person.id
        return person.id


def set_policy(world: World, **changes: object) -> None:
    with session_scope(world.engine) as s:
        current = registry.latest_policy(s, world.campus_id)
        registry.save_policy(s, dataclasses.replace(current, **changes))  # type: ignore[arg-type]


def upload(c: Client, name: str, data: bytes, *, dry_run: bool, role: str = "security"):  # type: ignore[no-untyped-def]
    return c.call(
        "POST",
        "/api/v1/imports/nucleic-tests",
        role=role,
        files={"file": (name, data)},
        data={"dry_run": str(dry_run).lower()},
    )


def stored(world: World) -> int:
    with Session(world.engine) as s:
        return s.exec(select(func.count()).select_from(NucleicTest)).one()


def test_gbk_csv_by_name_and_last_four_or_student_number_imports_once(c: Client, world: World) -> None:
    a = add_student(world, "s1", "孙小红", last4="123X", number="2020010101")
    b = add_student(world, "s2", "周大勇", last4="5678")
    rows = [
        HEADER,
        "孙小红,123x,,2026-11-22 08:30,阴性",
        ",,2020010101,2026-11-20,阴性",
        "周大勇,5678,,2026/11/21,阳性",
    ]
    data = "\n".join(rows).encode("gbk")
    assert upload(c, "核酸.csv", data, dry_run=False, role="auditor").status_code == 403
    dry = upload(c, "核酸.csv", data, dry_run=True)
    assert dry.status_code == 200 and dry.json()["results_new"] == 3 and stored(world) == 0
    r = upload(c, "核酸.csv", data, dry_run=False)
    assert r.status_code == 200 and r.json()["applied"], r.text
    assert c.published == [world.gate_id]  # offline gates hold the latest negatives: configs re-published
    again = upload(c, "核酸.csv", data, dry_run=False)  # the same file twice: nothing counted twice
    assert (again.json()["results_new"], again.json()["already_known"]) == (0, 3) and stored(world) == 3
    with Session(world.engine) as s:
        got = {(t.person_id, t.sampled_at, t.result) for t in s.exec(select(NucleicTest))}
    local = lambda *a: datetime(*a, tzinfo=BEIJING).astimezone(UTC)  # noqa: E731
    assert got == {
        (a, local(2026, 11, 22, 8, 30), "negative"),
        (a, local(2026, 11, 20), "negative"),  # a bare date: the start of that Beijing day
        (b, local(2026, 11, 21), "positive"),
    }


def test_every_bad_row_is_named_and_nothing_is_written(c: Client, world: World) -> None:
    add_student(world, "s1", "孙小红", last4="1234", number="A1")
    add_student(world, "s2", "孙小红", last4="1234")  # namesakes with the same last four
    future = (datetime.now(BEIJING) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    rows = [
        HEADER,
        ",,A1,2026-11-22,阴性",  # line 2: good
        "钱某,9999,,2026-11-22,阴性",
        "孙小红,1234,,2026-11-22,阴性",
        ",,A1,2026-11-23,弱阳",
        ",,A1,yesterday,阴性",
        f",,A1,{future},阴性",
        ",,A1,2026-11-22,阳性",
        "孙小红,,,2026-11-22,阴性",
        ",,NOPE,2026-11-22,阴性",
    ]
    r = upload(c, "bad.csv", "\n".join(rows).encode(), dry_run=False)
    assert r.status_code == 422 and not r.json()["applied"]
    assert [(e["line"], e["reason"]) for e in r.json()["errors"]] == [
        (3, "no registered person: 钱某 with ID number ending 9999"),
        (4, "2 registered people match 孙小红 with ID number ending 1234: use the student number"),
        (5, "unknown result '弱阳' (阴性/negative or 阳性/positive)"),
        (6, "bad sampling time 'yesterday' (use YYYY-MM-DD [HH:MM])"),
        (7, f"sampling time {future} is in the future"),
        (8, "contradicts line 2 (same person, same time)"),
        (9, "give the student number (学号), or the name and the ID-number last four (身份证后四位)"),
        (10, "no registered person: student number 'NOPE'"),
    ]
    assert stored(world) == 0
    missing = upload(c, "x.csv", "姓名,学号\n张三,1".encode(), dry_run=True)
    assert missing.status_code == 422 and "missing column(s) result, sampled" in missing.json()["detail"]


def test_xlsx_with_date_and_time_cells(c: Client, world: World) -> None:
    pid = add_student(world, "s1", "孙小红", last4="1234", number="A1")
    wb = Workbook()
    ws = wb.active
    ws.append(["学号", "采样时间", "检测结果"])
    ws.append(["A1", datetime(2026, 11, 22, 9, 15), "阴性"])
    ws.append(["A1", date(2026, 11, 18), "阴性"])
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(c, "核酸.xlsx", buf.getvalue(), dry_run=False)
    assert r.status_code == 200 and r.json()["results_new"] == 2, r.text
    with Session(world.engine) as s:
        times = sorted(t.sampled_at for t in s.exec(select(NucleicTest).where(NucleicTest.person_id == pid)))
    assert times[-1] == datetime(2026, 11, 22, 9, 15, tzinfo=BEIJING).astimezone(UTC)


def _record(world: World, pid: int, ago: timedelta, result: str = "negative") -> None:
    now = datetime.now(UTC)
    with session_scope(world.engine) as s:
        s.add(NucleicTest(person_id=pid, sampled_at=now - ago, result=result, imported_at=now))


def test_due_and_overdue_per_the_campus_interval(c: Client, world: World) -> None:
    url = f"/api/v1/campuses/{world.campus_id}/nucleic-due"
    overdue = add_student(world, "s1", "甲", last4="0001")
    due = add_student(world, "s2", "乙", last4="0002")
    current = add_student(world, "s3", "丙", last4="0003")
    never = add_student(world, "s4", "丁", last4="0004")
    positive = add_student(world, "s5", "戊", last4="0005")
    _record(world, overdue, timedelta(hours=80))
    _record(world, due, timedelta(hours=60))
    _record(world, current, timedelta(hours=10))
    _record(world, positive, timedelta(hours=5), "positive")
    assert c.call("GET", url, role="auditor").json()["data"] == []  # no group kept in: no programme
    set_policy(world, closed_groups=frozenset({"student"}), nat_interval_hours=72)
    body = c.call("GET", url, role="auditor").json()
    states = {r["person_id"]: r["state"] for r in body["data"]}
    assert states == {overdue: "overdue", positive: "overdue", never: "never", due: "due", current: "current"}
    assert body["counts"] == {"overdue": 2, "never": 1, "due": 1, "current": 1}
    assert [r["person_id"] for r in body["data"]][:2] == [overdue, positive]  # the longest overdue first
    assert world.people["zhang"] not in states  # residents are not kept in here
    only = c.call("GET", url, role="director", params={"state": "never"}).json()["data"]
    assert [r["person_id"] for r in only] == [never]
    assert c.call("GET", url, role="guard").status_code == 403
    assert c.call("GET", url, role="auditor", params={"state": "late"}).status_code == 422

    c.log_in("auditor", f"/console/nucleic?campus_id={world.campus_id}")
    page = c.http.get(f"/console/nucleic?campus_id={world.campus_id}").text
    assert f'id="due-{overdue}" data-state="overdue"' in page and "已超期" in page and "未检测" in page
    assert 'action="/console/nucleic"' not in page  # the auditor reads; the office imports


def test_the_console_imports_a_results_file(c: Client, world: World) -> None:
    add_student(world, "s1", "孙小红", last4="1234", number="A1")
    c.log_in("security", "/console/nucleic")
    bad = c.http.post(
        "/console/nucleic",
        data={"csrf": c.csrf, "campus_id": str(world.campus_id)},
        files={"file": ("r.csv", f"{HEADER}\n钱某,9999,,2026-11-22,阴性".encode())},
    )
    assert bad.status_code == 422 and "no registered person: 钱某" in bad.text and stored(world) == 0
    ok = c.http.post(
        "/console/nucleic",
        data={"csrf": c.csrf, "campus_id": str(world.campus_id)},
        files={"file": ("r.csv", f"{HEADER}\n,,A1,2026-11-22,阴性".encode())},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and stored(world) == 1


@pytest.mark.parametrize(
    ("ago", "expected"),
    [(None, Reason.NAT_OVERDUE), (timedelta(hours=49), Reason.NAT_OVERDUE), (timedelta(hours=47), Reason.OK)],
)
def test_the_gate_refers_a_kept_in_student_without_a_recent_negative(
    world: World, ago: timedelta | None, expected: Reason
) -> None:
    pid = add_student(world, "s1", "孙小红", last4="1234")
    set_policy(world, closed_groups=frozenset({"student"}), nat_interval_hours=72, nat_max_age_hours=48)
    if ago is not None:
        with session_scope(world.engine) as s:
            s.add(NucleicTest(person_id=pid, sampled_at=NOW - ago, result="negative", imported_at=NOW))
    got = decide(world, "s1", at=NOW)
    assert got.reason is expected
    if expected is Reason.NAT_OVERDUE:
        assert got.verdict is Verdict.REFER and not got.open
    assert decide(world, "zhang").reason is Reason.OK  # residents are not kept in: no test asked of them


def test_a_positive_after_a_negative_is_no_recent_negative(world: World) -> None:
    pid = add_student(world, "s1", "孙小红", last4="1234")
    set_policy(world, closed_groups=frozenset({"student"}), nat_max_age_hours=48)
    with session_scope(world.engine) as s:
        s.add(
            NucleicTest(
                person_id=pid, sampled_at=NOW - timedelta(hours=20), result="negative", imported_at=NOW
            )
        )
        s.add(
            NucleicTest(
                person_id=pid, sampled_at=NOW - timedelta(hours=2), result="positive", imported_at=NOW
            )
        )
    assert decide(world, "s1").reason is Reason.NAT_OVERDUE


def test_on_postgresql_results_due_list_and_gate_rule(pg_engine, keyring, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.central.conftest import build_world

    world = build_world(pg_engine, keyring, gate_id="pg-nucleic")
    c = Client(world, tmp_path)
    pid = add_student(world, "s1", "孙小红", last4="1234", number="A1")
    recent = (datetime.now(BEIJING) - timedelta(hours=30)).strftime("%Y-%m-%d %H:%M")
    r = upload(c, "r.csv", f"{HEADER}\n,,A1,{recent},阴性\n".encode("gbk"), dry_run=False)
    assert r.status_code == 200 and r.json()["results_new"] == 1, r.text
    set_policy(world, closed_groups=frozenset({"student"}), nat_interval_hours=72, nat_max_age_hours=24)
    body = c.call("GET", f"/api/v1/campuses/{world.campus_id}/nucleic-due", role="auditor").json()
    assert [(row["person_id"], row["state"]) for row in body["data"]] == [(pid, "current")]
    # the gate rule judges the scan time: 30 hours after sampling is older than the 24 allowed
    at = datetime.now(UTC).replace(microsecond=0)
    assert decide(world, "s1", at=at).reason is Reason.NAT_OVERDUE


def test_a_student_number_typed_in_full_width_is_the_same_number(c: Client, world: World) -> None:
    """学号 typed on a Chinese keyboard (全角) or with a lower-case letter: registered through the API as
    typed plainly, and a results file naming it either way finds the one student."""
    r = c.call(
        "POST",
        "/api/v1/people",
        json={"name": "钱小明", "category": "student", "student_no": "ｓ２０２４００１ "},
    )
    assert r.status_code == 201 and r.json()["student_no"] == "S2024001", r.text
    rows = [HEADER, ",,S2024001,2026-11-20,阴性", ",,ｓ２０２４００１,2026-11-21,阴性"]
    done = upload(c, "核酸.csv", "\n".join(rows).encode("utf-8"), dry_run=False)
    assert done.status_code == 200 and done.json()["results_new"] == 2, done.text
    with Session(world.engine) as s:
        assert {t.person_id for t in s.exec(select(NucleicTest))} == {r.json()["id"]}


def test_an_id_last_four_typed_in_full_width_is_the_same_four(c: Client, world: World) -> None:
    """身份证后四位 typed on a Chinese keyboard ("１２３ｘ") finds the person whose last four are "123X",
    as the ID number registered through the API or the people import keeps them."""
    pid = add_student(world, "s1", "孙小红", last4="123X")
    rows = [HEADER, "孙小红,１２３ｘ,,2026-11-20,阴性"]
    done = upload(c, "核酸.csv", "\n".join(rows).encode("utf-8"), dry_run=False)
    assert done.status_code == 200 and done.json()["results_new"] == 1, done.text
    with Session(world.engine) as s:
        assert [t.person_id for t in s.exec(select(NucleicTest))] == [pid]

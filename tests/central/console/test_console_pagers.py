"""Every console list is paged: the row after a full page is on page 2 and not on page 1, the pager's
links keep the page's search, and the searches a guard or an officer would use find the right rows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from central.console.web import PAGE
from central.models.db import session_scope
from central.models.registry import Approval, Gate, Pass, Person, ReturnBatch, Vehicle
from central.models.reports import DailyReport
from central.models.users import User
from central.office import registry
from gatecore.policy import CampusPolicy
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client

FAR = datetime(2100, 1, 1, tzinfo=UTC)  # passes still valid whenever the test runs


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def rows(html: str, prefix: str) -> list[str]:
    return re.findall(rf'<tr id="{prefix}-([^"]+)"', html)


def two_pages(c: Client, url: str, prefix: str) -> tuple[list[str], list[str]]:
    """The row ids of a list's first page and of the page its "next" link leads to."""
    first = c.http.get(url)
    assert first.status_code == 200, url
    assert 'id="prev"' not in first.text
    link = re.search(r'id="next" href="([^"]+)"', first.text)
    assert link is not None, f"{url}: no link to page 2"
    second = c.http.get(url.split("?")[0] + link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200 and 'id="prev"' in second.text and 'id="next"' not in second.text
    return rows(first.text, prefix), rows(second.text, prefix)


def assert_paged(c: Client, url: str, prefix: str, after_a_page: object) -> list[str]:
    """Page 1 holds a full page without ``after_a_page``, which stands on page 2; page 1's rows."""
    one, two = two_pages(c, url, prefix)
    assert len(one) == PAGE and str(after_a_page) not in one
    assert str(after_a_page) in two and not set(one) & set(two)
    return one


def _people(s: Session, name: str, n: int, **kw: object) -> list[int]:
    made = [Person(name=f"{name}{i:02d}", **kw) for i in range(n)]  # type: ignore[arg-type]
    s.add_all(made)
    s.flush()
    return [p.id for p in made if p.id is not None]


def test_vehicles_are_paged_and_the_plate_search_is_kept(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        owner = world.people["zhang"]
        made = [
            Vehicle(plate=f"晋A{i:05d}", owner_person_id=owner, valid_until=date(2027, 1, 1))
            for i in range(51)
        ]
        s.add_all([*made, Vehicle(plate="京B12345", owner_person_id=owner, valid_until=date(2027, 1, 1))])
        s.flush()
        last = made[-1].id  # ordered by id: the 51st is the row after a full page
    c.log_in("guard")  # the gate looks plates up too
    assert_paged(c, "/console/vehicles?plate=a0", "vehicle", last)  # any case
    first = c.http.get("/console/vehicles?plate=a0").text
    assert 'id="count">51<' in first and 'href="?plate=a0&amp;offset=50"' in first
    page = c.http.get("/console/vehicles?plate=京B").text
    assert len(rows(page, "vehicle")) == 1 and 'id="next"' not in page


def test_visitors_are_paged_and_found_by_name_or_phone(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        ids = _people(s, "访客", 51, category="VISITOR")
        ids += _people(s, "送货员", 1, category="VISITOR", phone="13900001234")
        passes = [
            Pass(person_id=pid, kind="VISITOR", campus_id=world.campus_id, valid_from=NOW, valid_until=FAR)
            for pid in ids
        ]
        s.add_all(passes)
        s.flush()
        first = passes[0].id  # newest first: the oldest of the 51 is the row after a full page
        courier = passes[-1].id
    c.log_in("security")
    one = assert_paged(c, "/console/visitors?q=访客", "visit", first)
    assert str(courier) not in one and "访客50" in c.http.get("/console/visitors?q=访客").text
    assert rows(c.http.get("/console/visitors?q=13900001234").text, "visit") == [str(courier)]
    assert rows(c.http.get("/console/visitors?q=送货").text, "visit") == [str(courier)]
    assert len(rows(c.http.get("/console/visitors").text, "visit")) == PAGE  # no search: every visitor


def test_return_batches_are_paged_and_found_by_the_student(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        ids = _people(s, "学生", 51, category="STUDENT")
        batches = [ReturnBatch(person_id=pid, start=date(2026, 12, 1), end=date(2026, 12, 5)) for pid in ids]
        s.add_all(batches)
        s.flush()
        first = batches[0].id
        ids = _people(s, "陈同学", 1, category="STUDENT")
        other = ReturnBatch(person_id=ids[0], start=date(2026, 12, 1), end=date(2026, 12, 5))
        s.add(other)
        s.flush()
        other_id = other.id
    c.log_in("auditor")
    one = assert_paged(c, "/console/batches?q=学生", "batch", first)
    assert str(other_id) not in one
    assert rows(c.http.get("/console/batches?q=陈同学").text, "batch") == [str(other_id)]


def test_gates_are_paged(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        s.add_all(
            Gate(gate_id=f"zz-gate-{i:02d}", campus_id=world.campus_id, name_zh=f"门{i}") for i in range(50)
        )
    c.log_in("guard")
    assert_paged(c, "/console/gates", "gate", "zz-gate-49")  # by gate id: the 51st of 51


def test_users_are_paged_and_a_refused_change_shows_on_its_users_page(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        s.add_all(User(username=f"zz-user-{i:02d}", password_hash="x", roles="guard") for i in range(51))
    with Session(world.engine) as s:
        names = sorted(s.exec(select(User.username)))
    c.log_in("admin", page="/console/users")
    assert_paged(c, "/console/users", "user", names[PAGE])
    r = c.form(f"/console/users/{names[PAGE]}/password", {"password": "short"})
    assert r.status_code == 422 and f'id="err-password-{names[PAGE]}"' in r.text


def test_nucleic_due_list_is_paged_and_filtered_by_state(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        registry.save_policy(
            s,
            CampusPolicy(world.campus_id, closed_groups=frozenset({"student"}), nat_interval_hours=24),
        )
        ids = _people(s, "住校生", 51, category="STUDENT")
        s.add_all(
            Pass(person_id=pid, kind="STUDENT", campus_id=world.campus_id, valid_from=NOW, valid_until=FAR)
            for pid in ids
        )
    c.log_in("security", page="/console/nucleic")
    url = f"/console/nucleic?campus_id={world.campus_id}&state=never"
    assert_paged(c, url, "due", ids[-1])  # never tested, then by person id
    assert 'href="?campus_id=' in c.http.get(url).text and "state=never&amp;offset=50" in c.http.get(url).text
    # the category in the catalogue's words, as on the people page, never the raw value "student"
    assert '<td class="category"><span class="zh">学生</span> <span class="en">Student</span></td>' in (
        c.http.get(url).text
    )
    page = c.http.get(f"/console/nucleic?campus_id={world.campus_id}&state=overdue").text
    assert rows(page, "due") == [] and 'id="count">0<' in page


def test_reports_are_paged_and_a_correction_on_page_1_marks_its_report_on_page_2(
    c: Client, world: World
) -> None:
    def report(day: date, **kw: object) -> DailyReport:
        return DailyReport(
            campus_id=world.campus_id,
            day=day,
            period_start=NOW,
            period_end=NOW,
            made_at=NOW,
            content_json="{}",
            **kw,  # type: ignore[arg-type]
        )

    with session_scope(world.engine) as s:
        made = [report(date(2026, 1, 1) + timedelta(days=i)) for i in range(51)]
        s.add_all(made)
        s.flush()
        oldest = made[0]
        s.add(report(oldest.day, version=2, supersedes_id=oldest.id))
        oldest_id = oldest.id
    c.log_in("director", page="/console/reports")
    assert_paged(c, f"/console/reports?campus_id={world.campus_id}", "report", oldest_id)
    second = c.http.get(f"/console/reports?campus_id={world.campus_id}&offset={PAGE}").text
    assert f'<tr id="report-{oldest_id}" class="superseded">' in second


def test_approvals_and_passes_are_paged_with_their_filters(c: Client, world: World) -> None:
    staff = world.people["staff"]
    with session_scope(world.engine) as s:
        asked = [
            Approval(
                person_id=staff,
                valid_from=date(2026, 12, 1),
                valid_until=date(2026, 12, 2),
                approved_by="",
                status="requested",
            )
            for _ in range(51)
        ]
        s.add_all(asked)
        issued = [
            Pass(person_id=staff, kind="STAFF", campus_id=world.campus_id, valid_from=NOW, valid_until=FAR)
            for _ in range(51)
        ]
        s.add_all(issued)
        s.flush()
        first_asked, first_issued = asked[0].id, issued[0].id
        before = s.exec(select(Pass.id).where(Pass.person_id == staff).order_by(col(Pass.id))).first()
    c.log_in("security")
    assert_paged(c, "/console/approvals?status=requested", "approval", first_asked)
    # the staff member's own pass from before the 51 is the 52nd: past page 2's first row, still page 2
    one, two = two_pages(c, f"/console/passes?person_id={staff}", "pass")
    assert str(first_issued) in two and str(first_issued) not in one and str(before) in two
    assert "赵老师" in c.http.get(f"/console/passes?person_id={staff}").text

"""A campus in another time zone (New York): the console's pass and visitor lists show a pass's window
as its card prints it, in the campus's clock, whatever the office's."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from central.models.db import session_scope
from central.models.registry import Pass
from central.office import registry
from tests.central.conftest import World
from tests.central.console_helpers import Client
from tests.central.office.pdf_checks import pdf_text
from tests.central.office.test_nucleic import HEADER, add_student, set_policy


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    with session_scope(world.engine) as s:
        current = registry.latest_policy(s, world.campus_id)
        registry.save_policy(s, dataclasses.replace(current, timezone="America/New_York"))
    return Client(world, tmp_path)


def _cell(html: str, row_id: str, cls: str) -> str:
    row = html.split(f'<tr id="{row_id}">', 1)[1].split("</tr>", 1)[0]
    return row.split(f'<td class="{cls}">', 1)[1].split("</td>", 1)[0]


def test_the_pass_list_prints_the_last_day_the_card_prints(c: Client, world: World, tmp_path: Path) -> None:
    c.log_in("security")
    r = c.form(
        "/console/passes",
        {"person_id": str(world.people["zhang"]), "valid_from": "2026-12-01", "valid_until": "2026-12-31"},
    )
    assert 'id="message"' in r.text
    with Session(c.engine) as s:
        issued = s.exec(select(Pass).order_by(col(Pass.id).desc())).first()
    assert issued is not None
    card = pdf_text(c.call("GET", f"/api/v1/passes/{issued.id}/card.pdf").content, tmp_path)
    assert "2026-12-01 – 2026-12-31" in card  # whole days of New York
    # the list said "2027-01-01 13:00": the card's exclusive end read on Beijing's clock
    page = c.http.get("/console/passes").text
    assert _cell(page, f"pass-{issued.id}", "until") == "2026-12-31"
    assert _cell(page, f"pass-{issued.id}", "tz") == "America/New_York"  # the row names its clock


def test_the_visitor_list_prints_the_window_the_card_prints(c: Client, world: World, tmp_path: Path) -> None:
    body = {
        "name": "访客丙",
        "campus_id": world.campus_id,
        "valid_from": "2026-11-24T09:00:00-05:00",  # 09:00 to 17:00 in New York
        "valid_until": "2026-11-24T17:00:00-05:00",
    }
    visit = c.call("POST", "/api/v1/visitors", json=body).json()
    card = pdf_text(c.call("GET", f"/api/v1/passes/{visit['id']}/card.pdf").content, tmp_path)
    assert "2026-11-24 09:00 – 2026-11-24 17:00" in card
    c.log_in("security")
    page = c.http.get("/console/visitors").text  # it said 2026-11-24 22:00 to 2026-11-25 06:00
    row = f"visit-{visit['id']}"
    assert (_cell(page, row, "from"), _cell(page, row, "until")) == ("2026-11-24 09:00", "2026-11-24 17:00")
    assert _cell(page, row, "tz") == "America/New_York"


def test_a_visit_typed_in_the_form_is_in_its_campus_s_time(c: Client, world: World) -> None:
    c.log_in("security")
    page = c.http.get("/console/visitors").text
    assert "校区当地时间" in page and "Beijing time" not in page.split('id="add"', 1)[0].split("<form", 2)[2]
    form = {"name": "访客丁", "campus_id": str(world.campus_id)}
    r = c.form(
        "/console/visitors", {**form, "valid_from": "2026-11-24T09:00", "valid_until": "2026-11-24T17:00"}
    )
    assert 'id="message"' in r.text
    with Session(c.engine) as s:
        visit = s.exec(select(Pass).where(Pass.kind == "VISITOR")).one()
    # 09:00 in New York (it was read as 09:00 in Beijing: 20:00 the evening before in New York)
    assert visit.valid_from.isoformat() == "2026-11-24T14:00:00+00:00"
    page = c.http.get("/console/visitors").text
    row = f"visit-{visit.id}"
    assert (_cell(page, row, "from"), _cell(page, row, "until")) == ("2026-11-24 09:00", "2026-11-24 17:00")


def test_the_testing_page_reads_back_the_sampling_time_imported(c: Client, world: World) -> None:
    student = add_student(world, "s1", "孙小红", last4="1234", number="A1")
    set_policy(world, closed_groups=frozenset({"student"}), nat_interval_hours=72)
    c.log_in("security", "/console/nucleic")
    sheet = f"{HEADER}\n孙小红,1234,A1,2026-11-24 08:00,阴性".encode()  # 08:00 in New York
    r = c.http.post(
        "/console/nucleic",
        data={"csrf": c.csrf, "campus_id": str(world.campus_id)},
        files={"file": ("r.csv", sheet)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = c.http.get(f"/console/nucleic?campus_id={world.campus_id}").text
    cells = page.split(f'<tr id="due-{student}"', 1)[1].split("</tr>", 1)[0]
    # it showed 2026-11-24 21:00:00 and 2026-11-27 21:00:00: the import's New York time on Beijing's clock
    assert "<td>2026-11-24 08:00:00</td>" in cells and "<td>2026-11-27 08:00:00</td>" in cells
    header = page.split('id="due"', 1)[1].split("</tr>", 1)[0]
    assert (
        '<span class="zh">校区当地时间</span>' in header
        and '<span class="tz">America/New_York</span>' in header
    )

"""The fever-alerts page (/console/fevers): every alert newest first, acknowledged ones too with who
and when, on its campus's clock with the zone named; open/all and campus filters, a pager; the office
roles only (full names), the acknowledge button for those who may; linked in the nav and the banner."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.models.db import session_scope
from central.models.journal import FeverAlert
from central.models.registry import Gate
from central.office import dashboard, registry
from central.office.keys import KeyRing
from tests.central.conftest import NOW, World, build_world
from tests.central.console_helpers import Client

TAG = re.compile(r"<[^>]+>")


@pytest.fixture
def world(any_engine: Engine, keyring: KeyRing) -> World:
    """The small registry on SQLite and on PostgreSQL (the campus filter's and the count's query)."""
    return build_world(any_engine, keyring)


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    """The world's campus in Beijing with a fever (赵老师, 38.2) and a cough (张三明) through the decision
    service, and a New York campus with a fever alert of its own gate."""
    world.service.handle(*world.scan("staff", celsius=38.2, at=NOW), NOW)
    later = NOW + timedelta(minutes=5)
    world.service.handle(*world.scan("zhang", symptoms=("cough",), at=later), later)
    with session_scope(world.engine) as s:
        ny = registry.add_campus(s, code="ny", name_zh="纽约校区", timezone="America/New_York")
        s.add(Gate(gate_id="ny-east", campus_id=ny.id, name_zh="东门"))
        s.add(
            FeverAlert(
                event_id="ny-1",
                gate_id="ny-east",
                campus_id=ny.id,
                celsius=38.9,
                created_at=later + timedelta(1),
            )
        )
    return Client(world, tmp_path)


def alert_ids(c: Client) -> dict[str, int]:
    """Alert id by gate id and reading: fever, cough, ny."""
    with Session(c.engine) as s:
        rows = s.exec(select(FeverAlert).order_by(col(FeverAlert.id))).all()
    assert len(rows) == 3
    return {"fever": rows[0].id or 0, "cough": rows[1].id or 0, "ny": rows[2].id or 0}


def cell(html: str, alert_id: int, cls: str) -> str:
    """The text of one cell of an alert's row (tags dropped, spaces folded)."""
    row = html.split(f'<tr id="fever-{alert_id}"', 1)[1].split("</tr>", 1)[0]
    inner = row.split(f'<td class="{cls}">', 1)[1].split("</td>", 1)[0]
    return re.sub(r"\s+", " ", TAG.sub(" ", inner)).strip()


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="fever-(\d+)"', html)]


def test_office_roles_see_it_with_full_names_guards_and_approvers_do_not(c: Client) -> None:
    ids = alert_ids(c)
    for role in ("security", "director", "auditor", "admin"):
        c.log_in(role, "/console/fevers")
        page = c.http.get("/console/fevers").text
        assert 'id="nav-fever_alerts"' in page and 'id="alerts-page"' in page  # nav and banner link
        assert cell(page, ids["fever"], "person") == "赵老师"  # the full name: an office page
        assert cell(page, ids["cough"], "person") == "张三明 · 坞城校区 3-2-501"
    for role in ("guard", "approver"):
        c.log_in(role, "/console/gates")
        r = c.http.get("/console/fevers")
        assert r.status_code == 403 and "无权限" in r.text and "赵老师" not in r.text
        gates = c.http.get("/console/gates").text
        assert "/console/fevers" not in gates  # neither in the nav nor under a guard's banner
    c.http.cookies.clear()
    r = c.http.get("/console/fevers", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/console/login?next=/console/fevers")


def test_newest_first_with_reading_symptoms_incident_and_the_campus(c: Client, world: World) -> None:
    ids = alert_ids(c)
    c.log_in("auditor", "/console/fevers")
    page = c.http.get("/console/fevers").text
    assert listed(page) == [ids["ny"], ids["cough"], ids["fever"]]
    assert cell(page, ids["fever"], "reading") == "38.2 °C"
    assert cell(page, ids["cough"], "reading") == "36.6 °C · 咳嗽 cough"
    assert cell(page, ids["fever"], "campus") == "坞城校区" and cell(page, ids["ny"], "campus") == "纽约校区"
    assert cell(page, ids["fever"], "gate") == "北门"
    assert re.fullmatch(r"#\d+ 待处置 open", cell(page, ids["fever"], "incident"))
    assert (
        cell(page, ids["ny"], "incident") == "" and cell(page, ids["ny"], "person") == "未登记 unregistered"
    )


def test_times_are_on_each_campus_s_clock_named(c: Client) -> None:
    ids = alert_ids(c)
    with session_scope(c.engine) as s:  # the director acknowledges the New York one at 03:00 UTC
        assert dashboard.acknowledge(s, ids["ny"], NOW + timedelta(days=1, hours=1), by="director")
    c.log_in("security", "/console/fevers")
    page = c.http.get("/console/fevers").text
    assert cell(page, ids["fever"], "at") == "2026-11-23 10:00:00 Asia/Shanghai"  # 02:00 UTC
    # 02:05 UTC the next day is 21:05 the evening before in New York; it read 10:05 on Beijing's clock
    assert cell(page, ids["ny"], "at") == "2026-11-23 21:05:00 America/New_York"
    assert cell(page, ids["ny"], "acknowledged") == "director 2026-11-23 22:00:00"


def test_who_acknowledged_and_when_or_not_acknowledged_with_the_button(c: Client) -> None:
    ids = alert_ids(c)
    c.log_in("director", "/console/fevers")
    r = c.http.post(f"/api/v1/fever-alerts/{ids['fever']}/ack", headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 204  # the banner's endpoint, which the page's button calls
    with Session(c.engine) as s:
        acked = s.get(FeverAlert, ids["fever"])
        assert acked is not None and acked.acknowledged_at is not None
    beijing = (acked.acknowledged_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    for role, button in (("security", True), ("director", True), ("auditor", False)):
        c.log_in(role, "/console/fevers")
        page = c.http.get("/console/fevers").text
        assert cell(page, ids["fever"], "acknowledged") == f"director {beijing}"
        assert f'data-alert="{ids["fever"]}"' not in page  # acknowledged: no button
        assert cell(page, ids["cough"], "acknowledged").startswith("未确认 not acknowledged")
        assert (f'data-alert="{ids["cough"]}"' in page) is button
    with session_scope(c.engine) as s:  # acknowledged before who was recorded (migration 0008)
        old = s.get(FeverAlert, ids["ny"])
        assert old is not None
        old.acknowledged_at = NOW
        s.add(old)
    page = c.http.get("/console/fevers").text
    assert cell(page, ids["ny"], "acknowledged").startswith("未记录 not recorded")


def test_open_only_and_one_campus(c: Client, world: World) -> None:
    ids = alert_ids(c)
    with session_scope(c.engine) as s:
        dashboard.acknowledge(s, ids["fever"], NOW, by="security")
    c.log_in("security", "/console/fevers")
    assert listed(c.http.get("/console/fevers?show=open").text) == [ids["ny"], ids["cough"]]
    here = c.http.get(f"/console/fevers?campus_id={world.campus_id}").text
    assert listed(here) == [ids["cough"], ids["fever"]] and 'id="count">2<' in here
    both = c.http.get(f"/console/fevers?show=open&campus_id={world.campus_id}").text
    assert listed(both) == [ids["cough"]]
    assert '<option value="open" selected>' in both  # the form keeps what was asked
    assert re.search(rf'<option value="{world.campus_id}" selected>', both)
    assert listed(c.http.get("/console/fevers?show=all&campus_id=").text) == list(ids.values())[::-1]  # any
    for bad in ("show=some", "campus_id=x", "campus_id=0"):
        assert c.http.get(f"/console/fevers?{bad}").status_code == 422  # a page naming the field


def test_pages_of_fifty_keep_the_filters(c: Client, world: World) -> None:
    with session_scope(c.engine) as s:
        for n in range(55):
            at = NOW + timedelta(hours=1, seconds=n)
            s.add(
                FeverAlert(
                    event_id=f"p-{n}",
                    gate_id=world.gate_id,
                    campus_id=world.campus_id,
                    celsius=38.0,
                    created_at=at,
                )
            )
    c.log_in("security", "/console/fevers")
    first = c.http.get(f"/console/fevers?show=open&campus_id={world.campus_id}").text
    assert len(listed(first)) == 50 and 'id="count">57<' in first
    nxt = re.search(r'id="next" href="([^"]*)"', first)
    assert nxt is not None
    url = nxt.group(1).replace("&amp;", "&")
    assert "show=open" in url and f"campus_id={world.campus_id}" in url and "offset=50" in url
    second = c.http.get(f"/console/fevers{url}").text
    assert len(listed(second)) == 7 and not set(listed(second)) & set(listed(first))
    assert 'id="prev"' in second and 'id="next"' not in second

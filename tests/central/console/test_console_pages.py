"""Console pages for gates, policy, vehicles, visitors, return batches and the entry log; CSRF on every
cookie-authenticated write."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlmodel import Session, select

from central.api.auth import SESSION_COOKIE, issue_session
from central.api.csrf import token_for_cookie
from central.models.db import session_scope
from central.models.journal import FeverAlert, GateState
from central.models.registry import Gate, Pass, Person, ReturnBatch, Vehicle
from central.models.users import User
from tests.central.conftest import NOW, World, log_morning
from tests.central.console_helpers import Client, page_csrf

POLICY_FORM = {
    "fever_threshold": "37.3",
    "plausible_min": "34.0",
    "plausible_max": "43.0",
    "household_quota": "true",
    "timezone": "Asia/Shanghai",
    "allowed_kinds": ["resident", "staff", "student", "visitor", "vehicle"],
}


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def rows(html: str, prefix: str) -> list[str]:
    return re.findall(rf'<tr id="{prefix}-([^"]+)"', html)


# --- gates -----------------------------------------------------------------------------------------


def test_gates_page_shows_live_state_and_closing_republishes_the_config(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        s.add(GateState(gate_id=world.gate_id, state="online", last_seen=NOW))
    c.log_in("guard")  # a guard sees which gate is down (as GET /api/v1/gates), but cannot switch one
    page = c.http.get("/console/gates").text
    assert rows(page, "gate") == [world.gate_id] and 'class="switch"' not in page
    assert c.form(f"/console/gates/{world.gate_id}/close").status_code == 403
    c.log_in("director")
    page = c.http.get("/console/gates").text
    assert rows(page, "gate") == [world.gate_id] and "坞城校区" in page
    assert "state-online" in page and "2026-11-23 10:00:00" in page  # Beijing time
    assert 'class="switch"' not in page  # only the office opens and closes gates
    assert c.form(f"/console/gates/{world.gate_id}/close").status_code == 403

    c.log_in("security")
    page = c.form(f"/console/gates/{world.gate_id}/close").text
    assert 'id="message"' in page and "开启" in page
    with Session(c.engine) as s:
        assert s.get(Gate, world.gate_id).open is False  # type: ignore[union-attr]
    assert c.published == [world.gate_id]
    page = c.form("/console/gates/nope/open").text
    assert "gate nope not found" in page and c.published == [world.gate_id]


# --- policy ----------------------------------------------------------------------------------------


def test_policy_page_shows_the_version_and_saves_the_next_one(c: Client, world: World) -> None:
    c.log_in("guard")
    assert c.http.get("/console/policy").status_code == 403
    c.log_in("auditor")
    page = c.http.get(f"/console/policy?campus_id={world.campus_id}").text
    version = int(re.search(r'<b id="version">(\d+)</b>', page).group(1))  # type: ignore[union-attr]
    assert 'id="save"' not in page
    assert c.form(f"/console/policy/{world.campus_id}", POLICY_FORM).status_code == 403

    c.log_in("security")
    r = c.form(
        f"/console/policy/{world.campus_id}", {**POLICY_FORM, "fever_threshold": "hot", "opens": "25:00"}
    )
    assert 'id="err-fever_threshold"' in r.text and 'id="err-opens"' in r.text
    assert "请输入数字" in r.text and "时间格式应为" in r.text  # the reasons in Chinese first
    assert f'<b id="version">{version}</b>' in r.text and c.published == []

    r = c.form(f"/console/policy/{world.campus_id}", {**POLICY_FORM, "fever_threshold": "37.5"})
    # first a preview of what changes, nothing saved or sent yet
    assert 'id="preview"' in r.text and 'id="change-fever_threshold"' in r.text and 'id="confirm"' in r.text
    assert f'<b id="version">{version}</b>' in r.text and c.published == []
    r = c.form(
        f"/console/policy/{world.campus_id}", {**POLICY_FORM, "fever_threshold": "37.5", "confirm": "yes"}
    )
    assert f'<b id="version">{version + 1}</b>' in r.text and "发热阈值" in r.text
    api = c.call("GET", f"/api/v1/campuses/{world.campus_id}/policy").json()
    assert (api["version"], api["fever_threshold"]) == (version + 1, 37.5)
    assert api["allowed_kinds"] == sorted(POLICY_FORM["allowed_kinds"])  # the unticked kinds are refused now
    assert c.published == [world.gate_id]  # the campus's gates got the new config


# --- vehicles --------------------------------------------------------------------------------------


def test_vehicles_page_registers_and_searches(c: Client, world: World) -> None:
    c.log_in("security")
    r = c.form("/console/vehicles", {"plate": "晋", "owner_person_id": str(world.people["zhang"])})
    assert 'id="err-plate"' in r.text and 'id="err-valid_until"' in r.text
    r = c.form(
        "/console/vehicles", {"plate": "晋A12345", "owner_person_id": "999", "valid_until": "2027-01-01"}
    )
    assert "person 999 not found" in r.text
    r = c.form(
        "/console/vehicles",
        {"plate": "晋a12345", "owner_person_id": str(world.people["zhang"]), "valid_until": "2027-01-01"},
    )
    assert "已登记车辆 晋A12345" in r.text and "张三明" in r.text
    c.form(
        "/console/vehicles",
        {"plate": "晋B777", "owner_person_id": str(world.people["li"]), "valid_until": "2027-01-01"},
    )
    assert len(rows(c.http.get("/console/vehicles").text, "vehicle")) == 2
    assert len(rows(c.http.get("/console/vehicles?plate=b77").text, "vehicle")) == 1

    c.log_in("guard")  # guards may look plates up, as in the API, but not register
    page = c.http.get("/console/vehicles").text
    assert len(rows(page, "vehicle")) == 2 and 'action="/console/vehicles"' not in page
    assert "张三明" not in page and "张*明" in page  # the owner's name masked for the gate
    r = c.form("/console/vehicles", {"plate": "晋C1", "owner_person_id": "1", "valid_until": "2027-01-01"})
    assert r.status_code == 403
    with Session(c.engine) as s:
        assert len(s.exec(select(Vehicle)).all()) == 2


# --- visitors --------------------------------------------------------------------------------------


def test_visitors_page_registers_a_visitor_in_beijing_time(c: Client, world: World) -> None:
    c.log_in("guard", page="/console/vehicles")
    assert c.http.get("/console/visitors").status_code == 403
    c.log_in("security")
    form = {"name": "访客甲", "campus_id": str(world.campus_id), "household_id": str(world.household_id)}
    r = c.form(
        "/console/visitors", {**form, "valid_from": "2026-11-24T09:00", "valid_until": "2026-11-24T08:00"}
    )
    assert 'id="error"' in r.text
    r = c.form(
        "/console/visitors", {**form, "valid_from": "2026-11-24T09:00", "valid_until": "2026-11-24T12:00"}
    )
    assert 'id="message"' in r.text
    with Session(c.engine) as s:
        visit = s.exec(select(Pass).where(Pass.kind == "VISITOR")).one()
        assert s.get(Person, visit.person_id).name == "访客甲"  # type: ignore[union-attr]
    assert visit.valid_from.astimezone(UTC) == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    page = c.http.get("/console/visitors").text
    assert rows(page, "visit") == [str(visit.id)]
    # the window as the card prints it: a time to the minute, a visit to a midnight as its last day
    # (the page showed "2026-11-24 09:00:00" and a whole day's visit ending "2026-11-25 00:00:00")
    assert '<td class="from">2026-11-24 09:00</td><td class="until">2026-11-24 12:00</td>' in page
    r = c.form(
        "/console/visitors", {**form, "valid_from": "2026-11-25T00:00", "valid_until": "2026-11-26T00:00"}
    )
    assert 'id="message"' in r.text
    page = c.http.get("/console/visitors").text
    assert '<td class="from">2026-11-25</td><td class="until">2026-11-25</td>' in page


def test_a_reload_after_a_write_does_not_post_the_form_again(c: Client, world: World) -> None:
    """Post/redirect/get: F5 on the page shown after registering a visitor re-reads it, and the
    confirmation shows once."""
    c.log_in("security")
    form = {"name": "访客乙", "campus_id": str(world.campus_id), "valid_from": "2026-11-24T09:00"}
    r = c.http.post(
        "/console/visitors",
        data={**form, "valid_until": "2026-11-24T12:00", "csrf": c.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/visitors"
    shown = c.http.get("/console/visitors").text  # where the browser goes; a reload repeats this GET
    assert 'id="message"' in shown
    said = shown.split('id="message">', 1)[1].split("</p>", 1)[0]
    assert "已登记访客通行证 #" in said and "Visitor pass #" in said and "registered" in said
    again = c.http.get("/console/visitors").text
    assert 'id="message"' not in again  # shown once
    with Session(c.engine) as s:
        assert len(s.exec(select(Pass).where(Pass.kind == "VISITOR")).all()) == 1


def test_an_import_redirects_and_a_confirmation_waits_for_its_page(c: Client, world: World) -> None:
    c.log_in("security")
    csv = "校区,楼号,单元,房号,姓名,类别\n坞城校区,9,1,901,孙一,住户\n".encode()
    posted = c.http.post(
        "/console/import", data={"csrf": c.csrf}, files={"file": ("a.csv", csv)}, follow_redirects=False
    )
    assert posted.status_code == 303  # written: a reload of the next page does not send the file again
    # the confirmation is not spent on a form shown again with its errors
    bad = c.form("/console/visitors", {"name": "访客", "campus_id": str(world.campus_id)})
    assert 'id="error"' in bad.text or 'class="field-error"' in bad.text
    assert 'id="message"' not in bad.text
    shown = c.http.get("/console/import").text
    assert 'id="message"' in shown and "已导入" in shown and "新人员 1" in shown
    with Session(c.engine) as s:
        assert len(s.exec(select(Person).where(Person.name == "孙一")).all()) == 1


def test_the_import_form_starts_as_a_dry_run_and_an_import_says_it_had_notes(c: Client, world: World) -> None:
    # an office that chose a file and pressed the button got a real import, whose notes (a column the
    # import does not read) the redirect then dropped unseen
    c.log_in("security")
    form = c.http.get("/console/import").text
    assert re.search(r'<input type="checkbox" name="dry_run" value="true" id="dry_run" checked>', form)
    csv = "校区,楼号,单元,房号,姓名,类别,备注\n坞城校区,9,1,902,孙二,住户,新搬入\n".encode()
    posted = c.http.post(
        "/console/import", data={"csrf": c.csrf}, files={"file": ("a.csv", csv)}, follow_redirects=False
    )
    assert posted.status_code == 303
    shown = c.http.get("/console/import").text
    assert "新人员 1；另有 1 条提示（如未读取的列），试运行同一文件可查看" in shown
    assert "1 notes besides (a column not read, say): a dry run of the same file shows them" in shown


def test_a_long_confirmation_is_cut_to_fit_a_cookie(c: Client, world: World) -> None:
    from central.console.web import done

    cookie = done("/console/households", "household_added", label="户" * 2000).headers["set-cookie"]
    assert len(cookie) < 4096 and "%E2%80%A6" in cookie  # cut, and said to be cut with an ellipsis
    # a sentence the catalogue lacks, after a committed write: said as saved, not a failed page
    cookie = done("/console/households", "no_such_sentence", label="x").headers["set-cookie"]
    assert "saved" in unquote(cookie)


# --- return batches --------------------------------------------------------------------------------


def test_batches_page_adds_a_window_for_students_only(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        student = Person(name="陈同学", category="STUDENT")
        s.add(student)
        s.flush()
        student_id = student.id
    c.log_in("auditor")
    assert c.http.get("/console/batches").status_code == 200
    assert c.form("/console/batches", {"person_id": str(student_id)}).status_code == 403
    c.log_in("security")
    r = c.form(
        "/console/batches",
        {"person_id": str(world.people["zhang"]), "start": "2026-12-01", "end": "2026-12-02"},
    )
    assert "is not a student" in r.text
    r = c.form("/console/batches", {"person_id": str(student_id), "start": "2026-12-05", "end": "2026-12-01"})
    assert "end is before start" in r.text
    r = c.form("/console/batches", {"person_id": str(student_id), "start": "2026-12-01", "end": "2026-12-05"})
    assert len(rows(r.text, "batch")) == 1 and "陈同学" in r.text
    with Session(c.engine) as s:
        (batch,) = s.exec(select(ReturnBatch)).all()
    assert (batch.person_id, batch.start, batch.end) == (student_id, date(2026, 12, 1), date(2026, 12, 5))


# --- the entry log ---------------------------------------------------------------------------------


def test_entries_page_filters_like_the_api_and_links_the_csv(c: Client, world: World) -> None:
    log_morning(world)
    for refused in ("guard", "approver"):
        c.log_in(refused)
        assert c.http.get("/console/entries").status_code == 403
    c.log_in("director", page="/console/entries")  # reads the log as GET /api/v1/entries lets it
    c.log_in("auditor", page="/console/entries")
    page = c.http.get("/console/entries").text
    assert len(rows(page, "entry")) == 5 and "体温异常" in page and "2026-11-23 10:02:00" in page
    assert 'class="mark offline"' in page and 'class="mark override"' in page

    def reasons(query: str) -> list[str]:
        return re.findall(r'data-reason="([a-z_]+)"', c.http.get(f"/console/entries?{query}").text)

    assert reasons("verdict=deny") == ["fever", "household_day_used"]
    assert reasons("fever=true") == ["fever"]
    assert reasons(f"person_id={world.people['li']}&override=false") == ["household_day_used"]
    assert reasons(f"gate_id={world.gate_id}&offline=true") == ["ok_commuter"]
    window = "since=2026-11-23T10:01&until=2026-11-23T10:03"  # Beijing time in the form
    assert reasons(window) == ["fever", "household_day_used"]

    page = c.http.get(f"/console/entries?{window}&verdict=deny").text
    csv_url = re.search(r'id="csv" href="([^"]+)"', page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    query = parse_qs(urlsplit(csv_url).query)
    assert query["since"] == ["2026-11-23T02:01:00+00:00"] and query["verdict"] == ["deny"]
    exported = list(csv.DictReader(io.StringIO(c.http.get(csv_url).content.decode("utf-8-sig"))))
    assert [r["reason"] for r in exported] == ["household_day_used", "fever"]  # the same rows, oldest first

    r = c.http.get("/console/entries?since=yesterday&fever=maybe")
    assert r.status_code == 422 and 'id="err-since"' in r.text and rows(r.text, "entry") == []


def test_entries_page_paginates(c: Client, world: World) -> None:
    log_morning(world, extra=55)
    c.log_in("security", page="/console/entries")
    first = c.http.get("/console/entries?verdict=deny").text
    assert len(rows(first, "entry")) == 50 and 'id="prev"' not in first
    assert 'id="count">57<' in first
    next_url = re.search(r'id="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    second = c.http.get(f"/console/entries{next_url}").text
    assert len(rows(second, "entry")) == 7 and 'id="next"' not in second and 'id="prev"' in second
    assert not set(rows(first, "entry")) & set(rows(second, "entry"))
    assert set(re.findall(r'data-reason="([a-z_]+)"', second)) == {
        "household_day_used",
        "fever",
    }  # filter kept


# --- nav -------------------------------------------------------------------------------------------


def test_nav_shows_only_the_pages_a_role_may_open(c: Client) -> None:
    c.log_in("guard")
    nav = re.findall(r'id="nav-(\w+)"', c.http.get("/console/vehicles").text)
    assert nav == ["vehicles", "gates"]
    home = c.http.get("/console/", follow_redirects=False)  # a guard lands on today's gate states
    assert home.status_code == 303 and home.headers["location"] == "/console/gates"
    for role, landing in (
        ("approver", "/console/approvals?status=requested"),
        ("auditor", "/console/entries"),
        ("director", "/dashboard"),
        ("security", "/console/households"),
    ):
        c.log_in(role, page="/console/gates")
        assert c.http.get("/console/", follow_redirects=False).headers["location"] == landing
    c.log_in("approver", page="/console/households")
    nav = re.findall(r'id="nav-(\w+)"', c.http.get("/console/households").text)
    assert "import" not in nav and "entries" not in nav and "gates" in nav
    c.log_in("security", page="/console/households")
    links = re.findall(r'<a href="([^"]+)" id="nav-', c.http.get("/console/households").text)
    assert "/dashboard" in links and "/console/reports" in links
    for href in links:
        assert c.http.get(href).status_code == 200, href


# --- CSRF ------------------------------------------------------------------------------------------


def test_form_posts_need_the_pages_token(c: Client, world: World) -> None:
    token = c.log_in("security")
    data = {"campus_id": str(world.campus_id), "building": "9", "unit": "1", "room": "101"}
    for bad in ({}, {"csrf": ""}, {"csrf": "0" * 64}):
        r = c.http.post("/console/households", data={**data, **bad})
        assert r.status_code == 403 and "表单已过期或并非来自本控制台" in r.text  # a page, not raw JSON
    r = c.http.post("/console/logout", follow_redirects=False)
    assert r.status_code == 403
    assert c.form(f"/console/gates/{world.gate_id}/close").status_code == 200  # the page's token is good
    assert c.published == [world.gate_id]

    # another user's token does not fit this session
    with Session(c.engine) as s:
        other = s.exec(select(User).where(User.username == "admin")).one()
    foreign = token_for_cookie(c.app, issue_session(c.app, other))
    assert c.http.post("/console/households", data={**data, "csrf": foreign}).status_code == 403

    r = c.http.post("/console/households", data={**data, "csrf": token})
    assert r.status_code == 200 and "已新增住户 坞城校区 9-1-101" in r.text
    assert c.http.post("/console/logout", data={"csrf": token}, follow_redirects=False).status_code == 303


def test_cookie_api_writes_need_the_header_and_bearer_clients_need_nothing(c: Client, world: World) -> None:
    with session_scope(world.engine) as s:
        s.add(
            FeverAlert(
                event_id="e-1", gate_id=world.gate_id, campus_id=world.campus_id, celsius=38.5, created_at=NOW
            )
        )
    body = {"campus_id": world.campus_id, "building": "8", "unit": "1", "room": "1"}
    token = c.log_in("security")
    assert c.http.post("/api/v1/households", json=body).status_code == 403
    r = c.http.post("/api/v1/households", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201

    page = c.http.get("/dashboard").text
    assert f'<meta name="csrf-token" content="{token}">' in page
    with Session(c.engine) as s:
        alert_id = s.exec(select(FeverAlert.id)).one()
    assert c.http.post(f"/api/v1/fever-alerts/{alert_id}/ack").status_code == 403
    assert (
        c.http.post(f"/api/v1/fever-alerts/{alert_id}/ack", headers={"X-CSRF-Token": token}).status_code
        == 204
    )

    c.http.cookies.clear()
    r = c.call("POST", "/api/v1/households", json={**body, "room": "2"})  # bearer: no token needed
    assert r.status_code == 201
    c.http.cookies.set(SESSION_COOKIE, "stale-but-present")
    r = c.call("POST", "/api/v1/households", json={**body, "room": "3"})  # bearer wins over a cookie
    assert r.status_code == 201


def test_every_console_form_carries_the_token(c: Client, world: World) -> None:
    c.log_in("admin", page="/console/households")
    for page in (
        "households",
        "people",
        "import",
        "approvals",
        "passes",
        "gates",
        "policy",
        "vehicles",
        "visitors",
        "batches",
    ):
        html = c.http.get(f"/console/{page}").text
        posts = re.findall(r'<form[^>]*method="post"[^>]*>(.{0,80})', html)
        assert posts, page
        assert all('name="csrf"' in rest for rest in posts), page
        page_csrf(html)


def test_a_confirmation_speaks_both_languages_and_a_forged_one_says_nothing(c: Client, world: World) -> None:
    """Every write's confirmation is a sentence of the catalogue, Chinese then English (a gate closed,
    not "north: close ✓"); a confirmation cookie edited by hand shows nothing, or, in the shape of
    ours, its words with the value escaped."""
    from urllib.parse import quote

    c.log_in("security")
    r = c.http.post(f"/console/gates/{world.gate_id}/close", data={"csrf": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    shown = c.http.get("/console/gates").text
    said = shown.split('id="message">', 1)[1].split("</p>", 1)[0]
    assert f"闸机 {world.gate_id} 已关闭" in said and f"Gate {world.gate_id} closed" in said
    assert said.index("闸机") < said.index("Gate")
    for forged in ("plain words", '["gate_close", {}]', '["no_such", {"gate": "x"}]', "[" * 3000):
        c.http.cookies.set("cg_flash", quote(forged), path="/console")
        page = c.http.get("/console/gates")
        assert page.status_code == 200 and 'id="message"' not in page.text, forged[:40]
    c.http.cookies.set("cg_flash", quote('["gate_close", {"gate": "<b>x</b>"}]'), path="/console")
    shown = c.http.get("/console/gates").text  # in our shape: its words, the value escaped
    assert "闸机 &lt;b&gt;x&lt;/b&gt; 已关闭" in shown and "<b>x</b>" not in shown

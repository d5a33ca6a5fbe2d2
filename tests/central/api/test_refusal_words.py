"""Refusals say what is true of the input, in the catalogue's words in both halves: the bounds a pass
really allows, the Chinese words of categories, headers and incident states, a string's length."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from central.models.db import session_scope
from central.models.incidents import FeverIncident, IncidentStep
from central.office import reports
from central.office.windows import local_days
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


@pytest.mark.parametrize(
    ("zone", "first", "last"),
    [("Asia/Shanghai", "1970-01-02", "2106-02-06"), ("America/Los_Angeles", "1970-01-01", "2106-02-05")],
)
def test_a_pass_is_told_the_days_its_campus_allows(
    c: Client, world: World, zone: str, first: str, last: str
) -> None:
    """1970-01-01 in Beijing began before the epoch: the refusal names the first day that works, and
    the days it names are accepted, the day beyond each refused again."""
    world.set_zone(zone)
    assert local_days(ZoneInfo(zone)) == (date.fromisoformat(first), date.fromisoformat(last))
    body = {"household_id": world.household_id}
    r = c.call(
        "POST", "/api/v1/passes", json={**body, "valid_from": "1969-12-31", "valid_until": "1970-01-05"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["msg_en"] == f"valid_from must lie between {first} and {last}"
    assert r.json()["msg_zh"] == f"起始日期须在 {first} 至 {last} 之间"
    for start, end in ((first, "1970-01-05"), ("2106-01-01", last)):
        ok = c.call("POST", "/api/v1/passes", json={**body, "valid_from": start, "valid_until": end})
        assert ok.status_code == 201, (start, end, ok.text)
    before = (date.fromisoformat(first) - date.resolution).isoformat()
    after = (date.fromisoformat(last) + date.resolution).isoformat()
    for start, end, field in ((before, "1970-01-05", "valid_from"), ("2106-01-01", after, "valid_until")):
        r = c.call("POST", "/api/v1/passes", json={**body, "valid_from": start, "valid_until": end})
        assert r.status_code == 422 and r.json()["msg_en"] == f"{field} must lie between {first} and {last}"


def test_an_instant_is_told_the_token_s_instants(c: Client, world: World) -> None:
    body = {
        "household_id": world.household_id,
        "valid_from": "1969-12-31T23:00:00Z",
        "valid_until": "1970-01-05",
    }
    [error] = c.call("POST", "/api/v1/passes", json=body).json()["detail"]
    assert error["msg_en"] == "valid_from must lie between 1970-01-01 00:00:00 and 2106-02-07 06:28:15 UTC"
    assert error["msg_zh"] == "起始日期须在 1970-01-01 00:00:00 至 2106-02-07 06:28:15 UTC 之间"


def test_an_unknown_category_lists_the_categories_in_chinese(c: Client, world: World) -> None:
    r = c.call(
        "POST", "/api/v1/people", json={"household_id": world.household_id, "name": "x", "category": "bogus"}
    )
    [error] = r.json()["detail"]
    assert (
        error["msg_zh"] == "未知类别 bogus，应为：住户、租户、教职工、学生、外籍教师、留学生、施工人员、访客"
    )
    assert "intl_student" in error["msg_en"]


def test_a_missing_column_is_named_by_its_chinese_header(c: Client) -> None:
    from central.console.i18n import message_words

    r = c.call("POST", "/api/v1/imports/people", files={"file": ("a.csv", b"foo,bar\n1,2\n")})
    assert r.status_code == 422
    words = message_words(r.json()["detail"])
    assert words is not None and words[0] == "第1行：缺少列 校区、姓名；实际为 foo、bar", words


@pytest.mark.parametrize("plate", ["  ", "晋"])
def test_a_short_plate_is_told_a_string_s_length(c: Client, world: World, plate: str) -> None:
    body = {"plate": plate, "owner_person_id": world.people["zhang"], "valid_until": "2027-06-30"}
    [error] = c.call("POST", "/api/v1/vehicles", json=body).json()["detail"]
    assert (error["msg_zh"], error["msg_en"]) == ("太短：至少 2 个字符", "too short: at least 2 characters")


def _incident(world: World) -> int:
    world.service.handle(*world.scan("staff", celsius=38.4), NOW)
    with Session(world.engine) as s:
        return s.exec(select(FeverIncident.id)).one() or 0


def test_an_incident_step_names_the_states_in_chinese(c: Client, world: World) -> None:
    url = f"/api/v1/incidents/{_incident(world)}/steps"
    r = c.call("POST", url, json={"state": "remeasured", "celsius": 37.0})
    assert r.status_code == 409
    assert r.json()["msg_zh"].endswith("当前为待处置，不能改为已复测"), r.text
    r = c.call("POST", url, json={"state": "bogus"})
    assert r.status_code == 422, r.text
    assert r.json()["msg_zh"] == "未知的发热事件状态 bogus，应为：待处置、已送留观、已复测、已解除、已转诊"


def test_an_unreadable_stored_reading_does_not_break_the_list(c: Client, world: World) -> None:
    """Readings stored before re-measurements were checked may be "nan" or "inf": read as none."""
    incident_id = _incident(world)
    with session_scope(world.engine) as s:
        incident = s.get(FeverIncident, incident_id)
        assert incident is not None
        incident.readings = "38.4,nan,inf,-inf"
        s.add(incident)
        s.add(IncidentStep(incident_id=incident_id, state="remeasured", by="x", at=NOW, celsius=float("inf")))
    r = c.call("GET", "/api/v1/incidents", role="auditor")
    assert r.status_code == 200 and r.json()[0]["readings"] == [38.4, None, None, None]
    one = c.call("GET", f"/api/v1/incidents/{incident_id}", role="auditor")
    assert one.status_code == 200 and one.json()["steps"][0]["celsius"] is None


def test_an_incident_step_note_is_one_line_of_a_printable_length(c: Client, world: World) -> None:
    # the note was any text of any length, line breaks and direction overrides kept
    url = f"/api/v1/incidents/{_incident(world)}/steps"
    for note, zh in [
        ("送留观\n室", "文本不能含有控制字符（换行、制表符或文字方向控制符）"),
        ("观" * 501, "太长：最多 500 个字符"),
    ]:
        r = c.call("POST", url, json={"state": "sent_to_observation", "note": note})
        assert r.status_code == 422 and r.json()["detail"][0]["msg_zh"] == zh, r.text
    r = c.call("POST", url, json={"state": "sent_to_observation", "note": " 已送东门留观室 "})
    assert r.status_code == 200 and r.json()["steps"][-1]["note"] == "已送东门留观室", r.text


def test_an_unknown_report_or_incident_is_told_in_both_languages(c: Client, world: World) -> None:
    # these 404s answered {"detail": "no report 55"} alone, unlike every other unknown id
    for path, zh in [
        ("/api/v1/reports/55", "报告55不存在"),
        ("/api/v1/reports/55.pdf", "报告55不存在"),
        ("/api/v1/incidents/55", "发热事件55不存在"),
    ]:
        r = c.call("GET", path, role="auditor")
        assert r.status_code == 404 and r.json()["msg_zh"] == zh, (path, r.text)
    with session_scope(world.engine) as s:
        report = reports.make_report(s, world.campus_id, NOW.date(), reports.OFFICE, NOW)
    r = c.call("GET", f"/api/v1/reports/{report.id}.xls", role="auditor")
    assert r.status_code == 404 and r.json()["msg_zh"] == "没有 xls 格式：只有 pdf 或 csv", r.text


def test_too_many_items_is_told_in_both_languages(c: Client) -> None:
    # the Chinese half read only 输入有误 beside pydantic's "List should have at most 500 items…"
    r = c.call("GET", "/api/v1/passes/sheet.pdf", params={"id": list(range(1, 502))})
    [error] = r.json()["detail"]
    assert (error["msg_zh"], error["msg_en"]) == ("最多 500 项", "at most 500 items"), r.text


@pytest.mark.parametrize(
    ("path", "body", "zh", "en"),
    [
        # an id past any integer pydantic reads (1e30): the Chinese half read only 输入有误
        (
            "/api/v1/passes",
            '{"person_id": 1e30, "valid_from": "2026-12-01", "valid_until": "2026-12-31"}',
            "数字太大",
            "number too large",
        ),
        ("/api/v1/passes", "[]", "应为 JSON 对象", "should be a JSON object"),
        ("/api/v1/passes", '"x"', "应为 JSON 对象", "should be a JSON object"),
        ("/api/v1/campuses/1/policy", '{"changes": []}', "应为 JSON 对象", "should be a JSON object"),
        (
            "/api/v1/gates",
            '{"gate_id": "g", "campus_id": 1, "name_zh": "门", "open": []}',
            "请选择是或否",
            "choose yes or no",
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_told_in_both_languages(
    c: Client, path: str, body: str, zh: str, en: str
) -> None:
    method = "PUT" if path.endswith("/policy") else "POST"
    headers = {**c.headers("security"), "Content-Type": "application/json"}
    r = c.http.request(method, path, content=body, headers=headers)
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert (error["msg_zh"], error["msg_en"]) == (zh, en), r.text


@pytest.mark.parametrize("zone", ["Asia/Shanghai ", " Asia/Shanghai", "localtime"])
def test_a_refused_zone_is_quoted_as_sent_in_both_halves(c: Client, zone: str) -> None:
    """A zone with a trailing space is no IANA name: the Chinese half quoted it without the space,
    "时区“Asia/Shanghai”不在 IANA 时区库中", which says the right name is wrong."""
    r = c.call(
        "POST", "/api/v1/campuses", role="admin", json={"code": "x", "name_zh": "新校区", "timezone": zone}
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["msg_zh"] == f"时区“{zone}”不在 IANA 时区库中", r.text

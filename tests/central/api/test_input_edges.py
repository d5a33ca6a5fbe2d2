"""Edges of the input the API and the console take: a re-measurement that is no body temperature, NaN or
Infinity anywhere in a JSON body, search times before 1970 or past datetime's years, and verdict or
reason codes the log never holds. Each is a 422 naming the field in both languages, never a 500 or
a quiet empty answer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from central.console.i18n import message_words, pydantic_detail
from central.models.db import session_scope
from central.models.incidents import FeverIncident, IncidentStep
from central.office import incidents
from central.office.errors import Invalid
from tests.central.conftest import NOW, World, log_morning
from tests.central.console_helpers import Client

EPOCH_ZH = "须在 1970-01-01 至 9999-12-31（UTC）之间"


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def _raw(c: Client, url: str, body: str, role: str = "security") -> Any:
    """POST ``body`` as it is: NaN and Infinity are JSON to Python's reader, not to httpx's writer."""
    headers = {**c.headers(role), "Content-Type": "application/json"}
    return c.http.post(url, content=body, headers=headers)


# --- a re-measurement is a body temperature ---------------------------------------------------------


def _observed_incident(world: World, c: Client) -> str:
    world.service.handle(*world.scan("staff", celsius=38.4), NOW)
    with session_scope(world.engine) as s:
        [incident] = s.exec(select(FeverIncident)).all()
    url = f"/api/v1/incidents/{incident.id}/steps"
    assert c.call("POST", url, json={"state": "sent_to_observation"}).status_code == 200
    return url


@pytest.mark.parametrize("reading", ["NaN", "Infinity", "-Infinity", "1e30", "-1", "29.9", "45.1"])
def test_a_remeasurement_that_is_no_body_temperature_is_refused_naming_celsius(
    c: Client, world: World, reading: str
) -> None:
    url = _observed_incident(world, c)
    r = _raw(c, url, f'{{"state": "remeasured", "celsius": {reading}}}')
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "celsius"] and error["msg_zh"] and error["msg_en"], error
    with session_scope(world.engine) as s:
        [incident] = s.exec(select(FeverIncident)).all()
        steps = s.exec(select(IncidentStep)).all()
    assert (incident.state, incident.readings) == ("sent_to_observation", "38.4")
    assert [st.state for st in steps] == ["sent_to_observation"]
    # the bounds themselves are readings
    for ok in ("30", "45.0", "36.6"):
        assert _raw(c, url, f'{{"state": "remeasured", "celsius": {ok}}}').status_code == 200


@pytest.mark.parametrize("reading", [float("nan"), float("inf"), float("-inf"), 1e30, -1.0, 29.9])
def test_the_office_refuses_the_same_readings(world: World, reading: float) -> None:
    world.service.handle(*world.scan("staff", celsius=38.4), NOW)
    with session_scope(world.engine) as s:
        [incident] = s.exec(select(FeverIncident)).all()
        incidents.advance(s, incident.id or 0, "sent_to_observation", by="sec", at=NOW)
    with session_scope(world.engine) as s, pytest.raises(Invalid) as refused:
        incidents.advance(s, incident.id or 0, "remeasured", by="sec", at=NOW, celsius=reading)
    assert refused.value.status == 422 and refused.value.message.startswith("celsius ")
    zh, en = message_words(refused.value.message) or ("", "")
    assert zh.startswith("体温 ") and "30.0–45.0 °C" in zh and en == refused.value.message


# --- NaN and Infinity in a body: a 422 that JSON can carry ------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"username": NaN, "password": "long-enough-1", "roles": ["guard"]}',
        '{"username": "new.user", "password": Infinity, "roles": ["guard"]}',
        '{"username": "new.user", "password": "long-enough-1", "roles": [-Infinity, NaN]}',
        '{"username": {"deep": [1, {"x": NaN}]}, "password": "long-enough-1", "roles": ["guard"]}',
        "[NaN, Infinity]",
        '{"username": ' + "[" * 900 + "NaN" + "]" * 900 + "}",  # as deep as Python's JSON reader goes
        "NaN",
    ],
)
def test_a_non_finite_number_anywhere_in_a_body_is_a_422(c: Client, body: str) -> None:
    r = _raw(c, "/api/v1/users", body, role="admin")
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail and all(e["msg_zh"] and e["msg_en"] for e in detail)
    json.loads(r.text, parse_constant=pytest.fail)  # the answer is strict JSON


def test_pydantic_detail_writes_non_finite_inputs_as_text() -> None:
    errors = [
        {"type": "finite_number", "loc": ("body", "x"), "msg": "m", "input": float("nan")},
        {"type": "string_type", "loc": ("body",), "msg": "m", "input": {"a": [float("-inf"), 1.5, ("z",)]}},
    ]
    detail = pydantic_detail(errors)
    assert [d["input"] for d in detail] == ["NaN", {"a": ["-Infinity", 1.5, ["z"]]}]
    assert detail[0]["loc"] == ("body", "x")
    json.dumps(detail, allow_nan=False)


# --- search times: from the epoch, within datetime's years ------------------------------------------

SEARCHES = ["/api/v1/entries", "/api/v1/entries.csv", "/api/v1/registry-changes"]


@pytest.mark.parametrize("path", SEARCHES)
@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize(
    "at",
    ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "1969-12-31T23:59:59Z", "9999-12-31T23:00:00-08:00"],
)
def test_a_search_time_out_of_range_is_a_422_naming_it(
    c: Client, world: World, path: str, name: str, at: str
) -> None:
    log_morning(world)
    r = c.call("GET", path, role="auditor", params={name: at})
    assert r.status_code == 422, r.text[:300]
    assert not r.content.startswith("\ufeff".encode())  # the CSV refused before its header
    [error] = r.json()["detail"]
    assert error["loc"] == ["query", name]
    assert (error["msg_zh"], error["msg_en"]) == (EPOCH_ZH, "must lie between 1970-01-01 and 9999-12-31 UTC")


@pytest.mark.parametrize("path", SEARCHES)
def test_the_widest_search_window_still_works(c: Client, world: World, path: str) -> None:
    log_morning(world)
    wide = {"since": "1970-01-01T00:00:00+00:00", "until": "9999-12-31T23:59:59+08:00"}
    r = c.call("GET", path, role="auditor", params=wide)
    assert r.status_code == 200, r.text[:300]
    if path == "/api/v1/entries":
        assert r.json()["count"] == 5
    if path.endswith(".csv"):
        assert len(r.content.decode("utf-8-sig").splitlines()) == 6  # the header and five rows


@pytest.mark.parametrize("page", ["/console/entries", "/console/changes"])
@pytest.mark.parametrize("name", ["since", "until"])
def test_the_console_says_so_beside_the_field(c: Client, world: World, page: str, name: str) -> None:
    log_morning(world)
    c.log_in("auditor", page=page)
    r = c.http.get(page, params={name: "0001-01-01T00:00"})
    assert r.status_code == 422 and f'id="err-{name}"' in r.text and EPOCH_ZH in r.text, r.text[-800:]
    assert c.http.get(page, params={"until": "9999-12-31T23:59"}).status_code == 200


# --- verdict and reason: the codes the log holds, in any case ----------------------------------------


def test_verdict_and_reason_are_codes_of_the_log_in_any_case(c: Client, world: World) -> None:
    log_morning(world)

    def reasons(**params: str) -> list[str]:
        r = c.call("GET", "/api/v1/entries", role="auditor", params=params)
        assert r.status_code == 200, r.text
        return sorted(e["reason"] for e in r.json()["data"])

    assert reasons(verdict="DENY") == reasons(verdict="deny") == ["fever", "household_day_used"]
    assert reasons(verdict=" Deny ") == ["fever", "household_day_used"]
    assert reasons(reason="FEVER") == ["fever"]
    for name, bogus in (("verdict", "bogus"), ("verdict", "denied"), ("reason", "fevers")):
        for path in ("/api/v1/entries", "/api/v1/entries.csv"):
            r = c.call("GET", path, role="auditor", params={name: bogus})
            assert r.status_code == 422, r.text[:300]
            [error] = r.json()["detail"]
            assert error["loc"] == ["query", name] and error["msg_zh"].startswith("应为以下之一")
            assert "'deny'" in error["msg_en"] if name == "verdict" else "'fever'" in error["msg_en"]
            # the Chinese half names the choices in Chinese, with no English "or" and no raw code
            assert "禁止" in error["msg_zh"] if name == "verdict" else "体温异常" in error["msg_zh"]
            assert " or " not in error["msg_zh"] and "'" not in error["msg_zh"]


def test_the_console_takes_codes_in_any_case_and_refuses_others(c: Client, world: World) -> None:
    log_morning(world)
    c.log_in("auditor", page="/console/entries")
    page = c.http.get("/console/entries", params={"verdict": "DENY"})
    assert page.status_code == 200
    assert sorted(set(re.findall(r'data-reason="([a-z_]+)"', page.text))) == [
        "fever",
        "household_day_used",
    ]
    assert '<option value="deny" selected>' in page.text  # the form shows what it filtered by
    assert c.http.get("/console/entries", params={"verdict": "bogus"}).status_code == 422
    assert c.http.get("/console/entries", params={"reason": "bogus"}).status_code == 422


@pytest.mark.parametrize("length", [41, 200])
def test_a_campus_code_longer_than_the_table_holds_is_refused(length: int) -> None:
    """The schema's limit is the column's: 41 characters was a 500 on PostgreSQL (VARCHAR(40))."""
    from pydantic import ValidationError

    from central.models.registry import CAMPUS_CODE_LENGTH, Campus
    from central.office.schemas import CampusCreate

    assert Campus.__table__.c.code.type.length == CAMPUS_CODE_LENGTH  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="at most 40"):
        CampusCreate(code="y" * length, name_zh="长码")
    assert CampusCreate(code="y" * CAMPUS_CODE_LENGTH, name_zh="长码").code == "y" * CAMPUS_CODE_LENGTH


# --- a number is no time ------------------------------------------------------------------------------

NUMBER_ZH = "数字不是时间：日期请写 年-月-日，时间请写 年-月-日 时:分"


@pytest.mark.parametrize("bound", ["20261201", "0", 1764547200, "1764547200.5", " 86400 "])
def test_a_number_for_a_pass_window_is_refused_not_read_as_seconds_since_1970(
    c: Client, world: World, bound: object
) -> None:
    """A date typed without dashes, "20261201", was read as 20,261,201 seconds since 1970 and stored
    as a pass valid from 1970-08-23: a resident got in at once, weeks before the window they were given."""
    before = c.call("GET", "/api/v1/passes").json()["count"]
    for path, extra in (
        ("/api/v1/passes", {"person_id": world.people["zhang"]}),
        ("/api/v1/visitors", {"name": "访客", "campus_id": world.campus_id}),
    ):
        r = c.call("POST", path, json={**extra, "valid_from": bound, "valid_until": "2026-12-31"})
        assert r.status_code == 422, r.text
        [error] = r.json()["detail"]
        assert error["loc"] == ["body", "valid_from"] and error["msg_zh"] == NUMBER_ZH, error
    assert c.call("GET", "/api/v1/passes").json()["count"] == before
    c.log_in("security", page="/console/passes")
    form = {"person_id": str(world.people["zhang"]), "valid_from": str(bound), "valid_until": "2026-12-31"}
    page = c.form("/console/passes", form)
    assert NUMBER_ZH in page.text, page.text[-800:]
    assert c.call("GET", "/api/v1/passes").json()["count"] == before


@pytest.mark.parametrize("path", SEARCHES)
def test_a_number_for_a_search_time_is_refused(c: Client, path: str) -> None:
    r = c.call("GET", path, role="auditor", params={"since": "20261201"})
    assert r.status_code == 422, r.text[:300]
    [error] = r.json()["detail"]
    assert error["loc"] == ["query", "since"] and error["msg_zh"] == NUMBER_ZH


@pytest.mark.parametrize("day", ["0", "-0", 86400, "1764547200"])
def test_a_number_for_a_date_is_refused_not_read_as_a_day_of_1970(
    c: Client, world: World, day: object
) -> None:
    """A date field took "0" as 1970-01-01 (and 86400 as the day after): an approval "from 0" was stored
    valid since 1970, so it let the person through at once."""
    before = c.call("GET", "/api/v1/approvals").json()["count"]
    body = {"person_id": world.people["zhang"], "valid_from": day, "valid_until": "2026-12-05"}
    r = c.call("POST", "/api/v1/approvals", json=body)
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "valid_from"] and error["msg_zh"] == NUMBER_ZH
    assert c.call("GET", "/api/v1/approvals").json()["count"] == before
    r = c.call("GET", "/api/v1/reports", params={"day": str(day)})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "day"]

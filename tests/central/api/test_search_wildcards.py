"""Search text is matched as plain text over HTTP: LIKE wildcards do not match every row, and a NUL
(which PostgreSQL cannot compare) is refused naming the search field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from central.models.db import session_scope
from central.models.registry import Person
from central.office.keys import KeyRing
from tests.central.conftest import World, build_world
from tests.central.console_helpers import Client

ODD = ["%", "_", "%%", "_%_", "\\"]
SEARCHES = [("/api/v1/people", "q"), ("/api/v1/households", "q"), ("/api/v1/vehicles", "plate")]


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    with session_scope(world.engine) as s:  # one name that holds the odd characters themselves
        s.add(Person(name="百分%下划_线", category="STAFF"))
    return Client(world, tmp_path)


def _api_counts(c: Client) -> dict[str, int]:
    out = {}
    for q in ODD:
        r = c.call("GET", "/api/v1/people", role="auditor", params={"q": q})
        assert r.status_code == 200, (q, r.text)
        out[q] = r.json()["count"]
    return out


def _nul_refused(c: Client) -> None:
    for path, field in SEARCHES:
        r = c.call("GET", path, role="auditor", params={field: "张\x00"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", field], r.text


def test_api_people_search_matches_wildcards_literally(c: Client) -> None:
    assert _api_counts(c) == {"%": 1, "_": 1, "%%": 0, "_%_": 0, "\\": 0}
    assert c.call("GET", "/api/v1/people", role="auditor", params={"q": "张"}).json()["count"] == 1
    for q in ("%", "_"):
        r = c.call("GET", "/api/v1/households", role="auditor", params={"q": q})
        assert r.status_code == 200 and r.json()["count"] == 0, q
        r = c.call("GET", "/api/v1/vehicles", role="auditor", params={"plate": q})
        assert r.status_code == 200 and r.json() == [], q
    _nul_refused(c)


def test_console_people_search_matches_wildcards_literally(c: Client) -> None:
    c.log_in("security", page="/console/people")
    page = c.http.get("/console/people", params={"q": "_"}).text
    assert "百分%下划_线" in page and "张三明" not in page
    assert "李四华" not in c.http.get("/console/people", params={"q": "%"}).text


def test_wildcards_and_nul_on_postgresql(pg_engine: Engine, tmp_path: Path) -> None:
    world = build_world(pg_engine, KeyRing.open(tmp_path / "keys"))
    with session_scope(world.engine) as s:
        s.add(Person(name="百分%下划_线", category="STAFF"))
    c = Client(world, tmp_path)
    assert _api_counts(c) == {"%": 1, "_": 1, "%%": 0, "_%_": 0, "\\": 0}
    _nul_refused(c)

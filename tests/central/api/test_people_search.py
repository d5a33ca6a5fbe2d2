"""One search for people: ``GET /api/v1/people?q=`` finds whom the console's people page finds (a name,
a phone number, the last four ID characters, a building-unit-room), through
``office.directory.person_filter``, and the API's other filters narrow it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from central.office.directory import find_people
from tests.central.conftest import World
from tests.central.console_helpers import Client

SEARCHES = [
    "123X",
    "123x",
    "１２３ｘ",
    "2-3-501",
    "２－３－５０１",
    "2-3",
    "13912345678",
    "12345",
    "钱",
    "钱多多",
    "zz",
]


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    c = Client(world, tmp_path)
    flat = c.call(
        "POST",
        "/api/v1/households",
        json={"campus_id": world.campus_id, "building": "2", "unit": "3", "room": "501"},
    )
    assert flat.status_code == 201, flat.text
    people = [
        {
            "name": "钱多多",
            "category": "resident",
            "household_id": flat.json()["id"],
            "id_number": "14010219800101123X",
        },
        {"name": "孙一", "category": "tenant", "household_id": flat.json()["id"], "phone": "13912345678"},
        {"name": "钱老师", "category": "staff", "id_number": "140102197001015678"},
    ]
    for body in people:
        r = c.call("POST", "/api/v1/people", json=body)
        assert r.status_code == 201, r.text
    return c


def api_ids(c: Client, **params: object) -> list[int]:
    r = c.call("GET", "/api/v1/people", role="auditor", params=params)
    assert r.status_code == 200, r.text
    assert r.json()["count"] == len(r.json()["data"])
    return [p["id"] for p in r.json()["data"]]


def names(c: Client, ids: list[int]) -> set[str]:
    return {c.call("GET", f"/api/v1/people/{i}", role="auditor").json()["name"] for i in ids}


def test_the_api_finds_by_last_four_and_by_flat(c: Client) -> None:
    assert names(c, api_ids(c, q="123X")) == {"钱多多"}
    assert names(c, api_ids(c, q="１２３ｘ")) == {"钱多多"}  # the last four typed on a Chinese keyboard
    assert names(c, api_ids(c, q="2-3-501")) == {"钱多多", "孙一"}
    assert names(c, api_ids(c, q="２－３－５０１")) == {"钱多多", "孙一"}  # typed on a Chinese keyboard
    assert names(c, api_ids(c, q="13912345678")) == {"孙一"}
    assert names(c, api_ids(c, q="钱")) == {"钱多多", "钱老师"}
    # the search narrows the other filters, and they narrow it
    assert names(c, api_ids(c, q="2-3-501", category="tenant")) == {"孙一"}
    assert api_ids(c, q="5678", category="resident") == []


@pytest.mark.parametrize("q", SEARCHES)
def test_the_api_and_the_console_find_the_same_people(c: Client, world: World, q: str) -> None:
    with Session(world.engine) as s:
        rows, count = find_people(s, q=q)
    assert api_ids(c, q=q) == [p.id for p, _ in rows] and len(rows) == count
    c.log_in("security", "/console/people")
    page = c.http.get("/console/people", params={"q": q}).text
    for name in names(c, api_ids(c, q=q)):
        assert name in page

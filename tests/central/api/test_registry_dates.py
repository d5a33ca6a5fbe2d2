"""Registry dates out of any pass's range (year 1, 1900, 9999: typing slips) are refused on write with a
422 naming the field, through the API and a spreadsheet import; a pass's own range is the bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.office.errors import FIRST_DAY, LAST_DAY
from tests.central.conftest import World
from tests.central.console_helpers import Client


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


@pytest.mark.parametrize("slip", ["0001-01-01", "1900-01-01", "9999-12-31"])
def test_registry_dates_outside_a_pass_range_are_refused_naming_the_field(
    c: Client, world: World, slip: str
) -> None:
    staff, student = world.people["staff"], world.people["zhang"]
    writes = [
        ("POST", "/api/v1/approvals", {"person_id": staff, "valid_from": slip, "valid_until": slip}),
        ("POST", "/api/v1/vehicles", {"plate": "晋A8K2Q7", "owner_person_id": staff, "valid_until": slip}),
        ("PUT", f"/api/v1/people/{staff}/commuter", {"certificate": True, "valid_until": slip}),
        ("POST", "/api/v1/people", {"name": "王小明", "category": "resident", "key_person_until": slip}),
        ("PATCH", f"/api/v1/people/{student}", {"key_person_until": slip}),
    ]
    for method, url, body in writes:
        r = c.call(method, url, json=body)
        assert r.status_code == 422, (url, r.status_code, r.text)
        said = r.json()
        assert slip in said["detail"] and FIRST_DAY.isoformat() in said["detail"], said
        field, rest = said["msg_zh"].split(" ", 1)  # the field in Chinese, from the catalogue
        assert field in ("起始日期", "截止日期", "重点人员监测截止日期"), said
        assert rest == f"{slip} 须在 {FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()} 之间", said
    # the same dates inside the range are taken
    ok = c.call(
        "POST",
        "/api/v1/approvals",
        json={**writes[0][2], "valid_from": "1970-01-01", "valid_until": "2106-01-31"},
    )
    assert ok.status_code in (200, 201), ok.text

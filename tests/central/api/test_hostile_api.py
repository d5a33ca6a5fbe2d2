"""Hostile requests against the API over HTTP (TestClient on a real SQLite file): each is refused with a
4xx naming the field, and nothing it leaves behind breaks a later request."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from central.app import create_app
from central.settings import CentralSettings
from tests.api_auth import bearer
from tests.central.conftest import NOW, World

HUGE = 2**63 + 1


@pytest.fixture
def office(world: World, tmp_path: Path) -> TestClient:
    """A client of the security office (the registry's writer)."""
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    return TestClient(app, headers=bearer(app, world.engine, "security"))


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/people/{HUGE}",
        f"/api/v1/passes/{HUGE}/card.pdf",
        f"/api/v1/people?household_id={HUGE}",
        f"/api/v1/passes/sheet.pdf?id={HUGE}",
        f"/api/v1/entries?offset={HUGE}",
        f"/api/v1/households?offset={HUGE}",
        f"/api/v1/gates?campus_id={HUGE}",
        f"/api/v1/entries.csv?pass_id={HUGE}",
        f"/api/v1/entries?person_id={HUGE}",
    ],
)
def test_numbers_past_the_database_integer_are_refused(office: TestClient, path: str) -> None:
    assert office.get(path).status_code == 422


def test_a_blank_padded_one_letter_plate_is_refused_and_the_list_still_works(
    world: World, office: TestClient
) -> None:
    body = {"plate": " k", "owner_person_id": world.people["zhang"], "valid_until": "2027-01-01"}
    assert office.post("/api/v1/vehicles", json=body).status_code == 422
    ok = office.post("/api/v1/vehicles", json={**body, "plate": " 晋a12345 "})
    assert ok.status_code == 201, ok.text
    assert ok.json()["plate"] == "晋A12345"
    listing = office.get("/api/v1/vehicles")
    assert listing.status_code == 200 and [v["plate"] for v in listing.json()] == ["晋A12345"]


def test_a_required_field_cannot_be_nulled(world: World, office: TestClient) -> None:
    person = world.people["zhang"]
    for field in ("name", "category", "active"):
        r = office.patch(f"/api/v1/people/{person}", json={field: None})
        assert r.status_code == 422, (field, r.text)
    assert office.get(f"/api/v1/people/{person}").json()["name"] == "张三明"


def test_a_pass_past_the_token_range_is_refused_before_it_is_saved(world: World, office: TestClient) -> None:
    body = {
        "person_id": world.people["zhang"],
        "valid_from": NOW.isoformat(),
        "valid_until": NOW.replace(year=2107).isoformat(),
    }
    r = office.post("/api/v1/passes", json=body)
    assert r.status_code == 422 and "valid_until must lie between" in r.text
    visitor = {
        "name": "访客",
        "campus_id": world.campus_id,
        **{k: body[k] for k in ("valid_from", "valid_until")},
    }
    assert office.post("/api/v1/visitors", json=visitor).status_code == 422
    # every pass saved can still be drawn
    for pass_id in world.passes.values():
        assert office.get(f"/api/v1/passes/{pass_id}/card.png").status_code == 200


def test_text_with_nul_is_refused(world: World, office: TestClient) -> None:
    body = {"campus_id": world.campus_id, "building": "3\x00", "unit": "1", "room": "101"}
    assert office.post("/api/v1/households", json=body).status_code == 422


@pytest.mark.parametrize(
    ("body", "zh", "en"),
    [
        (
            b'{"building": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "JSON 嵌套过深",
            "the JSON body nests too deeply",
        ),
        (
            b'{"campus_id": ' + b"9" * 5000 + b"}",
            "JSON 无法读取",
            "the JSON body cannot be read: Exceeds the limit",
        ),
        (b'{"building": "\xff"}', "JSON 不是 UTF-8 文本", "the JSON body is not UTF-8 text"),
    ],
    ids=["deep", "5000-digits", "not-utf8"],
)
def test_a_json_body_python_cannot_parse_is_a_named_refusal(
    office: TestClient, body: bytes, zh: str, en: str
) -> None:
    """Past the parser's depth, an integer of more than 4,300 digits, bytes that are no UTF-8: these
    were FastAPI's bare 400 "There was an error parsing the body"; they are refused as every other
    unreadable body is (422, ``json_invalid``), saying which in both languages."""
    r = office.post("/api/v1/households", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["type"] == "json_invalid" and error["loc"] == ["body"]
    assert zh in error["msg_zh"] and error["msg_en"].startswith(en)


def test_a_csv_cell_over_the_csv_limit_is_a_named_refusal(office: TestClient) -> None:
    data = ("校区,姓名\n" + "坞城校区," + "x" * 140_000 + "\n").encode()
    r = office.post("/api/v1/imports/people", files={"file": ("people.csv", data, "text/csv")})
    assert r.status_code == 422 and "unreadable CSV" in r.json()["detail"]


def test_the_openapi_document_names_error_answers_and_file_types(office: TestClient) -> None:
    doc = office.get("/openapi.json").json()
    card = doc["paths"]["/api/v1/passes/{pass_id}/card.pdf"]["get"]["responses"]
    assert set(card) >= {"200", "401", "403", "404", "422"}
    assert list(card["200"]["content"]) == ["application/pdf"]


@pytest.mark.parametrize(
    "name,said",
    [
        ("   ", "must not be blank"),
        ("\u3000", "must not be blank"),  # an ideographic space
        ("\u200f\u200f", "must not be blank"),  # right-to-left marks alone: nothing to read
        ("张\n三", "control characters"),
        ("张\x07三", "control characters"),
        ("\u202e三张", "control characters"),  # a right-to-left override reorders what a reader sees
    ],
)
def test_a_name_with_nothing_to_read_or_a_control_inside_is_refused(
    world: World, office: TestClient, name: str, said: str
) -> None:
    before = office.get("/api/v1/people").json()["count"]
    r = office.post("/api/v1/people", json={"name": name, "category": "staff"})
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "name"] and said in error["msg_en"] and error["msg_zh"] != error["msg_en"]
    assert office.get("/api/v1/people").json()["count"] == before  # nothing stored


def test_names_are_trimmed_and_any_script_or_emoji_is_kept(world: World, office: TestClient) -> None:
    r = office.post("/api/v1/people", json={"name": " 阿依古丽\t", "category": "staff"})
    assert r.status_code == 201 and r.json()["name"] == "阿依古丽"
    for name in ("ئايگۈل\u200f", "王😀"):
        r = office.post("/api/v1/people", json={"name": name, "category": "staff"})
        assert r.status_code == 201 and r.json()["name"] == name


def test_a_pass_names_a_campus_that_exists_and_agrees_with_the_household(
    world: World, office: TestClient
) -> None:
    window = {"valid_from": NOW.isoformat(), "valid_until": (NOW + timedelta(days=7)).isoformat()}
    other = office.post("/api/v1/campuses", json={"code": "other", "name_zh": "东山校区"}).json()["id"]
    homeless = office.post("/api/v1/people", json={"name": "外聘教师", "category": "staff"}).json()["id"]
    before = office.get("/api/v1/passes").json()["count"]
    r = office.post("/api/v1/passes", json={"person_id": homeless, "campus_id": 2**31 - 1, **window})
    assert r.status_code == 404 and r.json()["detail"] == f"campus {2**31 - 1} not found"  # was a 500
    for target in ({"person_id": world.people["zhang"]}, {"household_id": world.household_id}):
        r = office.post("/api/v1/passes", json={**target, "campus_id": other, **window})
        assert r.status_code == 422 and r.json()["detail"] == "the household is on another campus", r.text
    assert office.get("/api/v1/passes").json()["count"] == before  # nothing stored half-way
    r = office.post("/api/v1/passes", json={"person_id": homeless, "campus_id": other, **window})
    assert r.status_code == 201 and r.json()[0]["campus_id"] == other


def test_true_is_no_id(world: World, office: TestClient) -> None:
    """JSON ``true`` was taken as the id 1: a gate registered on campus 1, a pass issued to person 1."""
    gate = {"gate_id": "test-east", "campus_id": True, "name_zh": "东门"}
    window = {"valid_from": NOW.isoformat(), "valid_until": (NOW + timedelta(days=7)).isoformat()}
    for path, body, field in (
        ("/api/v1/gates", gate, "campus_id"),
        ("/api/v1/passes", {"person_id": True, **window}, "person_id"),
        (
            "/api/v1/vehicles",
            {"plate": "晋A12345", "owner_person_id": True, "valid_until": "2027-01-01"},
            "owner_person_id",
        ),
    ):
        r = office.post(path, json=body)
        assert r.status_code == 422, r.text
        [error] = r.json()["detail"]
        assert error["loc"] == ["body", field] and error["msg_zh"] == "编号应为数字，不能是 true 或 false"
    assert "test-east" not in {g["gate_id"] for g in office.get("/api/v1/gates").json()}
    assert office.post("/api/v1/gates", json={**gate, "campus_id": world.campus_id}).status_code == 201

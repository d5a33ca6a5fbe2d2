"""Values the database cannot hold, sent to the API and the console on SQLite and PostgreSQL: text with
a NUL (PostgreSQL can neither store nor compare it) and 2**70 (past PostgreSQL's INTEGER and SQLite's
64 bits: both overflow inside the driver). Each is a 422 naming the field and saying why, in the API's
JSON or on a console page in both languages; never a 500.

The cases first found by fuzzing are listed by name; then every route's every declared parameter gets
both values, so that a new route cannot bring the fault back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import params
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from central.models.base import MAX_DB_INT
from central.office.keys import KeyRing
from tests.central.api.test_route_roles import STREAMS, policy
from tests.central.conftest import World, build_world
from tests.central.console_helpers import Client

NUL = "a\x00b"
HUGE = str(2**70)
CSV = ("t.csv", b"name\nx\n", "text/csv")
NUL_SAID = "text must not contain a NUL character"
HUGE_SAID = f"must be at most {MAX_DB_INT}"
ZH = {NUL_SAID: "文本不能含有 NUL 字符", HUGE_SAID: f"应不大于 {MAX_DB_INT}"}  # the catalogue's Chinese


@pytest.fixture(params=["sqlite", "postgresql"])
def c(request: pytest.FixtureRequest, tmp_path: Path) -> Client:
    """A client of the small world on each database."""
    if request.param == "sqlite":
        world: World = request.getfixturevalue("world")
    else:
        world = build_world(request.getfixturevalue("pg_engine"), KeyRing.open(tmp_path / "keys"))
    client = Client(world, tmp_path)
    client.http = TestClient(client.app, raise_server_exceptions=False)  # a 500 is an answer to assert on
    return client


# (method, path, role, request keywords, where the answer must name the fault, what it must say)
API_CASES: list[tuple[str, str, str, dict[str, Any], list[Any], str]] = [
    ("GET", "/api/v1/entries.csv", "auditor", {"params": {"gate_id": NUL}}, ["query", "gate_id"], NUL_SAID),
    ("GET", "/api/v1/entries", "auditor", {"params": {"reason": NUL}}, ["query", "reason"], NUL_SAID),
    ("GET", "/api/v1/conflicts", "auditor", {"params": {"gate_id": NUL}}, ["query", "gate_id"], NUL_SAID),
    ("GET", "/api/v1/conflicts", "auditor", {"params": {"offset": HUGE}}, ["query", "offset"], HUGE_SAID),
    ("GET", "/api/v1/incidents", "security", {"params": {"state": NUL}}, ["query", "state"], NUL_SAID),
    (
        "GET",
        "/api/v1/registry-changes",
        "auditor",
        {"params": {"username": NUL}},
        ["query", "username"],
        NUL_SAID,
    ),
    ("GET", "/p/a%00b/code", "security", {}, ["path", "secret"], NUL_SAID),
    (
        "POST",
        "/api/v1/auth/token",
        "security",
        {"data": {"username": NUL, "password": "x"}},
        ["body", "username"],
        NUL_SAID,
    ),
    (
        "POST",
        "/api/v1/imports/nucleic-tests",
        "security",
        {"data": {"campus_id": HUGE}, "files": {"file": CSV}},
        ["body", "campus_id"],
        HUGE_SAID,
    ),
    (
        "POST",
        "/api/v1/people",
        "security",
        {"json": {"name": "王", "category": "staff", "student_no": NUL}},
        ["body", "student_no"],
        NUL_SAID,
    ),
    (
        "POST",
        "/api/v1/vehicles",
        "security",
        {"json": {"plate": "晋A\x0012345", "owner_person_id": 1, "valid_until": "2027-01-01"}},
        ["body", "plate"],
        NUL_SAID,
    ),
]


@pytest.mark.parametrize(("method", "path", "role", "kw", "loc", "said"), API_CASES)
def test_the_api_names_a_value_the_database_cannot_hold(
    c: Client, method: str, path: str, role: str, kw: dict[str, Any], loc: list[Any], said: str
) -> None:
    r = c.call(method, path, role=role, **kw)
    assert r.status_code == 422, r.text
    named = [e for e in r.json()["detail"] if e["loc"] == loc]
    assert named, r.text
    assert (named[0]["msg_zh"], named[0]["msg_en"]) == (ZH[said], said)
    assert named[0]["msg"] == f"{ZH[said]} / {said}"  # Chinese first, English beside it, as a policy's


# (method, path, role, request keywords, what the page must say in Chinese, and beside it in English)
CONSOLE_CASES: list[tuple[str, str, str, dict[str, Any], str, str]] = [
    ("GET", "/console/entries", "auditor", {"params": {"gate_id": NUL}}, ZH[NUL_SAID], NUL_SAID),
    ("GET", "/console/changes", "auditor", {"params": {"username": NUL}}, ZH[NUL_SAID], NUL_SAID),
    (
        "GET",
        "/console/passes",
        "security",
        {"params": {"person_id": HUGE}},
        ZH[HUGE_SAID],
        "person_id",
    ),
    ("POST", f"/console/passes/{HUGE}/revoke", "security", {}, ZH[HUGE_SAID], "pass_id"),
    (
        "POST",
        "/console/reports",
        "security",
        {"data": {"campus_id": HUGE}},
        ZH[HUGE_SAID],
        "campus_id",
    ),
    (
        "POST",
        "/console/nucleic",
        "security",
        {"data": {"campus_id": HUGE}, "files": {"file": CSV}},
        ZH[HUGE_SAID],
        "campus_id",
    ),
    (
        "POST",
        "/console/people",
        "security",
        {"data": {"name": "王", "category": "staff", "student_no": NUL}},
        ZH[NUL_SAID],
        "student_no",
    ),
]


@pytest.mark.parametrize(("method", "path", "role", "kw", "zh", "en"), CONSOLE_CASES)
def test_the_console_names_a_value_the_database_cannot_hold(
    c: Client, method: str, path: str, role: str, kw: dict[str, Any], zh: str, en: str
) -> None:
    r = c.call(method, path, role=role, **kw)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text
    assert zh in r.text and en in r.text


@pytest.mark.parametrize("page", ["people", "households", "passes", "approvals", "vehicles", "users"])
def test_a_console_page_past_the_last_row_is_empty(c: Client, page: str) -> None:
    r = c.call("GET", f"/console/{page}", role="admin", params={"offset": HUGE})
    assert r.status_code == 200, r.text


def _fields(route: APIRoute) -> Iterator[tuple[str, str, bool]]:
    """(where, name, is a file) of every parameter a route declares, its dependencies' included."""
    todo = [route.dependant]
    while todo:
        dependant = todo.pop()
        todo += dependant.dependencies
        for where, fields in (
            ("path", dependant.path_params),
            ("query", dependant.query_params),
            ("body", dependant.body_params),
        ):
            for field in fields:
                if where != "body" or isinstance(field.field_info, params.Form):
                    yield where, field.alias, isinstance(field.field_info, params.File)


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str, APIRoute]]:
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            for method in (route.methods or set()) - {"HEAD"}:
                yield method, prefix + route.path, route


def _url(path: str, name: str, value: str) -> str:
    """``path`` with ``value`` in its parameter ``name`` and 1 in every other."""
    filled = re.sub(r"\{(\w+)[^}]*\}", lambda m: value if m[1] == name else "1", path)
    return filled.replace("\x00", "%00")


def test_every_declared_parameter_of_every_route_takes_both_without_a_server_error(c: Client) -> None:
    allowed = policy()
    faults: list[str] = []
    swept = 0
    for method, path, route in sorted(_routes(list(c.app.routes)), key=lambda t: t[:2]):
        if path in STREAMS or path == "/dashboard":
            continue
        may = allowed[(method, path)] - {"*"}
        role = "security" if not may or "security" in may else sorted(may)[0]
        role = "admin" if allowed[(method, path)] == set() else role
        fields = list(_fields(route))
        uploads = {name: CSV for where, name, is_file in fields if is_file}
        for where, name, is_file in fields:
            for value in (NUL, HUGE):
                if is_file and value == HUGE:
                    continue
                url = _url(path, name, value)
                kw: dict[str, Any] = {"files": dict(uploads)} if uploads else {}
                if where == "query":
                    kw["params"] = {name: value}
                elif is_file:
                    kw["files"][name] = (f"{value}.csv", CSV[1], "text/csv")
                elif where == "body":
                    kw["data"] = {name: value}
                r = c.call(method, url, role=role, **kw)
                swept += 1
                told = r.status_code in (404, 422) if where == "path" else r.status_code == 422
                if r.status_code >= 500 or (value == NUL and not told):
                    faults.append(f"{method} {path} {where} {name}={value!r}: {r.status_code} {r.text[:120]}")
    assert swept > 150
    assert faults == []


def test_every_integer_in_the_api_document_has_the_database_bound(world: World, tmp_path: Path) -> None:
    doc = Client(world, tmp_path).http.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    unbounded: list[str] = []

    def walk(schema: dict[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(schemas[name], f"{where}<{name}>", seen | {name})
            return
        for sub in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
            walk(sub, where, seen)
        if schema.get("type") == "integer" and schema.get("maximum", MAX_DB_INT + 1) > MAX_DB_INT:
            unbounded.append(where)
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{where}[]", seen)

    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for p in op.get("parameters", []):
                walk(p["schema"], f"{method} {path} {p['name']}", frozenset())
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method} {path} body", frozenset())
    assert unbounded == []


SURROGATE_SAID = (
    "text must not contain a lone surrogate (\\ud800 to \\udfff), which is half of a character's code"
)


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        ("POST", "/api/v1/people", '{"name": "王", "category": "staff", "phone": "\\ud800"}', ["phone"]),
        ("PUT", "/api/v1/campuses/1/policy", '{"changes": {"timezone": "\\udfff"}}', ["changes", "timezone"]),
        ("PUT", "/api/v1/campuses/1/policy", '{"changes": {"\\ud800x": 1}}', ["changes", "\\ud800x"]),
        ("POST", "/api/v1/campuses", '{"code": "x", "name_zh": "甲\\ud83d"}', ["name_zh"]),
        ("POST", "/api/v1/reports/1/corrections", '{"note": "补录\\ud800"}', ["note"]),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_named_not_a_server_error(
    c: Client, method: str, path: str, body: str, loc: list[str]
) -> None:
    """JSON may spell half of a character's code alone ("\\ud800"): no text the database or a JSON
    answer can hold (echoing it back failed to encode: a 500). Refused once, naming where it stands,
    in both languages, with the value echoed as its escape."""
    headers = {**c.headers("admin"), "Content-Type": "application/json"}
    r = c.http.request(method, path, content=body, headers=headers)
    assert r.status_code == 422, r.text
    (named,) = [e for e in r.json()["detail"] if e["loc"] == ["body", *loc]]
    assert named["msg_en"] == SURROGATE_SAID
    assert named["msg_zh"] == "文本不能含有单独的代理码（\\ud800 至 \\udfff），它只是半个字符的编码"
    assert "\\ud8" in named["input"] or "\\udf" in named["input"] or named["input"] == loc[-1]

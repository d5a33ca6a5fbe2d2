"""Login throttling over HTTP (TestClient, real SQLite): delays, per-minute budgets, a lock an admin
lifts, the console's bilingual message, and no timing gap between known and unknown user names."""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.api import throttle
from central.models.users import User
from tests.central.conftest import World
from tests.central.console_helpers import Client, page_csrf


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def _token(c: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return c.http.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_failures_in_a_row_are_delayed_with_retry_after(c: Client) -> None:
    for _ in range(throttle.USER.free_failures):
        assert _token(c, "security", "wrong-password").status_code == 401
    r = _token(c, "security", "security-demo")  # even the right password waits its turn
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    deadline = time.monotonic() + 5
    while (r := _token(c, "security", "security-demo")).status_code == 429 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert r.status_code == 200, r.text
    # the success cleared the failures: one more mistake is not delayed
    assert _token(c, "security", "wrong-password").status_code == 401
    assert _token(c, "security", "security-demo").status_code == 200


def test_a_user_name_is_locked_until_an_admin_unlocks_it(c: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # no delays, so that the lock is reached within the minute's budget without waiting
    monkeypatch.setattr(throttle, "USER", dataclasses.replace(throttle.USER, free_failures=99))
    for _ in range(throttle.USER.lock_after or 0):
        assert _token(c, "guard", "wrong-password").status_code == 401
    r = _token(c, "guard", "guard-demo")
    assert r.status_code == 429 and "locked" in r.json()["detail"] and "Retry-After" in r.headers
    with Session(c.engine) as s:
        guard_id = s.exec(select(User.id).where(User.username == "guard")).one()
    assert c.call("POST", f"/api/v1/users/{guard_id}/unlock", role="security").status_code == 403
    assert c.call("POST", f"/api/v1/users/{guard_id}/unlock", role="admin").status_code == 200
    assert _token(c, "guard", "guard-demo").status_code == 200


def test_one_address_trying_many_names_is_delayed(c: Client) -> None:
    codes = []
    for i in range(throttle.ADDRESS.per_minute + 1):
        codes.append(_token(c, f"nobody-{i}", "x").status_code)
        if codes[-1] == 429:
            break
    # each name failed only once, yet the address is held back after its free failures
    assert codes == [401] * throttle.ADDRESS.free_failures + [429]


def test_console_login_says_so_in_chinese_and_english(c: Client) -> None:
    token = page_csrf(c.http.get("/console/login").text)
    for _ in range(throttle.USER.free_failures):
        r = c.http.post("/console/login", data={"username": "auditor", "password": "nope", "csrf": token})
        assert r.status_code == 401
    r = c.http.post("/console/login", data={"username": "auditor", "password": "nope", "csrf": token})
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert "登录尝试过多" in r.text and "Too many login attempts" in r.text
    assert r.text.index("登录尝试过多") < r.text.index("Too many login attempts")


def test_unknown_names_cost_as_much_as_known_ones(c: Client) -> None:
    """Without the dummy hash an unknown name answered ~50 times faster (no argon2 check)."""

    def median_s(username: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert _token(c, username, "wrong-password").status_code == 401
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = median_s("director"), median_s("no-such-user")
    assert unknown > known * 0.3, (known, unknown)

"""Names that identify someone are matched whole: a user name or a gate id with a trailing line break
(a regex ending in "$" matches before a final newline) is refused, so no look-alike account or gate
can be made beside the real one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from campusgate.cli import main
from central.models.db import create_all, make_engine
from central.models.users import Role, User
from central.office.users import UserError, check_username, create_user, ensure_admin
from gatecore import topics
from tests.central.conftest import World
from tests.central.console_helpers import Client

LOOK_ALIKES = ["uguard\n", "uguard\r\n", "\nuguard", "ug\nuard", "uguard\n\n"]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_a_user_name_with_a_line_break_is_refused(name: str) -> None:
    with pytest.raises(UserError, match="is not valid"):
        check_username(name)
    assert check_username("uguard") == "uguard"


def test_the_api_refuses_a_look_alike_user(world: World, tmp_path: Path) -> None:
    c = Client(world, tmp_path)
    body = {"username": "uguard\n", "password": "long-enough-1", "roles": ["guard"]}
    r = c.call("POST", "/api/v1/users", role="admin", json=body)
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "username"]
    with Session(world.engine) as s:
        assert s.exec(select(User).where(User.username == "uguard\n")).first() is None


def test_the_cli_refuses_a_look_alike_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/central.db"
    create_all(make_engine(url))
    secret = tmp_path / "pw"
    secret.write_text("first-admin-pw\n")
    base = ["user", "--database-url", url, "add"]
    assert main([*base, "uguard\n", "--role", "guard", "--password-file", str(secret)]) == 2
    assert "is not valid" in capsys.readouterr().err
    with Session(make_engine(url)) as s:
        assert s.exec(select(User)).all() == []


@pytest.mark.parametrize("gate_id", ["north\n", "north\r\n", "\nnorth"])
def test_a_gate_id_with_a_line_break_is_no_gate_id(gate_id: str) -> None:
    assert not topics.valid_gate_id(gate_id)
    with pytest.raises(ValueError, match="invalid gate id"):
        topics.gate_events(gate_id)
    assert topics.gate_of(f"gates/{gate_id}/events") is None
    assert topics.valid_gate_id("north") and topics.gate_of("gates/north/events") == "north"


@pytest.mark.parametrize("tag", ["student\n", "logistics\n", "a" * 41])
def test_a_group_tag_is_the_whole_text(tag: str) -> None:
    """A closed-management group tag ending in a line break would be a group of its own, matching no
    policy: refused by the one rule, wherever a tag enters."""
    from pydantic import TypeAdapter, ValidationError

    from central.office.schemas import Group
    from gatecore.campus import GROUP_CODE

    assert GROUP_CODE.fullmatch(tag.strip()[:40])
    assert not GROUP_CODE.fullmatch(tag)
    with pytest.raises(ValidationError):
        TypeAdapter(Group).validate_python(tag)


@pytest.mark.parametrize("name", ["uguard\n", "Admin", "x", "li si"])
def test_every_way_a_user_is_made_applies_the_name_rule(world: World, name: str) -> None:
    """``create_user`` (the demo users, the tests) and ``ensure_admin`` (the first admin) refuse what
    ``UserCreate`` refuses: one rule, checked where a user row is made."""
    with Session(world.engine) as s:
        with pytest.raises(UserError, match="is not valid"):
            create_user(s, name, "long-enough-1", [Role.GUARD])
        with pytest.raises(UserError, match="is not valid"):
            ensure_admin(s, name, "long-enough-1")
        assert s.exec(select(User).where(User.username == name)).first() is None
        assert ensure_admin(s, "root.admin", "long-enough-1").role_set == {Role.ADMIN}
        with pytest.raises(UserError, match="already taken"):
            create_user(s, "root.admin", "long-enough-1", [Role.GUARD])

"""The registry, import and pass tests again on PostgreSQL: the same test functions, imported here so
that they run against this module's ``world`` (a fresh PostgreSQL database) instead of SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from central.office.keys import KeyRing
from tests.central.conftest import World, build_world
from tests.central.console.test_console_registry import *  # noqa: F403
from tests.central.office.test_imports import *  # noqa: F403
from tests.central.office.test_passcards import *  # noqa: F403
from tests.central.office.test_users import *  # noqa: F403


@pytest.fixture
def world(pg_engine: Engine, keyring: KeyRing) -> World:
    """The small registry on PostgreSQL."""
    return build_world(pg_engine, keyring)


def test_this_module_runs_on_postgresql(world: World) -> None:
    assert world.engine.dialect.name == "postgresql"

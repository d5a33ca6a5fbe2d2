"""The entry log the audit tests tamper with: eight scans of the test world, a minute apart, each logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from central.office.keys import KeyRing
from tests.central.conftest import NOW, World, build_world

ROLES = ["zhang", "li", "wang", "staff", "zhang", "staff", "li", "wang"]


def logged_world(request: pytest.FixtureRequest, keyring: KeyRing, *, fever_at: int | None = None) -> World:
    """The world on the fixture's engine (``request.param``: sqlite or postgresql) with ROLES scanned
    and logged; the scan at index ``fever_at`` at 38.4 °C, the others at 36.6."""
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    world = build_world(engine, keyring)
    for i, role in enumerate(ROLES):
        at = NOW + timedelta(minutes=i)
        assert world.service.handle(*world.scan(role, at=at, celsius=38.4 if i == fever_at else 36.6), at)
    return world

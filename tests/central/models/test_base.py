"""models.base helpers on both engines: the one membership test the decision path uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from central.models.base import one_of
from central.models.db import create_all, make_engine, session_scope
from central.models.registry import Campus


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/base.db"
    pg: str = request.getfixturevalue("pg_url")
    return pg


def test_one_of_selects_exactly_the_listed_keys_for_any_count(url: str) -> None:
    engine = make_engine(url)
    create_all(engine)
    with session_scope(engine) as session:
        for n in range(1, 8):
            session.add(Campus(id=n, code=f"c{n}", name_zh=f"校区{n}", name_en=f"Campus {n}"))
    try:
        with session_scope(engine) as session:
            for wanted in ([], [3], [1, 3, 99], list(range(1, 8)), [2, 2, 5]):
                found = session.exec(select(Campus.id).where(one_of(session, col(Campus.id), wanted)))
                assert sorted(found) == sorted(set(wanted) - {99})
            names = session.exec(
                select(Campus.id).where(one_of(session, col(Campus.name_en), ["Campus 4", "campus 5"]))
            )
            assert list(names) == [4]  # equality, not a pattern or a case-folded match
    finally:
        engine.dispose()

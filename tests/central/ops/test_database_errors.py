"""A database that holds nothing of campusgate's: one line saying so, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


def _campusgate(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPUSGATE_", "XDG_"))}
    clean.update(HOME=str(home), PYTHONPATH=str(ROOT), CAMPUSGATE_DATA_DIR=str(home / "data"), **env)
    return subprocess.run(
        [sys.executable, "-m", "campusgate.cli", *args], env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "command",
    [("audit", "verify"), ("audit", "checkpoint"), ("backup", "--out", "b.tar.gz"), ("keys", "list")],
)
def test_read_only_commands_on_an_empty_postgresql_database_say_so(
    pg_url: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    from sqlalchemy import create_engine, inspect

    done = _campusgate(*command, home=tmp_path, CAMPUSGATE_DATABASE_URL=pg_url)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "no campusgate tables in postgresql+psycopg://" in done.stderr
    engine = create_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []  # looking created nothing
    finally:
        engine.dispose()
    assert not (tmp_path / "b.tar.gz").exists()

"""The office's checkpoint file edited or removed: the verify says so and what is wrong, never a traceback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from campusgate.cli import main as cli_main
from central.audit import checkpoints as audit_checkpoints
from tests.central.conftest import NOW, World, build_world

AT = '"at": "2026-11-23T02:00:00+00:00"'
HASH = "ab" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, keyring: object) -> str:
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    world: World = build_world(engine, keyring)  # type: ignore[arg-type]
    for i in range(4):
        at = NOW + timedelta(minutes=i)
        assert world.service.handle(*world.scan("staff", at=at), at)
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # past the seq column's range: the verify's query raised OverflowError (SQLite) or DataError
        (f'{{"seq": 100000000000000000000, "head_hash": "{HASH}", {AT}}}', "is not a row number"),
        (f'{{"seq": -4, "head_hash": "{HASH}", {AT}}}', "is not a row number"),
        # read as row 3 and row 1: the line vouched for another row than it says
        (f'{{"seq": 3.9, "head_hash": "{HASH}", {AT}}}', "is not a row number"),
        (f'{{"seq": true, "head_hash": "{HASH}", {AT}}}', "is not a row number"),
        (f'{{"seq": 3, "head_hash": null, {AT}}}', "is not a SHA-256"),
        (f'{{"seq": 3, "head_hash": "{HASH[:-1]}z", {AT}}}', "is not a SHA-256"),
    ],
)
def test_an_edited_checkpoint_line_is_refused_with_its_reason(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, why: str
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    for since in ([], ["--since-last-checkpoint"]):
        argv = ["audit", "verify", "--database-url", url, "--checkpoints", str(path), *since]
        assert cli_main(argv) == 2
        err = capsys.readouterr().err
        assert f"{path}:1: not a checkpoint" in err and why in err, err


def test_a_checkpoint_file_not_utf8_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_bytes(b'\xff\xfe{"seq": 1}\n')
    with pytest.raises(ValueError, match=f"{path}: not a checkpoint file"):
        audit_checkpoints.read(path)


def test_a_named_checkpoint_file_that_is_gone_is_not_verified_against_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The office's copy removed (or its path mistyped): the verify said "intact (4 rows, 0
    checkpoints)", exit status 0, as if the kept checkpoints had vouched for the log."""
    path = tmp_path / "office" / "checkpoints.jsonl"
    argv = ["audit", "verify", "--database-url", url, "--checkpoints", str(path)]
    assert cli_main(["audit", "checkpoint", "--database-url", url, "--file", str(path)]) == 0
    assert cli_main(argv) == 0
    path.unlink()
    capsys.readouterr()
    assert cli_main(argv) == 2
    assert f"checkpoint file {path}: not found" in capsys.readouterr().err
    assert cli_main([*argv, "--since-last-checkpoint"]) == 2

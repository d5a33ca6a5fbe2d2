"""Paths and files an operator gets wrong on the command line: a password file that is missing or not
text, a folder where a file belongs, a folder that does not exist, a database URL that is no URL, an
archive that is no backup. Each ends the command with 2 and one line saying what is wrong; each was a
traceback."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from campusgate.cli import main
from central.models.db import create_all, make_engine


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A data directory with an empty central database."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(data))
    monkeypatch.delenv("CAMPUSGATE_DATABASE_URL", raising=False)
    engine = make_engine(f"sqlite:///{data}/campusgate.db")
    create_all(engine)
    engine.dispose()
    return data


def _no_manifest(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    return path


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["user", "add", "office", "--role", "admin", "--password-file", "{tmp}/none"],
            "cannot read the password file",
        ),
        (
            ["user", "add", "office", "--role", "admin", "--password-file", "{binary}"],
            "cannot read the password file",
        ),
        (
            ["user", "add", "office", "--role", "guard", "--password-file", "{tmp}"],
            "cannot read the password file",
        ),
        (["audit", "verify", "--checkpoints", "{tmp}"], "is a folder, not a file"),
        (["audit", "checkpoint", "--file", "{tmp}"], "Is a directory"),
        (["audit", "verify", "--database-url", "nonsense"], "the database URL cannot be read"),
        (["backup", "--out", "{tmp}/no/such/folder/b.tar.gz"], "No such file or directory"),
        (["restore", "{binary}"], "is not a readable campusgate backup"),
        (["restore", "{no_manifest}"], "is not a readable campusgate backup"),
    ],
    ids=[
        "password-missing",
        "password-binary",
        "password-folder",
        "checkpoints-folder",
        "checkpoint-folder",
        "bad-url",
        "backup-no-folder",
        "restore-not-gzip",
        "restore-no-manifest",
    ],
)
def test_a_wrong_path_or_file_is_one_line_and_exit_2(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00junk")
    names = {
        "{tmp}": str(tmp_path),
        "{binary}": str(binary),
        "{no_manifest}": str(_no_manifest(tmp_path / "x.tar.gz")),
    }
    args = [
        names.get(a, a) if not a.startswith("{tmp}/") else a.replace("{tmp}", str(tmp_path)) for a in args
    ]
    if args[0] == "restore":  # onto an empty machine, as a restore must be
        (data_dir / "campusgate.db").unlink()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err, err

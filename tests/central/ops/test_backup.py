"""``campusgate backup`` and ``restore``: a running campus's database, keys and checkpoints onto an
empty machine; the entry log verifies against the checkpoints and the printed passes still verify."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from campusgate.cli import main
from central.audit import checkpoints
from central.audit.chain import verify
from central.decisions.service import DecisionService
from central.models.db import create_all, make_engine, read_only, session_scope
from central.office.keys import open_keyring
from central.settings import CentralSettings
from gatecore.messages import DecisionMessage
from gatecore.policy import read_pass
from gatecore.reasons import Reason
from gatecore.tokens import PassClaims
from tests.central.conftest import NOW, build_world, log_morning
from tests.conftest import PG_ADMIN_DSN, _pg_url


@pytest.fixture
def second_pg_url() -> Iterator[str]:
    """Another empty PostgreSQL database: the new machine's."""
    psycopg = pytest.importorskip("psycopg")
    admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    name = f"cg_restore_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _campus(monkeypatch: pytest.MonkeyPatch, data_dir: Path, url: str | None) -> dict[str, str]:
    """A campus in ``data_dir`` with a morning of decisions: the printed passes by role."""
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(data_dir))
    if url:
        monkeypatch.setenv("CAMPUSGATE_DATABASE_URL", url)
    settings = CentralSettings()
    engine = make_engine(settings.database_url)
    create_all(engine)
    world = build_world(engine, open_keyring(settings, engine), gate_id="backup-north")
    log_morning(world, extra=3)
    engine.dispose()
    return world.tokens


def _check_restored(data_dir: Path, tokens: dict[str, str]) -> None:
    settings = CentralSettings()
    assert settings.data_dir == data_dir
    engine = make_engine(settings.database_url)
    try:
        kept = checkpoints.read(checkpoints.default_path(data_dir))
        assert kept and kept[-1].seq == 8  # the checkpoint the backup took: 5 + 3 decisions
        with session_scope(read_only(engine)) as session:
            assert verify(session, kept).ok
        keyring = open_keyring(settings, engine)  # raises if the restored keys and database disagree
        assert keyring.signing_kid == 1 and not (data_dir / "keys" / "kid-2.pem").exists()
        for token in tokens.values():
            assert isinstance(read_pass(token, keyring.public_keys(NOW), NOW), PassClaims)
        # and the restored campus decides: the staff card printed before the backup lets its holder in
        from tests.central.conftest import World

        world = World(engine, keyring, 0, "backup-north", 0, tokens=tokens)
        [answer] = DecisionService(engine, keyring).handle(
            *world.scan("staff", at=NOW + timedelta(hours=1)), NOW
        )
        assert DecisionMessage.from_json(answer.payload).reason is Reason.OK
    finally:
        engine.dispose()


def test_backup_and_restore_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    tokens = _campus(monkeypatch, tmp_path / "old", None)
    archive = tmp_path / "campus.tar.gz"
    assert main(["backup", "--out", str(archive)]) == 0
    assert archive.stat().st_mode & 0o077 == 0  # it holds the private keys
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(tmp_path / "new"))
    assert main(["restore", str(archive)]) == 0
    out = capsys.readouterr()
    assert "entry log chain intact" in out.out and str(tmp_path / "new") in out.err
    _check_restored(tmp_path / "new", tokens)
    assert main(["restore", str(archive)]) == 2  # never over a campus's data
    assert "restore only onto an empty" in capsys.readouterr().err


def test_backup_and_restore_postgresql(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pg_url: str, second_pg_url: str, capsys
) -> None:
    tokens = _campus(monkeypatch, tmp_path / "old", pg_url)
    archive = tmp_path / "campus.tar.gz"
    assert main(["backup", "--out", str(archive)]) == 0
    assert "postgresql database at revision" in capsys.readouterr().out
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(tmp_path / "new"))
    monkeypatch.setenv("CAMPUSGATE_DATABASE_URL", second_pg_url)
    assert main(["restore", str(archive)]) == 0
    assert "entry log chain intact" in capsys.readouterr().out
    _check_restored(tmp_path / "new", tokens)


def test_restore_refuses_another_kind_of_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pg_url: str, capsys
) -> None:
    _campus(monkeypatch, tmp_path / "old", None)
    archive = tmp_path / "campus.tar.gz"
    assert main(["backup", "--out", str(archive)]) == 0
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(tmp_path / "new"))
    monkeypatch.setenv("CAMPUSGATE_DATABASE_URL", pg_url)
    assert main(["restore", str(archive)]) == 2
    assert "holds a sqlite database" in capsys.readouterr().err
    assert not (tmp_path / "new" / "keys").exists()


@pytest.mark.parametrize(
    "name", ["../outside.txt", "keys/../../outside.txt", "/tmp/abs.txt", "keys/id_rsa", None]
)
def test_restore_refuses_a_manifest_naming_files_a_backup_never_holds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys, name: str | None
) -> None:
    """A crafted archive: the manifest lists a path out of the data directory, and the archive holds
    a file for it. Nothing is restored, nothing is written outside, and the one line says why."""
    import io
    import json
    import tarfile

    from central.ops.backup import FORMAT

    archive = tmp_path / "crafted.tar.gz"
    manifest = {"format": FORMAT, "created_at": "2026-11-29T00:00:00+00:00", "dialect": "sqlite"}
    manifest |= {"revision": None, "chain_seq": 0, "files": ["database.sqlite", name]}
    if name is None:  # a manifest without its list of files
        del manifest["files"]
    with tarfile.open(archive, "w:gz") as tar:
        for arcname, body in (("manifest.json", json.dumps(manifest).encode()), ("database.sqlite", b"")):
            info = tarfile.TarInfo(arcname)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(tmp_path / "data" / "new"))
    monkeypatch.setenv("CAMPUSGATE_DATABASE_URL", f"sqlite:///{tmp_path}/data/new/central.db")
    assert main(["restore", str(archive)]) == 2
    said = "its manifest lacks files" if name is None else "names files a backup never holds"
    assert said in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_a_damaged_checkpoint_file_stops_the_backup_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # it raised ValueError out of `campusgate backup`: a traceback, where every other refusal says why
    _campus(monkeypatch, tmp_path / "old", None)
    path = checkpoints.default_path(tmp_path / "old")
    path.write_text('{"seq": 3, "head_hash": "edited", "at": "2026-11-23T02:00:00+00:00"}\n')
    archive = tmp_path / "campus.tar.gz"
    assert main(["backup", "--out", str(archive)]) == 2
    err = capsys.readouterr().err
    assert f"no backup written: checkpoint file unreadable: {path}:1: not a checkpoint" in err, err
    assert not archive.exists()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_signed_report_restored_verifies_and_a_change_to_it_is_named(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    dialect: str,
) -> None:
    """The backup's checkpoint names the campus's signed report; restored, it verifies against it, and a
    change to the restored report (a tampered backup, an insider after the restore) is named."""
    from datetime import date

    from sqlalchemy import text

    from central.office import reports

    urls: list[str | None] = [None, None]
    if dialect == "postgresql":
        urls = [request.getfixturevalue("pg_url"), request.getfixturevalue("second_pg_url")]
    _campus(monkeypatch, tmp_path / "old", urls[0])
    engine = make_engine(CentralSettings().database_url)
    with session_scope(engine) as s:
        [campus_id] = s.execute(text("SELECT id FROM campus")).scalars()
        report = reports.make_report(
            s, campus_id, date(2026, 11, 23), reports.OFFICE, NOW + timedelta(hours=6)
        )
        rid = reports.sign(s, report.id or 0, by="director", at=NOW + timedelta(hours=6)).id
    engine.dispose()
    archive = tmp_path / "campus.tar.gz"
    assert main(["backup", "--out", str(archive)]) == 0
    monkeypatch.setenv("CAMPUSGATE_DATA_DIR", str(tmp_path / "new"))
    if urls[1]:
        monkeypatch.setenv("CAMPUSGATE_DATABASE_URL", urls[1])
    capsys.readouterr()
    assert main(["restore", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "entry log chain intact" in out and "signed reports: 1 as the checkpoints name them" in out, out
    engine = make_engine(CentralSettings().database_url)
    with engine.begin() as c:
        c.execute(text("UPDATE daily_report SET content_hash = :h WHERE id = :i"), {"h": "cd" * 32, "i": rid})
    engine.dispose()
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"signed report changed: report {rid} (campus c-backup-north, 2026-11-23 office, version 1)" in out
    assert "signed by director: content hash changed since the checkpoint of" in out, out

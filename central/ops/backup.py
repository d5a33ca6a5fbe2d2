"""``campusgate backup`` / ``restore``: the database, the signing keys, the console secret and the
audit checkpoints in one archive, and back onto an empty machine.

The database is copied consistently while central runs: SQLite through its online backup API,
PostgreSQL with ``pg_dump --format=custom`` (restored by ``pg_restore``). A checkpoint of the entry
log's chain head is taken into the checkpoint file first, so the restored log can be verified
against the moment of the backup. The archive holds private keys: keep it like them.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from central import CentralError, migrations
from central.audit import checkpoints
from central.models.db import make_engine, read_only, session_scope
from central.settings import CentralSettings

logger = logging.getLogger(__name__)

FORMAT = 1
SECRETS = ("console-secret",)  # data-directory files besides keys/ and the checkpoints


class BackupError(CentralError):
    """A backup or restore that cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an archive holds."""

    created_at: str
    dialect: str
    revision: str | None
    chain_seq: int
    files: list[str]

    def to_json(self) -> bytes:
        """manifest.json."""
        return json.dumps(
            {"format": FORMAT, **{k: getattr(self, k) for k in self.__slots__}}, indent=1
        ).encode()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(argv[0])
    if tool is None:
        raise BackupError(
            f"{argv[0]} not found: install the PostgreSQL client (apt-get install postgresql-client)"
        )
    done = subprocess.run([tool, *argv[1:]], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()[:800]}")


def _dump_database(url: URL, into: Path) -> str:
    if url.get_backend_name() == "sqlite":
        if not url.database or not Path(url.database).exists():
            raise BackupError(f"no SQLite database at {url.database}")
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(into / "database.sqlite")
        with target:
            source.backup(target)  # a consistent copy while central keeps writing
        source.close()
        target.close()
        return "database.sqlite"
    conninfo, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(into / "database.pgdump"), conninfo], env)
    return "database.pgdump"


def backup(settings: CentralSettings, out: Path, *, now: datetime | None = None) -> Manifest:
    """Write the archive ``out`` (a .tar.gz, mode 600) and return its manifest."""
    at = now or datetime.now(UTC)
    url = make_url(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        revision = migrations.current(engine)
        path = checkpoints.default_path(settings.data_dir)
        if revision != migrations.head():
            # "back up, then upgrade": a database an older release's schema holds is archived as it is,
            # its head read alone; no checkpoint, which this release's checks would read from columns
            # that schema lacks (the first one after the upgrade vouches for it)
            logger.warning(
                "database at revision %s, not %s: backed up without a checkpoint", revision, migrations.head()
            )
            with session_scope(read_only(engine)) as session:
                head = checkpoints.current(session, at)
        else:
            try:
                head = checkpoints.write_checkpoint(engine, path, at)
            except ValueError as exc:  # a damaged file: a reason, not a traceback, and no archive of it
                raise BackupError(
                    f"checkpoint file unreadable: {exc}; keep a copy of it, then repair it"
                ) from exc
    finally:
        engine.dispose()
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory() as tmp:
        files = [_dump_database(url, Path(tmp))]
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / files[0], arcname=files[0])
            for key in sorted(settings.keys_dir.glob("kid-*.pem")):
                tar.add(key, arcname=f"keys/{key.name}")
                files.append(f"keys/{key.name}")
            for name in (checkpoints.FILE_NAME, *SECRETS):
                if (settings.data_dir / name).exists():
                    tar.add(settings.data_dir / name, arcname=name)
                    files.append(name)
            manifest = Manifest(at.isoformat(), url.get_backend_name(), revision, head.seq, files)
            info = tarfile.TarInfo("manifest.json")
            body = manifest.to_json()
            info.size, info.mtime, info.mode = len(body), int(at.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
    os.chmod(partial, 0o600)
    os.replace(partial, out)
    return manifest


def _refuse_unless_empty(settings: CentralSettings) -> None:
    taken = [settings.data_dir / n for n in ("keys", checkpoints.FILE_NAME, *SECRETS)]
    if any(p.exists() for p in taken):
        raise BackupError(
            f"{settings.data_dir} already holds keys or checkpoints: restore only onto an empty one"
        )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and Path(url.database).exists():
            raise BackupError(f"{url.database} already exists: restore only onto an empty machine")
        return
    engine = make_engine(settings.database_url)
    try:
        if migrations.has_tables(engine):
            raise BackupError(
                f"database {url.render_as_string()} is not empty: restore only into an empty database"
            )
    finally:
        engine.dispose()


def _restorable(name: object) -> bool:
    # exactly what backup() writes: the database dump, the signing keys, the checkpoints, the secrets
    return isinstance(name, str) and (
        name in ("database.sqlite", "database.pgdump", checkpoints.FILE_NAME, *SECRETS)
        or re.fullmatch(r"keys/kid-[0-9]+\.pem", name) is not None
    )


def restore(settings: CentralSettings, archive: Path) -> Manifest:
    """Unpack ``archive`` into the (empty) data directory and database of ``settings``."""
    try:
        tar = tarfile.open(archive, "r:gz")
        data = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    except (tarfile.TarError, EOFError, zlib.error, KeyError, ValueError) as exc:
        # another file, a cut download: said in one line, as any refused restore is, not a traceback
        raise BackupError(f"{archive} is not a readable campusgate backup: {exc}") from None
    with tar:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else None
            raise BackupError(f"{archive}: archive format {found}, this release reads {FORMAT}")
        missing = [k for k in Manifest.__slots__ if k not in data]
        if missing:
            raise BackupError(f"{archive}: its manifest lacks {', '.join(missing)}: not a campusgate backup")
        manifest = Manifest(**{k: data[k] for k in Manifest.__slots__})
        listed = manifest.files if isinstance(manifest.files, list) else [manifest.files]
        strays = [n for n in listed if not _restorable(n)]
        if strays:  # a crafted manifest ("../…") would copy files outside the data directory
            raise BackupError(f"{archive}: its manifest names files a backup never holds: {strays[:3]!r}")
        url = make_url(settings.database_url)
        if manifest.dialect != url.get_backend_name():
            raise BackupError(
                f"the backup holds a {manifest.dialect} database and CAMPUSGATE_DATABASE_URL is {url.get_backend_name()}: "
                "restore into the same kind of database"
            )
        _refuse_unless_empty(settings)
        with tempfile.TemporaryDirectory() as tmp:
            tar.extractall(tmp, filter="data")
            root = Path(tmp)
            if manifest.dialect == "sqlite":
                assert url.database
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / "database.sqlite", url.database)
            else:
                conninfo, env = _libpq(url)
                _run(
                    [
                        "pg_restore",
                        "--no-owner",
                        "--exit-on-error",
                        "--dbname",
                        conninfo,
                        str(root / "database.pgdump"),
                    ],
                    env,
                )
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            settings.keys_dir.mkdir(mode=0o700, exist_ok=True)
            for name in manifest.files:
                if name.startswith("database."):
                    continue
                target = settings.data_dir / name
                shutil.copyfile(root / name, target)
                os.chmod(target, 0o600)
    return manifest

"""The operator's commands of ``campusgate``: db, backup, restore, keys; and the one way every command
finds (and prints) its data directory and database.

Imports are inside the commands, as in :mod:`campusgate.cli`.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def settings_from(args: argparse.Namespace) -> Any:
    """Central's settings (--database-url wins), after printing which data directory and database."""
    from central.settings import CentralSettings

    url = getattr(args, "database_url", None)
    settings = CentralSettings(database_url=url) if url else CentralSettings()
    print(f"campusgate: {settings.where()}", file=sys.stderr)
    for line in strays(os.environ, "CAMPUSGATE_", CentralSettings.model_fields, skip="CAMPUSGATE_GATE_"):
        print(f"campusgate: {line}", file=sys.stderr)
    return settings


# read beside the settings classes: by the logging set-up, and by the test suite
OTHER_VARIABLES = frozenset({"CAMPUSGATE_LOG_FORMAT", "CAMPUSGATE_TEST_PG", "CAMPUSGATE_REFRESH_SCREENS"})


def strays(
    environ: Mapping[str, str], prefix: str, fields: Iterable[str], *, skip: str | None = None
) -> list[str]:
    """A line for each ``prefix`` variable that is no setting, naming the setting it most looks like:
    pydantic-settings ignores such a variable without a word, so a misspelt CAMPUSGATE_MQTT_PROT left
    the port at its default and the operator looking elsewhere. ``skip``: another program's prefix."""
    known = {prefix + name.upper() for name in fields} | OTHER_VARIABLES
    lines = []
    for name in sorted(environ):
        upper = name.upper()  # the settings read their variables in any case
        if not upper.startswith(prefix) or upper in known or (skip is not None and upper.startswith(skip)):
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        lines.append(f"{name} is no setting and is ignored{hint}")
    return lines


def existing_engine(settings: Any, *, tables: bool = True, current: bool = False) -> Any:
    """An engine on a database that must already exist (and, with ``tables``, hold central's tables;
    with ``current``, at this release's schema revision); None (having said where it looked, or which
    command to run) if not."""
    from sqlalchemy.engine import make_url

    from central import migrations
    from central.models.db import make_engine

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        print(
            f"no database at {url.database}: central, the demo and `campusgate user add` create it there; "
            "set CAMPUSGATE_DATA_DIR (or CAMPUSGATE_DATABASE_URL, or --database-url) to look elsewhere",
            file=sys.stderr,
        )
        return None
    engine = make_engine(settings.database_url)
    if tables and not migrations.has_tables(engine):  # an empty PostgreSQL database: nothing to read
        engine.dispose()
        print(
            f"no campusgate tables in {url.render_as_string(hide_password=True)}: central, "
            "`campusgate user add` and `campusgate db upgrade` create them; set CAMPUSGATE_DATABASE_URL "
            "(or --database-url) to look elsewhere",
            file=sys.stderr,
        )
        return None
    if current:  # an older schema lacks columns this release reads: say which command, not which column
        try:
            migrations.check_current(engine)
        except migrations.SchemaBehind as exc:
            engine.dispose()
            print(f"campusgate: {exc}", file=sys.stderr)
            return None
    return engine


def _db(args: argparse.Namespace) -> int:
    from central import migrations
    from central.models.db import create_all, make_engine

    if args.action == "revision":
        print(f"wrote {migrations.new_revision(args.message)}; read it, then run `ruff format` on it")
        return 0
    settings = settings_from(args)
    if args.action == "current":
        engine = existing_engine(settings, tables=False)  # no tables: revision none, behind
    else:
        engine = make_engine(settings.database_url)
    if engine is None:
        return 2
    try:
        if args.action == "current":
            have, want = migrations.current(engine), migrations.head()
            state = "up to date" if have == want else f"behind: run `{migrations.UPGRADE_HINT}`"
            print(f"schema revision {have or 'none'} (head {want}): {state}")
            return 0 if have == want else 1
        if not migrations.has_tables(engine):
            create_all(engine)  # an empty database: every table at once, stamped at head
            print(f"empty database: created every table at revision {migrations.head()}")
            return 0
        from alembic.util import CommandError

        try:
            before, after = migrations.upgrade(engine)
        except CommandError as exc:  # a revision this release does not know: a newer one upgraded it
            print(f"not upgraded: {exc}; was the database upgraded by a newer release?", file=sys.stderr)
            return 2
        print(f"schema revision {before or 'none'} -> {after}" if before != after else f"already at {after}")
        return 0
    finally:
        engine.dispose()


def _backup(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from central.ops.backup import BackupError, backup

    settings = settings_from(args)
    engine = existing_engine(settings)
    if engine is None:
        return 2
    engine.dispose()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or f"campusgate-backup-{stamp}.tar.gz")
    try:
        manifest = backup(settings, out)
    except BackupError as exc:
        print(f"no backup written: {exc}", file=sys.stderr)
        return 2
    print(
        f"backup {out}: {manifest.dialect} database at revision {manifest.revision}, entry log up to seq "
        f"{manifest.chain_seq}, {len(manifest.files)} files (it holds the signing keys: keep it safe)"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from central import migrations
    from central.audit import checkpoints as audit_checkpoints
    from central.audit import signed
    from central.audit.chain import verify
    from central.models.db import make_engine, read_only, session_scope
    from central.ops.backup import BackupError, restore

    settings = settings_from(args)
    try:
        manifest = restore(settings, Path(args.archive))
    except (BackupError, OSError, KeyError) as exc:
        print(f"nothing restored: {exc}", file=sys.stderr)
        return 2
    print(f"restored the backup of {manifest.created_at} ({len(manifest.files)} files)")
    engine = make_engine(settings.database_url)
    try:
        revision = migrations.current(engine)
        if (
            revision != migrations.head()
        ):  # an older release's backup: this release's checks read columns it lacks
            print(
                f"schema revision {revision} (head {migrations.head()}): run `{migrations.UPGRADE_HINT}`, "
                "then `campusgate audit verify`, before central"
            )
            return 0
        kept = audit_checkpoints.read(audit_checkpoints.default_path(settings.data_dir))
        with session_scope(read_only(engine)) as session:
            result = verify(session, kept, jobs=None)
            reports = signed.check(session, kept)
        if not result.ok:
            print(f"entry log chain broken at seq {result.seq}: {result.kind} ({result.detail})")
        else:
            print(f"entry log chain intact ({result.detail}), checked against {len(kept)} checkpoints")
        print("\n".join(reports.lines()))
        if not (result.ok and reports.ok):
            return 1
    finally:
        engine.dispose()
    return 0


def _keys(args: argparse.Namespace) -> int:
    from sqlmodel import col, select

    from central.models.db import read_only, session_scope
    from central.models.registry import SigningKey
    from central.office.keys import rotate_keys

    settings = settings_from(args)
    if args.action == "rotate":
        engine = existing_engine(settings, current=True)
        if engine is None:
            return 2
        kid, until = rotate_keys(settings, engine)
        print(f"key {kid} signs new passes from now on; older keys still verify until {until.isoformat()}")
        print(f"copy keys/kid-{kid}.pem to every other central host's data directory. No restart: each")
        print("running worker learns the key with its next batch and republishes the gates' configs with")
        print("every valid public key (an API run with --no-worker signs with the old key until restarted)")
        return 0
    engine = existing_engine(settings, current=True)
    if engine is None:
        return 2
    with session_scope(read_only(engine)) as session:
        for row in session.exec(select(SigningKey).order_by(col(SigningKey.kid))):
            state = (
                f"retired {row.retired_at:%Y-%m-%d}, verifies until {row.verify_until}"
                if row.retired_at
                else "signing"
            )
            on_disk = "on disk" if (settings.keys_dir / f"kid-{row.kid}.pem").exists() else "NOT on disk"
            print(f"key {row.kid}: created {row.created_at:%Y-%m-%d %H:%M}, {state}, private key {on_disk}")
    return 0


def url_after_action(actions: Any) -> None:
    """``--database-url`` after the action too (``db upgrade --database-url URL``), not only before it."""
    for parser in actions.choices.values():
        parser.add_argument(
            "--database-url", default=argparse.SUPPRESS, help="defaults to CAMPUSGATE_DATABASE_URL"
        )


def add_commands(sub: Any) -> None:
    """Register db, backup, restore and keys on the ``campusgate`` sub-parsers."""
    bk = sub.add_parser("backup", help="database, signing keys and audit checkpoints into one archive")
    bk.add_argument("--out", help="the archive to write (default: campusgate-backup-<time>.tar.gz here)")
    bk.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    bk.set_defaults(func=_backup)
    rs = sub.add_parser("restore", help="a backup onto an empty data directory and empty database")
    rs.add_argument("archive")
    rs.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    rs.set_defaults(func=_restore)
    keys = sub.add_parser("keys", help="pass-signing keys: list, rotate")
    keys.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    keysub = keys.add_subparsers(dest="action", required=True)
    keysub.add_parser("list", help="every key: signing or retired, and until when it verifies")
    keysub.add_parser("rotate", help="a new key signs; old passes keep working until they expire")
    url_after_action(keysub)
    keys.set_defaults(func=_keys)

    db = sub.add_parser("db", help="schema migrations: the database's revision, upgrading it")
    db.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    dbsub = db.add_subparsers(dest="action", required=True)
    dbsub.add_parser("current", help="the database's schema revision and the code's (exit 1 if behind)")
    dbsub.add_parser("upgrade", help="bring the schema to the code's revision (back up first)")
    revision = dbsub.add_parser("revision", help="(developers) write the next migration from the models")
    revision.add_argument("-m", "--message", required=True)
    url_after_action(dbsub)
    db.set_defaults(func=_db)

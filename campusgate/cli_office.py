"""``campusgate audit`` (verify, checkpoint) and ``campusgate user`` (the first admin, passwords, logins)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from campusgate.ops_cli import existing_engine, settings_from, url_after_action


def _audit_verify(args: argparse.Namespace) -> int:

    from central.audit import checkpoints as audit_checkpoints
    from central.audit import signed
    from central.audit.chain import verify, verify_since
    from central.models.db import read_only, session_scope

    settings = settings_from(args)
    engine = existing_engine(settings, current=True)
    if engine is None:
        return 2
    # the checkpoints central keeps in the data directory belong to the data directory's database:
    # a database named on the command line is checked against --checkpoints only
    path = Path(args.checkpoints) if args.checkpoints else None
    if path is not None and not path.is_file():
        # the office's copy named and not there: a log checked against nothing would read as vouched for
        what = "is a folder, not a file" if path.is_dir() else "not found"
        print(f"checkpoint file {path}: {what}: nothing verified", file=sys.stderr)
        return 2
    if path is None and not args.database_url:
        path = audit_checkpoints.default_path(settings.data_dir)
    try:
        kept = audit_checkpoints.read(path) if path else []
        print(
            f"campusgate: {len(kept)} checkpoints from {path or 'nowhere (no --checkpoints)'}",
            file=sys.stderr,
        )
    except ValueError as exc:
        print(f"checkpoint file unreadable: {exc}", file=sys.stderr)
        return 2
    if args.since_last_checkpoint and not kept:
        print("no checkpoint to verify from: run the full `campusgate audit verify`", file=sys.stderr)
        return 2
    with session_scope(read_only(engine)) as session:  # a read: never holds up the worker's writes
        if args.since_last_checkpoint:
            last = audit_checkpoints.latest(kept)
            assert last is not None  # kept is not empty
            result = verify_since(session, last)
            what = f"since the checkpoint of {last.at.isoformat()} at seq {last.seq}"
        else:
            result, what = verify(session, kept, jobs=args.jobs), ""
        # the signed reports against every line that names them, whichever part of the log was walked
        reports = signed.check(session, kept)
    if result.ok:
        print(f"entry log chain intact{' ' + what if what else ''} ({result.detail})")
    else:
        print(f"entry log chain broken at seq {result.seq}: {result.kind} ({result.detail})")
    print("\n".join(reports.lines()))
    return 0 if result.ok and reports.ok else 1


def _read_password(path: str | None) -> str:
    import getpass

    from central.settings import read_secret

    if path:
        return read_secret(path, "the password file")  # a wrong path, a binary file: said, no traceback
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _user(args: argparse.Namespace) -> int:
    import getpass
    import json

    from pydantic import ValidationError

    from central import migrations
    from central.models.db import create_all, make_engine, session_scope
    from central.models.users import User
    from central.office.errors import OfficeError
    from central.office.users import UserCreate, UserUpdate, add_user, find_user, update_user

    settings = settings_from(args)
    engine = make_engine(settings.database_url)
    try:
        create_all(engine)  # the first admin on a fresh database: every table, at the newest revision
        migrations.check_current(engine)
    except migrations.SchemaBehind as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    actor = User(
        username=f"cli:{getpass.getuser()}", password_hash=""
    )  # who ran the command, for the journal
    try:
        with session_scope(engine) as session:
            if args.action == "list":
                from sqlmodel import col, select

                users: list[dict[str, Any]] = [
                    {"id": u.id, "username": u.username, "roles": sorted(u.role_set), "active": u.active}
                    for u in session.exec(select(User).order_by(col(User.username)))
                ]
                if args.json:
                    print(json.dumps(users, ensure_ascii=False))
                for u in [] if args.json else users:
                    state = "active" if u["active"] else "disabled"
                    print(f"{u['username']:<20} {','.join(u['roles']):<30} {state}")
                return 0
            if args.action == "add":
                body = UserCreate(
                    username=args.username, password=_read_password(args.password_file), roles=args.role
                )
                user = add_user(session, actor=actor, body=body)
                print(f"created user {user.username} with roles {user.roles}")
                return 0
            user = find_user(session, args.username)
            if args.action == "passwd":
                update_user(
                    session,
                    actor=actor,
                    user=user,
                    body=UserUpdate(password=_read_password(args.password_file)),
                )
                print(f"password of {user.username} changed")
            else:
                update_user(session, actor=actor, user=user, body=UserUpdate(active=args.action == "enable"))
                print(f"user {user.username} {args.action}d")
            return 0
    except ValidationError as exc:
        print(
            "refused: " + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()),
            file=sys.stderr,
        )
    except OfficeError as exc:
        print(f"refused: {exc.message}", file=sys.stderr)
    except ValueError as exc:  # the password file unreadable, the two typed passwords different
        print(f"refused: {exc}", file=sys.stderr)
    return 2


def _audit_checkpoint(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from datetime import UTC, datetime

    from central.audit import checkpoints as audit_checkpoints
    from central.audit import signed
    from central.audit.chain import verify
    from central.models.db import read_only, session_scope

    settings = settings_from(args)
    engine = existing_engine(settings, current=True)
    if engine is None:
        return 2
    path = Path(args.file) if args.file else audit_checkpoints.default_path(settings.data_dir)
    try:
        kept = audit_checkpoints.read(path)
    except ValueError as exc:
        print(f"checkpoint file unreadable: {exc}", file=sys.stderr)
        return 2
    # a checkpoint vouches for the log as it is: never take one of a log that no longer verifies.
    # One read transaction (never holding up the worker's writes); the head is read before the walk,
    # so every row it vouches for is among the rows verified.
    with session_scope(read_only(engine)) as session:
        checkpoint = audit_checkpoints.current(session, datetime.now(UTC))
        result = verify(session, kept, jobs=None)
        reports = signed.check(session, kept)  # nor vouch for a signed report that was changed
    if not result.ok:
        print(f"no checkpoint taken: entry log chain broken at seq {result.seq}: {result.kind}")
        return 1
    if not reports.ok:
        print("no checkpoint taken: a signed report was changed")
        print("\n".join(reports.lines()))
        return 1
    written = audit_checkpoints.append_new(path, replace(checkpoint, reports=reports.unnamed))
    naming = f", naming {len(reports.unnamed)} newly signed reports" if reports.unnamed else ""
    if not written:
        print(
            "entry log is empty; nothing to checkpoint"
            if checkpoint.seq == 0
            else f"checkpoint at seq {checkpoint.seq} already in {path}"
        )
    else:
        print(f"checkpoint at seq {checkpoint.seq} appended to {path}{naming}")
    return 0


def add_office(sub: Any) -> None:
    """The ``audit`` and ``user`` subcommands."""
    audit = sub.add_parser("audit", help="entry-log audit")
    auditsub = audit.add_subparsers(dest="action", required=True)
    verify = auditsub.add_parser("verify", help="check the entry log's hash chain and the signed reports")
    verify.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    verify.add_argument(
        "--checkpoints",
        help="the JSON-lines checkpoint file (default: the data directory's, unless --database-url is given)",
    )
    verify.add_argument(
        "--jobs",
        type=int,
        help="processes that check the log in ranges (default: one per core on a long log)",
    )
    verify.add_argument(
        "--since-last-checkpoint",
        action="store_true",
        help="check only the rows after the file's last checkpoint (what was appended since)",
    )
    verify.set_defaults(func=_audit_verify)
    checkpoint = auditsub.add_parser("checkpoint", help="append the chain head to the checkpoint file now")
    checkpoint.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    checkpoint.add_argument("--file", help="defaults to audit-checkpoints.jsonl in CAMPUSGATE_DATA_DIR")
    checkpoint.set_defaults(func=_audit_checkpoint)

    user = sub.add_parser("user", help="console users: add the first admin, list, change a password, disable")
    user.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    usersub = user.add_subparsers(dest="action", required=True)
    add = usersub.add_parser("add", help="create a user (password from --password-file, stdin or a prompt)")
    add.add_argument("username")
    add.add_argument(
        "--role", action="append", required=True, help="admin, security, approver, guard, auditor, director"
    )
    add.add_argument("--password-file")
    listing = usersub.add_parser("list", help="every user with roles")
    listing.add_argument("--json", action="store_true")
    passwd = usersub.add_parser("passwd", help="set a user's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-file")
    for action in ("disable", "enable"):
        usersub.add_parser(action, help=f"{action} a user's login").add_argument("username")
    url_after_action(usersub)
    user.set_defaults(func=_user)

"""The ``campusgate`` command: demo, central, gate, simulator and maintenance subcommands.

Imports are inside the subcommands so that a gate device (installed with the ``gate`` extra)
never imports FastAPI or SQLModel.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from campusgate.cli_gate import add_gate_admin
from campusgate.cli_office import add_office
from campusgate.cli_sim import MAX_WAIT_S, add_sim
from campusgate.ops_cli import add_commands, settings_from


def _logging(verbose: bool) -> None:
    from central.ops.logs import configure  # standard library only: fine on a gate device too

    try:
        configure(verbose=verbose)
    except ValueError as exc:  # CAMPUSGATE_LOG_FORMAT misspelt
        raise SystemExit(f"campusgate: {exc}") from None


def _demo(args: argparse.Namespace) -> int:
    from campusgate.demo import run_demo

    # written so that NaN fails too: a huge wait overflowed the clock, a negative count stopped at once
    if args.visits < 0 or not 0 <= args.interval <= MAX_WAIT_S:
        print(
            f"refused: --visits ({args.visits}) must be at least 0 and --interval ({args.interval:g}) "
            f"between 0 and {MAX_WAIT_S:g} seconds",
            file=sys.stderr,
        )
        return 2
    settings = settings_from(args)
    return run_demo(
        visits=args.visits, interval=args.interval, keep_running=not args.once, workdir=settings.data_dir
    )


def _central(args: argparse.Namespace) -> int:
    import ssl

    from central import CentralError
    from central.app import run_central
    from transport.mqtt import MqttError

    settings = settings_from(args)
    try:
        run_central(settings, api=not args.no_api, worker=not args.no_worker)
    except CentralError as exc:  # the schema is behind, the keys disagree: say what to do, no traceback
        print(f"central not started: {exc}", file=sys.stderr)
        return 2
    except (MqttError, ssl.SSLError) as exc:  # no broker there, TLS on one side only, a bad CA file
        print(
            f"central not started: {exc} (check CAMPUSGATE_MQTT_HOST, CAMPUSGATE_MQTT_PORT, "
            "CAMPUSGATE_MQTT_TLS and CAMPUSGATE_MQTT_CA_FILE, and the broker's log)",
            file=sys.stderr,
        )
        return 2
    return 0


def _gate(args: argparse.Namespace) -> int:
    from campusgate.ops_cli import strays
    from central.settings import read_secret
    from gate_agent.main import run_or_refuse
    from gate_agent.settings import GateSettings

    overrides: dict[str, Any] = {}
    if args.password_file:
        try:
            overrides["mqtt_password"] = read_secret(args.password_file, "the MQTT password file")
        except ValueError as exc:  # a manual run with a wrong path; the unit's credential is always there
            print(f"campusgate: {exc}", file=sys.stderr)
            return 2
    for line in strays(os.environ, "CAMPUSGATE_GATE_", GateSettings.model_fields):
        print(f"campusgate: {line}", file=sys.stderr)
    return run_or_refuse(GateSettings(**overrides))


def _reasons(args: argparse.Namespace) -> int:
    from gatecore.reasons import reasons_markdown

    sys.stdout.write(reasons_markdown())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and --help)."""
    p = argparse.ArgumentParser(prog="campusgate", description="Gate access control for closed campuses.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="central + embedded broker + simulated gates + residents arriving")
    demo.add_argument("--visits", type=int, default=0, help="stop after this many visits (0: until Ctrl-C)")
    demo.add_argument("--interval", type=float, default=1.0, help="seconds between arrivals")
    demo.add_argument("--once", action="store_true", help="exit when the visits are done")
    demo.set_defaults(func=_demo)

    central = sub.add_parser("central", help="the central service (API and/or MQTT worker)")
    central.add_argument("--no-api", action="store_true", help="run only the MQTT worker")
    central.add_argument("--no-worker", action="store_true", help="run only the API")
    central.set_defaults(func=_central)

    gate = sub.add_parser("gate", help="a gate agent (settings from CAMPUSGATE_GATE_* variables)")
    gate.add_argument("--password-file", help="read the MQTT password from this file")
    gate.set_defaults(func=_gate)
    add_gate_admin(
        gate.add_subparsers(dest="gate_action", required=False, metavar="{provision,revoke-credentials}")
    )

    add_sim(sub)
    add_office(sub)
    add_commands(sub)  # db, backup, restore, keys
    reasons = sub.add_parser("reasons", help="print the reason-code table (docs/reasons.md)")
    reasons.set_defaults(func=_reasons)

    return p


def _database_failure(exc: BaseException) -> str | None:
    """One line for a database that cannot be reached or opened (refused, unknown database, wrong
    password), or None for any other error. SQLAlchemy is looked up, never imported: a gate has none."""
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is not None and isinstance(exc, errors.ArgumentError):  # "--database-url nonsense"
        return f"the database URL cannot be read: {exc} (check CAMPUSGATE_DATABASE_URL or --database-url)"
    if errors is None or not isinstance(exc, errors.OperationalError):
        return None
    from central.models.db import unavailable

    why = unavailable(exc).partition(": ")[2] or type(exc).__name__
    return f"the database cannot be used: {why} (check that it runs, and CAMPUSGATE_DATABASE_URL or --database-url)"


def _settings_failure(exc: BaseException) -> str | None:
    """One line naming each setting refused (by its variable, never its value: it may be a secret),
    or None for any other error."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(exc, pydantic.ValidationError):
        return None
    prefix = {"CentralSettings": "CAMPUSGATE_", "GateSettings": "CAMPUSGATE_GATE_"}.get(exc.title)
    if prefix is None:
        return None
    refused = []
    for error in exc.errors():
        what = "not set" if error["type"] == "missing" else error["msg"]
        refused.append(f"{prefix}{str(error['loc'][0]).upper()}: {what}" if error["loc"] else what)
    return "settings refused: " + "; ".join(refused)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``campusgate`` console script."""
    args = build_parser().parse_args(argv)
    _logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        failure = _database_failure(exc) or _settings_failure(exc)
        if failure is None and isinstance(exc, OSError):  # a path given that is a folder, or in none
            failure = str(exc)
        if failure is None:
            raise
        print(f"campusgate: {failure}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

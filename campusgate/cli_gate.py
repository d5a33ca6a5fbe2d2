"""``campusgate gate provision`` and ``gate revoke-credentials``: run on central's machine, they
give a gate its broker credentials and files (campusgate.provision does the work)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _gate_provision(args: argparse.Namespace) -> int:
    import getpass
    from pathlib import Path

    from campusgate import provision as pv
    from central.settings import CentralSettings, read_secret

    try:
        password = read_secret(args.password_file, "--password-file") if args.password_file else None
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    broker = pv.BrokerTarget(
        host=args.broker_host,
        port=args.broker_port,
        tls=not args.no_tls,
        ca_file=Path(args.ca_file) if args.ca_file else None,
    )
    request = pv.GateRequest(
        gate_id=args.gate_id,
        database_url=args.database_url or CentralSettings().database_url,
        passwd_file=Path(args.passwd_file),
        out=Path(args.out or f"provisioned/{args.gate_id}"),
        broker=broker,
        install_dir=Path(args.install_dir),
        campus=args.campus,
        name_zh=args.name_zh,
        name_en=args.name_en,
        password=password,
        actor=f"cli:{getpass.getuser()}",
    )
    try:
        lines = pv.provision_gate(request)
    except pv.ProvisionError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _gate_revoke(args: argparse.Namespace) -> int:
    from pathlib import Path

    from campusgate import provision as pv

    try:
        lines = pv.revoke_gate(args.gate_id, Path(args.passwd_file), Path(args.out) if args.out else None)
    except pv.ProvisionError as exc:  # refused as provision's are: exit 2, as every refused command
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def add_gate_admin(sub: Any) -> None:
    """``gate provision`` and ``gate revoke-credentials`` (``campusgate gate`` alone runs the agent)."""
    passwd = "/etc/mosquitto/auth/campusgate.passwd"
    prov = sub.add_parser("provision", help="register a gate, give it broker credentials, write its files")
    prov.add_argument("gate_id")
    prov.add_argument("--database-url", help="defaults to CAMPUSGATE_DATABASE_URL")
    prov.add_argument("--campus", help="campus code, to register a gate not yet registered")
    prov.add_argument("--name-zh", help="the gate's Chinese name, to register it")
    prov.add_argument("--name-en", default="", help="the gate's English name")
    prov.add_argument("--passwd-file", default=passwd, help=f"Mosquitto password file (default {passwd})")
    prov.add_argument("--broker-host", required=True, help="the broker's name as the gate reaches it")
    prov.add_argument("--broker-port", type=int, default=8883)
    prov.add_argument("--no-tls", action="store_true", help="plain MQTT (a laboratory, never a campus)")
    prov.add_argument("--ca-file", help="the campus CA certificate, copied beside the env file")
    prov.add_argument("--out", help="where to write the gate's files (default provisioned/GATE_ID)")
    prov.add_argument("--install-dir", default="/etc/campusgate", help="where they go on the gate")
    prov.add_argument("--password-file", help="use this password instead of a new random one")
    prov.set_defaults(func=_gate_provision)
    rev = sub.add_parser("revoke-credentials", help="remove a gate's broker password")
    rev.add_argument("gate_id")
    rev.add_argument("--passwd-file", default=passwd, help=f"Mosquitto password file (default {passwd})")
    rev.add_argument("--out", help="the gate's provisioned folder, whose password copy is removed too")
    rev.set_defaults(func=_gate_revoke)

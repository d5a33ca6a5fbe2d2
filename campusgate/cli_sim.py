"""``campusgate sim``: a virtual thermometer, a virtual camera, and a fleet of simulated gates."""

from __future__ import annotations

import argparse
import sys
from typing import Any

MAX_WAIT_S = 86_400.0  # a day: beyond, a wait overflows the clock (and is no demo or camera)
MAX_FPS = 120.0


def _sim_thermometer(args: argparse.Namespace) -> int:
    from firmware_sim.console import interactive_thermometer

    try:
        return interactive_thermometer(args.link)
    except OSError as exc:  # the link cannot be made there (a file in the way, no permission)
        print(f"refused: --link {args.link}: {exc}", file=sys.stderr)
        return 2


def _sim_camera(args: argparse.Namespace) -> int:
    from firmware_sim.console import serve_camera

    codes = list(args.show or [])
    if args.codes:
        try:
            with open(args.codes, encoding="utf-8") as f:
                codes += [line.strip() for line in f if line.strip() and not line.startswith("#")]
        except (OSError, UnicodeDecodeError) as exc:
            print(f"refused: --codes {args.codes}: {exc}", file=sys.stderr)
            return 2
    from firmware_sim.frames import qr_matrix

    for n, code in enumerate(codes, start=1):
        try:
            qr_matrix(code)  # made again when shown; refused now, not by a traceback or a cycle that dies
        except ValueError as exc:
            print(
                f"refused: code {n} ({len(code)} characters) does not fit in a QR code: {exc}",
                file=sys.stderr,
            )
            return 2
    # written so that NaN fails too; a huge wait overflowed the clock, a huge frame rate is no camera
    if not (0 < args.hold <= MAX_WAIT_S and 0 <= args.gap <= MAX_WAIT_S and 0 < args.fps <= MAX_FPS):
        print(
            f"refused: --hold ({args.hold:g}) and --fps ({args.fps:g}) must be above 0, --gap ({args.gap:g}) "
            f"at least 0; --hold and --gap at most {MAX_WAIT_S:g} seconds, --fps at most {MAX_FPS:g}",
            file=sys.stderr,
        )
        return 2
    return serve_camera(codes, fps=args.fps, hold_s=args.hold, gap_s=args.gap)


def _sim_fleet(args: argparse.Namespace) -> int:
    from pathlib import Path

    from campusgate.fleet_plan import FleetSetupError, plan_from_settings
    from firmware_sim.fleet import FleetOptions, raise_fd_limit, run_fleet, visitors_needed
    from firmware_sim.fleet_mix import MixError, parse_mix
    from transport.mqtt import MqttError

    try:
        host, _, port = args.broker.rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"--broker {args.broker!r}: expected host:port, e.g. 127.0.0.1:1883")
        options = FleetOptions(
            gates=args.gates,
            rate=args.rate,
            duration=args.duration,
            host=host or "127.0.0.1",
            port=int(port),
            mix=parse_mix(args.mix),
            seed=args.seed,
            timeout=args.timeout,
            status_every=args.status_every,
        )
        if not args.prepare:
            raise_fd_limit(args.gates)  # before anything is written: one socket per gate
        plan = plan_from_settings(
            gates=args.gates,
            visitors=0 if args.prepare else visitors_needed(options),
            database_url=args.database_url,
            data_dir=Path(args.data_dir) if args.data_dir else None,
            # a run writes gates, passes and log rows: say where, as every command does
            say=lambda where: print(f"campusgate: {where}", file=sys.stderr),
        )
    except (MixError, FleetSetupError, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    if args.prepare:
        print(f"{len(plan.gates)} fleet gates registered ({plan.gates[0][0]} …); no scans sent")
        return 0
    print(f"{args.gates} gates x {args.rate:g} scans/s for {args.duration:g} s against {args.broker}")
    try:
        report = run_fleet(plan, options, handle_signals=True, settle_heap=True)
    except MqttError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0 if report.ok() else 1


def add_sim(sub: Any) -> None:
    """The ``sim`` subcommand and its devices."""
    sim = sub.add_parser("sim", help="hardware simulator")
    simsub = sim.add_subparsers(dest="device", required=True)
    th = simsub.add_parser(
        "thermometer",
        help="a virtual thermometer on a pty, driven by commands on stdin (a terminal or a pipe)",
    )
    th.add_argument("--link", default="/tmp/campusgate-ttyIR0", help="stable symlink to the pty")
    th.set_defaults(func=_sim_thermometer)
    cam = simsub.add_parser(
        "camera", help="a virtual MJPEG camera on a free loopback port, presenting QR codes in turn"
    )
    cam.add_argument(
        "--show",
        action="append",
        metavar="TEXT",
        help="a QR text to present (repeat for several; none: nobody)",
    )
    cam.add_argument("--codes", metavar="FILE", help="QR texts to present, one a line, after any --show")
    cam.add_argument("--hold", type=float, default=3.0, help="seconds each code is held up (several codes)")
    cam.add_argument("--gap", type=float, default=1.0, help="seconds with nobody between two codes")
    cam.add_argument("--fps", type=float, default=10.0)
    cam.set_defaults(func=_sim_camera)
    fleet = simsub.add_parser(
        "fleet", help="many gates in one process sending scans to central; prints what they saw"
    )
    fleet.add_argument("--gates", type=int, default=100, help="simulated gates (each its own MQTT client)")
    fleet.add_argument("--rate", type=float, default=0.5, help="scans per second per gate (Poisson)")
    fleet.add_argument("--duration", type=float, default=30.0, help="seconds of scans")
    fleet.add_argument("--broker", default="127.0.0.1:1883", help="host:port of the MQTT broker")
    fleet.add_argument("--mix", help="e.g. resident=60,second=10,staff=10,fever=5,visitor=8,forged=7")
    fleet.add_argument("--seed", type=int, default=1, help="seed of the mix and the arrival times")
    fleet.add_argument(
        "--timeout", type=float, default=5.0, help="seconds before a scan counts as unanswered"
    )
    fleet.add_argument(
        "--status-every",
        type=float,
        default=5.0,
        help="seconds between each gate's status heartbeats, as a real gate sends them (0: none)",
    )
    fleet.add_argument("--database-url", help="central's database (defaults to CAMPUSGATE_DATABASE_URL)")
    fleet.add_argument(
        "--data-dir", help="central's data dir with its keys (defaults to CAMPUSGATE_DATA_DIR)"
    )
    fleet.add_argument(
        "--prepare", action="store_true", help="only seed (if empty) and register the gates, then exit"
    )
    fleet.set_defaults(func=_sim_fleet)

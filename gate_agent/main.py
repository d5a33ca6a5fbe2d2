"""Running a gate: run_gate(settings) until SIGINT/SIGTERM, and a small guard console on stdin."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.console import GuardConsole
from gate_agent.settings import GateSettings

logger = logging.getLogger(__name__)

CONSOLE_HELP = "console: type a temperature (e.g. 36.8) for the next scan, or 'scan <qr text>'"


def _console(agent: GateAgent, stop: threading.Event) -> None:
    """Guard console: manual temperature entry and manual scans when the camera is down."""
    print(CONSOLE_HELP, flush=True)
    for line in sys.stdin:
        if stop.is_set():
            return
        text = line.strip()
        if text.startswith("scan "):
            agent.submit_scan(text[5:].strip())
            continue
        try:
            agent.manual_temperature(float(text))
        except ValueError:
            print(CONSOLE_HELP, flush=True)


def run_gate(settings: GateSettings, *, console: bool | None = None) -> None:
    """Build the agent, run it until SIGINT or SIGTERM, then stop cleanly."""
    console = console if console is not None else sys.stdin.isatty()
    guard = None
    if console and sys.stdin.isatty():
        guard = GuardConsole(sys.stdin.fileno(), sys.stdout, guard=settings.guard_id)
    agent = build_agent(settings, display=guard)
    stop = threading.Event()

    def _signal(signum: int, frame: object) -> None:
        logger.info("signal %s: stopping", signum)
        stop.set()

    previous = {s: signal.signal(s, _signal) for s in (signal.SIGINT, signal.SIGTERM)}
    agent.start()
    if guard is not None:  # the key-driven console on a terminal; q ends the gate

        def _keys() -> None:
            guard.run(agent, stop)
            stop.set()

        threading.Thread(target=_keys, name="gate-console", daemon=True).start()
    elif console:  # a pipe: the line console
        threading.Thread(target=_console, args=(agent, stop), name="gate-console", daemon=True).start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        agent.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None) -> int:
    """Entry point: settings from CAMPUSGATE_GATE_* variables (and an optional env file)."""
    p = argparse.ArgumentParser(prog="campusgate-gate", description="Run one gate agent.")
    p.add_argument("--env-file", help="read settings from this file as well as the environment")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    settings = GateSettings(_env_file=args.env_file) if args.env_file else GateSettings()  # type: ignore[call-arg]
    run_gate(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

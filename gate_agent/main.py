"""Running a gate: run_gate(settings) until SIGINT/SIGTERM, and a small guard console on stdin."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TextIO

from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.console import MANUAL_RANGE, GuardConsole, console_kind, manual_celsius
from gate_agent.errors import GateError
from gate_agent.settings import GateSettings
from gate_agent.words import not_submitted, say
from gatecore.messages import shown

logger = logging.getLogger(__name__)


def line_console(agent: GateAgent, stop: threading.Event, lines: TextIO, out: TextIO) -> None:
    """The guard console for a pipe or a script: one command a line, each answered "ok: …" or
    "refused: …" and then in the catalogue's words, Chinese first. A bad line is answered and
    skipped; 'quit' stops the gate, the end of the input only ends the console."""
    print(say("line_help", " / "), file=out, flush=True)
    for line in lines:
        if stop.is_set():
            return
        text = line.strip()
        if not text:
            continue
        if text == "quit":
            stop.set()
            return
        if text.startswith("scan "):
            try:
                answer = f"ok: {say('line_stored', ' / ', event_id=agent.submit_scan(text[5:].strip()))}"
            except GateError as exc:  # e.g. the outbox's disk is full: nothing was stored
                logger.warning("scan typed on the line console not stored: %s", exc)
                answer = f"refused: {' / '.join(not_submitted(exc))}"
        elif (celsius := manual_celsius(text)) is not None:
            agent.manual_temperature(celsius)
            answer = f"ok: {say('temperature_used', ' / ', celsius=f'{celsius:.1f}')}"
        else:
            low, high = MANUAL_RANGE
            bad = say("line_bad", " / ", text=shown(text), low=low, high=high)
            answer = f"refused: {bad}; {say('line_help', ' / ')}"
        print(answer, file=out, flush=True)


def run_gate(settings: GateSettings, *, console: bool | None = None) -> None:
    """Build the agent, run it until SIGINT, SIGTERM or the console's quit, then stop cleanly.

    ``console``: None or True reads stdin when it offers commands (the key console on a terminal in
    the foreground, the line console on a pipe or file; nothing on /dev/null); False never reads it.
    """
    kind = console_kind(sys.stdin) if console is not False else None
    guard = None
    if kind == "terminal":
        guard = GuardConsole(
            sys.stdin.fileno(), sys.stdout, verdict_s=settings.screen_verdict_s, guard=settings.guard_id
        )
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
    elif kind == "lines":
        threading.Thread(
            target=line_console, args=(agent, stop, sys.stdin, sys.stdout), name="gate-console", daemon=True
        ).start()
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
    return run_or_refuse(settings)


def run_or_refuse(settings: GateSettings) -> int:
    """:func:`run_gate`; one line and exit code 2 when the gate cannot start (its store unreadable)."""
    try:
        run_gate(settings)
    except GateError as exc:  # said once, not a traceback at every restart
        print(f"campusgate: gate not started: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

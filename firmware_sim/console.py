"""Hand-driven simulator devices for integrators, each with a line console read from stdin — a
terminal or a pipe, one command a line: a thermometer, and a camera presenting codes in turn.
Used by ``campusgate sim thermometer`` and ``campusgate sim camera`` (docs/simulator.md)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from firmware_sim.camera import VirtualCamera
from firmware_sim.thermometer import VirtualThermometer
from gate_agent.console import console_kind
from gatecore.thermoline import SensorStatus

Command = Callable[[str], object]
COMMON_HELP = "sleep <seconds> | quit (or the end of the input)"
THERMOMETER_HELP = (
    "commands: <celsius> (e.g. 36.6) | err | garbage | silent | loud | stuck <celsius> | unstuck | "
    f"freeze | thaw | unplug | replug | {COMMON_HELP}"
)
CAMERA_HELP = f"commands: show <text> | blank | cycle | freeze | unfreeze | dark | light | {COMMON_HELP}"


def run_lines(
    commands: dict[str, Command],
    lines: TextIO,
    out: TextIO,
    help_text: str,
    *,
    fallback: Command | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Execute each line ``<command> [argument]`` until ``quit``, the end of the input or ``stop``.

    ``fallback`` is given the first word of a line that names no command (the thermometer's bare
    temperature). A bad line is answered with why and skipped; it never ends the console. Each
    executed line is answered ``ok <command>``, so a script or a test can follow along.
    """
    stop = stop or threading.Event()
    for raw in lines:
        if stop.is_set():
            return
        cmd, _, arg = raw.strip().partition(" ")
        if not cmd or cmd.startswith("#"):
            continue
        if cmd == "quit":
            return
        try:
            if cmd == "sleep":  # paces a script: a reader must open the port before lines are sent
                stop.wait(_number(arg, "sleep needs seconds, e.g. sleep 2", low=0.0, high=86400.0))
            elif cmd in commands:
                commands[cmd](arg.strip())
            elif fallback is not None:
                fallback(cmd)
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except ValueError as exc:
            print(f"refused: {exc}; {help_text}", file=out, flush=True)
            continue
        print(f"ok {cmd}", file=out, flush=True)


def _number(text: str, why: str, *, low: float = -1e6, high: float = 1e6) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(why) from None
    if not low <= value <= high:  # nan and inf fail too
        raise ValueError(why)
    return value


def interactive_thermometer(link: str, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    """Run a virtual thermometer behind ``link``; each stdin line is a measurement or a fault.
    Without commands to read (stdin is /dev/null, or the process is in the background) it sends
    heartbeats until Ctrl-C or SIGTERM."""
    th = VirtualThermometer(link_path=Path(link))
    th.start()
    print(f"virtual thermometer on {th.path} -> {th.device}\n{THERMOMETER_HELP}", file=out, flush=True)
    commands: dict[str, Command] = {
        "err": lambda _: th.measure(None, SensorStatus.ERROR),
        "garbage": lambda _: th.send_garbage_line(),
        "silent": lambda _: th.set_silent(True),
        "loud": lambda _: th.set_silent(False),
        "stuck": lambda arg: th.set_stuck(_number(arg, "stuck needs a temperature, e.g. stuck 36.5")),
        "unstuck": lambda _: th.set_stuck(None),
        "freeze": lambda _: th.set_frozen(True),
        "thaw": lambda _: th.set_frozen(False),
        "unplug": lambda _: th.unplug(),
        "replug": lambda _: th.replug(),
    }

    def measure(word: str) -> None:
        th.measure(_number(word, f"unknown command {word!r}"))

    try:
        _console_or_wait(commands, stdin, out, THERMOMETER_HELP, fallback=measure)
    finally:
        th.stop()
    return 0


class CodeCycle:
    """Presents codes in turn, as people step up one after another: each code for ``hold_s``,
    then nobody for ``gap_s``. One code is held up until told otherwise."""

    def __init__(self, camera: VirtualCamera, codes: Sequence[str], hold_s: float, gap_s: float) -> None:
        self.camera, self.codes, self.hold_s, self.gap_s = camera, list(codes), hold_s, gap_s
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start presenting (again, from the first code): one code is held up at once, several take
        turns from a thread."""
        self.stop()
        self._halt = threading.Event()
        if len(self.codes) == 1:
            self.camera.show(self.codes[0])
        elif self.codes:
            self._thread = threading.Thread(target=self._run, args=(self._halt,), daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop changing codes; whatever is shown stays until the camera is told otherwise."""
        self._halt.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self, halt: threading.Event) -> None:
        i = 0
        while not halt.is_set():
            self.camera.show(self.codes[i % len(self.codes)])
            if halt.wait(self.hold_s):
                return
            self.camera.blank()
            halt.wait(self.gap_s)
            i += 1


def serve_camera(
    codes: Sequence[str],
    *,
    fps: float = 10.0,
    hold_s: float = 3.0,
    gap_s: float = 1.0,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> int:
    """Serve an MJPEG camera presenting ``codes`` (QR texts) in turn until Ctrl-C, SIGTERM, or
    ``quit`` or the end of the input on the console."""
    cam = VirtualCamera(fps=fps)
    cam.start()
    cycle = CodeCycle(cam, codes, hold_s, gap_s)
    cycle.start()
    print(f"virtual camera: {cam.url}  (snapshot: {cam.snapshot_url}); Ctrl-C stops", file=out, flush=True)

    def show(arg: str) -> None:
        if not arg:
            raise ValueError("show needs the text of the code, e.g. show CG1:…")
        cycle.stop()
        cam.show(arg)

    def blank(_: str) -> None:
        cycle.stop()
        cam.blank()

    commands: dict[str, Command] = {
        "show": show,
        "blank": blank,
        "cycle": lambda _: cycle.start(),
        "freeze": lambda _: cam.freeze(True),
        "unfreeze": lambda _: cam.freeze(False),
        "dark": lambda _: cam.go_dark(True),
        "light": lambda _: cam.go_dark(False),
    }
    try:
        _console_or_wait(commands, stdin, out, CAMERA_HELP)
    finally:
        cycle.stop()
        cam.stop()
    return 0


def _console_or_wait(
    commands: dict[str, Command],
    stdin: TextIO,
    out: TextIO,
    help_text: str,
    *,
    fallback: Command | None = None,
) -> None:
    """Read the console from a thread until it ends; Ctrl-C and SIGTERM end the wait as well."""
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if console_kind(stdin) is not None:

            def _read() -> None:
                try:
                    run_lines(commands, stdin, out, help_text, fallback=fallback, stop=stop)
                finally:
                    stop.set()

            threading.Thread(target=_read, name="sim-console", daemon=True).start()
        stop.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

"""RecordingDisplay: the virtual gate display used by the simulator and the tests; it records
every decision view and fault, and can be waited on."""

from __future__ import annotations

import threading
from collections.abc import Callable

from gate_agent.devices.display import measure_line, render
from gate_agent.ports import Fault
from gate_agent.views import DisplayView


class RecordingDisplay:
    """Implements gate_agent.ports.Display; thread-safe."""

    def __init__(self, *, echo: bool = False) -> None:
        self.echo = echo
        self._cond = threading.Condition()
        self._views: list[DisplayView] = []
        self._faults: list[tuple[str, Fault]] = []  # ("show" | "clear", fault), in order
        self._active: set[Fault] = set()
        self._asked: list[tuple[int, float]] = []  # requests to measure: (views shown before it, seconds)

    def show(self, view: DisplayView) -> None:
        """Record a decision view."""
        with self._cond:
            self._views.append(view)
            self._cond.notify_all()
        if self.echo:
            print(render(view), flush=True)

    def ask_to_measure(self, seconds: float) -> None:
        """Record a request to measure, and how many views were shown before it."""
        with self._cond:
            self._asked.append((len(self._views), seconds))
            self._cond.notify_all()
        if self.echo:
            print(measure_line(), flush=True)

    @property
    def asked(self) -> list[tuple[int, float]]:
        """Every request to measure: (how many views were shown before it, its seconds)."""
        with self._cond:
            return list(self._asked)

    def show_fault(self, fault: Fault) -> None:
        """Record that a fault is shown."""
        with self._cond:
            self._faults.append(("show", fault))
            self._active.add(fault)
            self._cond.notify_all()

    def clear_fault(self, fault: Fault) -> None:
        """Record that a fault is cleared."""
        with self._cond:
            self._faults.append(("clear", fault))
            self._active.discard(fault)
            self._cond.notify_all()

    @property
    def views(self) -> list[DisplayView]:
        """Every view shown, oldest first."""
        with self._cond:
            return list(self._views)

    @property
    def last(self) -> DisplayView | None:
        """The view on screen now."""
        with self._cond:
            return self._views[-1] if self._views else None

    @property
    def faults(self) -> list[tuple[str, Fault]]:
        """Every fault shown or cleared, in order."""
        with self._cond:
            return list(self._faults)

    @property
    def active_faults(self) -> set[Fault]:
        """Faults on screen now."""
        with self._cond:
            return set(self._active)

    def wait_for(self, predicate: Callable[[DisplayView], bool], timeout: float = 5.0) -> DisplayView:
        """The first view (already shown or to come) matching predicate; TimeoutError if none in time."""
        found: list[DisplayView] = []

        def match() -> bool:
            found[:] = [v for v in self._views if predicate(v)][:1]
            return bool(found)

        with self._cond:
            if not self._cond.wait_for(match, timeout):
                raise TimeoutError(f"no matching view within {timeout} s ({len(self._views)} shown)")
        return found[0]

    def wait_for_fault(self, fault: Fault, *, active: bool = True, timeout: float = 5.0) -> None:
        """Block until ``fault`` is (or is no longer) on screen; TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: (fault in self._active) == active, timeout):
                raise TimeoutError(
                    f"fault {fault} {'not shown' if active else 'still shown'} after {timeout} s"
                )

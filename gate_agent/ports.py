"""The ports the agent depends on: hardware and storage behind small Protocols, so that the
simulator and the tests plug in implementations that record what happened."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from gatecore.health import CameraHealth, ThermometerHealth  # noqa: F401  (the wire's values, re-exported)
from gatecore.messages import DecisionMessage, GateConfig, GateStatus, OfflineDecision, ScanEvent, Temperature

if TYPE_CHECKING:
    import numpy as np

    from gate_agent.views import DisplayView


class Fault(enum.StrEnum):
    """A device or network fault the guard must know about; the display picks the words."""

    CAMERA_NO_SIGNAL = "camera_no_signal"
    CAMERA_FROZEN = "camera_frozen"
    THERMOMETER_UNPLUGGED = "thermometer_unplugged"
    THERMOMETER_SILENT = "thermometer_silent"
    THERMOMETER_GARBAGE = "thermometer_garbage"
    THERMOMETER_STUCK = "thermometer_stuck"
    THERMOMETER_FAHRENHEIT = "thermometer_fahrenheit"
    LINK_DOWN = "link_down"


class Camera(Protocol):
    """A source of frames."""

    def read(self) -> np.ndarray | None:
        """The next frame, or None when there is none just now (never raises)."""
        ...

    def health(self) -> CameraHealth:
        """Current health."""
        ...

    def close(self) -> None:
        """Release the device."""
        ...


class QrDecoder(Protocol):
    """Finds QR codes in a frame."""

    def decode(self, frame: np.ndarray) -> list[str]:
        """The text of every QR code in the frame; [] when none."""
        ...


class Thermometer(Protocol):
    """The infrared thermometer and the guard's manual entry."""

    def start(self) -> None:
        """Begin reading in the background."""
        ...

    def stop(self) -> None:
        """Stop reading and release the port."""
        ...

    def reading_for_scan(
        self,
        at_monotonic: float,
        window: float,
        *,
        take: bool = True,
        waiting: Callable[[float], None] | None = None,
    ) -> Temperature:
        """The reading paired with a scan at ``at_monotonic``; MISSING when none within ``window``.
        ``take`` False: the scan names nobody (a health code): it sees the reading but leaves it, and
        a typed one, for the pass the person shows next. ``waiting(seconds)``: called once if it
        has to wait for a reading (the gate asks the person to measure)."""
        ...

    def measured_since(self, since: float) -> bool:
        """Whether a usable reading (sensor OK with a value, or a typed one) came after ``since``
        (monotonic) and waits unused."""
        ...

    def manual(self, celsius: float | None) -> None:
        """A guard's hand measurement, used for the next scan; None withdraws it."""
        ...

    def typed(self) -> float | None:
        """The hand measurement waiting for the next scan (None: none, taken, withdrawn or lapsed)."""
        ...

    def health(self) -> ThermometerHealth:
        """Current health."""
        ...


class Display(Protocol):
    """The screen facing the guard and the person."""

    def show(self, view: DisplayView) -> None:
        """Show a decision (it replaces a request to measure)."""
        ...

    def ask_to_measure(self, seconds: float) -> None:
        """Ask the person to measure their temperature (``words.MEASURE``) while the gate waits for a
        reading; it replaces the decision shown, and gives way to the next one or after ``seconds``."""
        ...

    def show_fault(self, fault: Fault) -> None:
        """Show a device or network fault until cleared."""
        ...

    def clear_fault(self, fault: Fault) -> None:
        """The fault is over."""
        ...


class Relay(Protocol):
    """The turnstile or door lock."""

    def open(self, pulse_s: float = 1.0) -> None:
        """Release for ``pulse_s`` seconds."""
        ...


DecisionHandler = Callable[[DecisionMessage], None]
ConfigHandler = Callable[[GateConfig, bytes], None]


class Link(Protocol):
    """The gate's view of its link to central: events out, decisions and config in, a retained
    status; implemented on MQTT by gate_agent.link.GateLink and in memory by MemoryLink."""

    gate_id: str

    @property
    def up(self) -> bool:
        """Whether central's broker is reachable now."""
        ...

    def on_decision(self, handler: DecisionHandler) -> None:
        """Deliver valid decisions for this gate to ``handler``."""
        ...

    def on_config(self, handler: ConfigHandler) -> None:
        """Deliver valid configs for this gate (with the raw payload) to ``handler``."""
        ...

    def on_connection_change(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(up)`` whenever the link comes up or goes down."""
        ...

    def start(self) -> None:
        """Connect in the background; returns at once."""
        ...

    def stop(self, *, graceful: bool = True) -> None:
        """Disconnect (graceful: say offline first)."""
        ...

    def publish_event(self, event: ScanEvent) -> bool:
        """Send a scan event at least once; False when the link is down (the outbox keeps it)."""
        ...

    def set_status(self, status: GateStatus) -> bool:
        """Publish the retained status now (when up) and again on every reconnect."""
        ...


class Outbox(Protocol):
    """Durable store of scan events until central acknowledges them with a decision."""

    def next_seq(self) -> int:
        """The next per-gate sequence number (persisted)."""
        ...

    def put(self, event: ScanEvent) -> None:
        """Store an event before it is published."""
        ...

    def put_next(self, draft: ScanEvent) -> ScanEvent:
        """Number ``draft`` (the next sequence number) and store it, in one transaction; the event."""
        ...

    def pending(self, limit: int | None = None) -> list[ScanEvent]:
        """Unacknowledged events in sequence order (the first ``limit``)."""
        ...

    def ack(self, event_id: str, *, offline_recorded: bool = False) -> bool:
        """Remove an acknowledged event; one carrying an offline decision only if ``offline_recorded``."""
        ...

    def attach_offline(self, event_id: str, decision: OfflineDecision) -> None:
        """Record the gate's own decision so that the resend carries it."""
        ...

    def settle_unacted(self, policy_version: int) -> int:
        """At start-up: mark every stored event without a decision of the gate's own as not decided
        by it (``gate_restarted``); how many."""
        ...

    def mark_undecided(self, event_id: str, policy_version: int) -> None:
        """A scan the gate failed to decide and showed refer for: recorded so (``decision_error``)."""
        ...

    def depth(self) -> int:
        """How many events wait for acknowledgement."""
        ...

    def close(self) -> None:
        """Close the store."""
        ...

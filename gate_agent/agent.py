"""GateAgent: camera -> decode -> pair a temperature -> ScanEvent -> outbox -> MQTT -> decision
-> display and relay; offline, the same rules decide at the gate."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

from gate_agent import views
from gate_agent.errors import ConfigError, GateError, RefusedEventError
from gate_agent.health import HealthWatch
from gate_agent.intake import FrameIntake
from gate_agent.ledger import ConfigStore, LocalLedger
from gate_agent.offline import OfflineDecider
from gate_agent.outbox import widest
from gate_agent.pending import SymptomMark, names_a_pass
from gate_agent.ports import Camera, Display, Link, Outbox, QrDecoder, Relay, Thermometer
from gate_agent.resend import Resender
from gate_agent.settings import GateSettings
from gate_agent.store import Store
from gate_agent.waiters import DecisionWaiters, RepeatFilter
from gate_agent.words import gate_next_step
from gatecore.ids import uuid7
from gatecore.messages import (
    DecisionMessage,
    GateConfig,
    MessageError,
    OfflineDecision,
    Override,
    ScanEvent,
    Temperature,
)
from gatecore.policy import Decision
from gatecore.reasons import Verdict
from gatecore.wire import fit_qr

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """The gate's wall clock, timezone-aware in local time."""
    return datetime.now().astimezone()


def _log(event: ScanEvent, verdict: Verdict, reason: object, source: str) -> None:
    logger.info("event %s seq %s: %s %s (%s)", event.event_id, event.seq, verdict, reason, source)


class GateAgent:
    """One gate: owns the devices it is given, and its threads."""

    def __init__(
        self,
        settings: GateSettings,
        camera: Camera,
        decoder: QrDecoder,
        thermometer: Thermometer,
        display: Display,
        relay: Relay,
        outbox: Outbox,
        link: Link,
        *,
        offline: OfflineDecider | None = None,
        clock: Clock = local_now,
    ) -> None:
        self.settings = settings
        self.camera, self.decoder, self.thermometer = camera, decoder, thermometer
        self.display, self.relay, self.outbox, self.link = display, relay, outbox, link
        self._own_store: Store | None = None
        if offline is None:
            self._own_store = Store(settings.database_path)
            offline = OfflineDecider(ConfigStore(self._own_store), LocalLedger(self._own_store))
        self.offline = offline
        self.clock = clock
        self._stop = threading.Event()
        self._wake_resend = threading.Event()
        # unbounded, and safe so: every event in it is already in the outbox; the camera is what
        # waits when it grows (FrameIntake skips frames)
        self._scans: queue.Queue[ScanEvent] = queue.Queue()
        self._store_lock = threading.Lock()  # a sequence number and its outbox row go in together
        # held while the pipeline gives up waiting and decides offline, and while an answer is handed
        # over or acknowledged: an answer is either used online or sees the offline decision stored
        self._verdict_lock = threading.Lock()
        self._waiters = DecisionWaiters()
        # a code held up through a re-measure is decided again once a new reading comes
        self.repeats = RepeatFilter(settings.repeat_suppress_s, lambda t: self.thermometer.measured_since(t))
        self.intake = FrameIntake(
            camera,
            decoder,
            self.repeats,
            lambda qr, at: self._store_scan(qr, at, None),
            self._scans.qsize,
        )
        self.resender = Resender(
            outbox, link, self._waiters.__contains__, resend_after_s=settings.resend_after_s
        )
        self.health = HealthWatch(
            settings,
            camera,
            thermometer,
            display,
            outbox,
            link,
            lambda: self.offline.policy_version,
            clock,
            frames_skipped=lambda: self.intake.skipped,
        )
        self._threads: list[threading.Thread] = []
        self._stopped = False
        self.last_event: ScanEvent | None = None  # what the guard's override refers to
        self.symptoms = SymptomMark()  # for the next scan of a pass; the gate screen shares this one
        link.on_decision(self._on_decision)
        link.on_config(self._on_config)
        link.on_connection_change(self._on_link)

    # lifecycle

    def start(self) -> None:
        """Start devices, the MQTT link and the agent's threads; returns at once."""
        self._stop.clear()
        if n := self.outbox.settle_unacted(self.offline.policy_version):  # see docs/gate-agent.md
            logger.warning("%d stored scans were never acted on: sent as not decided by this gate", n)
        self.thermometer.start()
        self.link.start()
        for name, target in (
            ("camera", lambda: self.intake.camera_loop(self._stop)),
            ("decode", lambda: self.intake.decode_loop(self._stop)),
            ("scans", self._scan_loop),
            ("resend", lambda: self.resender.run(self._stop, self._wake_resend)),
            ("status", lambda: self.health.run(self._stop)),
        ):
            t = threading.Thread(target=target, name=f"gate-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        logger.info("gate %s started (direction %s)", self.settings.gate_id, self.settings.direction)

    def stop(self, *, graceful: bool = True) -> None:
        """Stop threads and release devices, link and store (a second call does nothing)."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        self._wake_resend.set()
        self.thermometer.stop()  # wakes a scan waiting for a reading
        for t in self._threads:
            t.join(5)
        self._threads.clear()
        self.link.stop(graceful=graceful)
        self.camera.close()
        close_display = getattr(self.display, "close", None)  # the gate screen's web server
        if close_display is not None:
            close_display()
        self.outbox.close()
        if self._own_store is not None:
            self._own_store.close()
        logger.info("gate %s stopped", self.settings.gate_id)

    # inputs

    def submit_scan(self, qr_text: str, temperature: Temperature | None = None) -> str:
        """Inject a scan (guard console, tests): stored in the outbox before this returns its event
        id. Without a temperature, pair one (waiting up to pair_window_s for a reading)."""
        return self._store_scan(qr_text, time.monotonic(), temperature)

    def submit_override(self, of: ScanEvent, *, allow: bool, reason: str, guard: str) -> str:
        """A guard overrides the decision on ``of``: a new event carrying the override, through the
        outbox like any scan, so central logs it even after an outage; return its event id."""
        verdict = Verdict.ALLOW if allow else Verdict.DENY
        return self._store_scan(
            of.qr, time.monotonic(), of.temperature, Override(of.event_id, guard, verdict, reason)
        )

    def manual_temperature(self, celsius: float | None) -> None:
        """A guard's hand measurement, used for the next scan; None withdraws it."""
        self.thermometer.manual(celsius)

    def mark_symptoms(self, symptoms: tuple[str, ...]) -> None:
        """A guard marks a cough or other symptoms, carried by the next scan of a campus pass and
        lapsing like a typed temperature; () withdraws the mark."""
        self.symptoms.mark(symptoms)

    def _store_scan(
        self, qr: str, at: float, temperature: Temperature | None, override: Override | None = None
    ) -> str:
        """Pair a temperature, store the event in the outbox, then queue it; raise GateError when the
        outbox cannot store it or central would refuse it (then nothing is queued or shown)."""
        now = self.clock()
        event_id = uuid7(int(now.timestamp() * 1000), os.urandom(10))
        s = self.settings
        wire_qr = fit_qr(qr)
        if wire_qr != qr:  # no pass looks like this; the event still goes to central, which logs it
            logger.warning("QR text of %d characters cut or cleaned to fit a scan event", len(qr))
        # a scan that names nobody (a health code shown first) leaves what the guard set for the pass
        named = names_a_pass(wire_qr)
        # no reading yet: the person is asked to measure until the decision (or that long) replaces it
        ask = lambda left: self.display.ask_to_measure(left + s.decision_timeout_s)  # noqa: E731
        temperature = temperature or self.thermometer.reading_for_scan(
            at, s.pair_window_s, take=named, waiting=ask
        )
        symptoms = () if override else self.symptoms.take_for(wire_qr)
        draft = ScanEvent(
            event_id, s.gate_id, 0, now, wire_qr, temperature, s.direction, None, override, symptoms
        )
        # the resender leaves an event the pipeline owns alone; a decision that comes before the
        # pipeline gets to it waits in the slot
        self._waiters.register(event_id)
        try:  # an event central refuses would never leave the outbox, nor be shown (a NUL in a reason)
            ScanEvent.from_json(widest(draft).to_json())
            with self._store_lock:  # numbered and stored at once, before anything is shown or queued
                event = self.outbox.put_next(draft)
        except BaseException as exc:
            self._waiters.unregister(event_id)
            if symptoms:  # nothing was stored: the mark waits for the next scan, as it did
                self.symptoms.mark(symptoms)
            if isinstance(exc, MessageError):
                raise RefusedEventError(f"not stored, central would refuse it: {exc}") from None
            raise
        self._scans.put(event)
        return event_id

    # the pipeline

    def _scan_loop(self) -> None:
        while not self._stop.is_set():
            try:
                event = self._scans.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._handle(event)
            except Exception as exc:  # one bad scan must not stop the gate, nor leave the person unanswered
                if isinstance(exc, GateError):
                    logger.error("scan %s failed: %s", event.event_id, exc)
                else:
                    logger.exception("scan %s failed", event.event_id)
                self.outbox.mark_undecided(event.event_id, self.offline.policy_version)  # as shown below
                self._show(event, views.undecided(event, self.offline.zone))
            finally:
                self._waiters.unregister(event.event_id)

    def _handle(self, event: ScanEvent) -> None:
        self.last_event = event
        slot = self._waiters.register(event.event_id)  # the slot made when it was stored
        timeout = self.settings.decision_timeout_s
        msg: DecisionMessage | None = None
        if not slot.empty() or self.link.publish_event(event):
            self.resender.mark_sent(event.event_id)
            try:
                msg = slot.get(timeout=timeout)
            except queue.Empty:
                logger.warning("no decision for event %s within %.1f s", event.event_id, timeout)
        offline: Decision | None = None
        with self._verdict_lock:
            self._waiters.unregister(event.event_id)
            if msg is None:
                try:  # answered while we stopped waiting
                    msg = slot.get_nowait()
                except queue.Empty:
                    offline = self._offline_verdict(event)  # stored in the outbox before we act on it
        if msg is not None:
            self.outbox.ack(event.event_id)  # the decision is the application-level acknowledgement
            self._online(event, msg)
        else:
            assert offline is not None
            self._act_offline(event, offline)

    def _online(self, event: ScanEvent, msg: DecisionMessage) -> None:
        _log(event, msg.verdict, msg.reason, f"central, policy {msg.policy_version}")
        if msg.open:
            # before the barrier opens, so that a network drop a moment later already knows the day
            self.offline.remember_online_allow(event, msg)
            self.relay.open()
        step = gate_next_step(msg.reason, event.temperature, offline=False)
        self._show(event, views.from_decision_message(msg, self.offline.zone, next_step=step))

    def _offline_verdict(self, event: ScanEvent) -> Decision:
        # the guard's override too: the one rule (gatecore.policy.decide) says what it claims
        decision = self.offline.decide(event)
        self.outbox.attach_offline(
            event.event_id, OfflineDecision(decision.verdict, decision.reason, decision.policy_version)
        )
        return decision

    def _act_offline(self, event: ScanEvent, decision: Decision) -> None:
        _log(event, decision.verdict, decision.reason, f"offline, policy {decision.policy_version}")
        if decision.open_turnstile:
            self.relay.open()
        # "offices notified" is not true yet: the gate's own next step says to phone
        step = gate_next_step(decision.reason, event.temperature, offline=True)
        self._show(event, views.from_offline(decision, event, self.offline.zone, next_step=step))
        self._wake_resend.set()

    def _show(self, event: ScanEvent, view: views.DisplayView) -> None:
        self.display.show(view)
        self.repeats.decided(event.qr, view.verdict)  # a re-measure lets a held code be read again

    # link callbacks (paho's network thread: keep them short)

    def _on_decision(self, msg: DecisionMessage) -> None:
        with self._verdict_lock:
            if self._waiters.deliver(msg):  # the pipeline acknowledges what it uses
                return
            # the application-level acknowledgement; a row with an offline decision stays until
            # central says it logged that decision
            acked = self.outbox.ack(msg.event_id, offline_recorded=msg.offline_recorded or msg.offline)
        if acked:
            logger.info("late decision for event %s: acknowledged, not shown again", msg.event_id)
        else:
            logger.debug("decision for event %s already acknowledged or not yet final", msg.event_id)

    def _on_config(self, config: GateConfig, payload: bytes) -> None:
        try:
            self.offline.update(config, payload)
        except ConfigError as exc:
            logger.error("gate config rejected, keeping the previous one: %s", exc)
            return
        self.health.poke()

    def _on_link(self, up: bool) -> None:
        if up:
            self.resender.forget_all()
            self._wake_resend.set()
        self.health.poke()

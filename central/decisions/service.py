"""The decision service: scan events in, what to publish out. No MQTT here, so tests need no broker.

Each event id is decided once: facts, the household-day claim, the entry-log row and any fever
alert are written in one transaction, and the exact decision bytes are stored so that a
duplicate (QoS 1 redelivery, the gate's outbox resending after a lost answer) is answered
byte for byte without deciding again. Events that arrive together share that transaction
(:meth:`DecisionService.handle_batch`, group commit); the answers exist only once it committed.
A batch that fails as a whole is decided again event by event, so one bad event cannot stop the
others. Registry rows come from the worker's cache (central.decisions.cache).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import NamedTuple

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from central.audit.chain import lock_head
from central.decisions.answer import (
    Outgoing,
    decision_message,
    entry_row,
    fever_alert,
    raises_alert,
    refusal_message,
)
from central.decisions.batch import Batch
from central.decisions.cache import RegistryCache
from central.decisions.deadletter import store_rejected
from central.decisions.facts import prefetch
from central.decisions.failed import failed
from central.decisions.judge import Judged, alerting, evaluate, household_days, judge
from central.decisions.ledger import ClaimLost, read_days
from central.decisions.reconcile import altered, answer_again, collision, reconcile_id
from central.models.base import utc
from central.models.db import session_scope, unavailable
from central.models.registry import Gate
from central.office.incidents import incident_for
from central.office.keys import KeyRing
from central.ops import metrics
from central.ops.logs import EVENT_ID
from gatecore import topics
from gatecore.messages import MessageError, ScanEvent, event_id_of
from gatecore.policy import (
    Decision,
    Facts,
)
from gatecore.reasons import Reason, Verdict
from gatecore.tokens import PassClaims, PassKind, TokenError, parse_token

logger = logging.getLogger(__name__)


class _Incoming(NamedTuple):
    event: ScanEvent
    topic: str
    payload: bytes
    received_at: datetime


class DecisionService:
    """Decides scan events against the registry and logs them; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        keyring: KeyRing,
        cache: RegistryCache | None = None,
        *,
        max_skew_s: float = 30.0,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.cache = cache or RegistryCache()
        self.max_skew_s = max_skew_s  # how far ahead of central a gate's scan time may claim to be

    def handle(self, topic: str, payload: bytes, received_at: datetime) -> list[Outgoing]:
        """Decide one payload from ``gates/{id}/events``; return the messages to publish."""
        return self.handle_batch([(topic, payload, received_at)])

    def handle_batch(self, items: Sequence[tuple[str, bytes, datetime]]) -> list[Outgoing]:
        """Decide payloads that arrived together in one transaction; the messages to publish after it."""
        metrics.EVENTS.inc(len(items))
        started = time.perf_counter()
        out: list[Outgoing] = []
        events: list[_Incoming] = []
        for topic, payload, at in items:
            try:
                parsed = self._parse(topic, payload, utc(at))
            except SQLAlchemyError as exc:  # the dead letter could not be stored: the gate resends
                logger.error(
                    "database unavailable; dead letter on %s not stored: %s", topic, unavailable(exc)
                )
                continue
            if isinstance(parsed, _Incoming):
                events.append(parsed)
            else:
                out.extend(parsed)
        if events:
            out.extend(self._decide_all(events))
        for _ in items:  # each payload waited for its batch's answers
            metrics.DECISION_SECONDS.observe(time.perf_counter() - started)
        return out

    def _parse(self, topic: str, payload: bytes, received_at: datetime) -> _Incoming | list[Outgoing]:
        gate_id = topics.events_of(topic)
        if gate_id is None:
            return self._reject(topic, payload, "topic is not gates/{gate_id}/events", received_at)
        try:
            event = ScanEvent.from_json(payload)
        except MessageError as exc:
            return self._reject(topic, payload, str(exc), received_at, answer_to=gate_id)
        if event.gate_id != gate_id:
            reason = f"payload gate id {event.gate_id!r} does not match topic gate {gate_id!r}"
            return self._reject(topic, payload, reason, received_at, answer_to=gate_id)
        return _Incoming(event, topic, payload, received_at)

    def _decide_all(self, events: list[_Incoming], *, reconnected: bool = False) -> list[Outgoing]:
        try:
            return self._transaction(events)
        except Exception as exc:  # a database fault, or one event the code cannot decide
            if isinstance(exc, DBAPIError) and exc.connection_invalidated and not reconnected:
                # a pooled connection the database had closed (a restart, an idle timeout): the pool
                # drops every connection that old, and the batch goes again on a new one
                logger.warning("database connection lost; deciding the batch again on a new one")
                return self._decide_all(events, reconnected=True)
            if len(events) > 1:
                logger.warning(  # the error's class and cause, never SQLAlchemy's text: it quotes the rows
                    "batch of %d events failed (%s); deciding them one by one", len(events), unavailable(exc)
                )
                return [o for incoming in events for o in self._decide_all([incoming])]
            if isinstance(exc, SQLAlchemyError):
                metrics.DATABASE_ERRORS.inc()
                logger.error(
                    "database unavailable; event %s left to the gate to resend: %s",
                    events[0].event.event_id,
                    unavailable(exc),
                )
                return []  # nothing is published, so the gate's outbox resends it
            # a bad stored setting, a bug: the gate still gets an answer (refer), the payload is kept
            logger.exception("event %s could not be decided", events[0].event.event_id)
            one = events[0]
            return failed(self.engine, one.topic, one.payload, one.received_at, exc)

    def _transaction(self, events: list[_Incoming]) -> list[Outgoing]:
        ids = [i.event.event_id for i in events]
        ids += [reconcile_id(i.event.event_id) for i in events if i.event.offline is not None]
        concurrent = lost = False
        while True:
            collisions: list[tuple[_Incoming, str]] = []
            changed: list[tuple[_Incoming, str]] = []  # resends that differ: answered, kept as dead letters
            out: list[Outgoing] = []
            try:
                with session_scope(self.engine) as session:
                    batch = Batch(session, ids, self.cache)
                    if self.cache.refresh(session, batch.registry_revision):  # a key rotation moves it too
                        self.keyring.learn(session)
                    passes = [self._claims(i.event) for i in events]
                    gate_ids = {i.event.gate_id for i in events}
                    prefetch(session, self.cache, gate_ids, [p for p in passes if p is not None])
                    scans = [(i.event, i.received_at, p) for i, p in zip(events, passes, strict=True)]
                    days = household_days(session, self.cache, scans, max_skew_s=self.max_skew_s)
                    read_days(session, self.cache, days, claim_late=not lost)
                    answers: list[list[Outgoing]] = [[] for _ in events]
                    for i in sorted(range(len(events)), key=lambda i: _lock_order(passes[i], i)):
                        incoming, batch.position = events[i], i
                        event, at = incoming.event, incoming.received_at
                        stored = batch.stored(event.event_id)
                        if stored is None:
                            answers[i] = self._decide(batch, event, at)
                        elif stored.gate_id == event.gate_id:
                            differs = altered(stored, event, batch.stored(reconcile_id(event.event_id)))
                            if differs:
                                changed.append((incoming, differs))
                            answers[i] = [
                                Outgoing(
                                    topics.gate_decisions(event.gate_id),
                                    answer_again(
                                        batch, event, stored, at, partial(self._admit, batch, event, at)
                                    ),
                                )
                            ]
                        else:
                            collisions.append((incoming, collision(stored)))
                    batch.finish()
                    out = [o for each in answers for o in each]  # in the order the events arrived
            except IntegrityError:
                if concurrent:
                    raise
                # another worker logged one of these events (or its reconciliation) first: again, and
                # it is answered as a duplicate (still recording an offline decision this copy carries)
                logger.info("events of a batch were logged concurrently by another worker; deciding again")
                concurrent = True
                continue
            except ClaimLost as exc:
                if lost:
                    raise
                # a household day read free was taken meanwhile: again, each claim made as it is decided
                logger.info("%s; deciding the batch again", exc)
                lost = True
                continue
            self.cache.committed(session)
            metrics.count_decisions(batch.verdicts)
            # outside that transaction: each dead letter is written in its own
            for incoming, why in changed:  # answered as first decided; what the copy said is kept
                self._reject(incoming.topic, incoming.payload, why, incoming.received_at)
            for incoming, why in collisions:
                out.extend(
                    self._reject(
                        incoming.topic,
                        incoming.payload,
                        why,
                        incoming.received_at,
                        answer_to=incoming.event.gate_id,
                    )
                )
            return out

    def _claims(self, event: ScanEvent) -> PassClaims | None:
        # whose pass, if its signature holds (read again, from memory, when the event is decided)
        try:
            return parse_token(event.qr, self.keyring.public_keys())
        except TokenError:
            return None

    def _reject(
        self, topic: str, payload: bytes, reason: str, received_at: datetime, *, answer_to: str | None = None
    ) -> list[Outgoing]:
        """Keep the payload as a dead letter; answer ``refer`` when the gate and the event id are known."""
        store_rejected(self.engine, topic, payload, reason, received_at)
        metrics.DEAD_LETTERS.inc()
        eid = event_id_of(payload) if answer_to else None
        if answer_to is None or eid is None:
            return []  # no event id the gate could match an answer to
        message = refusal_message(answer_to, eid, reason, received_at)
        return [Outgoing(topics.gate_decisions(answer_to), message.to_json())]

    def _admit(self, batch: Batch, event: ScanEvent, received_at: datetime) -> str | None:
        # a late copy of an offline admission central had refused: what it took is judged as for an
        # offline decision that came first; the decision itself is not logged (central's stands)
        gate = self.cache.row(batch.session, Gate, event.gate_id)
        if gate is None:  # no campus: no household day to take
            return None
        # the head before the day, and held until the commit: a late refusal giving the day back at
        # another worker (ledger.give_back) sees this admission, or this one finds the day free
        lock_head(batch.session)
        keys, cache, skew = self.keyring, self.cache, self.max_skew_s
        return judge(
            batch.session, event, gate, received_at, keyring=keys, cache=cache, max_skew_s=skew
        ).conflict

    def _decide(self, batch: Batch, event: ScanEvent, received_at: datetime) -> list[Outgoing]:
        token = EVENT_ID.set(event.event_id)  # every log line of this decision carries its event id
        try:
            return self._decide_one(batch, event, received_at)
        finally:
            EVENT_ID.reset(token)

    def _decide_one(self, batch: Batch, event: ScanEvent, received_at: datetime) -> list[Outgoing]:
        session = batch.session
        gate = self.cache.row(session, Gate, event.gate_id)
        if gate is None:
            # a fever (or marked symptoms) is alerted at any gate, registered or not
            unknown = Decision(Verdict.REFER, Reason.UNKNOWN_GATE, (Reason.UNKNOWN_GATE, *alerting(event)), 0)
            outcome, campus_id = Judged(unknown, Facts(), None), None
        else:
            judged = evaluate(
                session,
                event,
                gate,
                received_at,
                keyring=self.keyring,
                cache=self.cache,
                max_skew_s=self.max_skew_s,
            )
            outcome, campus_id = judged, gate.campus_id
        decision = outcome.decision
        message = decision_message(event, decision, outcome.facts, received_at, outcome.conflict).to_json()
        batch.append(
            entry_row(event, campus_id, decision, message, outcome.conflict, received_at, outcome.whose)
        )
        out = [Outgoing(topics.gate_decisions(event.gate_id), message)]
        if raises_alert(session, event, decision, batch.with_rows, batch.added):
            row, alert = fever_alert(event, campus_id, outcome.facts, received_at)
            batch.with_rows += [
                row,
                incident_for(row, decision.claims.person_id if decision.claims else None),
            ]
            out.append(Outgoing(topics.FEVER_ALERTS, alert.to_json()))
        batch.verdicts.append((decision.verdict.value, decision.reason.value))  # counted once committed
        logger.info(
            "decision %s gate=%s verdict=%s reason=%s%s",
            event.event_id,
            event.gate_id,
            decision.verdict.value,
            decision.reason.value,
            " offline-conflict" if outcome.conflict else "",
        )
        if outcome.conflict:
            logger.warning(
                "event %s: offline decision conflicts with central: %s", event.event_id, outcome.conflict
            )
        return out


def _lock_order(claims: PassClaims | None, arrived: int) -> tuple[int, int, int]:
    # a batch takes row locks as it uses one-time passes, and claims household days together in
    # household order when it ends (central.decisions.ledger); two workers taking pass locks in
    # different orders deadlock, so one-time passes are decided in (household, pass) order. Every
    # other event of a household keeps its order of arrival: an offline gate's scans come in the
    # order it made them, and the household day is the first person's, whatever the pass numbers
    # (the log rows and the answers keep arrival order for all)
    if claims is None:
        return (0, 0, arrived)
    if claims.kind is PassKind.VISITOR:
        return (claims.household_id, 1, claims.pass_id)
    return (claims.household_id, 0, arrived)

"""Prometheus metrics of central.

Counters and histograms are per process (each worker counts what it decided; Prometheus sums the
targets). What the database knows (gates online, backlog the gates report, dead letters stored,
whether the schema is current) is read at scrape time by :class:`DatabaseCollector`, registered
only where the API serves ``/metrics``, so it is counted once however many workers run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import col

from central.models.db import read_only, unavailable
from central.models.journal import FeverAlert, GateState, RejectedMessage

logger = logging.getLogger(__name__)

EVENTS = Counter("campusgate_events", "Scan event messages received from gates (rate: events/s)")
DECISIONS = Counter(
    "campusgate_decisions", "Scan events decided and logged, by verdict and reason", ["verdict", "reason"]
)
DUPLICATES = Counter(
    "campusgate_duplicate_events", "Events already decided, answered with the stored decision"
)
DECISION_SECONDS = Histogram(
    "campusgate_decision_seconds",
    "Time from receiving a scan event to having its answer ready to publish",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DEAD_LETTERS = Counter("campusgate_dead_letters", "Messages refused as malformed and stored as dead letters")
DATABASE_ERRORS = Counter(
    "campusgate_database_errors", "Events left to the gate to resend because the database failed"
)
BROKER_UP = Gauge("campusgate_broker_connected", "1 while this process's MQTT link is connected")


def count_decisions(verdicts: Iterable[tuple[str, str]]) -> None:
    """Count the decisions of a transaction that committed (a rolled-back one is decided again later)."""
    for verdict, reason in verdicts:
        DECISIONS.labels(verdict, reason).inc()


class DatabaseCollector(Collector):
    """Gauges read from the database at each scrape."""

    def __init__(self, engine: Engine, *, offline_after: timedelta = timedelta(seconds=60)) -> None:
        self.engine = read_only(engine)
        self.offline_after = offline_after

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """database_up, schema_current, gates by state, outbox backlog per gate, dead letters, alerts."""
        from central import migrations

        up = GaugeMetricFamily("campusgate_database_up", "1 when central's database answers")
        current = GaugeMetricFamily("campusgate_schema_current", "1 when the schema revision is the code's")
        gates = GaugeMetricFamily(
            "campusgate_gates", "Registered gates by last reported state", labels=["state"]
        )
        backlog = GaugeMetricFamily(
            "campusgate_gate_outbox_backlog",
            "Events waiting in a gate's outbox, as it last reported",
            labels=["gate"],
        )
        stored = GaugeMetricFamily("campusgate_dead_letters_stored", "Dead letters kept in the database")
        alerts = GaugeMetricFamily("campusgate_fever_alerts_open", "Fever alerts not yet acknowledged")
        try:
            now = datetime.now(UTC)
            with Session(self.engine) as session:
                counts = {"online": 0, "offline": 0, "silent": 0}
                for row in session.scalars(select(GateState)):
                    last_seen = row.last_seen
                    if row.state != "online":
                        counts["offline"] += 1
                    elif last_seen is not None and now - last_seen > self.offline_after:
                        counts["silent"] += 1  # says online, but no status for a while
                    else:
                        counts["online"] += 1
                    backlog.add_metric([row.gate_id], max(row.outbox, 0))
                stored.add_metric([], session.scalar(select(func.count()).select_from(RejectedMessage)) or 0)
                open_alerts = (
                    select(func.count())
                    .select_from(FeverAlert)
                    .where(col(FeverAlert.acknowledged_at).is_(None))
                )
                alerts.add_metric([], session.scalar(open_alerts) or 0)
            for state, n in counts.items():
                gates.add_metric([state], n)
            up.add_metric([], 1)
            current.add_metric([], 1 if migrations.current(self.engine) == migrations.head() else 0)
        except SQLAlchemyError as exc:
            logger.warning("metrics: database unavailable: %s", unavailable(exc))
            up.add_metric([], 0)
            yield up
            return
        yield from (up, current, gates, backlog, stored, alerts)


def exposition(engine: Engine | None) -> bytes:
    """This process's metrics, and the database's when ``engine`` is given, in the text format."""
    from prometheus_client import REGISTRY

    text = generate_latest(REGISTRY)
    if engine is not None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(DatabaseCollector(engine))
        text += generate_latest(registry)
    return text
